"""Disclosure attacks that COMBINE published views, judged against the truth in the store.

Protection per view (``c`` for 1..5 and secondary suppression inside each chart) cannot stop a user
who subtracts one view from another. This module is that user: for each attack class it generates
many views through the public API only (``data_access``'s page functions, ``export_visual`` and
``records.child_records``), reads the published numbers (PageData cards and chart frames, CSV
exports, drill-through counts) and derives values by linear combination. Views are sampled with a
seeded RNG per role and class, and where an attacker would look for promising views (a monthly
chart with a few ``c``, the user's own caseload) it decides from what is published, never the truth.

- ``slicer_partition``: a page's charts and cards for every locality x sex, each locality and each
  sex alone, and neither: each part as its row (or column) view minus the other parts.
- ``period_differencing``: the same card or bar for custom periods a day, a week or a month longer,
  from two different starts, and starting a day or a month earlier (event counts).
- ``time_hierarchy``: months, quarters, census and calendar years and the chart's total over 24
  months, and quarters over custom periods ending or starting in a month (partial quarters): every
  bucket as a larger bucket minus the months, or the fewest buckets, that make up the rest.
- ``drill_through``: the clicked chart row or card minus the children listed (their number and
  fingerprint are known exactly), under slicers fitting the user's own list; and the "outside your
  scope" count itself. Roles without identifiable rows are refused.
- ``rate_cards``: denominators minus numerators ("11 of 12": one late) on rate cards, and on the
  Trends page's percentage measures by month, quarter and total.
- ``export_vs_chart``: CSV exports (with their Total row) of each locality, each sex and the whole
  against the charts of every locality x sex; an export's total against the chart's other bars; a
  quarter's export against the monthly chart's other months.
- ``card_vs_chart``: a card for two whole months (or a trailing 3 or 6 months, or the Overview's
  "previous period" figure) minus the other months of the monthly chart; a chart's total (or the
  card counting the same) minus its other bars, a suppressed bar read from the card under a
  selection of it; a card minus a chart total of the same records (a chart may leave some out); CP
  plans open minus children on a CP plan.

Pages in ``OWN_RUNS`` (Care leavers) are attacked by every class in runs of their own
(``Attacker(pages=...)``), not in the seeded draws of one page per class and role: their cards,
tables and bars against each other, and custom periods a month apart under an age band (a collection
year's care leavers change only by who crosses the band).

Judging a derivation
--------------------
Every published count is a ``Cell``: what was shown, the true count and a fingerprint of the units
it counts (``Truth``: plain SQL written here for each attacked chart and card, on the store's DuckDB
handle; the fingerprint is the sum of 64-bit hashes of the units, a child being the same unit in
every table, so equal record sets have equal fingerprints and fingerprints add up like counts). A
``Derivation`` is a linear combination of cells (plus numbers the attacker knows exactly, e.g. the
children a drill-through lists); the same combination of true counts is the truth of what it
derives, and of fingerprints the identity of the record set it targets. Every derivation here is a
set difference by construction (parts of a whole, nested periods, months of a quarter, a numerator
of its denominator, listed children of the counted ones). Per attack class and role (``Result``):

- attempts: derivations evaluated; small: distinct target record sets whose true count is 1..5;
- usable: distinct derivations of small targets whose every input was shown as a whole number;
- hits: usable derivations equal to the truth (so in 1..5; their share is the "rate");
- exact: small targets recovered exactly by at least one derivation whose inputs were all numbers;
- certain: small targets the attacker can be sure of: at least two usable derivations with no
  noisy input in common (disjoint record sets) both hit the truth, and no usable derivation
  disagrees. Without noise any usable derivation is exact (so "exact" is already certain there);
  with noise only independent agreement gives confidence, and that is what this counts.

The bound: chance level under ±2 noise
--------------------------------------
Cell-key perturbation publishes ``n + e`` where ``e`` depends only on the record set, |e| <= 2,
drawn by the cell key from the documented p-table (docs/disclosure.md: for counts >= 2, 0 for
38.3% of cell keys, ±1 24.5% each, ±2 6.4% each; for a count of 1: -1 31.7%, 0 41.4%, +1 22.1%,
+2 4.8%; true zeros stay 0). A derivation hits the truth only when the noise of its inputs cancels:
38% with one noisy input (a clicked count minus exactly listed rows), 0.383² + 2·0.245² + 2·0.064²
= 27% with two, less with more. A flat "rate <= 40%" would be both too loose for two inputs and too
tight for one; derivations share inputs, so hits are not independent; and an attacker picks views
for the numbers they show (a number is a noise that did not make it ``c``), so the chance depends on
what was seen. ``evaluate`` therefore measures the chance level by Monte Carlo on the SAME usable
derivations, given what the attacker saw: one noise per record set (consistent, as the method is)
drawn from the distribution above among the adjustments that leave it shown as a number, hits and
certain targets counted exactly as for the real output (``SIMULATIONS`` seeded draws). The
assertion (``Result.problems``): observed hits <= simulated mean + 4 sd + 1, and the same for
certain targets (their chance is about 0.27² = 7% of the targets with two independent usable
derivations). Under per-view suppression every usable
derivation is exact: hits == usable, far above that as soon as an attack finds a few. With the
noise emulated from ``data_access.cellkey`` (``Attacker(emulate=True)``; ``bench/attacks.py
--emulate``) every class and role stays within its bound, so the bound can be met; the margin of 4
sd is there because the real secret, hence the real noise, differs from the simulation's draws.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime as dt
import io
import itertools
import json
import random
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import data_access
from model import codes

MASK = (1 << 64) - 1
TOTAL = "Total"
MONTH = "month"  # a Probe's group for a time chart: counted per calendar month, rolled up to buckets
SIMULATIONS = 200
CLASSES = ("slicer_partition", "period_differencing", "time_hierarchy", "drill_through", "rate_cards",
           "export_vs_chart", "card_vs_chart")
# The documented p-table's adjustment probabilities (docs/disclosure.md; data_access/cellkey.py).
NOISE = {-2: 0.0638, -1: 0.2447, 0: 0.3830, 1: 0.2447, 2: 0.0638}
NOISE_OF_ONE = {-1: 0.3170, 0: 0.4141, 1: 0.2208, 2: 0.0481}

Filters = dict[str, object]


# --- who attacks ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Viewer:
    """A user as the policy sees one (data_access.policy.Principal)."""

    role: str
    username: str
    user_id: int = 900
    team_ids: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    worker_id: str | None = None
    display_name: str | None = None


# Every role with aggregates (data_access.policy.ROLES); team managers and caseworkers are the demo's
# (team CSC-SGA; W00001 manages it, W00002 works in it), the only roles that may drill through.
VIEWERS: dict[str, Viewer] = {
    "leadership": Viewer("leadership", "attack-leader"),
    "service_manager_csc": Viewer("service_manager", "attack-csc", services=("CSC",)),
    "service_manager_send": Viewer("service_manager", "attack-send", services=("SEND",)),
    "team_manager": Viewer("team_manager", "attack-tm", team_ids=("CSC-SGA",), services=("CSC",),
                           worker_id="W00001"),
    "caseworker": Viewer("caseworker", "attack-cw", team_ids=("CSC-SGA",), services=("CSC",), worker_id="W00002"),
    "analyst": Viewer("analyst", "attack-analyst"),
}
ROLES = tuple(VIEWERS)
PURPOSE = {"team_manager": "supervision", "caseworker": "direct_work", "analyst": "service_planning"}
PAGES: dict[str, Callable[..., data_access.PageData]] = {
    "overview": data_access.overview_page, "service_users": data_access.service_users_page,
    "children_in_need": data_access.children_in_need_page, "interventions": data_access.interventions_page,
    "send": data_access.send_page, "trends": data_access.trends_page,
    "looked_after": data_access.looked_after_page, "care_leavers": data_access.care_leavers_page,
}
# Pages attacked in runs of their own (``Attacker(pages=...)``: every class, every role), left out of
# the seeded draws of one page per class and role, so those draws (and the other pages' coverage) stay
# as they were.
OWN_RUNS = ("care_leavers",)
# Classes that do not apply to a page of its own: Care leavers has no time chart (every figure is of one
# collection year), so no time hierarchy.
OWN_RUN_SKIPS: dict[str, tuple[str, ...]] = {"care_leavers": ("time_hierarchy",)}


# --- the truth: plain SQL per attacked chart and card ---------------------------------------------

@dataclass(frozen=True)
class Spec:
    """What a count counts: distinct ``unit`` of ``table`` rows dated in the window (``date``), open
    on its last day (``open``: start and end columns) or of the latest collection year ending by its
    last day (``year``: the column naming the year by its 31 March), with ``where``; ``service``: the
    service whose aggregates include it (None: involvements, limited by their own service column).
    ``unit``: a column, or columns joined by commas (a row of a table keyed by child and year)."""

    table: str
    unit: str
    date: str | None = None
    open: tuple[str, str] | None = None
    where: str = ""
    service: str | None = None
    year: str | None = None

    @property
    def tag(self) -> str:
        """The kind of unit counted: a child is the same unit in every table (as a child's record key
        is); an event row is one of its table's rows, whichever condition picks it."""
        return "child" if self.unit == "child_id" else self.table

    @property
    def dated(self) -> bool:
        """Records picked by a date in the window or a year by its end, not open on the last day."""
        return self.date is not None or self.year is not None


def _spec(table: str, unit: str, when: str, where: str = "", service: str | None = "CSC") -> Spec:
    if ":" in when:
        start, end = when.split(":")
        return Spec(table, unit, open=(start, end), where=where, service=service)
    return Spec(table, unit, date=when, where=where, service=service)


