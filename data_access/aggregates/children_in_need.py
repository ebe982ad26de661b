"""Children in need: referrals, assessments, section 47 enquiries and ICPCs, CIN and CP plans, closures.

Definitions follow the CIN census and DfE's published measures (data-standards.md §6.2): re-referral
within 12 months of a previous referral; assessments authorised within 45 working days of their
start; ICPCs within 15 working days of the section 47 start; CP plans by initial category of abuse,
second or subsequent plans, and duration of plans open at the period's end. Everything is counted
in SQL, scoped by ``_facts.conditions``, in one statement per page (``run_batch``), as protected
counts (``protection.Count``) that are published by their cell keys before they are returned.
"""

from __future__ import annotations

from dataclasses import replace

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
from data_access.aggregates.visual import Visual, columns, series, unavailable
from data_access.protection import Count
from model import codes, schema

E, A, S47, CINP, CP = (schema.cin_episodes, schema.assessments, schema.section47, schema.cin_plans,
                       schema.cp_plans)
F = schema.assessment_factors
WD_BANDS = {"0-10": "0 to 10", "11-20": "11 to 20", "21-30": "21 to 30", "31-45": "31 to 45",
            "46-60": "46 to 60", "61+": "61 or more"}
CP_DURATION = {"3m": "Under 3 months", "6m": "3 to 6 months", "12m": "6 to 12 months", "2y": "1 to 2 years",
               "2y+": "2 years or more"}
S47_OUTCOMES = {"in15": "ICPC within 15 working days", "over15": "ICPC after 15 working days",
                "not_required": "ICPC not required", "awaiting": "No ICPC yet"}
FACTOR_WHO = {"A": " (child)", "B": " (parent or carer)", "C": " (another person)"}
SPECIAL = "Factors at assessment are special category data, not available to your role."
TITLES = {"referrals_time": "Referrals, re-referrals and no further action", "by_source": "Referrals by source",
          "assessment_timeliness": "Assessments by working days from start to authorisation",
          "factors": "Factors identified at assessment", "s47_outcomes": "Section 47 enquiries started, by ICPC",
          "cp_category": "CP plans starting, by initial category of abuse",
          "cp_subsequent": "CP plans starting: first or second and subsequent",
          "cp_duration": "CP plans open at the end of the period, by duration",
          "closures": "Episodes closed, by reason"}



def queries(ctx: Context) -> dict[str, Grouped]:
    """Every count the page needs, each scoped for the chart it feeds (a chart that is the source of
    the selection is not filtered by it)."""
    p = ctx.period_for(None)

    def where(fact: str, visual: str | None = None) -> list[sa.ColumnElement[bool]]:
        return list(ctx.scoped(fact, visual).conds)

    sel = ctx.filters.selection
    cp_source = "cp_category" if sel is not None and sel.visual == "cp_category" else None
    trend = periods.drill_period(ctx.filters, ctx.period_for("referrals_time"))
    month = month_start(ctx.conn, E.c.referral_date)
    wd = A.c.working_days
    band = sa.case((wd <= 10, "0-10"), (wd <= 20, "11-20"), (wd <= 30, "21-30"), (wd <= 45, "31-45"),
                   (wd <= 60, "46-60"), else_="61+")
    icpc = sa.case((S47.c.icpc_working_days <= 15, "in15"), (S47.c.icpc_date.is_not(None), "over15"),
                   (S47.c.icpc_not_required, "not_required"), else_="awaiting")
    day = ctx.period_for("cp_duration").end
    start = CP.c.start_date
    duration = sa.case((start > months_before(day, 3), "3m"), (start > months_before(day, 6), "6m"),
                       (start > months_before(day, 12), "12m"), (start > months_before(day, 24), "2y"), else_="2y+")
    referred = p.contains(E.c.referral_date)
    authorised = p.contains(A.c.authorisation_date)
    queries = {
        "episodes": Grouped([], [tally(referred), tally(referred & E.c.is_rereferral),
                                 tally(referred & E.c.referral_nfa)], E, [referred, *where("episodes")],
                            cards=dict.fromkeys(("referrals", "rereferral_rate", "nfa_rate"))),
        "assessments": Grouped([], [tally(), tally(A.c.within_45_days)], A, [authorised, *where("assessments")],
                               cards={"assessments_45": None}),
        "s47": Grouped([], [tally(p.contains(S47.c.start_date)), tally(p.contains(S47.c.icpc_date)),
                            tally(p.contains(S47.c.icpc_date) & (S47.c.icpc_working_days <= 15))], S47,
                       [sa.or_(p.contains(S47.c.start_date), p.contains(S47.c.icpc_date)), *where("s47")],
                       cards={"s47": p.contains(S47.c.start_date), "icpc_15": p.contains(S47.c.icpc_date)}),
        "cp": Grouped([], [tally(open_on(CP.c.start_date, CP.c.end_date, p.end)), tally(p.contains(CP.c.start_date)),
                           tally(p.contains(CP.c.start_date) & CP.c.is_subsequent)], CP,
                      [sa.or_(open_on(CP.c.start_date, CP.c.end_date, p.end), p.contains(CP.c.start_date)),
                       *where("cp_plans")],
                      cards={"cp_open": open_on(CP.c.start_date, CP.c.end_date, p.end),
                             "cp_subsequent": p.contains(CP.c.start_date)}),
        "cin_plans": Grouped([], [tally()], CINP,
                             [open_on(CINP.c.start_date, CINP.c.end_date, p.end), *where("cin_plans")],
                             cards={"cin_plans": None}),
        "referrals_time": Grouped([month], [tally(), tally(E.c.is_rereferral), tally(E.c.referral_nfa)], E,
                                  [trend.contains(E.c.referral_date), *where("episodes", "referrals_time")],
                                  charts={"referrals_time": 0}),
        "by_source": Grouped([sa.func.coalesce(E.c.referral_source, "")], [tally()], E, [
            ctx.period_for("by_source").contains(E.c.referral_date), *where("episodes", "by_source")],
                             charts={"by_source": 0}),
        "assessment_timeliness": Grouped([band], [tally()], A, [
            ctx.period_for("assessment_timeliness").contains(A.c.authorisation_date),
            *where("assessments", "assessment_timeliness")], charts={"assessment_timeliness": 0}),
        "s47_outcomes": Grouped([icpc], [tally()], S47, [
            ctx.period_for("s47_outcomes").contains(S47.c.start_date), *where("s47", "s47_outcomes")],
                               charts={"s47_outcomes": 0}),
        "cp_starts": Grouped([CP.c.initial_category, sa.case((CP.c.is_subsequent, "second"), else_="first")],
                             [tally()], CP, [ctx.period_for(cp_source).contains(CP.c.start_date),
                                                     *where("cp_plans", cp_source)],
                             charts={"cp_category": 0, "cp_subsequent": 1}),
        "cp_duration": Grouped([duration], [tally()], CP, [open_on(start, CP.c.end_date, day),
                                                                   *where("cp_plans", "cp_duration")],
                               charts={"cp_duration": 0}),
        "closures": Grouped([sa.func.coalesce(E.c.closure_reason, "")], [tally()], E,
                            [ctx.period_for("closures").contains(E.c.closure_date), *where("episodes", "closures")],
                            charts={"closures": 0}),
    }
    if ctx.special:
        done = sa.select(A.c.assessment_id).where(ctx.period_for("factors").contains(A.c.authorisation_date),
                                                  *where("assessments", "factors"))
        queries["factors"] = Grouped([F.c.factor], [tally()], F, [F.c.assessment_id.in_(done)])
    return queries


