"""Children looked after (SSDA903): the rate per 10,000, starts and ceased, legal status, placements,
distance from home, placement stability, missing incidents, and health and dental checks.

Definitions follow DfE's "Children looked after in England including adoptions" (ssda903.md §3):
looked after on a day = a period of care open on it; stability "3 or more placements during the year"
counts the placement held 12 months before the day plus the placements starting after it; long-term
stability: under-16s looked after for at least 2 years 6 months who have lived in the same placement
for at least 2 years; health outcomes (OC2) are for children looked after continuously for 12 months
at 31 March of the latest collection year ending on or before the period's end. Health outcomes are
health data (special category): only for roles allowed special-category aggregates. Every figure is a
protected count (``tally()``: periods or incidents; ``children()``: distinct children) published by
its cell key; rates come from published counts only.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from data_access import cellkey, protection
from data_access.aggregates import periods
from data_access.aggregates._facts_903 import PLACEMENT_GROUPS
from data_access.aggregates.context import (
    Context,
    Grouped,
    as_month,
    by_code,
    children,
    ignored_note,
    labels_for,
    month_start,
    one_row,
    protected,
    roll_up,
    tally,
)
from data_access.aggregates.kpi import Kpi
from data_access.aggregates.national import ENGLAND
from data_access.aggregates.scope import months_before, open_on, population_on, years_before
from data_access.aggregates.visual import Visual, columns, series, unavailable
from data_access.protection import Count
from model import codes, schema_903

P, E, M, OC2 = schema_903.cla_periods, schema_903.cla_episodes, schema_903.cla_missing, schema_903.cla_oc2
HEALTH = "Health and dental checks are health data (special category), not available to your role."
TITLES = {"cla_time": "Started and ceased to be looked after",
          "legal_status": "Looked after at the end, by legal status",
          "placement_type": "Looked after at the end, by placement type",
          "placements_year": "Looked after at the end, by placements in the last 12 months",
          "missing_time": "Missing and away-from-placement incidents", "health_checks": "Health and dental checks"}
PLACEMENT_COUNTS = {"1": "One placement", "2": "Two placements", "3+": "Three or more"}
MAIN_LEGAL_STATUS = ("C1", "C2", "E1", "V2", "L1", "L2", "J1", "J2")  # always shown; others when present
CHECKS = {"health_assessment": "Annual health assessment", "teeth_check": "Dental check",
          "immunisations": "Immunisations up to date", "health_check": "Development check (under 5)"}


def percent_card(key: str, label: str, num: int | str, den: int | str, definition: str) -> Kpi:
    """A percentage card from PUBLISHED counts, compared with England where a figure is known."""
    value = protection.rate(num, den)
    england = ENGLAND.get(key)
    return Kpi(key, label, value, "percent", definition, num, den, england=england[0] if england else None,
               england_note=england[1] if england else None, local_comparable=value if england else None)


def per_child(numerator: int | str, denominator: int | str) -> float | str:
    """Events per child from PUBLISHED counts (not a share: it may exceed 1), under ``rate``'s rules for
    a suppressed or too small denominator."""
    if isinstance(numerator, str) or isinstance(denominator, str):
        return protection.rate(numerator, denominator)
    if denominator < cellkey.MIN_DENOMINATOR:
        return protection.rate(0, denominator)  # "c" (or "z" for none)
    return round(numerator / denominator, 1)


def collection_year(day: dt.date) -> int:
    """The latest collection year (named by its 31 March) ending on or before ``day``."""
    return day.year if (day.month, day.day) >= (3, 31) else day.year - 1


def _placements_in_year(day: dt.date) -> dict[str, sa.ColumnElement[bool]]:
    """Periods (rows of cla_periods) by their placements in the 12 months to ``day`` ("1", "2", "3+"): the
    placement held 12 months before (a period started by then) plus each placement starting after it.
    Semi-joins on the periods' counts of new placements (uncorrelated: one hash join each)."""
    year_ago = years_before(day, 1)
    n = sa.func.count()
    moved = sa.select(E.c.cla_period_id).where(E.c.is_new_placement, E.c.start_date > year_ago,
                                               E.c.start_date <= day).group_by(E.c.cla_period_id)

    def having(cond: sa.ColumnElement[bool]) -> sa.ColumnElement[bool]:
        return P.c.cla_period_id.in_(moved.having(cond))

    held = P.c.start_date <= year_ago
    three = sa.or_(having(n >= 3), sa.and_(held, having(n >= 2)))
    two = sa.or_(sa.and_(held, having(n == 1)), sa.and_(sa.not_(held), having(n == 2)))
    return {"3+": three, "2": two}