SPECS: dict[str, Spec] = {
    "episodes.referred": _spec("cin_episodes", "episode_id", "referral_date"),
    "episodes.rereferred": _spec("cin_episodes", "episode_id", "referral_date", "t.is_rereferral"),
    "episodes.nfa": _spec("cin_episodes", "episode_id", "referral_date", "t.referral_nfa"),
    "episodes.closed": _spec("cin_episodes", "episode_id", "closure_date"),
    "episodes.open_children": _spec("cin_episodes", "child_id", "referral_date:closure_date"),
    "assessments.authorised": _spec("assessments", "assessment_id", "authorisation_date"),
    "assessments.in45": _spec("assessments", "assessment_id", "authorisation_date", "t.within_45_days"),
    "s47.started": _spec("section47", "s47_id", "start_date"),
    "s47.icpc": _spec("section47", "s47_id", "icpc_date"),
    "s47.icpc15": _spec("section47", "s47_id", "icpc_date", "t.icpc_working_days <= 15"),
    "cin_plans.open": _spec("cin_plans", "cin_plan_id", "start_date:end_date"),
    "cp.open": _spec("cp_plans", "cp_plan_id", "start_date:end_date"),
    "cp.open_children": _spec("cp_plans", "child_id", "start_date:end_date"),
    "cp.started": _spec("cp_plans", "cp_plan_id", "start_date"),
    "cp.subsequent": _spec("cp_plans", "cp_plan_id", "start_date", "t.is_subsequent"),
    "requests.received": _spec("ehc_requests", "request_id", "received_date", service="SEND"),
    "requests.decided": _spec("ehc_requests", "request_id", "outcome_date", "t.outcome IN ('A', 'N')", "SEND"),
    "requests.in6": _spec("ehc_requests", "request_id", "outcome_date",
                          "t.outcome IN ('A', 'N') AND t.decided_within_6_weeks", "SEND"),
    "eha.issued": _spec("ehc_assessments", "ehc_assessment_id", "outcome_date", "t.outcome = 'Y'", "SEND"),
    "eha.in20": _spec("ehc_assessments", "ehc_assessment_id", "outcome_date", "t.outcome = 'Y' AND t.within_20_weeks",
                      "SEND"),
    "eha.issued_noexc": _spec("ehc_assessments", "ehc_assessment_id", "outcome_date",
                              "t.outcome = 'Y' AND NOT t.exceptions_apply", "SEND"),
    "eha.in20_noexc": _spec("ehc_assessments", "ehc_assessment_id", "outcome_date",
                            "t.outcome = 'Y' AND NOT t.exceptions_apply AND t.within_20_weeks", "SEND"),
    "plans.active": _spec("ehc_plans", "plan_id", "start_date:ceased_date", service="SEND"),
    "inv.started": _spec("involvements", "involvement_id", "start_date", service=None),
    "inv.ended": _spec("involvements", "involvement_id", "end_date", service=None),
    "inv.open": _spec("involvements", "involvement_id", "start_date:end_date", service=None),
    "inv.open_children": _spec("involvements", "child_id", "start_date:end_date", service=None),
    "inv.open_pairs": _spec("involvements", "child_id", "start_date:end_date", service=None),  # per service
    # Children looked after (SSDA903): periods of care, the children in an episode on the day, missing incidents.
    "cla.started": _spec("cla_periods", "cla_period_id", "start_date"),
    "cla.ceased": _spec("cla_periods", "cla_period_id", "end_date"),
    "cla.open_children": _spec("cla_periods", "child_id", "start_date:end_date"),
    "cla_episodes.open_children": _spec("cla_episodes", "child_id", "start_date:end_date"),
    "missing.incidents": _spec("cla_missing", "cla_missing_id", "start_date"),
    "missing.m": _spec("cla_missing", "cla_missing_id", "start_date", "t.missing_type = 'M'"),
    "missing.a": _spec("cla_missing", "cla_missing_id", "start_date", "t.missing_type = 'A'"),
    "missing.children": _spec("cla_missing", "child_id", "start_date"),
}


def collection_year(day: dt.date) -> int:
    """The SSDA903 collection year (named by its 31 March) that ends on or before ``day``."""
    return day.year if (day.month, day.day) >= (3, 31) else day.year - 1


# Care leavers (SSDA903 OC3, one row per care leaver and collection year): the DfE definitions written
# here on the raw columns, not on the derived ``age``, ``in_eet`` and ``suitable_accommodation``.
# Age at the birthday in the year (1 April to 31 March): a birthday from April falls in the year's first
# calendar year.
OC3_AGE = ("(t.year - year(t.child_birth_date) - CASE WHEN month(t.child_birth_date) >= 4 THEN 1 ELSE 0 END)")
OC3_AGE_GROUP = f"CASE WHEN {OC3_AGE} <= 18 THEN '17-18' ELSE '19-21' END"
OC3_TOUCH = "coalesce(t.in_touch = 'YES', false)"
OC3_EET = "coalesce(t.activity IN ('F1', 'P1', 'F2', 'P2', 'F3', 'P3', 'F4', 'P4', 'F5', 'P5'), false)"
OC3_SUITABLE = "coalesce(t.accommodation LIKE '_1', false)"  # ACCOM ending 1
OC3_UNSUITABLE = "coalesce(t.accommodation LIKE '_2', false)"
OC3_AGES = {"17_18": f"{OC3_AGE} BETWEEN 17 AND 18", "19_21": f"{OC3_AGE} BETWEEN 19 AND 21"}


def _oc3(where: str = "") -> Spec:
    conds = [f"{OC3_AGE} BETWEEN 17 AND 21", *([where] if where else [])]
    return Spec("cla_oc3", "child_id,year", year="year", where=" AND ".join(conds), service="CSC")


SPECS.update({
    "oc3.leavers": _oc3(),
    **{f"oc3.{age}": _oc3(cond) for age, cond in OC3_AGES.items()},
    **{f"oc3.{what}_{age}": _oc3(f"{cond} AND {measure}") for age, cond in OC3_AGES.items()
       for what, measure in (("in_touch", OC3_TOUCH), ("eet", OC3_EET), ("suitable", OC3_SUITABLE))},
})
_EPISODE = {"referral_source": "t.episode_referral_source", "closure_reason": "t.episode_closure_reason",
            "team": "t.episode_team_id"}
# Selection dimensions whose condition is a column of the counted table (others: the cell is not attacked).
DIMS: dict[str, dict[str, str]] = {
    "cin_episodes": {"referral_source": "t.referral_source", "closure_reason": "t.closure_reason",
                     "team": "t.team_id"},
    "assessments": _EPISODE, "section47": _EPISODE, "cin_plans": _EPISODE,
    "cp_plans": {**_EPISODE, "category": "t.initial_category"},
    "ehc_requests": {"request_outcome": "t.outcome"}, "ehc_plans": {"need": "t.primary_need"},
    "ehc_assessments": {},
    "involvements": {"intervention_type": "t.intervention_type", "outcome": "t.outcome", "service": "t.service",
                     "team": "t.team_id"},
    "cla_periods": {}, "cla_missing": {},
    # A care leaver's team: that of a looked-after involvement of the child ({value}: a whole condition).
    "cla_oc3": {"in_touch": "t.in_touch", "activity": "t.activity",
                "team": "t.child_id IN (SELECT i.child_id FROM involvements i WHERE i.team_id = {value} "
                        "AND i.cla_period_id IS NOT NULL)"},
    "cla_episodes": {"legal_status": "t.legal_status", "placement_group": "t.placement_group"},
}
CHILD_DIMS = ("locality", "sex", "age_band")
AGE_BOUNDS = {"0-4": (0, 5), "5-9": (5, 10), "10-15": (10, 16), "16-17": (16, 18), "18+": (18, 200)}
AGE = "age"  # a Probe's group: the child's age band on the window's last day


def years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


@dataclass(frozen=True)
class Where:
    """The records a published number counts: the window, equality conditions, the services."""

    first: dt.date
    last: dt.date
    dims: tuple[tuple[str, str], ...]
    services: tuple[str, ...] | None


def where_for(filters: Mapping[str, object], data: data_access.PageData, visual: str | None,
              services: tuple[str, ...] | None) -> Where | None:
    """What chart ``visual`` (None: a card) of ``data`` counts, as the page's filters define it: the
    page's window (narrowed by a time selection made on another chart), the child slicers and a
    selection made on another chart. None for filters this module has no truth for."""
    if any(filters.get(k) for k in ("service", "need", "drill_org")):
        return None
    first, last = data.first_day, data.last_day
    dims = {d: str(filters[d]) for d in (*CHILD_DIMS, "team") if filters.get(d)}
    selection = filters.get("selection")
    if isinstance(selection, str) and selection:
        source, dim, code = selection.split(":", 2)
        if source != visual:
            if dim == "time":
                a, b = (dt.date.fromisoformat(x) for x in code.split("_"))
                first, last = max(first, a), min(last, b)
            else:
                dims[dim] = code  # a child dimension's selection replaces its slicer, as the page does
    return Where(first, last, tuple(sorted(dims.items())), services)


Counts = dict[str, tuple[int, int]]  # group -> (true count, fingerprint)


class Truth:
    """Ground truth by plain SQL on the store (DuckDB), cached. ``run(sql, params)`` -> rows."""

    def __init__(self, run: Callable[[str, dict[str, object]], list[tuple[Any, ...]]]) -> None:
        self.run = run
        self._cache: dict[tuple[object, ...], Counts | None] = {}
        self.queries = 0

    def counts(self, spec_key: str, group: str | None, where: Where, extra: str = "") -> Counts | None:
        """(count, fingerprint) per group value ("" for no group; a month's first day for MONTH), or
        None when the records are outside the services or a condition has no truth here."""
        key = (spec_key, group, where, extra)
        if key not in self._cache:
            built = self._sql(*key)
            found: Counts | None = None
            if built is not None:
                self.queries += 1
                found = {}
                for g, n, fp in self.run(*built):
                    name = g.isoformat() if isinstance(g, dt.date) else ("" if g is None else str(g))
                    found[name] = (int(n), int(fp) & MASK)
            self._cache[key] = found
        return self._cache[key]

    def keysums(self, spec_key: str, group: str | None, where: Where, extra: str = "") -> dict[str, tuple[int, int]]:
        """(count, sum of the record keys) per group value: what the cell-key method publishes the count
        from (``protection.shown(Count(n, keysum))``), for controls that the truth is the page's count."""
        built = self._sql(spec_key, group, where, extra, keys=True)
        assert built is not None, (spec_key, where)
        out = {}
        for g, n, keysum in self.run(*built):
            name = g.isoformat() if isinstance(g, dt.date) else ("" if g is None else str(g))
            out[name] = (int(n), int(keysum or 0))
        return out

    def _sql(self, spec_key: str, group: str | None, where: Where, extra: str,
             keys: bool = False) -> tuple[str, dict[str, object]] | None:
        spec = SPECS[spec_key]
        if spec.service is not None and where.services is not None and spec.service not in where.services:
            return None
        params: dict[str, object] = {"last": where.last}
        conds = []
        if spec.date is not None:
            params["first"] = where.first
            conds.append(f"t.{spec.date} BETWEEN $first AND $last")
        elif spec.year is not None:
            del params["last"]  # DuckDB refuses parameters the statement does not use
            params["year"] = collection_year(where.last)
            conds.append(f"t.{spec.year} = $year")
        else:
            start, end = spec.open  # type: ignore[misc]  # a Spec has a date or an open pair
            conds.append(f"t.{start} <= $last AND (t.{end} IS NULL OR t.{end} > $last)")
        conds += [c for c in (spec.where, extra) if c]
        for dim, value in where.dims:
            if dim == "age_band":
                conds.append(_age_condition(value, where.last, params))
            elif dim in ("locality", "sex"):
                params[f"d_{dim}"] = value
                conds.append(f"t.child_{dim} = $d_{dim}")
            else:
                column = DIMS[spec.table].get(dim)
                if column is None:
                    return None
                params[f"d_{dim}"] = value
                conds.append(column.replace("{value}", f"$d_{dim}") if "{value}" in column else f"{column} = $d_{dim}")
        if spec.service is None and where.services is not None:
            conds.append("t.service IN (" + ", ".join(f"'{s}'" for s in where.services if s in codes.SERVICE) + ")")
        if group == MONTH:
            grouped = f"CAST(date_trunc('month', t.{spec.date}) AS DATE)"
        elif group == AGE:
            grouped = _age_group(where.last, params)
        else:
            grouped = group or "''"
        unit = f"'{spec.tag}:' || " + " || '/' || ".join(f"CAST(t.{u} AS VARCHAR)" for u in spec.unit.split(","))
        if keys:  # a child's key for children, the row's own for event rows (as model.recordkeys keys them)
            key = "t.child_rkey" if spec.tag == "child" else "t.rkey"
            return (f"SELECT g, count(*) AS n, sum(k) AS keysum FROM (SELECT DISTINCT {grouped} AS g, {unit} AS u, "
                    f"{key} AS k FROM {spec.table} t WHERE {' AND '.join(conds)}) d GROUP BY g"), params
        return (f"SELECT g, count(*) AS n, sum(hash(u)) AS fp FROM (SELECT DISTINCT {grouped} AS g, {unit} AS u "
                f"FROM {spec.table} t WHERE {' AND '.join(conds)}) d GROUP BY g"), params

    def fingerprint(self, spec_key: str, units: Sequence[int], last: dt.date | None = None) -> int:
        """The fingerprint of these units (e.g. the children a drill-through listed) under ``spec_key``;
        for a spec of a collection year, the children's rows of the year ending by ``last``."""
        if not units:
            return 0
        spec = SPECS[spec_key]
        year = ""
        if spec.year is not None:
            assert last is not None, spec_key
            year = f" || '/{collection_year(last)}'"
        rows = self.run(f"SELECT sum(hash('{spec.tag}:' || CAST(x AS VARCHAR){year})) FROM (SELECT unnest($ids) AS x) s",
                        {"ids": [int(u) for u in units]})
        return int(rows[0][0]) & MASK


