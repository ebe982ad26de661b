"""The Overview for leadership: statutory KPIs against the previous period and England, with direction of travel.

Each KPI is computed for the period and for the one before it (same length; the previous census year
for the census presets) with the same slicers, both suppressed; the direction of travel compares
the two shown values (none when either is ``c``), and says whether the change is better or worse
for measures where DfE treats lower or higher as better. England figures are published statistics
(``national.ENGLAND``), compared like for like whatever the slicer period: a stock (children in need,
on a plan) at the data date, as England's is at 31 March; a flow or a percentage over the 12 months to
the period's end, as England's is over a year; EHC growth against the same day a year before. The
card says which (``Kpi.england_basis``).

The KPIs' official definitions (shared/reference/data-standards.md §6) are ``DEFINITIONS``; each is
one SQL aggregate over the analytics store, scoped in SQL by the slicers and the user's services,
and protected (``build_kpis``: cell-key perturbation, ``data_access.protection``) before it leaves this module.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import sqlalchemy as sa

from data_access import benchmarks, protection
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
                "Children with a CIN episode open on {day} (referral on or before it, no closure "
                "by it); rate = ÷ ONS mid-year population aged 0-17 × 10,000 (DfE: previous mid-year)."),
    "referrals": ("Referrals in the period",
                  "CIN episodes whose referral date falls in the period ({period})."),
    "rereferral_rate": ("Re-referrals within 12 months",
                        "Referrals in the period ({period}) made within 12 months of the same child's "
                        "previous referral ÷ all referrals in the period (DfE C1)."),
    "assessments_45": ("Assessments within 45 working days",
                       "Assessments authorised in the period ({period}) whose authorisation came no more than 45 "
                       "working days (England bank holidays excluded) after the start ÷ all assessments "
                       "authorised in the period (DfE C2)."),
    "cp_open": ("Child protection plans open",
                "CP plans started on or before {day} and not ended by it; rate per 10,000 "
                "children aged 0-17 (DfE D5)."),
    "ehc_active": ("Active EHC plans",
                   "EHC plans issued on or before {day} and not ceased by it (SEN2 active plans)."),
}

# KPI key -> the England entry it is compared with, and how this area's figure is put on that basis.
ENGLAND_BASIS = {"cin_now": "cin_rate", "referrals": "referral_rate", "rereferral_rate": "rereferral_rate",
                 "assessments_45": "assessments_45", "cp_open": "cp_rate", "ehc_active": "ehc_growth"}
# KPIs whose England comparison is over the 12 months to the period's end (flows and percentages).
OVER_A_YEAR = frozenset({"referrals", "rereferral_rate", "assessments_45"})


def year_to(day: dt.date) -> Period:
    """The 12 whole months ending on ``day``: England's basis for annual flows and percentages."""
    return Period(periods.years_back(day, 1), day)


def period_text(period: Period) -> str:
    """``period`` in words, e.g. "1 Jan 2025 to 31 Mar 2025"."""
    return f"{_day(period.start + dt.timedelta(days=1))} to {_day(period.end)}"


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


def definition(key: str, period: Period) -> str:
    """The KPI's official definition, stated for the chosen period and data date."""
    return DEFINITIONS[key][1].format(period=period_text(period), day=_day(period.end))


def england_basis(key: str, period: Period) -> str:
    """How this area's figure is put on England's basis, in words, for the card."""
    if key in OVER_A_YEAR:
        return f"Compared over the same 12-month window ({period_text(year_to(period.end))})"
    if key == "ehc_active":
        return f"Compared as growth over the 12 months to {_day(period.end)}"
    return f"Compared at {_day(period.end)}, as England's at 31 March"


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


def _england_queries(ctx: Context, period: Period, before: Period) -> dict[str, Grouped]:
    """The counts England's basis needs that the period's own do not give: the flows over the 12 months
    to the period's end, and the active EHC plans a year before it (none when the periods already match)."""
    year = year_to(period.end)
    wanted: dict[str, Grouped] = {}
    if year != period:
        yr = _kpi_queries(ctx, year, "yr")
        wanted |= {"yr_referrals": yr["yr_referrals"], "yr_assessments": yr["yr_assessments"]}
    if before.end != year.start:
        wanted["ago_ehc"] = _kpi_queries(ctx, Period(year.start, year.start), "ago")["ago_ehc"]
    return wanted


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
    queries = {**_kpi_queries(ctx, period, "now"), **_kpi_queries(ctx, before, "then"),
               **_england_queries(ctx, period, before)}
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
    now = build_kpis(_raw(result, "now"), wanted, population, ctx.threshold, period)
    then = build_kpis(_raw(result, "then"), wanted, population_on(ctx.conn, before.end), ctx.threshold, before)
    year = year_to(period.end)
    yearly = _yearly(result, now, then, year == period, before.end == year.start, ctx.threshold)
    cards = [_compare(k, p, population, ctx.threshold, yearly, period) for k, p in zip(now, then, strict=True)]
    return cards, [_trend(ctx, result, trend_period)]


