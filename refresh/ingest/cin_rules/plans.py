"""Rules on CIN plans and child protection plans (DfE codes; Q = query)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from refresh.ingest.cin_rules.base import Data, Label, Period, Problem, episodes_of, label, overlaps

Span = tuple[dt.date, dt.date | None]


def _plans(name: Label, ref: dt.date | None, plans: list[tuple[dt.date | None, dt.date | None]], period: Period,
           kind: str, where: str, codes: dict[str, str]) -> Iterator[Problem]:
    """Shared plan rules; ``codes`` names the DfE rule for each check (start/before/end/inyear/same/open/overlap)."""
    for start, end in plans:
        if start and start > period.end:
            yield f"{where}/start", codes["start"], f"{name}: {kind} starts {start}, after the census year ends"
        if start and ref and start < ref:
            yield f"{where}/start", codes["before"], f"{name}: {kind} starts {start}, before the referral date"
        if start and end and end < start:
            yield f"{where}/end", codes["end"], f"{name}: {kind} ends {end}, before it starts ({start})"
        elif start and end and end == start and codes.get("same"):
            yield f"{where}/end", codes["same"], f"{name}: {kind} starts and ends on the same day ({start})"
        if end and not period.contains(end):
            yield f"{where}/end", codes["inyear"], f"{name}: {kind} ends {end}, outside the census year"
    dated = [(s, e) for s, e in plans if s]
    if sum(1 for _, e in dated if e is None) > 1:
        yield f"{where}/end", codes["open"], f"{name}: more than one {kind} is open"
    elif overlaps(dated, period.end):
        yield f"{where}/start", codes["overlap"], f"{name}: the dates of two {kind}s overlap"


def plans(child: Data, period: Period) -> Iterator[Problem]:
    """CIN plans 4010, 4015, 4011, 4012Q, 4013, 4004, 4014; CP plans 8720, 1105, 8925, 8840, 8930, 8935, 8940, 8841."""
    for episode in episodes_of(child):
        if "CINPlanDates" not in episode and "ChildProtectionPlans" not in episode:
            continue
        name, ref = label(episode), episode.get("CINreferralDate")
        cin = [(p.get("CINPlanStartDate"), p.get("CINPlanEndDate")) for p in episode.get("CINPlanDates", [])]
        for where, rule, message in _plans(name, ref, cin, period, "CIN plan", "CINPlanDates", {
                "start": "4010", "before": "4015", "end": "4011", "same": "4012Q", "inyear": "4013",
                "open": "4004", "overlap": "4014"}):
            yield where.replace("/start", "/CINPlanStartDate").replace("/end", "/CINPlanEndDate"), rule, message
        cps = episode.get("ChildProtectionPlans", [])
        spans = [(p.get("CPPstartDate"), p.get("CPPendDate")) for p in cps]
        for where, rule, message in _plans(name, ref, spans, period, "CP plan", "ChildProtectionPlans", {
                "start": "8720", "before": "1105", "end": "8925", "same": "8840", "inyear": "8930",
                "open": "8935", "overlap": "8940"}):
            yield where.replace("/start", "/CPPstartDate").replace("/end", "/CPPendDate"), rule, message
        for p in cps:
            start = p.get("CPPstartDate")
            for review in p.get("Reviews", {}).get("CPPreviewDate", []):
                if start and review <= start:
                    yield ("ChildProtectionPlans/Reviews", "8841",
                           f"{name}: CP plan review {review} is on or before the plan start {start}")


def _within(day: dt.date, span: Span, period: Period) -> bool:
    """``day`` on or after the span's start and before its end (on or before ReferenceDate if open)."""
    start, end = span
    return start <= day < end if end else start <= day <= period.end


def cin_and_cp_plans(child: Data, period: Period) -> Iterator[Problem]:
    """A CIN plan is not open alongside a CP plan: 4001, 4003 (within an episode), 4016, 4017 (the child's plans)."""
    cins: list[Span] = []
    cps: list[Span] = []
    for episode in episodes_of(child):
        if "CINPlanDates" not in episode and "ChildProtectionPlans" not in episode:
            continue
        name = label(episode)
        cin = [(p["CINPlanStartDate"], p.get("CINPlanEndDate")) for p in episode.get("CINPlanDates", [])
               if p.get("CINPlanStartDate")]
        cp_plans = [p for p in episode.get("ChildProtectionPlans", []) if p.get("CPPstartDate")]
        cins += cin
        cps += [(p["CPPstartDate"], p.get("CPPendDate")) for p in cp_plans]
        if any(p.get("CPPendDate") is None for p in cp_plans) and any(end is None for _, end in cin):
            yield ("CINPlanDates/CINPlanEndDate", "4001",
                   f"{name}: a CIN plan and a CP plan are both open (no end date)")
        for p in cp_plans:
            clash = [r for r in p.get("Reviews", {}).get("CPPreviewDate", [])
                     if r != p.get("CPPendDate") and any(_within(r, span, period) for span in cin)]
            if clash:
                yield ("ChildProtectionPlans/Reviews", "4003",
                       f"{name}: CP plan review {clash[0]} falls while a CIN plan is open")
    if not (cins and cps):
        return
    for start, _ in cins:
        cp = next((span for span in cps if _within(start, span, period)), None)
        if cp:
            yield ("CINPlanDates/CINPlanStartDate", "4016",
                   f"A CIN plan starts {start} while a CP plan ({cp[0]} to {cp[1] or 'open'}) is open")
            break
    for start, _ in cps:
        cin_plan = next((span for span in cins if _within(start, span, period)), None)
        if cin_plan:
            yield ("ChildProtectionPlans/CPPstartDate", "4017",
                   f"A CP plan starts {start} while a CIN plan ({cin_plan[0]} to {cin_plan[1] or 'open'}) is open")
            break


def conferences(child: Data, period: Period) -> Iterator[Problem]:
    """2885: a CP plan starting in the census year starts on the day of an initial conference of its episode
    (an S47 enquiry's, or the episode's own when it has no S47 enquiry needing one)."""
    for episode in episodes_of(child):
        if "ChildProtectionPlans" not in episode:
            continue
        enquiries = [s for s in episode.get("Section47", []) if not s.get("ICPCnotRequired")]
        days = {s["DateOfInitialCPC"] for s in enquiries if s.get("DateOfInitialCPC")}
        if not enquiries and episode.get("DateOfInitialCPC"):
            days.add(episode["DateOfInitialCPC"])
        for p in episode.get("ChildProtectionPlans", []):
            start = p.get("CPPstartDate")
            if start and period.contains(start) and start not in days:
                yield ("ChildProtectionPlans/CPPstartDate", "2885",
                       f"{label(episode)}: CP plan starts {start}, not on the day of an initial conference "
                       f"({', '.join(map(str, sorted(days))) or 'none recorded'})")