def _age_condition(band: str, day: dt.date, params: dict[str, object]) -> str:
    if band == "unborn":
        params["age_day"] = day
        return "(t.child_birth_date IS NULL OR t.child_birth_date > $age_day) AND t.child_sex IS NOT NULL"
    low, high = AGE_BOUNDS[band]
    params["age_after"], params["age_upto"] = years_before(day, high), years_before(day, low)
    return "t.child_birth_date > $age_after AND t.child_birth_date <= $age_upto"


def _age_group(day: dt.date, params: dict[str, object]) -> str:
    params["g_day"] = day
    whens = ["WHEN t.child_birth_date IS NULL OR t.child_birth_date > $g_day THEN 'unborn'"]
    for band, (_low, high) in AGE_BOUNDS.items():
        if band != "18+":
            name = f"g_{high}"
            params[name] = years_before(day, high)
            whens.append(f"WHEN t.child_birth_date > ${name} THEN '{band}'")
    return "CASE " + " ".join(whens) + " ELSE '18+' END"


# --- what is attacked ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Probe:
    """One count column of one chart, with the truth of its rows (``group``: SQL of the category,
    MONTH for a time chart, AGE for age bands)."""

    page: str
    visual: str
    column: str
    spec: str
    group: str
    extra: str = ""
    measure: str | None = None  # the Trends page's measure

    @property
    def service(self) -> str | None:
        return SPECS[self.spec].service

    @property
    def is_time(self) -> bool:
        return self.group == MONTH

    @property
    def name(self) -> str:
        return f"{self.page}/{self.visual}{'(' + self.measure + ')' if self.measure else ''}.{self.column}"


@dataclass(frozen=True)
class CardProbe:
    """One number of one KPI card: its value, numerator or denominator."""

    page: str
    key: str
    part: str
    spec: str

    @property
    def service(self) -> str | None:
        return SPECS[self.spec].service

    @property
    def name(self) -> str:
        return f"{self.page}/card:{self.key}.{self.part}"


_KIDS = "t.child_sex IS NOT NULL"  # the demographic charts count children whose record exists
PROBES = (
    Probe("children_in_need", "by_source", "referrals", "episodes.referred", "coalesce(t.referral_source, '')"),
    Probe("children_in_need", "closures", "episodes", "episodes.closed", "coalesce(t.closure_reason, '')"),
    Probe("children_in_need", "cp_category", "plans", "cp.started", "t.initial_category"),
    Probe("children_in_need", "referrals_time", "referrals", "episodes.referred", MONTH),
    Probe("children_in_need", "referrals_time", "rereferrals", "episodes.rereferred", MONTH),
    Probe("children_in_need", "referrals_time", "nfa", "episodes.nfa", MONTH),
    Probe("overview", "trend", "referrals", "episodes.referred", MONTH),
    Probe("overview", "trend", "rereferrals", "episodes.rereferred", MONTH),
    Probe("send", "primary_need", "plans", "plans.active", "t.primary_need"),
    Probe("send", "request_outcomes", "requests", "requests.received", "t.outcome"),
    Probe("send", "requests_time", "requests", "requests.received", MONTH),
    Probe("send", "requests_time", "issued", "eha.issued", MONTH),
    Probe("interventions", "by_type", "started", "inv.started", "t.intervention_type"),
    Probe("interventions", "outcomes", "ended", "inv.ended", "t.outcome", "t.outcome IS NOT NULL"),
    Probe("interventions", "volumes", "started", "inv.started", MONTH),
    Probe("interventions", "volumes", "ended", "inv.ended", MONTH),
    Probe("service_users", "by_age", "children", "inv.open_children", AGE, _KIDS),
    Probe("service_users", "by_sex", "children", "inv.open_children", "t.child_sex", _KIDS),
    Probe("service_users", "by_locality", "children", "inv.open_children", "coalesce(t.child_locality, '')", _KIDS),
    Probe("service_users", "by_service", "children", "inv.open_pairs", "t.service"),
    Probe("service_users", "flow", "started", "inv.started", MONTH),
    Probe("trends", "trend", "count", "episodes.referred", MONTH, measure="referrals"),
    Probe("trends", "trend", "count", "s47.icpc", MONTH, measure="icpc_15"),
    Probe("trends", "trend", "numerator", "s47.icpc15", MONTH, measure="icpc_15"),
    Probe("trends", "trend", "count", "episodes.referred", MONTH, measure="rereferral_rate"),
    Probe("trends", "trend", "numerator", "episodes.rereferred", MONTH, measure="rereferral_rate"),
    Probe("trends", "trend", "count", "assessments.authorised", MONTH, measure="assessments_45"),
    Probe("trends", "trend", "numerator", "assessments.in45", MONTH, measure="assessments_45"),
    Probe("trends", "trend", "count", "requests.received", MONTH, measure="ehc_requests"),
    Probe("trends", "trend", "count", "eha.issued", MONTH, measure="ehc_20_weeks_all"),
    Probe("trends", "trend", "numerator", "eha.in20", MONTH, measure="ehc_20_weeks_all"),
    Probe("trends", "trend", "count", "inv.started", MONTH, measure="involvements_started"),
    Probe("looked_after", "cla_time", "starts", "cla.started", MONTH),
    Probe("looked_after", "cla_time", "ceased", "cla.ceased", MONTH),
    Probe("looked_after", "legal_status", "children", "cla_episodes.open_children", "t.legal_status"),
    Probe("looked_after", "placement_type", "children", "cla_episodes.open_children", "t.placement_group"),
    Probe("looked_after", "missing_time", "M", "missing.m", MONTH),
    Probe("looked_after", "missing_time", "A", "missing.a", MONTH),
    # Care leavers: three tables of age group x status (each column and the row totals, with column and
    # grand totals), and care leavers by contact and by main activity.
    *(Probe("care_leavers", visual, column, "oc3.leavers", OC3_AGE_GROUP, extra) for visual, column, extra in (
        ("contact", "yes", OC3_TOUCH), ("contact", "no", f"NOT {OC3_TOUCH}"), ("contact", "total", ""),
        ("eet", "eet", OC3_EET), ("eet", "neet", f"NOT {OC3_EET} AND {OC3_TOUCH}"),
        ("eet", "unknown", f"NOT {OC3_EET} AND NOT {OC3_TOUCH}"), ("eet", "total", ""),
        ("accommodation", "suitable", OC3_SUITABLE), ("accommodation", "unsuitable", OC3_UNSUITABLE),
        ("accommodation", "unknown", f"NOT {OC3_SUITABLE} AND NOT {OC3_UNSUITABLE}"),
        ("accommodation", "total", ""))),
    Probe("care_leavers", "in_touch", "leavers", "oc3.leavers", "coalesce(t.in_touch, '')"),
    Probe("care_leavers", "activity", "leavers", "oc3.leavers", "coalesce(t.activity, '')"),
)


def _cards(page: str, *items: tuple[str, str, str]) -> list[CardProbe]:
    return [CardProbe(page, key, part, spec) for key, part, spec in items]


def _rate(key: str, numerator: str, denominator: str) -> tuple[tuple[str, str, str], tuple[str, str, str]]:
    return (key, "numerator", numerator), (key, "denominator", denominator)


CARD_PROBES = (
    *_cards("children_in_need", ("referrals", "value", "episodes.referred"),
            *_rate("rereferral_rate", "episodes.rereferred", "episodes.referred"),
            *_rate("nfa_rate", "episodes.nfa", "episodes.referred"),
            *_rate("assessments_45", "assessments.in45", "assessments.authorised"),
            ("s47", "value", "s47.started"), *_rate("icpc_15", "s47.icpc15", "s47.icpc"),
            ("cin_plans", "value", "cin_plans.open"), ("cp_open", "value", "cp.open"),
            *_rate("cp_subsequent", "cp.subsequent", "cp.started")),
    *_cards("overview", ("cin_now", "value", "episodes.open_children"), ("referrals", "value", "episodes.referred"),
            *_rate("rereferral_rate", "episodes.rereferred", "episodes.referred"),
            *_rate("assessments_45", "assessments.in45", "assessments.authorised"),
            ("cp_open", "value", "cp.open_children"), ("ehc_active", "value", "plans.active")),
    *_cards("send", ("requests", "value", "requests.received"), *_rate("ehc_6_weeks", "requests.in6", "requests.decided"),
            ("issued", "value", "eha.issued"), *_rate("ehc_20_weeks_all", "eha.in20", "eha.issued"),
            *_rate("ehc_20_weeks", "eha.in20_noexc", "eha.issued_noexc"), ("ehc_active", "value", "plans.active")),
    *_cards("interventions", ("started", "value", "inv.started"), ("ended", "value", "inv.ended"),
            ("open", "value", "inv.open")),
    *_cards("service_users", ("open", "value", "inv.open_children"), ("started", "value", "inv.started"),
            ("ended", "value", "inv.ended")),
    *_cards("looked_after", ("cla_rate", "value", "cla.open_children"), ("cla_starts", "value", "cla.started"),
            ("cla_ceased", "value", "cla.ceased"), ("cla_missing", "numerator", "missing.children")),
    *_cards("care_leavers", *((f"cl_{age}", "value", f"oc3.{age}") for age in OC3_AGES),
            *(part for age in OC3_AGES for what in ("in_touch", "eet", "suitable")
              for part in _rate(f"cl_{what}_{age}", f"oc3.{what}_{age}", f"oc3.{age}"))),
)
# Charts whose bars a selection turns into the card counting the same records (card vs chart).
SELECTABLE = (
    ("children_in_need", "by_source", "referrals", "referral_source", "referrals"),
    ("children_in_need", "referrals_time", "referrals", "time", "referrals"),
    ("overview", "trend", "referrals", "time", "referrals"),
    ("send", "request_outcomes", "requests", "request_outcome", "requests"),
    ("send", "requests_time", "requests", "time", "requests"),
    ("send", "primary_need", "plans", "need", "ehc_active"),
    ("interventions", "by_type", "started", "intervention_type", "started"),
    ("interventions", "volumes", "started", "time", "started"),
    ("interventions", "outcomes", "ended", "outcome", "ended"),
    ("service_users", "by_age", "children", "age_band", "open"),
    ("service_users", "by_sex", "children", "sex", "open"),
    ("service_users", "by_locality", "children", "locality", "open"),
    ("looked_after", "cla_time", "starts", "time", "cla_starts"),
    ("service_users", "by_service", "children", "service", "open"),
)


# --- published numbers and derivations -------------------------------------------------------------

@dataclass(frozen=True)
class Cell:
    """One published number: where, what was shown, the true count and the records' fingerprint."""

    where: str
    shown: object
    n: int
    fp: int

    @property
    def value(self) -> int | None:
        """The number as an attacker can use it: an integer count, else None (``c``, ``z``, n/a)."""
        if isinstance(self.shown, bool) or not isinstance(self.shown, int | float):
            return None
        return int(self.shown) if float(self.shown).is_integer() else None

    @property
    def records(self) -> tuple[int, int]:
        """The identity of the counted record set (count, fingerprint)."""
        return self.n, self.fp