def page(ctx: Context) -> tuple[list[Kpi], list[Visual]]:
    if not ctx.may_see("episodes"):
        return [], [ctx.outside(k, t) for k, t in TITLES.items()]
    result = ctx.run(queries(ctx))
    return _cards(ctx, result), _charts(ctx, result)




def _cards(ctx: Context, result: dict[str, list[tuple]]) -> list[Kpi]:
    t = ctx.threshold
    refs, rerefs, nfa = one_row(result, "episodes", 3)
    done, in45 = one_row(result, "assessments", 2)
    s47s, icpcs, in15 = one_row(result, "s47", 3)
    cp_open, cp_starts, cp_second = one_row(result, "cp", 3)
    (cin_open,) = one_row(result, "cin_plans", 1)

    def count(n: Count) -> int | str:
        return protection.shown(n, threshold=t)

    def pct(key: str, label: str, num: Count, den: Count, definition: str) -> Kpi:
        shown_num, shown_den = count(num), count(den)  # the rate from the PUBLISHED counts only
        return Kpi(key, label, protection.rate(shown_num, shown_den), "percent", definition, shown_num, shown_den,
                   note=ENGLAND.get(key, (None, ""))[1] or None)

    return [
        Kpi("referrals", "Referrals", count(refs), "count", "CIN episodes whose referral date is in the period."),
        pct("rereferral_rate", "Re-referrals within 12 months", rerefs, refs,
            "Referrals within 12 months of the same child's previous referral ÷ referrals (DfE C1)."),
        pct("nfa_rate", "Referrals with no further action", nfa, refs,
            "Referrals recorded as no further action ÷ referrals (DfE C1)."),
        pct("assessments_45", "Assessments within 45 working days", in45, done,
            "Assessments authorised in the period within 45 working days of their start ÷ assessments "
            "authorised in the period (DfE C2)."),
        Kpi("s47", "Section 47 enquiries", count(s47s), "count", "Section 47 enquiries started in the period."),
        pct("icpc_15", "ICPCs within 15 working days", in15, icpcs,
            "Initial child protection conferences in the period held within 15 working days of the section "
            "47 enquiry's start ÷ ICPCs in the period (DfE C4)."),
        Kpi("cin_plans", "CIN plans open", count(cin_open), "count",
            "Child in need plans open on the last day of the period."),
        Kpi("cp_open", "CP plans open", count(cp_open), "count",
            "Child protection plans open on the last day of the period (DfE D5)."),
        pct("cp_subsequent", "CP plans: second or subsequent", cp_second, cp_starts,
            "Plans starting in the period for a child who had an earlier CP plan ÷ plans starting (DfE D3)."),
    ]