def queries(ctx: Context) -> dict[str, Grouped]:
    """Every count the page needs, each scoped for the chart it feeds."""
    p = ctx.period_for(None)

    def where(fact: str, visual: str | None = None) -> list[sa.ColumnElement[bool]]:
        return list(ctx.scoped(fact, visual).conds)

    day = p.end
    looked_after = open_on(P.c.start_date, P.c.end_date, day)
    during = sa.and_(P.c.start_date <= day, sa.or_(P.c.end_date.is_(None), P.c.end_date > p.start))
    three = _placements_in_year(day)["3+"]
    lt_due = looked_after & (P.c.child_birth_date > years_before(day, 16)) & (P.c.start_date <= months_before(day, 30))
    same_2y = P.c.cla_period_id.in_(sa.select(E.c.cla_period_id).where(
        open_on(E.c.start_date, E.c.end_date, day), E.c.placement_start_date <= years_before(day, 2)))
    trend = periods.drill_period(ctx.filters, ctx.period_for("cla_time"))
    m_trend = periods.drill_period(ctx.filters, ctx.period_for("missing_time"))
    ls_day, pl_day, st_day = (ctx.period_for(k).end for k in ("legal_status", "placement_type", "placements_year"))
    bands = _placements_in_year(st_day)
    band = sa.case((bands["3+"], "3+"), (bands["2"], "2"), else_="1")
    out = {
        "cla": Grouped([], [children(P.c.child_id, looked_after), tally(p.contains(P.c.start_date)),
                            tally(p.contains(P.c.end_date)), children(P.c.child_id, during)], P,
                       [during, *where("cla_periods")],
                       cards={"cla_rate": looked_after, "cla_starts": p.contains(P.c.start_date),
                              "cla_ceased": p.contains(P.c.end_date), "cla_3_placements": looked_after}),
        # Semi-joins in WHERE, not in an aggregate's FILTER (DuckDB plans them as one hash join each).
        "three": Grouped([], [children(P.c.child_id)], P, [looked_after, three, *where("cla_periods")]),
        "long_term": Grouped([], [children(P.c.child_id)], P, [lt_due, *where("cla_periods")],
                             cards={"cla_long_term": None}),
        "same_2y": Grouped([], [children(P.c.child_id)], P, [lt_due, same_2y, *where("cla_periods")]),
        "now": Grouped([], [children(E.c.child_id), children(E.c.child_id, E.c.over_20_miles)], E,
                       [open_on(E.c.start_date, E.c.end_date, day), *where("cla_episodes")],
                       cards={"cla_far": None}),
        "missing": Grouped([], [tally(), children(M.c.child_id)], M,
                           [p.contains(M.c.start_date), *where("cla_missing")],
                           cards={"cla_missing": None}),
        "cla_starts_time": Grouped([month_start(ctx.conn, P.c.start_date)], [tally()], P,
                                   [trend.contains(P.c.start_date), *where("cla_periods", "cla_time")],
                                   charts={"cla_time": 0}),
        "cla_ceased_time": Grouped([month_start(ctx.conn, P.c.end_date)], [tally()], P,
                                   [trend.contains(P.c.end_date), *where("cla_periods", "cla_time")]),
        "legal_status": Grouped([E.c.legal_status], [children(E.c.child_id)], E,
                                [open_on(E.c.start_date, E.c.end_date, ls_day), *where("cla_episodes", "legal_status")],
                                charts={"legal_status": 0}),
        "placement_type": Grouped([E.c.placement_group], [children(E.c.child_id)], E,
                                  [open_on(E.c.start_date, E.c.end_date, pl_day),
                                   *where("cla_episodes", "placement_type")], charts={"placement_type": 0}),
        "placements_year": Grouped([band], [children(P.c.child_id)], P,
                                   [open_on(P.c.start_date, P.c.end_date, st_day),
                                    *where("cla_periods", "placements_year")], charts={"placements_year": 0}),
        "missing_time": Grouped([month_start(ctx.conn, M.c.start_date), M.c.missing_type], [tally()], M,
                                [m_trend.contains(M.c.start_date), *where("cla_missing", "missing_time")],
                                charts={"missing_time": 0}),
    }
    if ctx.special:  # OC2 health items are health data
        y = OC2.c
        out["health"] = Grouped([], [m for f in CHECKS for m in (tally(y[f].is_not(None)), tally(y[f]))], OC2,
                                [y.year == collection_year(ctx.period_for("health_checks").end),
                                 *where("cla_oc2", "health_checks")],
                                cards={"cla_health_assessment": y.health_assessment.is_not(None),
                                       "cla_teeth_check": y.teeth_check.is_not(None)})
    return out


