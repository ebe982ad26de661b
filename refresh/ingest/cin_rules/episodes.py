"""Rules on CIN episodes (``<CINdetails>``): dates, order, NFA referrals and closure (DfE codes; Q = query).

A value the schema reader refused (an invalid code or date) still counts as *given* for the rules
that ask whether it is present (``base.present``): an invalid need code is 8650 only, not also
8610 "missing", and an invalid closure reason is 8640 only, not also 8805.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from refresh.ingest.cin_rules.base import Data, Period, Problem, episodes_of, label, overlaps, present

AFTER_ASSESSMENT = ("RC8", "RC9")  # closed after assessment: no further action / referred to early help


def episodes(child: Data, period: Period) -> Iterator[Problem]:
    """8600, 8606, 8610, 8805, 8810, 8620, 8630, then the order rules 8815, 8816, 8820."""
    ids = child.get("ChildIdentifiers", {})
    born = ids.get("PersonBirthDate") or ids.get("ExpectedPersonBirthDate")
    for episode in episodes_of(child):
        name, ref = label(episode), episode.get("CINreferralDate")
        closed, reason = episode.get("CINclosureDate"), episode.get("ReasonForClosure")
        if ref and ref > period.end:
            yield ("CINdetails/CINreferralDate", "8600",
                   f"{name}: the referral date is after the census year ends ({period.end})")
        if ref and born and (born - ref).days > 280:
            yield ("CINdetails/CINreferralDate", "8606",
                   f"{name}: the referral is more than 40 weeks before birth ({born})")
        if episode.get("ReferralNFA") is False and not present(episode, "PrimaryNeedCode"):
            yield "CINdetails/PrimaryNeedCode", "8610", f"{name}: primary need is missing (required unless NFA)"
        if present(episode, "CINclosureDate") and not present(episode, "ReasonForClosure"):
            yield ("CINdetails/ReasonForClosure", "8805",
                   f"{name}: closed on {closed or '(invalid date)'} but no reason for closure given")
        if present(episode, "ReasonForClosure") and not present(episode, "CINclosureDate"):
            yield ("CINdetails/CINclosureDate", "8810",
                   f"{name}: reason for closure {reason or '(invalid code)'} given but no closure date")
        if closed and not period.contains(closed):
            yield ("CINdetails/CINclosureDate", "8620",
                   f"{name}: closure date {closed} is outside the census year ({period.start} to {period.end})")
        if closed and ref and closed < ref:
            yield "CINdetails/CINclosureDate", "8630", f"{name}: closure date {closed} is before the referral date"
    yield from _episode_order(episodes_of(child), period)


def _episode_order(all_episodes: list[Data], period: Period) -> Iterator[Problem]:
    dated = [e for e in all_episodes if e.get("CINreferralDate")]
    open_ = [e for e in dated if not e.get("CINclosureDate")]
    if len(open_) > 1:
        yield ("CINdetails/CINclosureDate", "8815",
               f"{len(open_)} episodes are open (no closure date): only one may be open")
    latest = max((e["CINreferralDate"] for e in dated), default=None)
    for e in open_:
        if e.get("ReferralNFA") is False and e["CINreferralDate"] != latest:
            yield "CINdetails/CINreferralDate", "8816", f"{label(e)}: open, not NFA, but not the latest episode"
    refs = [e["CINreferralDate"] for e in dated]
    if len(set(refs)) < len(refs):
        yield "CINdetails/CINreferralDate", "8820", "Two episodes have the same referral date"
    else:
        spans = [(e["CINreferralDate"], e.get("CINclosureDate")) for e in dated
                 if e.get("CINclosureDate") or e.get("ReferralNFA") is False]
        if overlaps(spans, period.end):
            yield "CINdetails/CINreferralDate", "8820", "The dates of this child's episodes overlap"


def _activity(episode: Data) -> list[tuple[str, str, dt.date]]:
    """(element, what, date) of every dated piece of work recorded on the episode."""
    out: list[tuple[str, str, dt.date]] = []
    for a in episode.get("Assessments", []):
        for tag, what in (("AssessmentActualStartDate", "assessment start"),
                          ("AssessmentAuthorisationDate", "assessment authorisation")):
            if a.get(tag):
                out.append((f"Assessments/{tag}", what, a[tag]))
    for s in episode.get("Section47", []):
        for tag, what in (("S47ActualStartDate", "S47 start"), ("DateOfInitialCPC", "initial conference")):
            if s.get(tag):
                out.append((f"Section47/{tag}", what, s[tag]))
    if episode.get("DateOfInitialCPC"):
        out.append(("CINdetails/DateOfInitialCPC", "initial conference", episode["DateOfInitialCPC"]))
    for p in episode.get("CINPlanDates", []):
        for tag, what in (("CINPlanStartDate", "CIN plan start"), ("CINPlanEndDate", "CIN plan end")):
            if p.get(tag):
                out.append((f"CINPlanDates/{tag}", what, p[tag]))
    for p in episode.get("ChildProtectionPlans", []):
        if p.get("CPPendDate"):
            out.append(("ChildProtectionPlans/CPPendDate", "CP plan end", p["CPPendDate"]))
    return out


def no_further_action(child: Data, period: Period) -> Iterator[Problem]:
    """NFA referrals (4000, 8831, 8832, 8569Q) and cases closed after assessment (2990, 8825Q, 8873Q)."""
    for e in episodes_of(child):
        name, ref, reason = label(e), e.get("CINreferralDate"), e.get("ReasonForClosure")
        if e.get("ReferralNFA"):
            if e.get("CINPlanDates"):
                yield "CINdetails/CINPlanDates", "4000", f"{name}: a CIN plan is recorded on a referral with NFA"
            if e.get("ChildProtectionPlans"):
                yield ("CINdetails/ChildProtectionPlans", "8832",
                       f"{name}: a child protection plan is recorded on a referral with NFA")
            work = [w for w in _activity(e) if not w[0].startswith(("CINPlanDates", "ChildProtectionPlans"))]
            if work:
                yield (work[0][0], "8831", f"{name}: {', '.join(sorted({w[1] for w in work}))} recorded "
                       "on a referral with no further action")
            if ref and ref < period.start_less_1wd:
                yield ("CINdetails/ReferralNFA", "8569Q",
                       f"{name}: referred before {period.start_less_1wd} (a working day before the census year) "
                       "but flagged as no further action")
        if reason in AFTER_ASSESSMENT:
            found = [what for what, there in (
                ("an S47 enquiry", e.get("Section47")), ("a CP plan", e.get("ChildProtectionPlans")),
                ("an initial conference", e.get("DateOfInitialCPC")), ("a CIN plan", e.get("CINPlanDates"))) if there]
            if found:
                yield ("CINdetails/ReasonForClosure", "2990",
                       f"{name}: closed as {reason} (after assessment) but {', '.join(found)} recorded")
            if not e.get("Assessments"):
                yield ("CINdetails/ReasonForClosure", "8825Q",
                       f"{name}: closed as {reason} (after assessment) but no assessment is recorded")
        assessments = e.get("Assessments", [])
        if len(assessments) == 1 and reason not in AFTER_ASSESSMENT and "21" in assessments[0].get(
                "FactorsIdentifiedAtAssessment", {}).get("AssessmentFactors", []):
            yield ("CINdetails/ReasonForClosure", "8873Q",
                   f"{name}: the only assessment found no factors (21) but the reason for closure is "
                   f"{reason or 'missing'}, not RC8 or RC9")


def closure(child: Data, period: Period) -> Iterator[Problem]:
    """Closed episodes: no activity after closure (8565), assessments (8867) and S47s (8868) complete."""
    for e in episodes_of(child):
        closed = e.get("CINclosureDate")
        if not closed:
            continue
        name = label(e)
        late = [w for w in _activity(e) if w[2] > closed]
        if late:
            yield (late[0][0], "8565", f"{name}: closed {closed} but "
                   + ", ".join(dict.fromkeys(f"{what} {day}" for _, what, day in late)) + " after closure")
        if any(not a.get("AssessmentAuthorisationDate") for a in e.get("Assessments", [])):
            yield ("Assessments/AssessmentAuthorisationDate", "8867",
                   f"{name}: closed {closed} but an assessment has no authorisation date (not completed)")
        if any(not s.get("DateOfInitialCPC") and not s.get("ICPCnotRequired") for s in e.get("Section47", [])):
            yield ("Section47/DateOfInitialCPC", "8868",
                   f"{name}: closed {closed} but an S47 enquiry has neither an initial conference date "
                   "nor ICPC not required")