@dataclass(frozen=True)
class Derivation:
    """``sum(coefficient * published) + known``: what the attacker computes for ``target``."""

    target: str
    terms: tuple[tuple[int, Cell], ...]
    known: int = 0  # a number the attacker knows exactly (rows listed to them)
    known_fp: int = 0

    @property
    def truth(self) -> int:
        return sum(c * cell.n for c, cell in self.terms) + self.known

    @property
    def key(self) -> tuple[int, int]:
        """The targeted record set: (true count, fingerprint)."""
        return self.truth, (sum(c * cell.fp for c, cell in self.terms) + self.known_fp) & MASK

    @property
    def derived(self) -> int | None:
        total = self.known
        for c, cell in self.terms:
            value = cell.value
            if value is None:
                return None
            total += c * value
        return total

    def noisy(self) -> dict[tuple[int, int], int]:
        """Coefficient per distinct non-empty record set (true zeros carry no noise)."""
        out: dict[tuple[int, int], int] = {}
        for c, cell in self.terms:
            if cell.n > 0:
                out[cell.records] = out.get(cell.records, 0) + c
        return {k: c for k, c in out.items() if c}

    def describe(self) -> str:
        parts = " ".join(f"{'+' if c > 0 else '-'}{abs(c) if abs(c) != 1 else ''}{cell.shown}" for c, cell in self.terms)
        known = f" {'+' if self.known >= 0 else '-'}{abs(self.known)} listed" if self.known else ""
        return f"{self.target}: {parts}{known} = {self.derived} (truth {self.truth})"


def minus(whole: Cell, parts: Iterable[Cell], target: str) -> Derivation:
    return Derivation(target, ((1, whole), *((-1, p) for p in parts)))


@dataclass
class Result:
    """An attack class's figures for one role (see the module docstring)."""

    klass: str
    role: str
    attempts: int = 0
    views: int = 0
    small: int = 0
    usable: int = 0
    hits: int = 0
    exact: int = 0
    certain: int = 0
    multi: int = 0  # small targets with two usable derivations sharing no noisy input
    chance_hits: float = 0.0
    chance_hits_sd: float = 0.0
    chance_certain: float = 0.0
    chance_certain_sd: float = 0.0
    refused: str | None = None
    examples: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.hits / self.usable if self.usable else 0.0

    @property
    def chance_rate(self) -> float:
        return self.chance_hits / self.usable if self.usable else 0.0

    @property
    def hits_bound(self) -> float:
        return self.chance_hits + 4 * self.chance_hits_sd + 1

    @property
    def certain_bound(self) -> float:
        return self.chance_certain + 4 * self.chance_certain_sd + 1

    def problems(self) -> list[str]:
        out = []
        if self.hits > self.hits_bound:
            out.append(f"{self.hits} of {self.usable} usable derivations recovered a count of 1-5 exactly "
                       f"({self.rate:.0%}); chance under ±2 noise is {self.chance_rate:.0%} "
                       f"(bound {self.hits_bound:.1f} hits)")
        if self.certain > self.certain_bound:
            out.append(f"{self.certain} small counts recovered with certainty (two independent derivations agree, "
                       f"none disagrees); chance allows {self.certain_bound:.1f}")
        return out

    def line(self) -> str:
        if self.refused:
            return f"{self.klass:<20} {self.role:<21} refused: {self.refused}"
        return (f"{self.klass:<20} {self.role:<21} {self.views:>5} {self.attempts:>7} {self.small:>6} {self.usable:>6} "
                f"{self.hits:>5} {self.rate:>5.0%} {self.chance_rate:>6.0%} {self.exact:>6} {self.multi:>6} "
                f"{self.certain:>7} {self.hits_bound:>6.1f} {self.certain_bound:>6.1f}")


HEADER = (f"{'attack':<20} {'role':<21} {'views':>5} {'attempts':>7} {'small':>6} {'usable':>6} {'hits':>5} "
          f"{'rate':>5} {'chance':>6} {'exact':>6} {'indep':>6} {'certain':>7} {'h.max':>6} {'c.max':>6}")


def _disjoint(a: frozenset[tuple[int, int]], b: frozenset[tuple[int, int]]) -> bool:
    return bool(a) and bool(b) and not (a & b)


def evaluate(klass: str, role: str, derivations: Sequence[Derivation], threshold: int, *,
             simulations: int = SIMULATIONS, views: int = 0) -> Result:
    """The figures for these derivations, with the chance level simulated on the same derivations."""
    result = Result(klass, role, attempts=len(derivations), views=views)
    by_target: dict[tuple[int, int], list[Derivation]] = {}
    seen: set[tuple[object, ...]] = set()
    for d in derivations:
        # The same published numbers combined the same way are one derivation, however they were reached.
        same = (d.key, d.known, frozenset(d.noisy().items()), tuple(sorted(str(c.shown) for _, c in d.terms)))
        if 1 <= d.truth <= threshold and same not in seen:
            seen.add(same)
            by_target.setdefault(d.key, []).append(d)
    result.small = len(by_target)
    usable_by_target: list[list[Derivation]] = []
    for ds in by_target.values():
        usable = [d for d in ds if d.derived is not None]
        hits = [d for d in usable if d.derived == d.truth]
        result.usable += len(usable)
        result.hits += len(hits)
        result.exact += bool(hits)
        inputs = [frozenset(d.noisy()) for d in usable]
        independent = [(a, b) for a, b in itertools.combinations(range(len(usable)), 2)
                       if _disjoint(inputs[a], inputs[b])]
        result.multi += bool(independent)
        if len(hits) == len(usable) and independent:
            result.certain += 1
            if len(result.examples) < 3:
                result.examples.append(" | ".join(d.describe() for d in usable[:2]))
        elif hits and len(result.examples) < 3:
            result.examples.append(hits[0].describe())
        if usable:
            usable_by_target.append(usable)
    if usable_by_target:
        _simulate(result, usable_by_target, threshold, simulations)
    return result


def _simulate(result: Result, usable: Sequence[Sequence[Derivation]], threshold: int, simulations: int) -> None:
    """Hits and certain targets of the usable derivations (per small target) under consistent ±2 noise
    from the documented p-table, GIVEN what the attacker saw: each record set's noise is drawn (once
    per record set, as the method's is consistent) among the adjustments that show it as a number,
    as it was shown. So the views the attacker picked for their numbers do not bias the chance."""
    flat = [d for ds in usable for d in ds]
    sets: dict[tuple[int, int], int] = {}
    rows = [d.noisy() for d in flat]
    for noisy in rows:
        for records in noisy:
            sets.setdefault(records, len(sets))
    coef = np.zeros((len(sets), len(flat)))
    for j, noisy in enumerate(rows):
        for records, c in noisy.items():
            coef[sets[records], j] = c
    rng = np.random.default_rng(list(f"{result.klass}:{result.role}".encode()))
    noise = np.zeros((simulations, len(sets)))
    for (n, _fp), column in sets.items():
        table = NOISE_OF_ONE if n == 1 else NOISE
        shown = {e: p for e, p in table.items() if n + e == 0 or n + e > threshold} or table
        total = sum(shown.values())
        noise[:, column] = rng.choice(list(shown), size=simulations, p=[p / total for p in shown.values()])
    hit = (noise @ coef) == 0  # sims x usable derivations: the noise of the inputs cancels
    per_sim = hit.sum(axis=1)
    result.chance_hits, result.chance_hits_sd = float(per_sim.mean()), float(per_sim.std())
    certain = np.zeros(simulations)
    start = 0
    for ds in usable:
        ids = list(range(start, start + len(ds)))
        start += len(ds)
        inputs = [frozenset(d.noisy()) for d in ds]
        pairs = [(ids[i], ids[j]) for i, j in itertools.combinations(range(len(ds)), 2)
                 if _disjoint(inputs[i], inputs[j])][:50]
        if not pairs:
            continue
        pair = np.zeros(simulations, dtype=bool)
        for i, j in pairs:
            pair |= hit[:, i] & hit[:, j]
        certain += hit[:, ids].all(axis=1) & pair  # two independent hits, none disagreeing
    result.chance_certain, result.chance_certain_sd = float(certain.mean()), float(certain.std())


# --- the attacker ----------------------------------------------------------------------------------

