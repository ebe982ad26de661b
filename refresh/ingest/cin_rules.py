"""CIN census validation rules, each with its DfE code (codes ending Q are queries).

Every rule takes one child (``RawChild.data``: nested dicts of typed values from ``cin_xml``) and
the census period, and yields ``(element, rule, message)``. File-wide rules (duplicate LAchildID or
UPN) are in ``duplicates``. The census period runs from the day after ``ReferenceDate`` a year
earlier to ``ReferenceDate`` (as the DfE validator's ``make_census_period``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from model import upn as upns
from refresh.ingest.cin_xml import OLD_FACTORS

Problem = tuple[str, str, str]  # (element, rule, message)
Data = dict[str, Any]


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date

    @classmethod
    def ending(cls, reference_date: dt.date) -> Period:
        try:
            year_before = reference_date.replace(year=reference_date.year - 1)
        except ValueError:  # 29 February
            year_before = reference_date.replace(year=reference_date.year - 1, day=28)
        return cls(year_before + dt.timedelta(days=1), reference_date)

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def _label(episode: Data) -> str:
    ref = episode.get("CINreferralDate")
    return f"Episode referred {ref}" if ref else "Episode with no referral date"


def _overlaps(spans: list[tuple[dt.date, dt.date | None]], period_end: dt.date) -> bool:
    """True when any two (start, end-or-open) spans overlap; touching ends are allowed."""
    ordered = sorted(spans, key=lambda s: s[0])
    for (_, end), (next_start, _) in zip(ordered, ordered[1:], strict=False):
        if (end or period_end) > next_start or end is None:
            return True
    return False


def identifiers(child: Data, period: Period) -> Iterator[Problem]:
    ids = child.get("ChildIdentifiers", {})
    la_id = ids.get("LAchildID")
    if la_id:
        if len(la_id) > 20:
            yield "ChildIdentifiers/LAchildID", "1570", f"LAchildID '{la_id}' is longer than 20 characters"
        if not la_id.isalnum():
            yield ("ChildIdentifiers/LAchildID", "1580",
                   f"LAchildID '{la_id}' contains characters other than letters and digits")
    if ids.get("UPN"):
        for rule, message in upns.problems(ids["UPN"]):
            yield "ChildIdentifiers/UPN", rule, message
    if ids.get("FormerUPN") and upns.problems(ids["FormerUPN"]):
        yield "ChildIdentifiers/FormerUPN", "1560Q", f"Former UPN '{ids['FormerUPN']}' is not a valid UPN"
    if ids.get("UPNunknown") == "UN7" and not all(e.get("ReferralNFA") for e in child.get("CINdetails", [])):
        yield ("ChildIdentifiers/UPNunknown", "8772",
               "UPN unknown reason UN7 (referral with no further action) is used but an episode is not NFA")


def birth_and_sex(child: Data, period: Period) -> Iterator[Problem]:
    ids = child.get("ChildIdentifiers", {})
    born, expected = ids.get("PersonBirthDate"), ids.get("ExpectedPersonBirthDate")
    if born and born > period.end:
        yield ("ChildIdentifiers/PersonBirthDate", "8520",
               f"Date of birth {born} is after the end of the census year ({period.end})")
    if (born is None) == (expected is None):
        yield ("ChildIdentifiers/PersonBirthDate", "8525Q",
               "Give either a date of birth or an expected date of birth (not both, not neither)")
    if expected and not born and ids.get("Sex") not in (None, "U"):
        yield ("ChildIdentifiers/Sex", "8750",
               f"An unborn child's sex must be recorded as U (unknown), not {ids.get('Sex')}")
    if born and (period.end.year - born.year - ((period.end.month, period.end.day) < (born.month, born.day))) > 25:
        yield "ChildIdentifiers/PersonBirthDate", "8775Q", f"Child is over 25 years old (born {born})"
    died = ids.get("PersonDeathDate")
    if died and born and died < born:
        yield "ChildIdentifiers/PersonDeathDate", "", f"Date of death {died} is before the date of birth {born}"


def disabilities(child: Data, period: Period) -> Iterator[Problem]:
    listed = child.get("ChildCharacteristics", {}).get("Disabilities", {}).get("Disability", [])
    if "NONE" in listed and len(listed) > 1:
        yield "ChildCharacteristics/Disabilities", "8790", "Disability NONE is recorded together with other codes"
    if len(set(listed)) < len(listed):
        yield "ChildCharacteristics/Disabilities", "8794", "The same disability code is recorded more than once"
    has_birth = bool(child.get("ChildIdentifiers", {}).get("PersonBirthDate"))
    all_nfa = all(e.get("ReferralNFA") for e in child.get("CINdetails", []))
    if not listed and has_birth and not all_nfa and "Disabilities" not in child.get("ChildCharacteristics", {}):
        yield ("ChildCharacteristics/Disabilities", "8540",
               "Disability is missing: record NONE or the child's disabilities (required unless every referral is NFA)")


def episodes(child: Data, period: Period) -> Iterator[Problem]:
    ids = child.get("ChildIdentifiers", {})
    born = ids.get("PersonBirthDate") or ids.get("ExpectedPersonBirthDate")
    for episode in child.get("CINdetails", []):
        label, ref = _label(episode), episode.get("CINreferralDate")
        closed, reason = episode.get("CINclosureDate"), episode.get("ReasonForClosure")
        if ref and ref > period.end:
            yield ("CINdetails/CINreferralDate", "8600",
                   f"{label}: the referral date is after the census year ends ({period.end})")
        if ref and born and (born - ref).days > 280:
            yield ("CINdetails/CINreferralDate", "8606",
                   f"{label}: the referral is more than 40 weeks before birth ({born})")
        if episode.get("ReferralNFA") is False and not episode.get("PrimaryNeedCode"):
            yield "CINdetails/PrimaryNeedCode", "8610", f"{label}: primary need is missing (required unless NFA)"
        if closed and not reason:
            yield "CINdetails/ReasonForClosure", "8805", f"{label}: closed on {closed} but no reason for closure given"
        if reason and not closed:
            yield "CINdetails/CINclosureDate", "8810", f"{label}: reason for closure {reason} given but no closure date"
        if closed and not period.contains(closed):
            yield ("CINdetails/CINclosureDate", "8620",
                   f"{label}: closure date {closed} is outside the census year ({period.start} to {period.end})")
        if closed and ref and closed < ref:
            yield "CINdetails/CINclosureDate", "8630", f"{label}: closure date {closed} is before the referral date"
    yield from _episode_order(child.get("CINdetails", []), period)


def _episode_order(all_episodes: list[Data], period: Period) -> Iterator[Problem]:
    dated = [e for e in all_episodes if e.get("CINreferralDate")]
    open_ = [e for e in dated if not e.get("CINclosureDate")]
    if len(open_) > 1:
        yield ("CINdetails/CINclosureDate", "8815",
               f"{len(open_)} episodes are open (no closure date): only one may be open")
    latest = max((e["CINreferralDate"] for e in dated), default=None)
    for e in open_:
        if e.get("ReferralNFA") is False and e["CINreferralDate"] != latest:
            yield "CINdetails/CINreferralDate", "8816", f"{_label(e)}: open, not NFA, but not the latest episode"
    refs = [e["CINreferralDate"] for e in dated]
    if len(set(refs)) < len(refs):
        yield "CINdetails/CINreferralDate", "8820", "Two episodes have the same referral date"
    else:
        spans = [(e["CINreferralDate"], e.get("CINclosureDate")) for e in dated
                 if e.get("CINclosureDate") or e.get("ReferralNFA") is False]
        if _overlaps(spans, period.end):
            yield "CINdetails/CINreferralDate", "8820", "The dates of this child's episodes overlap"


def assessments(child: Data, period: Period) -> Iterator[Problem]:
    for episode in child.get("CINdetails", []):
        label, ref = _label(episode), episode.get("CINreferralDate")
        starts = []
        for a in episode.get("Assessments", []):
            start, auth = a.get("AssessmentActualStartDate"), a.get("AssessmentAuthorisationDate")
            starts.append(start)
            where = "Assessments/AssessmentActualStartDate"
            if start and ref and start < ref:
                yield where, "1103", f"{label}: assessment starts {start}, before the referral date"
            if start and auth and start > auth:
                yield where, "8608", f"{label}: assessment starts {start}, after its authorisation date {auth}"
            if auth and not period.contains(auth):
                yield ("Assessments/AssessmentAuthorisationDate", "8696",
                       f"{label}: assessment authorised {auth}, outside the census year")
            yield from _factors(label, a)
        if len([s for s in starts if s]) > len({s for s in starts if s}):
            yield ("Assessments/AssessmentActualStartDate", "",
                   f"{label}: two assessments start on the same day; the loader cannot tell them apart")


def _factors(label: str, assessment: Data) -> Iterator[Problem]:
    factors = assessment.get("FactorsIdentifiedAtAssessment", {}).get("AssessmentFactors", [])
    where = "Assessments/FactorsIdentifiedAtAssessment"
    if factors and not assessment.get("AssessmentAuthorisationDate"):
        yield where, "8614", f"{label}: factors are recorded on an assessment that has not been authorised"
    if "21" in factors and len(factors) > 1:
        yield where, "8869", f"{label}: factor 21 (no factors identified) must be used on its own"
    if len(set(factors)) < len(factors):
        yield where, "8898", f"{label}: the same factor is recorded more than once on one assessment"
    for old, rule in OLD_FACTORS.items():
        if old in factors:
            yield where, rule, f"{label}: factor {old} is no longer used from 2024-25 (use {old[:-1]}B or {old[:-1]}C)"
    if assessment.get("AssessmentAuthorisationDate") and not factors:
        yield where, "8897Q", f"{label}: a completed assessment has no factors recorded"


def section47(child: Data, period: Period) -> Iterator[Problem]:
    for episode in child.get("CINdetails", []):
        label, ref = _label(episode), episode.get("CINreferralDate")
        icpc_top = episode.get("DateOfInitialCPC")
        if icpc_top and ref and icpc_top < ref:
            yield ("CINdetails/DateOfInitialCPC", "1104",
                   f"{label}: initial conference {icpc_top} is before the referral")
        starts = []
        for s in episode.get("Section47", []):
            start, icpc = s.get("S47ActualStartDate"), s.get("DateOfInitialCPC")
            starts.append(start)
            if start and ref and start < ref:
                yield ("Section47/S47ActualStartDate", "2889",
                       f"{label}: S47 enquiry starts {start}, before the referral")
            if start and icpc and start > icpc:
                yield ("Section47/S47ActualStartDate", "8615",
                       f"{label}: S47 enquiry starts {start}, after its ICPC {icpc}")
            if icpc and ref and icpc < ref:
                yield "Section47/DateOfInitialCPC", "1104", f"{label}: initial conference {icpc} is before the referral"
            if icpc and not period.contains(icpc):
                yield ("Section47/DateOfInitialCPC", "8715",
                       f"{label}: initial conference {icpc} is outside the census year")
            if icpc and icpc.weekday() >= 5:
                yield "Section47/DateOfInitialCPC", "8875", f"{label}: initial conference {icpc} is on a weekend"
        if len([s for s in starts if s]) > len({s for s in starts if s}):
            yield ("Section47/S47ActualStartDate", "",
                   f"{label}: two S47 enquiries start on the same day; the loader cannot tell them apart")


def _plans(label: str, ref: dt.date | None, plans: list[tuple[dt.date | None, dt.date | None]], period: Period,
           kind: str, where: str, codes: dict[str, str]) -> Iterator[Problem]:
    """Shared plan rules; ``codes`` names the DfE rule for each check (start/before/end/inyear/same/open/overlap)."""
    for start, end in plans:
        if start and start > period.end:
            yield f"{where}/start", codes["start"], f"{label}: {kind} starts {start}, after the census year ends"
        if start and ref and start < ref:
            yield f"{where}/start", codes["before"], f"{label}: {kind} starts {start}, before the referral date"
        if start and end and end < start:
            yield f"{where}/end", codes["end"], f"{label}: {kind} ends {end}, before it starts ({start})"
        elif start and end and end == start and codes.get("same"):
            yield f"{where}/end", codes["same"], f"{label}: {kind} starts and ends on the same day ({start})"
        if end and not period.contains(end):
            yield f"{where}/end", codes["inyear"], f"{label}: {kind} ends {end}, outside the census year"
    dated = [(s, e) for s, e in plans if s]
    if sum(1 for _, e in dated if e is None) > 1:
        yield f"{where}/end", codes["open"], f"{label}: more than one {kind} is open"
    elif _overlaps(dated, period.end):
        yield f"{where}/start", codes["overlap"], f"{label}: the dates of two {kind}s overlap"


def plans(child: Data, period: Period) -> Iterator[Problem]:
    for episode in child.get("CINdetails", []):
        label, ref = _label(episode), episode.get("CINreferralDate")
        cin = [(p.get("CINPlanStartDate"), p.get("CINPlanEndDate")) for p in episode.get("CINPlanDates", [])]
        for where, rule, message in _plans(label, ref, cin, period, "CIN plan", "CINPlanDates", {
                "start": "4010", "before": "4015", "end": "4011", "same": "4012Q", "inyear": "4013",
                "open": "4004", "overlap": "4014"}):
            yield where.replace("/start", "/CINPlanStartDate").replace("/end", "/CINPlanEndDate"), rule, message
        cps = episode.get("ChildProtectionPlans", [])
        spans = [(p.get("CPPstartDate"), p.get("CPPendDate")) for p in cps]
        for where, rule, message in _plans(label, ref, spans, period, "CP plan", "ChildProtectionPlans", {
                "start": "8720", "before": "1105", "end": "8925", "same": "8840", "inyear": "8930",
                "open": "8935", "overlap": "8940"}):
            yield where.replace("/start", "/CPPstartDate").replace("/end", "/CPPendDate"), rule, message
        for p in cps:
            start = p.get("CPPstartDate")
            for review in p.get("Reviews", {}).get("CPPreviewDate", []):
                if start and review <= start:
                    yield ("ChildProtectionPlans/Reviews", "8841",
                           f"{label}: CP plan review {review} is on or before the plan start {start}")


RULES: tuple[Callable[[Data, Period], Iterable[Problem]], ...] = (
    identifiers, birth_and_sex, disabilities, episodes, assessments, section47, plans,
)


def check_child(child: Data, period: Period) -> list[Problem]:
    """Every rule breach for one child."""
    return [problem for rule in RULES for problem in rule(child, period)]


def duplicates(ids: list[tuple[str | None, str | None]]) -> Iterator[tuple[int, Problem]]:
    """(child position, problem) for duplicate LAchildIDs (8510) and UPNs (1520); ``ids`` is (LAchildID, UPN)."""
    seen_id: dict[str, list[int]] = {}
    seen_upn: dict[str, list[int]] = {}
    for position, (la_id, upn) in enumerate(ids):
        if la_id:
            seen_id.setdefault(la_id, []).append(position)
        if upn:
            seen_upn.setdefault(upn.upper(), []).append(position)
    for la_id, positions in seen_id.items():
        if len(positions) > 1:
            for position in positions:
                yield position, ("ChildIdentifiers/LAchildID", "8510",
                                 f"LAchildID '{la_id}' is used by {len(positions)} children in this file")
    for upn, positions in seen_upn.items():
        if len(positions) > 1:
            for position in positions:
                yield position, ("ChildIdentifiers/UPN", "1520",
                                 f"UPN '{upn}' is used by {len(positions)} children in this file")