def page(ctx: Context) -> tuple[list[Kpi], list[Visual]]:
    if not ctx.may_see("cla_periods"):
        return [], [ctx.outside(k, t) for k, t in TITLES.items()]
    result = ctx.run(queries(ctx))
    return _cards(ctx, result), _charts(ctx, result)


def _cards(ctx: Context, result: dict[str, list[tuple]]) -> list[Kpi]:
    t = ctx.threshold
    now, starts, ceased, during = one_row(result, "cla", 4)
    (three,), (lt_due,), (lt_same,) = (one_row(result, k, 1) for k in ("three", "long_term", "same_2y"))
    on_day, far = one_row(result, "now", 2)
    incidents, missing = one_row(result, "missing", 2)
    population = population_on(ctx.conn, ctx.period_for(None).end)

    def count(n: Count) -> int | str:
        return protection.shown(n, threshold=t)

    def pct(key: str, label: str, num: Count, den: Count, definition: str) -> Kpi:
        return percent_card(key, label, count(num), count(den), definition)

    shown_now = count(now)
    rate = protection.population_rate(shown_now, population, per=10_000, decimals=1)
    cards = [
        Kpi("cla_rate", "Children looked after", shown_now, "count", "Children looked after on the last day of "
            "the period, and per 10,000 children aged under 18 (ONS mid-year estimate), as DfE publishes it at 31 "
            "March.", rate_per_10k=rate, england=ENGLAND["cla_rate"][0], england_note=ENGLAND["cla_rate"][1],
            local_comparable=rate),
        Kpi("cla_starts", "Started to be looked after", count(starts), "count",
            "Periods of care starting in the period (DfE: 33,050 in England in 2024-25, about 40% of those "
            "looked after at 31 March)."),
        Kpi("cla_ceased", "Ceased to be looked after", count(ceased), "count",
            "Periods of care ending in the period (DfE: 34,450 in England in 2024-25)."),
        pct("cla_3_placements", "Three or more placements in 12 months", three, now,
            "Children looked after on the last day with three or more placements in the 12 months to it (the "
            "placement held 12 months before, and each new one) ÷ children looked after (DfE stability measure)."),
        pct("cla_long_term", "Long-term placement stability", lt_same, lt_due,
            "Children under 16 looked after for at least 2½ years who have lived in the same placement for at "
            "least 2 years ÷ children under 16 looked after for at least 2½ years (DfE)."),
        pct("cla_far", "Placed more than 20 miles from home", far, on_day,
            "Children looked after on the last day placed more than 20 miles from their home address (PL_POST "
            "from HOME_POST) ÷ children looked after (DfE)."),
        pct("cla_missing", "Went missing", missing, during,
            "Children with a missing incident starting in the period ÷ children looked after at any time in it "
            "(DfE missing measure; away-from-placement incidents are shown in the chart)."),
        Kpi("cla_missing_incidents", "Missing incidents per child", per_child(count(incidents), count(missing)), "rate",
            "Missing and away-from-placement incidents starting in the period ÷ children with one (England: 6.8 "
            "missing incidents per child who went missing in 2024-25, DfE).",
            numerator=count(incidents), denominator=count(missing)),
    ]
    if ctx.special:
        health = one_row(result, "health", 2 * len(CHECKS))
        due = dict(zip(CHECKS, health[0::2], strict=True))
        done = dict(zip(CHECKS, health[1::2], strict=True))
        year = collection_year(ctx.period_for(None).end)
        scope = (f"Children looked after continuously for 12 months at 31 March {year} (OC2)")
        cards += [pct("cla_health_assessment", "Health assessments up to date", done["health_assessment"],
                      due["health_assessment"], f"{scope} whose annual health assessment was up to date ÷ those "
                                                "children (DfE)."),
                  pct("cla_teeth_check", "Dental checks", done["teeth_check"], due["teeth_check"],
                      f"{scope} whose teeth were checked by a dentist in the year ÷ those children (DfE)."),
                  pct("cla_development", "Development checks (under 5)", done["health_check"], due["health_check"],
                      f"{scope} aged under 5 whose development assessments were up to date ÷ those children (DfE).")]
    return cards


