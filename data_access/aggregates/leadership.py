"""The Overview for leadership: statutory KPIs against the previous period and England, with direction of travel.

Each KPI is computed for the period and for the one before it (same length; the previous census year
for the census presets) with the same slicers, both suppressed; the direction of travel compares
the two shown values (none when either is ``c``), and says whether the change is better or worse
for measures where DfE treats lower or higher as better. England figures are published statistics
(``national.ENGLAND``), compared on their own basis (rate per 10,000 or percentage).

The KPIs' official definitions (shared/reference/data-standards.md §6) are ``DEFINITIONS``; each is
one SQL aggregate over the analytics store, scoped in SQL by the slicers and the user's services,
and protected (``build_kpis``: cell-key perturbation, ``data_access.protection``) before it leaves this module.
"""

from __future__ import annotations

from dataclasses import replace

import sqlalchemy as sa

from data_access import protection
from data_access.aggregates import periods
from data_access.aggregates._facts import conditions
from data_access.aggregates.context import (
    Context,
    Grouped,
    as_month,
    children,
    month_start,
    roll_up,
    tally,
)
from data_access.aggregates.kpi import Kpi
from data_access.aggregates.national import ENGLAND, HIGHER_IS_BETTER, LOWER_IS_BETTER
from data_access.aggregates.scope import Period, open_on, population_on
from data_access.aggregates.visual import Visual, columns
from data_access.protection import ZERO, Count
from model import schema

E, A, CP, EHC = schema.cin_episodes, schema.assessments, schema.cp_plans, schema.ehc_plans

DEFINITIONS = {
    "cin_now": ("Children in need now",
                "Children with a CIN episode open on the data date (referral on or before it, no closure "
                "by it); rate = ÷ ONS mid-year population aged 0-17 × 10,000 (DfE: previous mid-year)."),
    "referrals": ("Referrals, last 12 months",
                  "CIN episodes whose referral date falls in the 12 months to the data date."),
    "rereferral_rate": ("Re-referrals within 12 months",
                        "Referrals in the period made within 12 months of the same child's previous "
                        "referral ÷ all referrals in the period (DfE C1)."),
    "assessments_45": ("Assessments within 45 working days",
                       "Assessments authorised in the period whose authorisation came no more than 45 "
                       "working days (England bank holidays excluded) after the start ÷ all assessments "
                       "authorised in the period (DfE C2)."),
    "cp_open": ("Child protection plans open",
                "CP plans started on or before the data date and not ended by it; rate per 10,000 "
                "children aged 0-17 (DfE D5)."),
    "ehc_active": ("Active EHC plans",
                   "EHC plans issued on or before the data date and not ceased by it (SEN2 active plans)."),
}

# KPI key -> the England entry it is compared with, and how this area's figure is put on that basis.
ENGLAND_BASIS = {"cin_now": "cin_rate", "referrals": "referral_rate", "rereferral_rate": "rereferral_rate",
                 "assessments_45": "assessments_45", "cp_open": "cp_rate", "ehc_active": "ehc_growth"}


def _wanted(ctx: Context) -> set[str]:
    services, service = ctx.services, ctx.filters.service
    return {k for k in DEFINITIONS
            if (services is None or _service_for(k) in services) and (service is None or service == _service_for(k))}


def _service_for(key: str) -> str:
    return "SEND" if key == "ehc_active" else "CSC"


def _previous(ctx: Context, period: Period) -> Period:
    if ctx.filters.selection is not None and ctx.filters.selection.dim == "time":
        length = period.end - period.start  # a selected month, quarter or year: the one before it
        return Period(period.start - length, period.start)
    return periods.previous(ctx.filters, period)



def _kpi_queries(ctx: Context, period: Period, tag: str) -> dict[str, Grouped]:
    """The KPIs' counts for ``period`` (as ``DEFINITIONS`` defines them), as batch queries."""
    day = period.end

    def where(fact: str) -> list[sa.ColumnElement[bool]]:
        return list(conditions(fact, ctx.filters, day, services=ctx.services).conds)

    referred = period.contains(E.c.referral_date)
    now = tag == "now"  # only this period's cards drill through
    return {
        f"{tag}_cin": Grouped([], [children(E.c.child_id)], E,
                              [open_on(E.c.referral_date, E.c.closure_date, day), *where("episodes")],
                              cards={"cin_now": None} if now else {}),
        f"{tag}_referrals": Grouped([], [tally(), tally(E.c.is_rereferral)], E, [referred, *where("episodes")],
                                    cards=dict.fromkeys(("referrals", "rereferral_rate")) if now else {}),
        f"{tag}_assessments": Grouped([], [tally(), tally(A.c.within_45_days)], A,
                                      [period.contains(A.c.authorisation_date), *where("assessments")],
                                      cards={"assessments_45": None} if now else {}),
        f"{tag}_cp": Grouped([], [children(CP.c.child_id)], CP,
                             [open_on(CP.c.start_date, CP.c.end_date, day), *where("cp_plans")],
                             cards={"cp_open": None} if now else {}),
        f"{tag}_ehc": Grouped([], [tally()], EHC, [open_on(EHC.c.start_date, EHC.c.ceased_date, day),
                                                           *where("plans")], cards={"ehc_active": None} if now else {}),
    }


def _raw(result: dict[str, list[tuple]], tag: str) -> dict[str, Count]:
    def one(name: str, width: int) -> list[Count]:
        rows = result.get(f"{tag}_{name}") or [(ZERO,) * width]
        return list(rows[0])

    (cin,), (refs, rerefs), (done, within), (cp,), (ehc,) = (
        one("cin", 1), one("referrals", 2), one("assessments", 2), one("cp", 1), one("ehc", 1))
    return {"cin_now": cin, "referrals": refs, "rereferrals": rerefs, "assessments_done": done,
            "assessments_45": within, "cp_open": cp, "ehc_active": ehc}