def _month_end(first: dt.date) -> dt.date:
    return (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


def _add_months(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.year * 12 + day.month - 1 + months, 12)
    first = dt.date(y, m + 1, 1)
    return min(_month_end(first), first.replace(day=min(day.day, _month_end(first).day)))


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    out, month = [], first.replace(day=1)
    while month <= last:
        out.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return out


def _range(code: str) -> tuple[dt.date, dt.date] | None:
    parts = code.split("_")
    if len(parts) != 2:
        return None
    try:
        return dt.date.fromisoformat(parts[0]), dt.date.fromisoformat(parts[1])
    except ValueError:
        return None


def _key(filters: Mapping[str, object]) -> str:
    return json.dumps(filters, sort_keys=True, default=str)


class Attacker:
    """One role's attacker: reads published views (memoised) and attaches the truth to each number."""

    def __init__(self, role: str, truth: Truth, *, threshold: int, seed: str = "attacks",
                 emulate: bool = False, pages: tuple[str, ...] | None = None) -> None:
        self.role = role
        self.emulate = emulate
        self.pages = pages  # only these pages' charts and cards (None: every page but OWN_RUNS)
        self.viewer = VIEWERS[role]
        self.truth = truth
        self.threshold = threshold
        self.seed = seed
        self.services = data_access.policy.aggregate_services(self.viewer)
        self.as_of = data_access.as_of()
        self.views = 0
        self.cells: list[Cell] = []  # every number read, for checks of the truth itself
        self._pages: dict[tuple[str, str], data_access.PageData | None] = {}
        self._exports: dict[tuple[str, str, str], list[list[str]] | None] = {}

    def emulated(self) -> Attacker:
        """The same attacker reading the same views (shared caches) with every count emulated."""
        twin = Attacker(self.role, self.truth, threshold=self.threshold, seed=self.seed, emulate=True,
                        pages=self.pages)
        twin._pages, twin._exports = self._pages, self._exports
        return twin

    def rng(self, name: str) -> random.Random:
        return random.Random(f"{self.seed}:{self.role}:{name}")

    # what this role may see
    def visible(self, service: str | None) -> bool:
        return service is None or self.services is None or service in self.services

    def attacks(self, page: str) -> bool:
        """Whether this attacker's runs take in ``page`` (see OWN_RUNS)."""
        return page in self.pages if self.pages is not None else page not in OWN_RUNS

    def probes(self, page: str | None = None) -> list[Probe]:
        return [p for p in PROBES if (page is None or p.page == page) and self.attacks(p.page)
                and self.visible(p.service)]

    def card_probes(self, page: str | None = None) -> list[CardProbe]:
        return [c for c in CARD_PROBES if (page is None or c.page == page) and self.attacks(c.page)
                and self.visible(c.service)]

    # reading views
    def page(self, page: str, filters: Mapping[str, object]) -> data_access.PageData | None:
        key = (page, json.dumps(filters, default=str))  # in the order given: slicer order is a view too
        if key not in self._pages:
            self.views += 1
            try:
                self._pages[key] = PAGES[page](user=self.viewer, filters=dict(filters))
            except data_access.Refused:
                self._pages[key] = None
        return self._pages[key]

    def _filters(self, probe: Probe, filters: Mapping[str, object]) -> Filters:
        return {**filters, "measure": probe.measure} if probe.measure else dict(filters)

    def chart(self, probe: Probe, filters: Mapping[str, object]) -> dict[str, Cell] | None:
        """The probe's column as the chart shows it: code -> Cell, and TOTAL when a total is shown."""
        filters = self._filters(probe, filters)
        data = self.page(probe.page, filters)
        visual = data.visuals.get(probe.visual) if data is not None else None
        if data is None or visual is None or not visual.available or probe.column not in visual.values:
            return None
        shown = dict(zip(visual.cols["code"], visual.cols[probe.column], strict=True))
        totals = visual.totals or {}
        if probe.column in totals and totals[probe.column] is not None:
            shown[TOTAL] = totals[probe.column]
        return self._cells(probe, filters, data, shown, "chart")

    def export(self, probe: Probe, filters: Mapping[str, object]) -> dict[str, Cell] | None:
        """The probe's column as the chart's CSV export shows it (its Total row as TOTAL)."""
        filters = self._filters(probe, filters)
        data = self.page(probe.page, filters)
        visual = data.visuals.get(probe.visual) if data is not None else None
        if data is None or visual is None or not visual.available:
            return None
        key = (probe.page, probe.visual, _key(filters))
        if key not in self._exports:
            self.views += 1
            try:
                content = data_access.export_visual(user=self.viewer, page=probe.page, visual=probe.visual,
                                                    filters=filters, fmt="csv").content
                self._exports[key] = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
            except data_access.Refused:
                self._exports[key] = None
        table = self._exports[key]
        if table is None:
            return None
        column = 2 + list(visual.values).index(probe.column)
        shown: dict[str, object] = {}
        first = table.index([]) + 2 if [] in table else 1  # after the export's "about" block and the header row
        for row in table[first:]:
            code = TOTAL if row[0] == "" and row[1] == "Total" else row[0]
            shown[code] = _parse(row[column])
        return self._cells(probe, filters, data, shown, "export")

    def _cells(self, probe: Probe, filters: Filters, data: data_access.PageData, shown: Mapping[str, object],
               how: str) -> dict[str, Cell] | None:
        where = where_for(filters, data, probe.visual, self.services)
        truth = self.truth.counts(probe.spec, probe.group, where, probe.extra) if where is not None else None
        if truth is None:
            return None
        label = f"{how} {probe.name} {_key(filters)}"
        out: dict[str, Cell] = {}
        for code, value in shown.items():
            if code == TOTAL:
                continue
            n, fp = self._truth_of(probe, truth, code)
            out[code] = self.cell(f"{label}[{code}]", value, n, fp)
        if TOTAL in shown:
            n, fp = sum(c.n for c in out.values()), sum(c.fp for c in out.values()) & MASK
            out[TOTAL] = self.cell(f"{label}[Total]", shown[TOTAL], n, fp)
        self.cells += out.values()
        return out

    @staticmethod
    def _truth_of(probe: Probe, truth: Counts, code: str) -> tuple[int, int]:
        if not probe.is_time:
            return truth.get(code, (0, 0))
        bounds = _range(code)
        if bounds is None:
            return 0, 0
        picked = [v for month, v in truth.items() if bounds[0].isoformat() <= month <= bounds[1].isoformat()]
        return sum(n for n, _ in picked), sum(fp for _, fp in picked) & MASK

    def card(self, probe: CardProbe, filters: Mapping[str, object]) -> Cell | None:
        data = self.page(probe.page, filters)
        if data is None:
            return None
        kpi = next((k for k in data.cards if k.key == probe.key), None)
        shown = getattr(kpi, probe.part) if kpi is not None else None
        if shown is None:
            return None
        where = where_for(filters, data, None, self.services)
        if where is not None and probe.part == "previous":
            where = _previous(where, filters)
        truth = self.truth.counts(probe.spec, None, where) if where is not None else None
        if truth is None:
            return None
        n, fp = truth.get("", (0, 0))
        cell = self.cell(f"card {probe.name} {_key(filters)}", shown, n, fp)
        self.cells.append(cell)
        return cell

    def cell(self, where: str, shown: object, n: int, fp: int) -> Cell:
        """A published count; with ``emulate``, as consistent cell-key perturbation would publish it
        (``data_access.cellkey.publish`` of the true count, with the fingerprint's low 12 bits as the
        cell key: a sum of per-record keys, as the method's is), to check the bounds are passable."""
        if self.emulate and (shown == "c" or (isinstance(shown, int) and not isinstance(shown, bool))):
            from data_access import cellkey

            shown = cellkey.publish(n, fp % cellkey.KEY_SPACE, threshold=self.threshold + 1)
        return Cell(where, shown, n, fp)

    def cards(self, page: str, filters: Mapping[str, object]) -> dict[str, Cell]:
        out = {}
        for probe in self.card_probes(page):
            cell = self.card(probe, filters)
            if cell is not None:
                out[f"{probe.key}.{probe.part}"] = cell
        return out


def _previous(where: Where, filters: Mapping[str, object]) -> Where | None:
    """The window of a card's "previous period" figure: the same number of months before a trailing
    period, the same number of days before a custom one (None for other presets and selections)."""
    if filters.get("selection") or filters.get("period") not in (None, "custom"):
        return None
    if filters.get("period") == "custom":
        days = where.last - where.first + dt.timedelta(days=1)
        return dataclasses.replace(where, first=where.first - days, last=where.first - dt.timedelta(days=1))
    months = int(str(filters.get("period_months", 12)))
    start = where.first - dt.timedelta(days=1)
    return dataclasses.replace(where, first=_months_before(start, months) + dt.timedelta(days=1), last=start)


def _months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` earlier, clamped to the month's end (as the pages count periods)."""
    first = _add_months(day.replace(day=1), -months)
    return first.replace(day=min(day.day, _month_end(first).day))


def _card_spec(page: str, name: str) -> str:
    key, part = name.rsplit(".", 1)
    return next(c.spec for c in CARD_PROBES if c.page == page and c.key == key and c.part == part)


def _parse(text: str) -> object:
    text = text.lstrip("'")
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


# --- the attacks -----------------------------------------------------------------------------------

Grid = Mapping[tuple[str | None, str | None], Mapping[str, Cell] | None]


def _partition(grid: Grid, rows: Sequence[str], cols: Sequence[str], what: str) -> list[Derivation]:
    """A two-way slicer grid (None = not sliced): every cell as its row or column total minus the
    other parts, both ways, and each margin as the whole minus the other margins."""
    out: list[Derivation] = []

    def codes_of(*views: Mapping[str, Cell] | None) -> list[str]:
        if any(v is None for v in views):
            return []
        common = set(views[0])  # type: ignore[arg-type]  # None excluded above
        for v in views[1:]:
            common &= set(v)  # type: ignore[arg-type]  # None excluded above
        return sorted(common)

    def add(whole: Mapping[str, Cell] | None, parts: Sequence[Mapping[str, Cell] | None], target: str) -> None:
        for code in codes_of(whole, *parts):
            out.append(minus(whole[code], [p[code] for p in parts], f"{what} {target}[{code}]"))  # type: ignore[index]  # codes_of: none is None

    for r in rows:
        for c in cols:
            add(grid.get((r, None)), [grid.get((r, o)) for o in cols if o != c], f"{r}/{c}")
            add(grid.get((None, c)), [grid.get((o, c)) for o in rows if o != r], f"{r}/{c}")
    for r in rows:
        add(grid.get((None, None)), [grid.get((o, None)) for o in rows if o != r], f"{r}/*")
    for c in cols:
        add(grid.get((None, None)), [grid.get((None, o)) for o in cols if o != c], f"*/{c}")
    return out


def _slice(base: Mapping[str, object], locality: str | None, sex: str | None) -> Filters:
    out = dict(base)
    if locality:
        out["locality"] = locality
    if sex:
        out["sex"] = sex
    return out


def _pages(att: Attacker, *, cards: bool = False, time: bool = False) -> list[str]:
    pages = sorted({p.page for p in att.probes() if not time or p.is_time})
    if cards:
        pages = sorted(set(pages) & {c.page for c in att.card_probes()})
    return pages


def slicer_partition(att: Attacker) -> list[Derivation]:
    """A page's charts and cards for every locality x sex (and each alone, and neither): each part as
    its locality's (or sex's) view minus the other parts."""
    rng = att.rng("slicer")
    page = rng.choice([p for p in _pages(att) if p != "trends"])
    base: Filters = {"period_months": rng.choice((12, 24))}
    rows, cols = list(codes.LOCALITY), list(codes.SEX)
    out: list[Derivation] = []
    for probe in att.probes(page):
        grid = {(r, c): att.chart(probe, _slice(base, r, c)) for r in (None, *rows) for c in (None, *cols)}
        out += _partition(grid, rows, cols, probe.name)
    for card in att.card_probes(page):
        cards: dict[tuple[str | None, str | None], Mapping[str, Cell] | None] = {}
        for r in (None, *rows):
            for c in (None, *cols):
                cell = att.card(card, _slice(base, r, c))
                cards[(r, c)] = {"": cell} if cell is not None else None
        out += _partition(cards, rows, cols, card.name)
    return out


def period_differencing(att: Attacker) -> list[Derivation]:
    """Cards and bars for custom periods that end a day, a week or a month later (or start a day or a
    month earlier) than another, from two starts: each difference is the records in between. Counts
    of a collection year (care leavers) are the same records for every end in the year, except under
    an age band (ages on the period's last day): there the two views of a year differ by the care
    leavers whose birthday moved them across the band in between, one way or the other."""
    rng = att.rng("period")
    page = rng.choice([p for p in _pages(att, cards=True) if p != "trends"])
    probes = [p for p in att.probes(page) if not p.is_time and SPECS[p.spec].dated]
    out: list[Derivation] = []
    for _ in range(2):
        bases: list[Filters] = [{}, {"locality": rng.choice(list(codes.LOCALITY))},
                                {"locality": rng.choice(list(codes.LOCALITY)), "sex": rng.choice(("M", "F"))}]
        if any(SPECS[p.spec].year for p in probes):  # a year's records change only under an age band:
            bases = [{"age_band": band, **b} for band in ("16-17", "18+") for b in bases]  # 16-17s turn 18
        base: Filters = rng.choice(bases)
        end = att.as_of - dt.timedelta(days=rng.randint(45, 500))
        s1 = end - dt.timedelta(days=rng.randint(60, 250))
        s2 = s1 - dt.timedelta(days=rng.randint(20, 200))
        ends = [end, end + dt.timedelta(days=1), end + dt.timedelta(days=7), _add_months(end, 1)]
        chains = [[(s, e) for e in ends] for s in (s1, s2)]
        chains.append([(s1, end), (s1 - dt.timedelta(days=1), end), (_add_months(s1, -1), end)])
        if any(SPECS[p.spec].year for p in probes):  # every month end of the collection year (ends in it)
            year_ends = [_month_end(_add_months(dt.date(collection_year(end), 3, 1), k)) for k in range(12)]
            chains.append([(min(s1, year_ends[0]), e) for e in year_ends if e <= att.as_of])
        for chain in chains:
            views = [{**base, "period": "custom", "start": s.isoformat(), "end": e.isoformat()} for s, e in chain]
            seen: list[dict[str, Cell]] = []
            years: list[int | None] = []
            for filters in views:  # event counts only: "open on the last day" is not a set that grows
                cells = {f"card:{k}": c for k, c in att.cards(page, filters).items()
                         if SPECS[_card_spec(page, k)].dated}
                for probe in probes:
                    for code, cell in (att.chart(probe, filters) or {}).items():
                        cells[f"{probe.name}[{code}]"] = cell
                seen.append(cells)
                data = att.page(page, filters)
                years.append(collection_year(data.last_day) if data is not None else None)
            for (i, a), (j, b) in itertools.combinations(enumerate(seen), 2):
                for name in sorted(set(a) & set(b)):
                    what = f"{name} {chain[j][0]}..{chain[j][1]} minus {chain[i][0]}..{chain[i][1]}"
                    if not SPECS[_spec_of(page, name)].year:
                        out.append(minus(b[name], [a[name]], what))
                    elif years[i] is not None and years[i] == years[j]:  # another year: other records
                        out += [minus(b[name], [a[name]], what), minus(a[name], [b[name]], f"{what} (reversed)")]
    return out


def _spec_of(page: str, name: str) -> str:
    """The spec of a cell named ``card:key.part`` or ``page/visual.column[code]`` (period differencing)."""
    if name.startswith("card:"):
        return _card_spec(page, name[len("card:"):])
    return next(p.spec for p in PROBES if name.startswith(p.name + "["))


def time_hierarchy(att: Attacker) -> list[Derivation]:
    """A time chart by month, quarter and year (census and calendar) over 24 months, and by quarter over
    custom periods ending or starting in a month: every bucket (and the total) minus the months,
    or the largest buckets, that make up the rest of it."""
    rng = att.rng("time")
    # The attacker looks for time charts with a few c among the months (small groups to go after).
    candidates = []
    for page in _pages(att, time=True):
        probes = [p for p in att.probes(page) if p.is_time]
        measure = rng.choice(sorted({p.measure or "" for p in probes}))
        probes = [p for p in probes if (p.measure or "") == measure]
        for _ in range(3):
            base: Filters = {}
            for name, values, chance in (("locality", list(codes.LOCALITY), 0.7), ("sex", ["M", "F"], 0.5),
                                         ("age_band", ["0-4", "5-9", "10-15", "16-17"], 0.4)):
                if rng.random() < chance:
                    base[name] = rng.choice(values)
            months = att.chart(probes[0], {**base, "period_months": 24, "grain": "month"}) or {}
            hidden = sum(c.value is None for c in months.values())
            candidates.append((0 < hidden <= len(months) // 2, hidden, rng.random(), probes, base))
    candidates.sort(key=lambda c: (c[0], c[1], c[2]), reverse=True)
    views: list[tuple[list[Probe], Filters]] = []
    for _fits, _hidden, _r, probes, base in candidates[:2]:
        window: Filters = {**base, "period_months": 24}
        grains = [{**window, "grain": "month"}, {**window, "grain": "quarter"}, {**window, "grain": "year"},
                  {**window, "grain": "year", "year_type": "calendar"}]
        views += [(probes, f) for f in grains]
        data = att.page(probes[0].page, att._filters(probes[0], grains[0]))
        if data is not None:
            first, last = data.first_day, data.last_day
            inner = _months(first, last)[1:-1]
            for month in rng.sample(inner, min(2, len(inner))):
                views.append((probes, {**base, "period": "custom", "start": first.isoformat(),
                                       "end": _month_end(month).isoformat(), "grain": "quarter"}))
                views.append((probes, {**base, "period": "custom", "start": month.isoformat(),
                                       "end": last.isoformat(), "grain": "quarter"}))
    pools: dict[tuple[str, str], dict[frozenset[dt.date], Cell]] = {}
    for probes, filters in views:
        for probe in probes:
            data = att.page(probe.page, att._filters(probe, filters))
            cells = att.chart(probe, filters)
            if data is None or cells is None:
                continue
            slicers = _key({k: v for k, v in filters.items() if k in CHILD_DIMS})
            pool = pools.setdefault((probe.name, slicers), {})
            span = set(_months(data.first_day, data.last_day))
            for code, cell in cells.items():
                bounds = _range(code) if code != TOTAL else (data.first_day, data.last_day)
                if bounds is None:
                    continue
                covered = frozenset(m for m in span if bounds[0] <= m <= bounds[1])
                if covered:
                    pool.setdefault(covered, cell)
    out: list[Derivation] = []
    for (name, slicers), pool in pools.items():
        out += _hierarchy(pool, f"{name} {slicers}")
    return out


def _hierarchy(pool: Mapping[frozenset[dt.date], Cell], name: str) -> list[Derivation]:
    """Every bucket inside a larger one (or the total) as the larger minus the rest: the rest as single
    months, and as the fewest published buckets that make it up."""
    out: list[Derivation] = []
    singles = {next(iter(s)): c for s, c in pool.items() if len(s) == 1}
    by_size = sorted(pool.items(), key=lambda item: -len(item[0]))
    for whole, whole_cell in pool.items():
        for part in pool:
            if not part < whole:
                continue
            rest = whole - part
            target = f"{name} months {min(part)}..{max(part)} from {min(whole)}..{max(whole)}"
            if all(m in singles for m in rest):
                out.append(minus(whole_cell, [singles[m] for m in sorted(rest)], target))
            cover: list[Cell] = []
            left = set(rest)
            for s, c in by_size:
                if s <= left:
                    cover.append(c)
                    left -= s
            if not left and len(cover) < len(rest):
                out.append(minus(whole_cell, cover, target))
    return out


def drill_through(att: Attacker) -> list[Derivation]:
    """Children open by age, sex and locality (and the Overview's children in need, Service users'
    children open) under slicers that fit the user's own caseload or team (read from their own list),
    for periods ending on the data date or a few days before it; each drilled through: the clicked
    figure minus the children listed is the number outside the user's scope, which is also shown
    (``c`` for 1-5)."""
    rng = att.rng("drill")
    purpose = PURPOSE.get(att.role)
    first = {"from": "service_users", "visual": "by_sex", "code": "F", "period_months": "12"}
    try:  # a role that may not drill through is refused at the first click
        att.views += 1
        _all_rows(att, purpose, first)
        own = _own_children(att, purpose)
    except data_access.Refused as exc:
        raise Refusal(f"{type(exc).__name__}: {exc}") from exc
    bases: list[Filters] = [{"period_months": 12}]
    teams = list(att.viewer.team_ids)
    for i, (combo, _n) in enumerate(own.most_common(12)):
        # Where the user's own children are: a team's children who left it lately (a period ending a
        # few weeks ago), or the few children of one sex, locality and age band (a caseload's).
        narrow = i % 2 == 1
        end = att.as_of - dt.timedelta(days=rng.choice((0, 1, 3)) if narrow else rng.choice((7, 14, 30, 45, 60)))
        keep = dict(combo if narrow else combo[1:2] if i % 4 else combo[:2])
        base: Filters = {"period": "custom", "start": (end - dt.timedelta(days=90)).isoformat(),
                         "end": end.isoformat(), **keep}
        if teams:
            base["team"] = rng.choice(teams)
        if base not in bases:
            bases.append(base)
    out: list[Derivation] = []
    targets: dict[tuple[int, int], tuple[str, str | None, str, Filters, Cell, str]] = {}
    for base in bases:
        for probe in att.probes("service_users"):
            if probe.visual in ("by_age", "by_sex", "by_locality"):
                for code, cell in (att.chart(probe, base) or {}).items():
                    if code != TOTAL and cell.shown != 0:
                        targets.setdefault(cell.records, ("service_users", probe.visual, code, base, cell, probe.spec))
        for page, key, spec in (("service_users", "open", "inv.open_children"),
                                ("overview", "cin_now", "episodes.open_children")):
            card = att.card(CardProbe(page, key, "value", spec), base) if att.attacks(page) else None
            if card is not None and card.shown != 0:
                targets.setdefault(card.records, (page, None, key, base, card, spec))
        # Care leavers: a table's row (every care leaver of the age group), a bar by contact or by main
        # activity, and the two age groups' count cards.
        for probe in att.probes("care_leavers"):
            if probe.column in ("total", "leavers"):
                for code, cell in (att.chart(probe, base) or {}).items():
                    if code != TOTAL and cell.shown != 0:
                        targets.setdefault(cell.records, ("care_leavers", probe.visual, code, base, cell, probe.spec))
        for card_probe in att.card_probes("care_leavers"):
            card = att.card(card_probe, base) if card_probe.key in ("cl_17_18", "cl_19_21") else None
            if card is not None and card.shown != 0:
                targets.setdefault(card.records, ("care_leavers", None, card_probe.key, base, card, card_probe.spec))
    # Smallest shown figures first: where few of the children counted can be outside the user's scope.
    ordered = sorted(targets.values(), key=lambda t: (t[4].value is None, t[4].value or 0, rng.random()))
    for page, visual, code, base, cell, spec in ordered[:45]:
        target = {"from": page, **({"visual": visual, "code": code} if visual else {"card": code}),
                  **{k: str(v) for k, v in base.items()}}
        att.views += 1
        listed = _all_rows(att, purpose, target)
        if listed is None:
            continue
        visible, hidden, ids = listed
        data = att.page(page, base)
        fp = att.truth.fingerprint(spec, ids, data.last_day if data is not None else None)
        what = f"outside scope: {page}/{visual or 'card'}={code} {_key(base)}"
        out.append(Derivation(what, ((1, cell),), known=-visible, known_fp=-fp))
        out.append(Derivation(what, ((1, att.cell(f"drill hidden {what}", hidden, cell.n - visible,
                                                  (cell.fp - fp) & MASK)),)))
    return out


def _own_children(att: Attacker, purpose: str | None) -> Counter[tuple[tuple[str, str], ...]]:
    """The user's own children (their list, as the records page shows it) by (sex, locality, age band)."""
    found: Counter[tuple[tuple[str, str], ...]] = Counter()
    page = 0
    while True:
        got = data_access.records.child_records(user=att.viewer, purpose=purpose, page=page, page_size=200)
        for row in got.rows.itertuples():
            born = getattr(row, "birth_date", None)
            age = _age_band(born, att.as_of) if isinstance(born, dt.date) else None
            if isinstance(row.locality, str) and age is not None:
                found[(("sex", str(row.sex)), ("locality", row.locality), ("age_band", age))] += 1
        if (page + 1) * 200 >= got.total:
            return found
        page += 1


def _age_band(born: dt.date, day: dt.date) -> str | None:
    for band, (low, high) in AGE_BOUNDS.items():
        if years_before(day, high) < born <= years_before(day, low):
            return band
    return None


class Refusal(Exception):
    """The role may not use this route at all (the attack class is refused)."""


def _all_rows(att: Attacker, purpose: str | None, target: Mapping[str, object]) -> tuple[int, object, list[int]] | None:
    """(visible, hidden as shown, child ids listed) for a drill-through, all pages of it."""
    ids: list[int] = []
    page, visible, hidden = 0, 0, None
    while True:
        got = data_access.records.child_records(user=att.viewer, purpose=purpose, drill=dict(target), page=page,
                                                page_size=200)
        if got.drill is None:
            return None
        visible, hidden = got.drill.visible, got.drill.hidden
        if "child_id" in got.rows:
            ids += [int(c) for c in got.rows["child_id"]]
        if (page + 1) * 200 >= got.total:
            return visible, hidden, ids
        page += 1


def rate_cards(att: Attacker) -> list[Derivation]:
    """Rate cards' denominators minus numerators (late ICPCs, assessments over 45 days, ...) over many
    slicer and period combinations, and the same on the Trends page's percentage measures by bucket."""
    rng = att.rng("rates")
    out: list[Derivation] = []
    pages = sorted({c.page for c in att.card_probes() if c.part == "numerator"})
    if "children_in_need" in pages:  # the Overview's rates are the same records as these
        pages.remove("overview")
    combos: list[Filters] = []
    for _ in range(20):
        combo: Filters = {"period_months": rng.choice((3, 6, 12, 24))}
        if rng.random() < 0.7:
            combo["locality"] = rng.choice(list(codes.LOCALITY))
        if rng.random() < 0.5:
            combo["sex"] = rng.choice(("M", "F"))
        if combo not in combos:
            combos.append(combo)
    for page in pages:
        for combo in combos:
            cards = att.cards(page, combo)
            for name, num in cards.items():
                key, part = name.rsplit(".", 1)
                den = cards.get(f"{key}.denominator")
                if part == "numerator" and den is not None:
                    out.append(minus(den, [num], f"{page}/{key} not meeting the standard {_key(combo)}"))
    measures = sorted({p.measure or "" for p in att.probes("trends") if p.column == "numerator"})
    for measure in measures:
        count = next(p for p in att.probes("trends") if p.measure == measure and p.column == "count")
        numerator = next(p for p in att.probes("trends") if p.measure == measure and p.column == "numerator")
        for combo in combos[:3]:
            for grain in ("month", "quarter"):
                filters = {**combo, "period_months": 24, "grain": grain}
                a, b = att.chart(count, filters), att.chart(numerator, filters)
                if a is None or b is None:
                    continue
                for code in sorted(set(a) & set(b)):
                    out.append(minus(a[code], [b[code]], f"trends {measure} not meeting [{code}] {_key(filters)}"))
    return out


def export_vs_chart(att: Attacker) -> list[Derivation]:
    """CSV exports (with their Total rows) against charts: each locality's and each sex's export (and
    the unsliced one) against the charts of every locality x sex; each export's Total row against
    the same chart's other bars; and a quarter's export against the monthly chart's other months."""
    rng = att.rng("export")
    out: list[Derivation] = []
    page = rng.choice([p for p in _pages(att) if p != "trends"])
    probes = [p for p in att.probes(page) if not p.is_time]
    base: Filters = {"period_months": rng.choice((12, 24))}
    rows, cols = list(codes.LOCALITY), list(codes.SEX)
    for probe in rng.sample(probes, min(3, len(probes))):
        grid: dict[tuple[str | None, str | None], Mapping[str, Cell] | None] = {}
        for r in (None, *rows):
            for c in (None, *cols):
                sliced = _slice(base, r, c)
                grid[(r, c)] = att.chart(probe, sliced) if r and c else att.export(probe, sliced)
        out += _partition(grid, rows, cols, f"{probe.name} exports-charts")
        for r in (None, *rows):
            for c in (None, *cols):
                if r and c:
                    continue
                sliced = _slice(base, r, c)
                view_x, view_c = grid[(r, c)], att.chart(probe, sliced)
                if view_x is None or view_c is None or TOTAL not in view_x:
                    continue
                body = [code for code in view_c if code != TOTAL]
                for code in body:
                    out.append(minus(view_x[TOTAL], [view_c[o] for o in body if o != code],
                                     f"{probe.name} export total - chart [{code}] {_key(sliced)}"))
    timed = [p for p in att.probes() if p.is_time]
    for probe in rng.sample(timed, min(3, len(timed))):
        sliced = {"period_months": 24, "locality": rng.choice(list(codes.LOCALITY))}
        quarters = att.export(probe, {**sliced, "grain": "quarter"})
        months = att.chart(probe, {**sliced, "grain": "month"})
        if quarters is None or months is None:
            continue
        for code, q in quarters.items():
            bounds = _range(code)
            if bounds is None:
                continue
            inside = [m for m in months if (span := _range(m)) is not None and bounds[0] <= span[0] <= bounds[1]]
            for m in inside:
                out.append(minus(q, [months[o] for o in inside if o != m], f"{probe.name} export quarter - chart [{m}]"))
    return out


def card_vs_chart(att: Attacker) -> list[Derivation]:
    """A chart's total (or the card counting the same records) minus its other bars, where each
    suppressed bar is read instead from the card under a selection of that bar (a line with two or
    three ``c``: one may be a larger bar hidden to protect the other); and the CP plans open (a plan
    count) minus the children on a CP plan (the Overview's card)."""
    rng = att.rng("card")
    out: list[Derivation] = []
    pairs = [s for s in SELECTABLE if any(p.page == s[0] and p.visual == s[1] and p.column == s[2]
                                          for p in att.probes())]
    for page, visual, column, dim, card_key in rng.sample(pairs, min(3, len(pairs))):
        probe = next(p for p in att.probes(page) if p.visual == visual and p.column == column)
        card = next(c for c in att.card_probes(page) if c.key == card_key and c.part == "value")
        for _ in range(3):
            base: Filters = {"period_months": rng.choice((3, 6, 12, 24))}
            for name, values in (("locality", list(codes.LOCALITY)), ("sex", ["M", "F"])):
                if name != dim and rng.random() < 0.6:
                    base[name] = rng.choice(values)
            cells = att.chart(probe, base)
            if cells is None:
                continue
            body = [c for c in cells if c != TOTAL]
            hidden = [c for c in body if cells[c].value is None]
            if not 2 <= len(hidden) <= 3:
                continue
            selected: dict[str, Cell] = {}
            for code in hidden:
                cell = att.card(card, {**base, "selection": f"{visual}:{dim}:{code}"})
                if cell is not None:
                    selected[code] = cell
            total_card = att.card(card, base)
            for code in body:
                others = [selected.get(o, cells[o]) if cells[o].value is None else cells[o] for o in body if o != code]
                for total in (cells.get(TOTAL), total_card):
                    if total is not None:
                        out.append(minus(total, others, f"{probe.name}[{code}] via cards {_key(base)}"))
    for page in rng.sample(_pages(att, cards=True), min(2, len(_pages(att, cards=True)))):
        for _ in range(3):
            base = {"period_months": rng.choice((3, 6, 12)), "locality": rng.choice(list(codes.LOCALITY))}
            if rng.random() < 0.5:
                base["sex"] = rng.choice(("M", "F"))
            totals = {p: (att.chart(p, base) or {}).get(TOTAL) for p in att.probes(page) if not p.is_time}
            for card in att.card_probes(page):
                cell = att.card(card, base)
                for probe, total in totals.items():
                    if cell is not None and total is not None and probe.spec == card.spec:
                        out.append(minus(cell, [total], f"{card.name} - {probe.name} total {_key(base)}"))
                        out.append(minus(total, [cell], f"{probe.name} total - {card.name} {_key(base)}"))
    out += _card_windows(att, rng)
    if "care_leavers" in _pages(att, cards=True):
        out += _care_leavers_views(att, rng)
    if att.visible("CSC") and att.attacks("children_in_need") and att.attacks("overview"):
        plans = CardProbe("children_in_need", "cp_open", "value", "cp.open")
        children = CardProbe("overview", "cp_open", "value", "cp.open_children")
        combos: list[Filters] = [{"period_months": 12}, *({"period_months": 12, "locality": loc}
                                                          for loc in codes.LOCALITY)]
        for combo in combos:
            a, b = att.card(plans, combo), att.card(children, combo)
            if a is not None and b is not None:
                out.append(minus(a, [b], f"second CP plans open {_key(combo)}"))
    return out


OC3_AGE_CODES = {"17_18": "17-18", "19_21": "19-21"}


def _oc3_identities(cells: Mapping[str, Cell]) -> list[tuple[list[str], list[str]]]:
    """(wholes, parts) of the Care leavers page whose records add up, by the published definitions: a
    card against the row of a table, a rate card's denominator against its numerator and the table's
    other columns, a table's margins against the bars by contact or by main activity (whose codes
    the attacker reads off the bars shown)."""
    def bars(visual: str) -> list[str]:
        return sorted(k for k in cells if k.startswith(f"{visual}.leavers[") and k != f"{visual}.leavers[{TOTAL}]")

    def code(key: str) -> str:
        return key[key.index("[") + 1:-1]

    out: list[tuple[list[str], list[str]]] = []
    for sfx, age in OC3_AGE_CODES.items():
        touch, eet, suitable = (f"card:cl_{what}_{sfx}" for what in ("in_touch", "eet", "suitable"))
        no, neet, unknown = f"contact.no[{age}]", f"eet.neet[{age}]", f"eet.unknown[{age}]"
        not_suitable = [f"accommodation.unsuitable[{age}]", f"accommodation.unknown[{age}]"]
        for whole in (f"card:cl_{sfx}.value", f"{touch}.denominator", f"contact.total[{age}]"):
            out += [([whole], [f"contact.yes[{age}]", no]), ([whole], [f"{touch}.numerator", no])]
        for whole in (f"card:cl_{sfx}.value", f"{eet}.denominator", f"eet.total[{age}]"):
            out += [([whole], [f"eet.eet[{age}]", neet, unknown]), ([whole], [f"{eet}.numerator", neet, unknown])]
        for whole in (f"card:cl_{sfx}.value", f"{suitable}.denominator", f"accommodation.total[{age}]"):
            out += [([whole], [f"accommodation.suitable[{age}]", *not_suitable]),
                    ([whole], [f"{suitable}.numerator", *not_suitable])]
    everyone = [f"{v}.total[{TOTAL}]" for v in ("contact", "eet", "accommodation")]
    cards = [f"card:cl_{sfx}.value" for sfx in OC3_AGE_CODES]
    in_touch, activity = bars("in_touch"), bars("activity")
    eet_codes = ("F1", "P1", "F2", "P2", "F3", "P3", "F4", "P4", "F5", "P5")  # ACTIV F1-F5, P1-P5 (the definition)
    for whole in everyone:
        out += [([whole], cards), ([whole], in_touch), ([whole], activity)]
    out += [(cards, in_touch), (cards, activity),
            ([f"contact.no[{TOTAL}]"], [b for b in in_touch if code(b) != "YES"]),
            ([f"contact.yes[{TOTAL}]", f"contact.no[{TOTAL}]"], in_touch),
            ([f"eet.eet[{TOTAL}]"], [b for b in activity if code(b) in eet_codes]),
            ([f"eet.neet[{TOTAL}]", f"eet.unknown[{TOTAL}]"], [b for b in activity if code(b) not in eet_codes])]
    return out


def _care_leavers_views(att: Attacker, rng: random.Random) -> list[Derivation]:
    """The Care leavers page's cards, tables and bars against each other (``_oc3_identities``) under
    slicers: every part as its whole minus the other parts; and the bars by contact and by main
    activity against their total, a suppressed bar read instead from the two age cards under a
    selection of it."""
    out: list[Derivation] = []
    combos: list[Filters] = [{"period_months": 12}]
    for _ in range(5):
        combo: Filters = {"period_months": rng.choice((12, 24)), "locality": rng.choice(list(codes.LOCALITY))}
        for name, values, chance in (("sex", ("M", "F"), 0.5), ("age_band", ("16-17", "18+"), 0.3)):
            if rng.random() < chance:
                combo[name] = rng.choice(values)
        if combo not in combos:
            combos.append(combo)
    for combo in combos:
        cells: dict[str, Cell] = {f"card:{k}": c for k, c in att.cards("care_leavers", combo).items()}
        for probe in att.probes("care_leavers"):
            for code, cell in (att.chart(probe, combo) or {}).items():
                cells[f"{probe.visual}.{probe.column}[{code}]"] = cell
        for wholes, parts in _oc3_identities(cells):
            if not parts or any(k not in cells for k in (*wholes, *parts)):
                continue
            for part in parts:
                out.append(Derivation(f"care_leavers {part} = {' + '.join(wholes)} - the rest {_key(combo)}",
                                      (*((1, cells[w]) for w in wholes), *((-1, cells[q]) for q in parts if q != part))))
        for visual, dim in (("in_touch", "in_touch"), ("activity", "activity")):
            body = sorted(k for k in cells if k.startswith(f"{visual}.leavers[") and not k.endswith(f"[{TOTAL}]"))
            total = cells.get(f"{visual}.leavers[{TOTAL}]")
            hidden = [k for k in body if cells[k].value is None]
            if total is None or not 1 <= len(hidden) <= 4:
                continue
            by_age: dict[str, list[Cell]] = {}
            for key in hidden:
                picked = {**combo, "selection": f"{visual}:{dim}:{key[key.index('[') + 1:-1]}"}
                found = att.cards("care_leavers", picked)
                ages = [found.get(f"cl_{sfx}.value") for sfx in OC3_AGE_CODES]
                if all(c is not None for c in ages):
                    by_age[key] = ages  # type: ignore[assignment]  # None excluded above
            for key in body:
                terms: list[tuple[int, Cell]] = [(1, total)]
                for other in body:
                    if other != key:
                        terms += [(-1, c) for c in by_age.get(other, [cells[other]])]
                out.append(Derivation(f"care_leavers {key} via the age cards {_key(combo)}", tuple(terms)))
    return out


# A count card and the monthly chart of the same records on the same page.
CARD_MONTHS = (("overview", "referrals", "trend", "referrals"), ("children_in_need", "referrals", "referrals_time",
                                                                 "referrals"),
               ("send", "requests", "requests_time", "requests"), ("send", "issued", "requests_time", "issued"),
               ("interventions", "started", "volumes", "started"), ("interventions", "ended", "volumes", "ended"),
               ("service_users", "started", "flow", "started"))


def _card_windows(att: Attacker, rng: random.Random) -> list[Derivation]:
    """A card for a few whole months (a trailing 3 or 6 months, custom windows of two or three months,
    and the Overview's "previous period" figure) minus the other months as the monthly chart over 24
    months shows them: the month left is one the chart had to hide."""
    out: list[Derivation] = []
    pairs = [c for c in CARD_MONTHS if any(p.page == c[0] and p.visual == c[2] for p in att.probes())]
    for page, card_key, visual, column in rng.sample(pairs, min(4, len(pairs))):
        chart = next(p for p in att.probes(page) if p.visual == visual and p.column == column)
        probes = [c for c in att.card_probes(page) if c.key == card_key and c.part == "value"]
        if page == "overview":
            probes.append(CardProbe(page, card_key, "previous", probes[0].spec))
        candidates = []
        for _ in range(4):  # the attacker looks for monthly charts with a few hidden months
            base: Filters = {"locality": rng.choice(list(codes.LOCALITY))}
            for name, values in (("sex", ["M", "F"]), ("age_band", ["0-4", "5-9", "10-15", "16-17"])):
                if rng.random() < 0.5:
                    base[name] = rng.choice(values)
            months = att.chart(chart, {**base, "period_months": 24, "grain": "month"}) or {}
            hidden = sum(c.value is None for c in months.values())
            candidates.append((0 < hidden <= len(months) // 2, hidden, rng.random(), base, months))
        candidates.sort(key=lambda c: c[:3], reverse=True)
        for _fits, _hidden, _r, base, months in candidates[:2]:
            if not months:
                continue
            by_month = {r[0]: cell for code, cell in months.items() if (r := _range(code)) is not None}
            full = sorted(m for m in by_month if m.day == 1 and _month_end(m) <= att.as_of)
            windows: list[Filters] = [{**base, "period_months": 3}, {**base, "period_months": 6}]
            gaps = [i for i, m in enumerate(full) if by_month[m].value is None]
            for i in rng.sample(gaps, min(8, len(gaps))):  # a hidden month and a shown neighbour
                shown = [j for j in (i - 1, i + 1) if 0 <= j < len(full) and by_month[full[j]].value is not None]
                if shown:
                    first, last = sorted((full[i], full[rng.choice(shown)]))
                    windows.append({**base, "period": "custom", "start": first.isoformat(),
                                    "end": _month_end(last).isoformat()})
            for filters in windows:
                data = att.page(page, filters)
                for probe in probes:
                    cell = att.card(probe, filters)
                    if data is None or cell is None:
                        continue
                    where = where_for(filters, data, None, att.services)
                    if where is not None and probe.part == "previous":
                        where = _previous(where, filters)
                    if where is None:
                        continue
                    inside = [m for m in full if where.first <= m and _month_end(m) <= where.last]
                    if len(inside) < 2 or _months(where.first, where.last) != inside:
                        continue
                    for m in inside:
                        out.append(minus(cell, [by_month[o] for o in inside if o != m],
                                         f"{probe.name} minus other months [{m}] {_key(filters)}"))
    return out


ATTACKS: dict[str, Callable[[Attacker], list[Derivation]]] = {
    "slicer_partition": slicer_partition, "period_differencing": period_differencing,
    "time_hierarchy": time_hierarchy, "drill_through": drill_through, "rate_cards": rate_cards,
    "export_vs_chart": export_vs_chart, "card_vs_chart": card_vs_chart,
}


def run(klass: str, att: Attacker) -> Result:
    """One attack class as one role, judged."""
    before = att.views
    try:
        derivations = ATTACKS[klass](att)
    except Refusal as exc:
        return Result(klass, att.role, views=att.views - before, refused=str(exc))
    return evaluate(klass, att.role, derivations, att.threshold, views=att.views - before)


# --- consistency: one record set, one published value ----------------------------------------------

def consistency_views(att: Attacker, month: dt.date, locality: str, source: str | None) -> list[Cell]:
    """Referrals in ``month`` for ``locality`` (from ``source``, or all) as many views publish them:
    different pages, charts and cards, selections made on either chart, slicer orders, drill levels,
    year types, and the CSV exports. Every cell counts exactly the same records."""
    last = _month_end(month)
    span = f"{month.isoformat()}_{last.isoformat()}"
    custom: Filters = {"period": "custom", "start": month.isoformat(), "end": last.isoformat(), "locality": locality}
    reordered: Filters = {"locality": locality, "end": last.isoformat(), "start": month.isoformat(), "period": "custom"}
    quarter_first = month.replace(month=(month.month - 1) // 3 * 3 + 1)
    quarter = f"{quarter_first.isoformat()}_{_month_end(_add_months(quarter_first, 2)).isoformat()}"
    year: Filters = {"period_months": 12, "locality": locality}
    by_source = next(p for p in PROBES if p.visual == "by_source")
    cin_time = next(p for p in PROBES if p.visual == "referrals_time" and p.column == "referrals")
    trend = next(p for p in PROBES if p.page == "overview" and p.column == "referrals")
    trends = next(p for p in PROBES if p.page == "trends" and p.measure == "referrals")
    cards = [CardProbe("children_in_need", "referrals", "value", "episodes.referred"),
             CardProbe("overview", "referrals", "value", "episodes.referred")]
    cells: list[Cell | None] = []

    def take(found: Mapping[str, Cell] | None, code: str) -> None:
        cells.append(found.get(code) if found is not None else None)

    monthly = ((cin_time, year), (trend, year), (trends, year), (trends, {**year, "year_type": "calendar"}),
               (cin_time, {**year, "drill_time": quarter}), (cin_time, {**year, "period_months": 24}))
    if source is None:  # every referral of the month: totals, cards and the month's bar
        for filters in (custom, reordered):
            for probe in (by_source, cin_time, trend):
                take(att.chart(probe, filters), TOTAL)
            cells.extend(att.card(c, filters) for c in cards)
        take(att.export(by_source, custom), TOTAL)
        take(att.chart(by_source, {**year, "selection": f"referrals_time:time:{span}"}), TOTAL)
        for probe, filters in monthly:
            take(att.chart(probe, filters), span)
        take(att.export(cin_time, year), span)
    else:  # one source: its bar for the month, and the month's bar with the source selected
        pick = f"by_source:referral_source:{source}"
        for filters in (custom, reordered, {**year, "selection": f"referrals_time:time:{span}"},
                        {**year, "period_months": 24, "selection": f"trend:time:{span}"}):
            take(att.chart(by_source, filters), source)
        take(att.export(by_source, custom), source)
        for filters in (custom, reordered):
            cells.extend(att.card(c, {**filters, "selection": pick}) for c in cards)
        for probe, filters in monthly:
            take(att.chart(probe, {**filters, "selection": pick}), span)
        take(att.export(cin_time, {**year, "selection": pick}), span)
    return [c for c in cells if c is not None]


def consistency_cells(att: Attacker, count: int = 5) -> list[tuple[dt.date, str, str | None]]:
    """(month, locality, source) cells to follow, chosen from views of the last 12 months: bars shown
    ``c`` although 6 or more (hidden in one view to protect another bar, while other views of the
    same records need no such protection), bars shown as numbers, and a small bar; and one month's
    referrals for a locality (source None). Deterministic."""
    rng = att.rng("consistency")
    by_source = next(p for p in PROBES if p.visual == "by_source")
    cin_time = next(p for p in PROBES if p.visual == "referrals_time" and p.column == "referrals")
    year: Filters = {"period_months": 12}
    hidden, shown, small = [], [], []
    for locality in rng.sample(sorted(codes.LOCALITY), 2):
        sources = att.chart(by_source, {**year, "locality": locality}) or {}
        busiest = sorted((c for c in sources if c not in (TOTAL, "")), key=lambda c: -sources[c].n)[:6]
        for source in busiest:
            months = att.chart(cin_time, {**year, "locality": locality,
                                          "selection": f"by_source:referral_source:{source}"}) or {}
            for code, cell in sorted(months.items()):
                bounds = _range(code)
                if bounds is None or bounds[0].day != 1 or bounds[1] != _month_end(bounds[0]) or \
                        bounds[1] > att.as_of:
                    continue
                pick = (bounds[0], locality, source)
                if cell.n >= 6 and cell.value is None:
                    hidden.append(pick)
                elif 6 <= cell.n <= 15:
                    shown.append(pick)
                elif 1 <= cell.n <= 5:
                    small.append(pick)
    out: list[tuple[dt.date, str, str | None]] = rng.sample(hidden, min(count - 2, len(hidden)))
    out += rng.sample(shown, min(count - 1 - len(out), len(shown))) + rng.sample(small, min(1, len(small)))
    last_full = _month_end(_add_months(att.as_of, -1))
    out.append((_add_months(last_full, -5).replace(day=1), sorted(codes.LOCALITY)[0], None))
    return out


def duckdb_runner(connection: Any) -> Callable[[str, dict[str, object]], list[tuple[Any, ...]]]:
    """``run(sql, params)`` on a DuckDB connection (``$name`` parameters)."""
    def run(sql: str, params: dict[str, object]) -> list[tuple[Any, ...]]:
        return list(connection.execute(sql, params).fetchall())
    return run


@contextlib.contextmanager
def store_runner() -> Iterator[Callable[[str, dict[str, object]], list[tuple[Any, ...]]]]:
    """``with store_runner() as run``: plain SQL on the bound store's own DuckDB handle."""
    conn = data_access.current().analytics.connect()
    try:
        yield duckdb_runner(conn.connection.driver_connection)
    finally:
        conn.close()