def _charts(ctx: Context, result: dict[str, list[tuple]]) -> list[Visual]:
    t = ctx.threshold
    notes = ignored_note(ctx.scoped("cla_periods", None).ignored)
    trend = periods.drill_period(ctx.filters, ctx.period_for("cla_time"))
    monthly = {name: {as_month(m): protected(n) for m, n in result[f"cla_{name}_time"]}
               for name in ("starts", "ceased")}
    rows, counts = roll_up(monthly, trend, periods.time_level(ctx.filters), ctx.filters.year_type)
    m_trend = periods.drill_period(ctx.filters, ctx.period_for("missing_time"))
    by_type: dict[str, dict[dt.date, Count]] = {"M": {}, "A": {}}
    for month, kind, n in result["missing_time"]:
        if kind in by_type:
            by_type[kind][as_month(month)] = by_type[kind].get(as_month(month), protection.ZERO) + protected(n)
    m_rows, m_counts = roll_up(by_type, m_trend, periods.time_level(ctx.filters), ctx.filters.year_type)
    statuses, groups = by_code(result, "legal_status"), by_code(result, "placement_type")
    charts = [
        columns("cla_time", TITLES["cla_time"], rows, counts, {"starts": "Started", "ceased": "Ceased"}, threshold=t,
                **ctx.time_options("cla_time", ctx.scoped("cla_periods", "cla_time"))),
        series("legal_status", TITLES["legal_status"], statuses,
               labels_for({c: codes.LEGAL_STATUS[c] for c in codes.LEGAL_STATUS
                           if c in MAIN_LEGAL_STATUS or c in statuses}, list(statuses)),
               threshold=t, value="children", value_label="Children", dim="legal_status", kind="hbar",
               selected=ctx.selected("legal_status"), notes=notes,
               definition="Children looked after on the last day, by the legal status of their episode then "
                          "(DfE: care orders 76%, section 20 19% in 2023)."),
        series("placement_type", TITLES["placement_type"], groups, labels_for(PLACEMENT_GROUPS, list(groups)),
               threshold=t, value="children", value_label="Children", dim="placement_group", kind="hbar",
               selected=ctx.selected("placement_type"), notes=notes,
               definition="Children looked after on the last day, by placement type (DfE: 68% in foster care, 17% "
                          "in secure units, children's homes or semi-independent living in 2023)."),
        series("placements_year", TITLES["placements_year"], by_code(result, "placements_year"), PLACEMENT_COUNTS,
               threshold=t, value="children", value_label="Children", notes=notes,
               definition="Children looked after on the last day by their placements in the 12 months to it."),
        columns("missing_time", TITLES["missing_time"], m_rows, m_counts,
                {"M": "Missing", "A": "Away without authorisation"}, threshold=t,
                **ctx.time_options("missing_time", ctx.scoped("cla_missing", "missing_time"))),
        _health(ctx, result, notes),
    ]
    return charts


def _health(ctx: Context, result: dict[str, list[tuple]], notes: tuple[str, ...]) -> Visual:
    if not ctx.special:
        return unavailable("health_checks", TITLES["health_checks"], HEALTH)
    health = one_row(result, "health", 2 * len(CHECKS))
    rows = list(CHECKS.items())
    counts = {"done": dict(zip(CHECKS, health[1::2], strict=True)), "due": dict(zip(CHECKS, health[0::2], strict=True))}
    return columns("health_checks", TITLES["health_checks"], rows, counts,
                   {"done": "Up to date", "due": "Children"}, threshold=ctx.threshold, show_total=False, notes=notes,
                   definition="Children looked after continuously for 12 months at 31 March of the latest "
                              "collection year in the period (OC2): checks up to date, and the children each "
                              "applies to (development checks: under-5s only).")