def queries(ctx: Context) -> dict[str, Grouped]:
    """The KPIs' counts for this period and the one before, and the referrals chart's."""
    wanted = _wanted(ctx)
    period = ctx.period_for(None)
    before = _previous(ctx, period)
    queries = {**_kpi_queries(ctx, period, "now"), **_kpi_queries(ctx, before, "then")}
    trend_period = periods.drill_period(ctx.filters, ctx.period_for("trend"))
    if ctx.may_see("episodes"):
        queries["trend"] = Grouped([month_start(ctx.conn, E.c.referral_date)],
                                   [tally(), tally(E.c.is_rereferral)], E,
                                   [trend_period.contains(E.c.referral_date), *ctx.scoped("episodes", "trend").conds],
                                   charts={"trend": 0})
    if ctx.services is not None:  # only the KPIs within the user's services are queried at all
        queries = {k: q for k, q in queries.items() if k == "trend" or _KPI_OF[k.split("_", 1)[1]] in wanted}
    return queries


def page(ctx: Context) -> tuple[list[Kpi], list[Visual]]:
    """The KPI cards (this period and the one before) and the referrals chart, in one statement."""
    wanted = _wanted(ctx)
    period = ctx.period_for(None)
    before = _previous(ctx, period)
    trend_period = periods.drill_period(ctx.filters, ctx.period_for("trend"))
    result = ctx.run(queries(ctx))
    population = population_on(ctx.conn, period.end)
    now = build_kpis(_raw(result, "now"), wanted, population, ctx.threshold)
    then = build_kpis(_raw(result, "then"), wanted, population_on(ctx.conn, before.end), ctx.threshold)
    cards = [_compare(k, p, population, ctx.threshold) for k, p in zip(now, then, strict=True)]
    return cards, [_trend(ctx, result, trend_period)]


_KPI_OF = {"cin": "cin_now", "referrals": "referrals", "assessments": "assessments_45", "cp": "cp_open",
           "ehc": "ehc_active"}


def build_kpis(raw: dict[str, Count], wanted: set[str], population: int | None, threshold: int) -> list[Kpi]:
    """Turn protected counts into KPI cards: every figure published by its cell key, every rate from
    published figures (pure; unit-tested without a database)."""
    cards: list[Kpi] = []

    def count(n: Count) -> int | str:
        return protection.shown(n, threshold=threshold)

    def per_10k(n: Count) -> float | str | None:
        if population is None:
            return None
        return protection.population_rate(count(n), population, per=10_000, decimals=1)

    for key, (label, definition) in DEFINITIONS.items():
        if key not in wanted:
            cards.append(Kpi(key, label, None, "count", definition, note="Outside your services or slicers"))
            continue
        if key in ("cin_now", "cp_open", "ehc_active"):
            cards.append(Kpi(key, label, count(raw[key]), "count", definition,
                             rate_per_10k=per_10k(raw[key]) if key != "ehc_active" else None))
        elif key == "referrals":
            cards.append(Kpi(key, label, count(raw["referrals"]), "count", definition))
        elif key == "rereferral_rate":
            num, den = count(raw["rereferrals"]), count(raw["referrals"])
            cards.append(Kpi(key, label, protection.rate(num, den), "percent", definition, num, den))
        elif key == "assessments_45":
            num, den = count(raw["assessments_45"]), count(raw["assessments_done"])
            cards.append(Kpi(key, label, protection.rate(num, den), "percent", definition, num, den))
    return cards


def _compare(now: Kpi, then: Kpi, population: int | None, threshold: int) -> Kpi:
    if now.value is None:
        return now
    direction = judgement = None
    if isinstance(now.value, int | float) and isinstance(then.value, int | float):
        direction = "up" if now.value > then.value else "down" if now.value < then.value else "same"
        if direction != "same" and now.key in LOWER_IS_BETTER | HIGHER_IS_BETTER:
            good = "down" if now.key in LOWER_IS_BETTER else "up"
            judgement = "better" if direction == good else "worse"
    basis = ENGLAND_BASIS.get(now.key)
    local: float | str | None = None
    if basis in ("cin_rate", "cp_rate"):
        local = now.rate_per_10k
    elif basis == "referral_rate" and population:
        local = protection.population_rate(now.value, population, per=10_000)
    elif basis == "ehc_growth" and isinstance(then.value, int) and then.value > 0:
        local = protection.rate(now.value, then.value, per=100)  # published values only
        local = round(local - 100, 1) if isinstance(local, float) else local
    elif basis:
        local = now.value
    england, note = ENGLAND[basis] if basis else (None, None)
    label = "Referrals in the period" if now.key == "referrals" else now.label
    return replace(now, label=label, previous=then.value, direction=direction, judgement=judgement, england=england,
                   england_note=note, local_comparable=local)


def _trend(ctx: Context, result: dict[str, list[tuple]], period: Period) -> Visual:
    """Referrals and re-referrals per month, quarter or year (drillable): the Overview's chart."""
    key = "trend"
    if not ctx.may_see("episodes"):
        return ctx.outside(key, "Referrals per month")
    monthly = {m: {as_month(row[0]): row[i] for row in result["trend"]}
               for i, m in enumerate(("referrals", "rereferrals"), start=1)}
    level = periods.time_level(ctx.filters)
    rows, counts = roll_up(monthly, period, level, ctx.filters.year_type)
    return columns(key, f"Referrals per {level}", rows, counts,
                   {"referrals": "Referrals", "rereferrals": "Re-referrals"}, threshold=ctx.threshold,
                   **ctx.time_options(key, ctx.scoped("episodes", key)))
