"""Rules on assessments and section 47 enquiries within an episode (DfE codes; Q = query).

"Open" work is an assessment with no authorisation date, or an S47 enquiry with no initial
conference (ICPC) that is not marked ICPC not required.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from refresh.ingest.cin_rules.base import Data, Label, Period, Problem, episodes_of, label
from refresh.ingest.cin_xml import OLD_FACTORS


def _ongoing(start: dt.date, spans: list[tuple[dt.date, dt.date]]) -> tuple[dt.date, dt.date] | None:
    """The first span (another piece of work's start and end-or-ReferenceDate) holding ``start``."""
    return next((s for s in spans if s[0] <= start <= s[1]), None)


def assessments(child: Data, period: Period) -> Iterator[Problem]:
    """1103, 8608, 8696, factor rules; open assessments 8736, 8670Q, 8896; overlapping ones 8863Q."""
    for episode in episodes_of(child):
        name, ref = label(episode), episode.get("CINreferralDate")
        starts, open_, spans = [], 0, []
        for a in episode.get("Assessments", []):
            start, auth = a.get("AssessmentActualStartDate"), a.get("AssessmentAuthorisationDate")
            starts.append(start)
            where = "Assessments/AssessmentActualStartDate"
            if start and ref and start < ref:
                yield where, "1103", f"{name}: assessment starts {start}, before the referral date"
            if start and auth and start > auth:
                yield where, "8608", f"{name}: assessment starts {start}, after its authorisation date {auth}"
            if auth and not period.contains(auth):
                yield ("Assessments/AssessmentAuthorisationDate", "8696",
                       f"{name}: assessment authorised {auth}, outside the census year")
            if not auth:
                open_ += 1
                if start and not period.contains(start):
                    yield (where, "8736", f"{name}: an assessment not yet completed starts {start}, "
                           f"outside the census year ({period.start} to {period.end})")
                if start and start < period.end_less_45wd:
                    yield (where, "8670Q", f"{name}: an assessment started {start}, more than 45 working days "
                           f"before {period.end}, has no authorisation date")
            if start:
                spans.append((start, auth or period.end))
            yield from _factors(name, a)
        if open_ > 1:
            yield ("Assessments/AssessmentAuthorisationDate", "8896",
                   f"{name}: {open_} assessments have no authorisation date; only one may be open")
        for start, _ in spans:
            other = _ongoing(start, [span for span in spans if span[0] != start])
            if other:
                yield ("Assessments/AssessmentActualStartDate", "8863Q",
                       f"{name}: an assessment starts {start} while another ({other[0]} to {other[1]}) is ongoing")
                break
        if len([s for s in starts if s]) > len({s for s in starts if s}):
            yield ("Assessments/AssessmentActualStartDate", "",
                   f"{name}: two assessments start on the same day; the loader cannot tell them apart")


def _factors(name: Label, assessment: Data) -> Iterator[Problem]:
    factors = assessment.get("FactorsIdentifiedAtAssessment", {}).get("AssessmentFactors", [])
    where = "Assessments/FactorsIdentifiedAtAssessment"
    if factors and not assessment.get("AssessmentAuthorisationDate"):
        yield where, "8614", f"{name}: factors are recorded on an assessment that has not been authorised"
    if "21" in factors and len(factors) > 1:
        yield where, "8869", f"{name}: factor 21 (no factors identified) must be used on its own"
    if len(set(factors)) < len(factors):
        yield where, "8898", f"{name}: the same factor is recorded more than once on one assessment"
    for old, rule in OLD_FACTORS.items():
        if old in factors:
            yield where, rule, f"{name}: factor {old} is no longer used from 2024-25 (use {old[:-1]}B or {old[:-1]}C)"
    if assessment.get("AssessmentAuthorisationDate") and not factors:
        yield where, "8897Q", f"{name}: a completed assessment has no factors recorded"


def section47(child: Data, period: Period) -> Iterator[Problem]:
    """1104, 2889, 8615, 8715, 8875, 8870Q, 2884, 2991Q; open enquiries 8740, 8675Q, 8839; overlaps 8890."""
    for episode in episodes_of(child):
        name, ref = label(episode), episode.get("CINreferralDate")
        icpc_top = episode.get("DateOfInitialCPC")
        if icpc_top and ref and icpc_top < ref:
            yield "CINdetails/DateOfInitialCPC", "1104", f"{name}: initial conference {icpc_top} is before the referral"
        enquiries = episode.get("Section47", [])
        if enquiries and not episode.get("Assessments"):
            yield "CINdetails/Section47", "2991Q", f"{name}: an S47 enquiry is recorded but no assessment"
        starts, open_, spans = [], 0, []
        for s in enquiries:
            start, icpc, target = s.get("S47ActualStartDate"), s.get("DateOfInitialCPC"), s.get("InitialCPCtarget")
            starts.append(start)
            if start and ref and start < ref:
                yield "Section47/S47ActualStartDate", "2889", f"{name}: S47 enquiry starts {start}, before the referral"
            if start and icpc and start > icpc:
                yield ("Section47/S47ActualStartDate", "8615",
                       f"{name}: S47 enquiry starts {start}, after its ICPC {icpc}")
            if icpc and ref and icpc < ref:
                yield "Section47/DateOfInitialCPC", "1104", f"{name}: initial conference {icpc} is before the referral"
            if icpc and not period.contains(icpc):
                yield ("Section47/DateOfInitialCPC", "8715",
                       f"{name}: initial conference {icpc} is outside the census year")
            if icpc and icpc.weekday() >= 5:
                yield "Section47/DateOfInitialCPC", "8875", f"{name}: initial conference {icpc} is on a weekend"
            if target and target.weekday() >= 5:
                yield "Section47/InitialCPCtarget", "8870Q", f"{name}: the ICPC target date {target} is on a weekend"
            if icpc and icpc_top and icpc == icpc_top:
                yield ("CINdetails/DateOfInitialCPC", "2884", f"{name}: the initial conference {icpc} is recorded on "
                       "both the episode and its S47 enquiry; record it once")
            if not icpc and not s.get("ICPCnotRequired"):
                open_ += 1
                if start and not period.contains(start):
                    yield ("Section47/S47ActualStartDate", "8740", f"{name}: an S47 enquiry with no conference yet "
                           f"starts {start}, outside the census year ({period.start} to {period.end})")
                if start and start < period.end_less_15wd:
                    yield ("Section47/S47ActualStartDate", "8675Q", f"{name}: an S47 enquiry started {start}, more "
                           f"than 15 working days before {period.end}, has no initial conference date")
            if start and (icpc or not s.get("ICPCnotRequired")):
                spans.append((start, icpc or period.end))
        if open_ > 1:
            yield ("Section47/DateOfInitialCPC", "8839",
                   f"{name}: {open_} S47 enquiries have no initial conference and are not marked not required")
        for start in starts:
            other = _ongoing(start, [span for span in spans if span[0] != start]) if start else None
            if other:
                yield ("Section47/S47ActualStartDate", "8890",
                       f"{name}: an S47 enquiry starts {start} while another ({other[0]} to {other[1]}) is ongoing")
                break
        if len([s for s in starts if s]) > len({s for s in starts if s}):
            yield ("Section47/S47ActualStartDate", "",
                   f"{name}: two S47 enquiries start on the same day; the loader cannot tell them apart")
