"""SEND: EHC needs assessment requests, decisions, assessments, plans, primary need, placements, reviews.

Definitions follow SEN2 (data-standards.md §2.4, §6.3): a decision whether to assess is due within
6 weeks of the request; a plan is due within 20 weeks of the request, reported including and
excluding cases where an exception applies (reg 10(4)); plans must be reviewed at least every 12
months. "Active" plans are issued on or before the period's last day and not ceased by it.
"""

from __future__ import annotations

import sqlalchemy as sa

from data_access import protection
from data_access.aggregates import periods
from data_access.aggregates.context import (
    Context,
    Grouped,
    as_month,
    by_code,
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
from data_access.aggregates.scope import months_before, open_on
from data_access.aggregates.visual import Visual, columns, cross, series, table, unavailable
from data_access.protection import Count
from model import codes, schema

REQ, EHA, EHP, PL = schema.ehc_requests, schema.ehc_assessments, schema.ehc_plans, schema.sen_placements
REVIEW = {"reviewed": "Reviewed in the last 12 months", "overdue": "Review overdue",
          "not_due": "First review not yet due"}
TIMELINESS_ROWS = {"within": "Within 20 weeks", "over": "Over 20 weeks"}
TIMELINESS_COLS = {"no_exception": "No exception applies", "exception": "Exception applies"}
TITLES = {"requests_time": "EHC requests received and plans issued",
          "request_outcomes": "Requests received, by decision",
          "timeliness_20w": "Plans issued within 20 weeks, with and without exceptions",
          "primary_need": "Active plans by primary need", "placements": "Placements of active plans, by setting",
          "reviews": "Active plans by annual review"}
SPECIAL = "Primary need is health data (special category), not available to your role."



def queries(ctx: Context) -> dict[str, Grouped]:
    """Every count the page needs, each scoped for the chart it feeds."""
    p = ctx.period_for(None)

    def where(fact: str, visual: str | None = None) -> list[sa.ColumnElement[bool]]:
        return list(ctx.scoped(fact, visual).conds)

    decided = p.contains(REQ.c.outcome_date) & REQ.c.outcome.in_(("A", "N"))
    issued = p.contains(EHA.c.outcome_date) & (EHA.c.outcome == "Y")
    no_exc = issued & sa.not_(EHA.c.exceptions_apply)
    trend = periods.drill_period(ctx.filters, ctx.period_for("requests_time"))
    row = sa.case((EHA.c.within_20_weeks, "within"), else_="over")
    col = sa.case((EHA.c.exceptions_apply, "exception"), else_="no_exception")
    need_day, place_day, review_day = (ctx.period_for(k).end for k in ("primary_need", "placements", "reviews"))
    year_ago = months_before(review_day, 12)
    status = sa.case((EHP.c.start_date > year_ago, "not_due"), (EHP.c.last_review_date > year_ago, "reviewed"),
                     else_="overdue")
    active_then = sa.select(EHP.c.plan_id).where(open_on(EHP.c.start_date, EHP.c.ceased_date, place_day))
    out = {
        "requests": Grouped([], [tally(p.contains(REQ.c.received_date)), tally(decided),
                                 tally(decided & REQ.c.decided_within_6_weeks)], REQ,
                            [sa.or_(p.contains(REQ.c.received_date), decided), *where("requests")],
                            cards={"requests": p.contains(REQ.c.received_date), "ehc_6_weeks": decided}),
        "issued": Grouped([], [tally(), tally(EHA.c.within_20_weeks), tally(no_exc),
                               tally(no_exc & EHA.c.within_20_weeks)], EHA, [issued, *where("ehc_assessments")],
                          cards={"issued": None, "ehc_20_weeks_all": None, "ehc_20_weeks": no_exc}),
        "active": Grouped([], [tally()], EHP,
                          [open_on(EHP.c.start_date, EHP.c.ceased_date, p.end), *where("plans")],
                          cards={"ehc_active": None}),
        "received_monthly": Grouped([month_start(ctx.conn, REQ.c.received_date)], [tally()], REQ,
                                    [trend.contains(REQ.c.received_date), *where("requests", "requests_time")],
                                    charts={"requests_time": 0}),
        "issued_monthly": Grouped([month_start(ctx.conn, EHA.c.outcome_date)], [tally()], EHA,
                                  [trend.contains(EHA.c.outcome_date), EHA.c.outcome == "Y",
                                   *where("ehc_assessments", "requests_time")]),
        "request_outcomes": Grouped([REQ.c.outcome], [tally()], REQ, [
            ctx.period_for("request_outcomes").contains(REQ.c.received_date), *where("requests", "request_outcomes")],
            charts={"request_outcomes": 0}),
        "timeliness_20w": Grouped([row, col], [tally()], EHA, [
            ctx.period_for("timeliness_20w").contains(EHA.c.outcome_date), EHA.c.outcome == "Y",
            *where("ehc_assessments", "timeliness_20w")], charts={"timeliness_20w": 0}),
        "primary_need": Grouped([EHP.c.primary_need], [tally()], EHP, [
            open_on(EHP.c.start_date, EHP.c.ceased_date, need_day), *where("plans", "primary_need")],
            charts={"primary_need": 0}),
        "placements": Grouped([PL.c.setting], [tally()], PL, [
            open_on(PL.c.start_date, PL.c.end_date, place_day), PL.c.plan_id.in_(active_then),
            *where("placements", "placements")], charts={"placements": 0}),
        "reviews": Grouped([status], [tally()], EHP, [
            open_on(EHP.c.start_date, EHP.c.ceased_date, review_day), *where("plans", "reviews")],
            charts={"reviews": 0}),
    }
    if not ctx.special:  # a SEN primary need is health data: read only for roles allowed special category
        del out["primary_need"]
    return out


def page(ctx: Context) -> tuple[list[Kpi], list[Visual]]:
    if not ctx.may_see("requests"):
        return [], [ctx.outside(k, t) for k, t in TITLES.items()]
    result = ctx.run(queries(ctx))
    return _cards(ctx, result), _charts(ctx, result)






def _cards(ctx: Context, result: dict[str, list[tuple]]) -> list[Kpi]:
    t = ctx.threshold
    received, decided, in6 = one_row(result, "requests", 3)
    issued, in20, issued_no_exc, in20_no_exc = one_row(result, "issued", 4)
    (n_active,) = one_row(result, "active", 1)

    def count(n: Count) -> int | str:
        return protection.shown(n, threshold=t)

    def pct(key: str, label: str, num: Count, den: Count, definition: str) -> Kpi:
        shown_num, shown_den = count(num), count(den)  # the rate from the PUBLISHED counts only
        return Kpi(key, label, protection.rate(shown_num, shown_den), "percent", definition, shown_num, shown_den,
                   note=ENGLAND.get(key, (None, ""))[1] or None)

    return [
        Kpi("requests", "EHC needs assessment requests", count(received), "count",
            "Requests for an EHC needs assessment received in the period (SEN2)."),
        pct("ehc_6_weeks", "Decisions within 6 weeks", in6, decided,
            "Requests decided (agreed or not agreed to assess) in the period within 6 weeks of receipt ÷ "
            "requests decided in the period."),
        Kpi("issued", "EHC plans issued", count(issued), "count", "New EHC plans issued in the period."),
        pct("ehc_20_weeks_all", "Plans within 20 weeks (all)", in20, issued,
            "Plans issued in the period within 20 weeks of the request ÷ plans issued, including cases where "
            "an exception applies (SEN2)."),
        pct("ehc_20_weeks", "Plans within 20 weeks (no exceptions)", in20_no_exc, issued_no_exc,
            "As above, excluding plans where an exception to the 20-week limit applies (SEN2)."),
        Kpi("ehc_active", "Active EHC plans", count(n_active), "count",
            "EHC plans issued on or before the last day of the period and not ceased by it."),
    ]


def _charts(ctx: Context, result: dict[str, list[tuple]]) -> list[Visual]:
    t = ctx.threshold
    notes = ignored_note(ctx.scoped("requests", None).ignored)
    trend = periods.drill_period(ctx.filters, ctx.period_for("requests_time"))
    monthly = {name: {as_month(m): protected(n) for m, n in result[f"{source}_monthly"]}
               for name, source in (("requests", "received"), ("issued", "issued"))}
    rows, counts = roll_up(monthly, trend, periods.time_level(ctx.filters), ctx.filters.year_type)
    outcomes, settings = (by_code(result, k) for k in ("request_outcomes", "placements"))
    grid = cross(result["timeliness_20w"], TIMELINESS_ROWS, TIMELINESS_COLS)
    return [
        columns("requests_time", TITLES["requests_time"], rows, counts,
                {"requests": "Requests received", "issued": "Plans issued"}, threshold=t,
                **ctx.time_options("requests_time", ctx.scoped("requests", "requests_time"))),
        series("request_outcomes", TITLES["request_outcomes"], outcomes,
               labels_for(codes.EHC_REQUEST_OUTCOME, list(outcomes)), threshold=t, value="requests",
               value_label="Requests", dim="request_outcome", selected=ctx.selected("request_outcomes"), notes=notes),
        table("timeliness_20w", TITLES["timeliness_20w"], grid, TIMELINESS_ROWS, TIMELINESS_COLS, threshold=t,
              notes=notes, definition="Plans issued in the period by weeks from request to issue; SEN2 reports the "
                                      "share within 20 weeks both including and excluding exception cases."),
        _primary_need(ctx, result, notes),
        series("placements", TITLES["placements"], settings, labels_for(codes.SEN_SETTING, list(settings)),
               threshold=t, value="placements", value_label="Placements", dim="setting", kind="hbar",
               selected=ctx.selected("placements"), notes=notes),
        series("reviews", TITLES["reviews"], by_code(result, "reviews"), REVIEW, threshold=t, value="plans",
               value_label="Plans", notes=notes,
               definition="Active plans at the period's end: reviewed within the last 12 months, overdue, "
                          "or issued less than 12 months ago (first review not yet due)."),
    ]


def _primary_need(ctx: Context, result: dict[str, list[tuple]], notes: tuple[str, ...]) -> Visual:
    if not ctx.special:
        return unavailable("primary_need", TITLES["primary_need"], SPECIAL)
    needs = by_code(result, "primary_need")
    return series("primary_need", TITLES["primary_need"], needs, labels_for(codes.SEN_NEED, list(needs)),
                  threshold=ctx.threshold, value="plans", value_label="Plans", dim="need", kind="hbar",
                  selected=ctx.selected("primary_need"), notes=notes)