def _yearly(result: dict[str, list[tuple]], now: list[Kpi], then: list[Kpi], same_year: bool,
            same_ago: bool, threshold: int) -> dict[str, int | str]:
    """Published counts on England's basis: the 12-month flows and the EHC plans a year ago."""
    out: dict[str, int | str] = {}
    cards = {k.key: k for k in now}
    if same_year:
        out |= {"referrals": _int(cards["referrals"].value), "rereferrals": _int(cards["rereferral_rate"].numerator),
                "assessments_done": _int(cards["assessments_45"].denominator),
                "assessments_45": _int(cards["assessments_45"].numerator)}
    else:
        raw = _raw(result, "yr")
        out |= {k: protection.shown(raw[k], threshold=threshold)
                for k in ("referrals", "rereferrals", "assessments_done", "assessments_45")}
    if same_ago:
        out["ehc_active"] = _int({k.key: k for k in then}["ehc_active"].value)
    else:
        out["ehc_active"] = protection.shown(_raw(result, "ago")["ehc_active"], threshold=threshold)
    return out


def _int(value: object) -> int | str:
    return value if isinstance(value, int | str) else "c"


_KPI_OF = {"cin": "cin_now", "referrals": "referrals", "assessments": "assessments_45", "cp": "cp_open",
           "ehc": "ehc_active"}


def build_kpis(raw: dict[str, Count], wanted: set[str], population: int | None, threshold: int,
               period: Period) -> list[Kpi]:
    """Turn protected counts into KPI cards: every figure published by its cell key, every rate from
    published figures (pure; unit-tested without a database)."""
    cards: list[Kpi] = []

    def count(n: Count) -> int | str:
        return protection.shown(n, threshold=threshold)

    def per_10k(n: Count) -> float | str | None:
        if population is None:
            return None
        return protection.population_rate(count(n), population, per=10_000, decimals=1)

    for key, (label, _text) in DEFINITIONS.items():
        stated = definition(key, period)
        if key not in wanted:
            cards.append(Kpi(key, label, None, "count", stated, note="Outside your services or slicers"))
            continue
        if key in ("cin_now", "cp_open", "ehc_active"):
            cards.append(Kpi(key, label, count(raw[key]), "count", stated,
                             rate_per_10k=per_10k(raw[key]) if key != "ehc_active" else None))
        elif key == "referrals":
            cards.append(Kpi(key, label, count(raw["referrals"]), "count", stated))
        elif key == "rereferral_rate":
            num, den = count(raw["rereferrals"]), count(raw["referrals"])
            cards.append(Kpi(key, label, protection.rate(num, den), "percent", stated, num, den))
        elif key == "assessments_45":
            num, den = count(raw["assessments_45"]), count(raw["assessments_done"])
            cards.append(Kpi(key, label, protection.rate(num, den), "percent", stated, num, den))
    return cards


def _compare(now: Kpi, then: Kpi, population: int | None, threshold: int, yearly: dict[str, int | str],
             period: Period) -> Kpi:
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
        local = protection.population_rate(yearly["referrals"], population, per=10_000)
    elif basis == "rereferral_rate":
        local = protection.rate(yearly["rereferrals"], yearly["referrals"])
    elif basis == "assessments_45":
        local = protection.rate(yearly["assessments_45"], yearly["assessments_done"])
    elif basis == "ehc_growth":
        ago = yearly["ehc_active"]
        # published values only: this year's plans against the same day a year before
        local = protection.rate(now.value, ago, per=100) if isinstance(ago, int) and ago > 0 else "c"
        local = round(local - 100, 1) if isinstance(local, float) else local
    england, note = ENGLAND[basis] if basis else (None, None)
    code = benchmarks.council_code()
    peers = benchmarks.benchmark(basis, code) if basis and code else None
    return replace(now, previous=then.value, direction=direction, judgement=judgement, england=england,
                   england_note=note, local_comparable=local,
                   england_basis=england_basis(now.key, period) if basis else None,
                   neighbours=peers.average if peers else None, neighbours_note=peers.note if peers else None)


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
