"""Trends: any one measure over months, quarters or years (calendar, census or financial), drillable.

Each measure is a count of a fact's rows by the month of one of its dates (or a percentage of two
such counts), rolled up to the chart's buckets. Counts are protected by cell key, each on its own;
percentages are ``c`` wherever their numerator or denominator is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from data_access import policy, protection
from data_access.aggregates import context, periods
from data_access.aggregates._facts import FACT_SERVICE, FACT_TABLE
from data_access.aggregates.context import Context, Grouped, as_month, month_start, roll_up, tally
from data_access.aggregates.visual import Visual, columns
from data_access.filters import InvalidFilter
from data_access.protection import Shown
from model import schema

E, A, S47, CINP, CP = (schema.cin_episodes, schema.assessments, schema.section47, schema.cin_plans,
                       schema.cp_plans)
REQ, EHA, INV = schema.ehc_requests, schema.ehc_assessments, schema.involvements


@dataclass(frozen=True)
class Measure:
    label: str
    fact: str
    date: sa.ColumnElement
    where: Callable[[], list[sa.ColumnElement[bool]]] = list
    numerator: Callable[[], sa.ColumnElement[bool]] | None = None  # a percentage of the counted rows

    @property
    def service(self) -> str:
        return FACT_SERVICE.get(self.fact, "")


MEASURES: dict[str, Measure] = {
    "referrals": Measure("Referrals", "episodes", E.c.referral_date),
    "rereferral_rate": Measure("Re-referrals within 12 months (%)", "episodes", E.c.referral_date,
                               numerator=lambda: E.c.is_rereferral),
    "assessments": Measure("Assessments completed", "assessments", A.c.authorisation_date),
    "assessments_45": Measure("Assessments within 45 working days (%)", "assessments", A.c.authorisation_date,
                              numerator=lambda: A.c.within_45_days),
    "s47": Measure("Section 47 enquiries started", "s47", S47.c.start_date),
    "icpc": Measure("Initial child protection conferences", "s47", S47.c.icpc_date),
    "icpc_15": Measure("ICPCs within 15 working days (%)", "s47", S47.c.icpc_date,
                       numerator=lambda: S47.c.icpc_working_days <= 15),
    "cin_plans": Measure("CIN plans started", "cin_plans", CINP.c.start_date),
    "cp_starts": Measure("CP plans started", "cp_plans", CP.c.start_date),
    "cp_subsequent": Measure("CP plans: second or subsequent (%)", "cp_plans", CP.c.start_date,
                             numerator=lambda: CP.c.is_subsequent),
    "closures": Measure("Episodes closed", "episodes", E.c.closure_date),
    "involvements_started": Measure("Interventions started", "involvements", INV.c.start_date),
    "involvements_ended": Measure("Interventions ended", "involvements", INV.c.end_date),
    "ehc_requests": Measure("EHC needs assessment requests", "requests", REQ.c.received_date),
    "ehc_issued": Measure("EHC plans issued", "ehc_assessments", EHA.c.outcome_date,
                          where=lambda: [EHA.c.outcome == "Y"]),
    "ehc_20_weeks_all": Measure("EHC plans issued within 20 weeks (%)", "ehc_assessments", EHA.c.outcome_date,
                                where=lambda: [EHA.c.outcome == "Y"], numerator=lambda: EHA.c.within_20_weeks),
}


def default_measure(services: tuple[str, ...] | None) -> str:
    for key, measure in MEASURES.items():
        if services is None or measure.service == "" or measure.service in services:
            return key
    return "involvements_started"


def chosen(ctx: Context) -> tuple[str, Measure]:
    """The measure asked for; InvalidFilter if unknown, AccessDenied if outside the user's services."""
    key = ctx.filters.measure or default_measure(ctx.services)
    if key not in MEASURES:
        raise InvalidFilter(f"Filter 'measure' has an unknown value {key!r}.")
    measure = MEASURES[key]
    if measure.service and not ctx.may_see(measure.fact):
        raise policy.AccessDenied("That measure is outside the services you manage.")
    return key, measure


def queries(ctx: Context) -> dict[str, Grouped]:
    """The chosen measure per month (and its numerator), as the chart counts it and drills through."""
    _key, measure = chosen(ctx)
    period = periods.drill_period(ctx.filters, ctx.period_for("trend"))
    sums: list[context.Measure] = [tally()]
    if measure.numerator is not None:
        sums.append(tally(measure.numerator()))
    where = [period.contains(measure.date), *measure.where(), *ctx.scoped(measure.fact, "trend").conds]
    return {"trend": Grouped([month_start(ctx.conn, measure.date)], sums, FACT_TABLE[measure.fact], where,
                             charts={"trend": 0})}


def visuals(ctx: Context) -> list[Visual]:
    key, measure = chosen(ctx)
    visual = "trend"
    period = periods.drill_period(ctx.filters, ctx.period_for(visual))
    rows_by_month = ctx.run(queries(ctx))["trend"]
    names = ["count", "numerator"][:1 + (measure.numerator is not None)]
    monthly = {n: {as_month(row[0]): row[i] for row in rows_by_month} for i, n in enumerate(names, start=1)}
    scoped = ctx.scoped(measure.fact, visual)
    level = periods.time_level(ctx.filters)
    rows, counts = roll_up(monthly, period, level, ctx.filters.year_type)
    options = ctx.time_options(visual, scoped)
    options["extra"] = {**options["extra"], "measure": key}
    if measure.numerator is None:
        return [columns(visual, measure.label, rows, counts, {"count": measure.label}, threshold=ctx.threshold,
                        **options)]
    base = columns(visual, measure.label, rows, counts, {"numerator": "Meeting the standard", "count": "All"},
                   threshold=ctx.threshold, **options)
    frame = dict(base.cols)
    frame["rate"] = [protection.rate(n, d) for n, d in zip(frame["numerator"], frame["count"], strict=True)]
    totals: dict[str, Shown | float] = dict(base.totals or {})
    totals["rate"] = protection.rate(totals.get("numerator", 0), totals.get("count", 0))  # published values
    from dataclasses import replace

    return [replace(base, frame=frame, values={"rate": measure.label, "numerator": "Meeting the standard",
                                               "count": "All"}, totals=totals, unit="percent")]