def _charts(ctx: Context, result: dict[str, list[tuple]]) -> list[Visual]:
    t = ctx.threshold
    notes = ignored_note(ctx.scoped("episodes", None).ignored)
    trend = periods.drill_period(ctx.filters, ctx.period_for("referrals_time"))
    monthly = {m: {as_month(row[0]): protected(row[i]) for row in result["referrals_time"]}
               for i, m in enumerate(("referrals", "rereferrals", "nfa"), start=1)}
    rows, counts = roll_up(monthly, trend, periods.time_level(ctx.filters), ctx.filters.year_type)
    sources = by_code(result, "by_source")
    closures = by_code(result, "closures")
    sel = ctx.filters.selection
    from_category = sel is not None and sel.visual == "cp_category"
    by_cat: dict[str, Count] = {}
    by_order: dict[str, Count] = {}
    for category, order, n in result["cp_starts"]:
        if category is not None:  # as a groupby would: a plan with no category is in no bar
            by_cat[category] = by_cat.get(category, protection.ZERO) + protected(n)
        if not from_category or category == sel.value:  # type: ignore[union-attr]  # from_category: sel is set
            by_order[order] = by_order.get(order, protection.ZERO) + protected(n)
    charts = [
        columns("referrals_time", TITLES["referrals_time"], rows, counts,
                {"referrals": "Referrals", "rereferrals": "Re-referrals within 12 months", "nfa": "No further action"},
                threshold=t, **ctx.time_options("referrals_time", ctx.scoped("episodes", "referrals_time"))),
        series("by_source", TITLES["by_source"], sources, labels_for(codes.REFERRAL_SOURCE, list(sources)),
               threshold=t, value="referrals", value_label="Referrals", dim="referral_source", kind="hbar",
               selected=ctx.selected("by_source"), notes=notes),
        series("assessment_timeliness", TITLES["assessment_timeliness"], by_code(result, "assessment_timeliness"),
               WD_BANDS, threshold=t, value="assessments", value_label="Assessments", notes=notes,
               definition="Assessments authorised in the period, by working days (England bank holidays "
                          "excluded) from start to authorisation; 45 is the statutory limit."),
        _factors(ctx, result, notes),
        series("s47_outcomes", TITLES["s47_outcomes"], by_code(result, "s47_outcomes"), S47_OUTCOMES, threshold=t,
               value="enquiries", value_label="Enquiries", kind="hbar", notes=notes),
        series("cp_category", TITLES["cp_category"], by_cat, labels_for(codes.CATEGORY_OF_ABUSE, list(by_cat)),
               threshold=t, value="plans", value_label="Plans", dim="category", selected=ctx.selected("cp_category"),
               notes=notes),
        series("cp_subsequent", TITLES["cp_subsequent"], by_order,
               {"first": "First plan", "second": "Second or subsequent"}, threshold=t, value="plans",
               value_label="Plans", notes=notes),
        series("cp_duration", TITLES["cp_duration"], by_code(result, "cp_duration"), CP_DURATION, threshold=t,
               value="plans", value_label="Plans", notes=notes),
        series("closures", TITLES["closures"], closures, labels_for(codes.REASON_FOR_CLOSURE, list(closures)),
               threshold=t, value="episodes", value_label="Episodes", dim="closure_reason", kind="hbar",
               selected=ctx.selected("closures"), notes=notes),
    ]
    return charts


def _factors(ctx: Context, result: dict[str, list[tuple]], notes: tuple[str, ...]) -> Visual:
    if not ctx.special:
        return unavailable("factors", TITLES["factors"], SPECIAL)
    counts = by_code(result, "factors")
    labels = {c: codes.ASSESSMENT_FACTOR.get(c, c) + FACTOR_WHO.get(c[-1:], "") for c in
              [*codes.ASSESSMENT_FACTOR, *sorted(set(counts) - set(codes.ASSESSMENT_FACTOR))] if c in counts}
    visual = series("factors", TITLES["factors"], counts, labels, threshold=ctx.threshold, value="assessments",
                    value_label="Assessments", kind="hbar", show_total=False, notes=notes,
                    definition="Assessments authorised in the period with each factor recorded; an assessment "
                               "can have several.")
    # Most frequent first, ordered by the SHOWN values only (c last, in code order), and factors shown
    # as 0 left out like those never recorded: neither the rows nor their order may reveal anything
    # about the true counts (a 1 can be published as 0).
    shown = visual.cols["assessments"]
    order = sorted((i for i in range(len(shown)) if shown[i] != 0),
                   key=lambda i: (shown[i] == protection.SUPPRESSED,
                                  -(shown[i] if shown[i] != protection.SUPPRESSED else 0), i))
    return replace(visual, frame={c: [v[i] for i in order] for c, v in visual.cols.items()})
