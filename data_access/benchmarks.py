"""Benchmarks: the council's statistical neighbours and their published figures beside England's.

Public, already published statistics (DfE, via ``model/published/``; see ``refresh/published.py`` for
the source and the yearly update): nothing here is about a child, so no disclosure control applies,
but the figures are still shown only to users who may see dashboards. The council is
``Settings.la_code`` (``CSI_LA_CODE``); the demo uses ``DEMO_LA_CODE``'s neighbours.
"""

from __future__ import annotations

import csv
import functools
import statistics
from dataclasses import dataclass, replace
from pathlib import Path

from data_access import policy
from data_access.aggregates.kpi import Kpi
from data_access.policy import Principal
from data_access.refusals import guarded
from data_access.stores import current

PUBLISHED = Path(__file__).resolve().parent.parent / "model" / "published"
DEMO_LA_CODE = "873"  # the demo's stand-in council for benchmarking (its figures are synthetic)
# Measure -> (label, unit, how DfE's year is read: "march" = the year ending 31 March, "calendar").
LABELS = {
    "cin_rate": ("Children in need per 10,000", "rate", "march"),
    "referral_rate": ("Referrals per 10,000", "rate", "march"),
    "rereferral_rate": ("Re-referrals within 12 months (%)", "percent", "march"),
    "nfa_rate": ("Referrals with no further action (%)", "percent", "march"),
    "icpc_15": ("Initial child protection conferences within 15 working days (%)", "percent", "march"),
    "cp_rate": ("Child protection plans per 10,000", "rate", "march"),
    "ehc_20_weeks": ("New EHC plans within 20 weeks, excluding exceptions (%)", "percent", "calendar"),
    "ehc_20_weeks_all": ("New EHC plans within 20 weeks, all (%)", "percent", "calendar"),
    "cla_rate": ("Children looked after per 10,000", "rate", "march"),
    "cla_distance_20": ("Looked after, placed over 20 miles from home (%)", "percent", "march"),
    "cla_missing": ("Looked after children who went missing (%)", "percent", "march"),
    "care_leavers_eet_19_21": ("Care leavers 19-21 in education, employment or training (%)", "percent", "march"),
    "care_leavers_accommodation_19_21": ("Care leavers 19-21 in suitable accommodation (%)", "percent", "march"),
}
ENGLAND_CODE = "970"
# A KPI card -> the DfE measure its neighbours are compared on (the same definition, DfE's year).
KPI_MEASURE = {"cin_now": "cin_rate", "referrals": "referral_rate", "rereferral_rate": "rereferral_rate",
               "cp_open": "cp_rate", "cla_rate": "cla_rate", "cla_far": "cla_distance_20", "cla_missing": "cla_missing",
               "cl_eet_19_21": "care_leavers_eet_19_21", "cl_suitable_19_21": "care_leavers_accommodation_19_21"}


@dataclass(frozen=True)
class Benchmark:
    """One measure for the council, its neighbours (nearest first) and England, in one published year."""

    measure: str
    label: str
    unit: str
    year: str  # e.g. "2024-25" or "2024"
    council: float | None
    neighbours: tuple[tuple[str, float | None], ...]  # (name, value); None: not published
    england: float | None

    @property
    def average(self) -> float | None:
        """The mean of the neighbours' published values (DfE's statistical-neighbour average)."""
        values = [v for _, v in self.neighbours if v is not None]
        return round(statistics.fmean(values), 1) if values else None

    @property
    def note(self) -> str:
        """The card's line, e.g. "Statistical neighbours 312.4 per 10,000 (average of 10, 2024-25, DfE)"."""
        count = sum(v is not None for _, v in self.neighbours)
        unit = "%" if self.unit == "percent" else " per 10,000"
        return f"Statistical neighbours {self.average}{unit} (average of {count}, {self.year}, DfE)"


@functools.cache
def _neighbours() -> dict[str, tuple[str, tuple[str, ...]]]:
    """LA code -> (name, the ten neighbours' codes nearest first), from the shipped CSV."""
    out: dict[str, tuple[str, list[str]]] = {}
    with (PUBLISHED / "statistical_neighbours.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            name, codes = out.setdefault(row["la_code"], (row["la_name"], []))
            codes.append(row["neighbour_code"])
    return {code: (name, tuple(codes)) for code, (name, codes) in out.items()}


@functools.cache
def _names() -> dict[str, str]:
    """LA code -> council name (built once, not per card)."""
    return {code: name for code, (name, _codes) in _neighbours().items()}


@functools.cache
def _figures() -> dict[str, tuple[str, dict[str, tuple[str, float]]]]:
    """measure -> (year, {LA code: (name, value)}), from the shipped CSV."""
    out: dict[str, tuple[str, dict[str, tuple[str, float]]]] = {}
    with (PUBLISHED / "la_figures.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            _year, values = out.setdefault(row["measure"], (row["year"], {}))
            values[row["la_code"]] = (row["la_name"], float(row["value"]))
    return out


def council_code() -> str | None:
    """The configured council's LA code, or None when it is not set or not a council DfE groups."""
    settings = current().settings
    code = settings.la_code or (DEMO_LA_CODE if settings.demo else "")
    return code if code in _neighbours() else None


def council_name(code: str | None) -> str | None:
    return _neighbours()[code][0] if code in _neighbours() else None


def _year_label(year: str, kind: str) -> str:
    return f"{int(year) - 1}-{year[-2:]}" if kind == "march" and year.isdigit() else year


def benchmark(measure: str, code: str) -> Benchmark | None:
    """The published figures for ``measure``: council ``code``, its neighbours and England (pure lookup)."""
    if measure not in LABELS or measure not in _figures() or code not in _neighbours():
        return None
    label, unit, kind = LABELS[measure]
    year, values = _figures()[measure]
    names = _names()
    neighbours = tuple((names.get(c, c), values[c][1] if c in values else None) for c in _neighbours()[code][1])
    england = values.get(ENGLAND_CODE)
    own = values.get(code)
    return Benchmark(measure, label, unit, _year_label(year, kind), own[1] if own else None, neighbours,
                     england[1] if england else None)


def with_neighbours(card: Kpi) -> Kpi:
    """``card`` with its statistical neighbours' average of the same DfE measure, where DfE publishes one
    and the council is set (public figures: nothing to protect)."""
    measure, code = KPI_MEASURE.get(card.key), council_code()
    peers = benchmark(measure, code) if measure and code and card.value is not None else None
    return replace(card, neighbours=peers.average, neighbours_note=peers.note) if peers else card


def benchmarks(*, user: Principal | None) -> tuple[str | None, list[Benchmark]]:
    """(the council's name, every measure's benchmark) for the Benchmarks page.

    Raises AccessDenied (audited) unless the user may see dashboards. Public statistics only: no child
    data, so a permitted read is not audited.
    """
    def run() -> tuple[str | None, list[Benchmark]]:
        policy.ensure_aggregates(user)
        code = council_code()
        if code is None:
            return None, []
        found = [benchmark(m, code) for m in LABELS]
        return council_name(code), [b for b in found if b is not None]
    return guarded("benchmarks", user, run)
