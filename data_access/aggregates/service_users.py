"""Service users: children open to each service and team, new and ended involvements, and who they are.

Counts come from ``involvements`` (one row per child per service involvement). "Open" means open on
the last day of the period (or of the selected month, quarter or year). Ethnicity and disability
breakdowns are special category aggregates, built only when the policy allows them.

Every count is protected (``data_access.protection``): counts of children are keyed by the children's
own record keys (``child_rkey``, or ``children.rkey``), counts of involvements by the involvements'
(``rkey``), so the same children or involvements publish the same value in every view.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from data_access import protection
from data_access.aggregates import periods
from data_access.aggregates._facts import Scoped, child_slicers
from data_access.aggregates.context import (
    Context,
    Grouped,
    as_month,
    children,
    ignored_note,
    labels_for,
    month_start,
    roll_up,
    service_labels,
    tally,
    team_labels,
)
from data_access.aggregates.kpi import Kpi
from data_access.aggregates.scope import Period, age_band_of, open_on, restrict_children
from data_access.aggregates.spells import spell_service
from data_access.aggregates.visual import Visual, columns, series, unavailable
from model import codes, schema

INV, CH, DIS, SP = schema.involvements, schema.children, schema.child_disabilities, schema.open_spells
SPECIAL = "Breakdowns by ethnicity or disability are not available to your role."
DEFINITIONS = {
    "open": ("Children open now", "Children with at least one involvement open on the last day of the period "
             "(started on or before it, not ended by it); a child open to two services counts once."),
    "started": ("Involvements started", "Involvements whose start date falls in the period."),
    "ended": ("Involvements ended", "Involvements whose end date falls in the period."),
}


def _open(day: dt.date) -> sa.ColumnElement[bool]:
    return open_on(INV.c.start_date, INV.c.end_date, day)


DEMOGRAPHIC = {"by_age": ("age_band", "Children open by age band", codes.AGE_BAND),
               "by_sex": ("sex", "Children open by sex", codes.SEX),
               "by_locality": ("locality", "Children open by locality", codes.LOCALITY)}


def _spell_service(ctx: Context, visual: str | None) -> str | None:
    """The ``open_spells`` service value for chart ``visual`` (``spells.spell_service``), or None."""
    return spell_service(ctx.filters, visual, ctx.services)


def _open_set(ctx: Context, visual: str | None, name: str) -> tuple[sa.CTE, sa.CTE, Scoped]:
    """The distinct (child, service) pairs open on the chart's day, and the distinct children in them."""
    scoped = ctx.scoped("involvements", visual)
    day = ctx.period_for(visual).end
    spells = _spell_service(ctx, visual)
    if spells is not None:  # one open spell per child (and per child and service): no DISTINCT needed
        sp = SP.c
        where = [open_on(sp.start_date, sp.end_date, day), *restrict_children(SP, child_slicers(ctx.filters, visual),
                                                                            day)]
        spell_copies = (sp.child_sex, sp.child_locality, sp.child_birth_date, sp.child_rkey)
        pairs = sa.select(sp.child_id, sp.service, *spell_copies).where(
            sp.service != schema.ANY_SERVICE if spells == schema.ANY_SERVICE else sp.service == spells, *where)
        spell_kids = sa.select(sp.child_id, *spell_copies).where(sp.service == spells, *where)
        return (pairs.cte(f"open_{name}"), spell_kids.cte(f"kids_{name}").prefix_with("MATERIALIZED"), scoped)
    # The child's sex, locality, birth date and record key come from the copies on ``involvements``
    # (one value per child, so DISTINCT is unaffected): the breakdowns need no join with ``children``,
    # and count the same children with the same keys as the open spells do.
    copies = (INV.c.child_sex, INV.c.child_locality, INV.c.child_birth_date, INV.c.child_rkey)
    rows = sa.select(INV.c.child_id, INV.c.service, *copies).where(_open(day), *scoped.conds).distinct()
    # MATERIALIZED (DuckDB and PostgreSQL 12+): computed once however many charts read it.
    open_rows = rows.cte(f"open_{name}").prefix_with("MATERIALIZED")
    kids = sa.select(open_rows.c.child_id, *(open_rows.c[c.name] for c in copies)).distinct() \
        .cte(f"kids_{name}").prefix_with("MATERIALIZED")
    return open_rows, kids, scoped


def queries(ctx: Context) -> dict[str, Grouped]:
    """Every count of the page: the open children are found once (a CTE) for all charts that share
    the same conditions (all but the chart a selection came from)."""
    sel = ctx.filters.selection
    source = sel.visual if sel is not None else None
    common = _open_set(ctx, None, "all")
    sets: dict[str | None, tuple[sa.CTE, sa.CTE, Scoped]] = {None: common}
    for visual in ("by_service", *DEMOGRAPHIC, "flow"):
        if visual == source:
            sets[visual] = _open_set(ctx, visual, "src")

    def open_for(visual: str) -> tuple[sa.CTE, sa.CTE, Scoped]:
        return sets.get(visual, common) if visual == source else common

    period, scoped = ctx.period_for(None), common[2]
    started, ended = period.contains(INV.c.start_date), period.contains(INV.c.end_date)
    svc_rows, _, svc_scoped = open_for("by_service")
    service = ctx.filters.drill_org
    if service:  # the teams of one service: children open to each team (a child may be in two teams)
        by_service = Grouped([INV.c.team_id], [children(INV.c.child_id)], INV, [
            _open(ctx.period_for("by_service").end), INV.c.service == service, *svc_scoped.conds],
            charts={"by_service": 0})
    else:  # the pairs are distinct already: a count per service is the number of children
        by_service = Grouped([svc_rows.c.service], [tally(key="child_rkey")], svc_rows, charts={"by_service": 0})
    demo_source = source if source in DEMOGRAPHIC else None
    _, demo_kids, _ = open_for(demo_source) if demo_source else common
    day = ctx.period_for(demo_source).end
    k = demo_kids.c
    dims = [age_band_of(k.child_birth_date, day), k.child_sex, sa.func.coalesce(k.child_locality, "")]
    flow_scoped = ctx.scoped("involvements", "flow")
    flow_period = periods.drill_period(ctx.filters, ctx.period_for("flow"))
    # A selection on one demographic chart filters the others in the frame (``_demographics``).
    picked = [dims[list(DEMOGRAPHIC).index(sel.visual)] == sel.value] \
        if source in DEMOGRAPHIC and sel is not None else []
    charts: dict[str, int | tuple[int, list]] = {k: (i, [] if k == source else picked)
                                                 for i, k in enumerate(DEMOGRAPHIC)}
    queries = {
        "open": Grouped([], [tally(key="child_rkey")], common[1], cards={"open": None}),
        "flow_totals": Grouped([], [tally(started), tally(ended)], INV, [sa.or_(started, ended), *scoped.conds],
                               cards={"started": started, "ended": ended}),
        "by_service": by_service,
        # A NULL copy is a child missing from ``children`` (sex is never NULL): not counted, as before.
        "cube": Grouped(dims, [tally(key="child_rkey")], demo_kids, [k.child_sex.is_not(None)], charts=charts,
                        child=k.child_id),
        "started": Grouped([month_start(ctx.conn, INV.c.start_date)], [tally()], INV,
                           [flow_period.contains(INV.c.start_date), *flow_scoped.conds], charts={"flow": 0}),
        "ended": Grouped([month_start(ctx.conn, INV.c.end_date)], [tally()], INV,
                         [flow_period.contains(INV.c.end_date), *flow_scoped.conds]),
    }
    if ctx.special:  # ethnicity is special category data: read from ``children`` only for roles allowed it
        # Semi-join: the open children (about a fifth of ``children`` at scale) are the hash side. A
        # ``children`` row is one child, keyed by the child's own key (``rkey``).
        queries["ethnicity"] = Grouped([sa.func.coalesce(CH.c.ethnicity, "")], [tally()], CH,
                                       [CH.c.child_id.in_(sa.select(k.child_id).where(*picked))],
                                       charts={"by_ethnicity": 0}, child=CH.c.child_id)
        # A child's disabilities joined to the open children (one row each, the hash side): a row is
        # one child with that disability, counted by the CHILD's key (not the disability row's), as
        # every other count of children is.
        kids = common[1]
        disabled = sa.select(DIS.c.disability, DIS.c.child_id, kids.c.child_rkey) \
            .join_from(DIS, kids, DIS.c.child_id == kids.c.child_id).subquery("open_disabilities")
        queries["disability"] = Grouped([disabled.c.disability], [tally(key="child_rkey")], disabled,
                                        charts={"by_disability": 0}, child=disabled.c.child_id)
    return queries


def page(ctx: Context) -> tuple[list[Kpi], list[Visual]]:
    """Every card and chart of the page from ONE statement (``queries``)."""
    result = ctx.run(queries(ctx))
    sel = ctx.filters.selection
    source = sel.visual if sel is not None else None
    demo_source = source if source in DEMOGRAPHIC else None
    scoped = ctx.scoped("involvements", None)
    svc_scoped = ctx.scoped("involvements", "by_service")
    flow_period = periods.drill_period(ctx.filters, ctx.period_for("flow"))
    notes = ignored_note(scoped.ignored)
    cards = _cards(ctx, result)
    charts = [_flow(ctx, result, flow_period, notes), _by_service(ctx, result, svc_scoped),
              *_demographics(ctx, result, demo_source, notes)]
    if ctx.special:
        counts = dict(result["disability"])
        charts.append(series("by_disability", "Children open by disability", counts,
                             labels_for(codes.DISABILITY, list(counts)), threshold=ctx.threshold, value="children",
                             value_label="Children", kind="hbar", show_total=False, notes=notes,
                             definition="Children open with each recorded disability; a child may have several."))
    else:
        charts.append(unavailable("by_disability", "Children open by disability", SPECIAL))
    return cards, charts



def _cards(ctx: Context, result: dict[str, list[tuple]]) -> list[Kpi]:
    zero = protection.ZERO
    n_open = result["open"][0][0] if result["open"] else zero
    totals = result["flow_totals"][0] if result["flow_totals"] else (zero, zero)
    values = [n_open, totals[0], totals[1]]
    return [Kpi(key, label, protection.shown(n, threshold=ctx.threshold), "count", definition)
            for (key, (label, definition)), n in zip(DEFINITIONS.items(), values, strict=True)]


def _by_service(ctx: Context, result: dict[str, list[tuple]], scoped: Scoped) -> Visual:
    key, service = "by_service", ctx.filters.drill_org
    counts = dict(result["by_service"])
    labels = team_labels(ctx.conn, service, ctx.services) if service else service_labels(ctx.services)
    title = f"Children open to each team: {codes.SERVICE[service]}" if service else "Children open to each service"
    return series(key, title, counts, labels, threshold=ctx.threshold, value="children", value_label="Children",
                  show_total=False, dim="team" if service else "service", kind="hbar",
                  level="team" if service else "service", drill="org",
                  drill_label=codes.SERVICE[service] if service else None,
                  selected=ctx.selected(key), notes=ignored_note(scoped.ignored),
                  definition="Children with an involvement open on the last day of the period; a child "
                             "open to two services or teams counts in each.")


def _flow(ctx: Context, result: dict[str, list[tuple]], period: Period, notes: tuple[str, ...]) -> Visual:
    monthly = {name: {as_month(month): n for month, n in result[name]} for name in ("started", "ended")}
    rows, counts = roll_up(monthly, period, periods.time_level(ctx.filters), ctx.filters.year_type)
    options = ctx.time_options("flow", ctx.scoped("involvements", "flow"))
    return columns("flow", "Involvements started and ended", rows, counts, {"started": "Started", "ended": "Ended"},
                   threshold=ctx.threshold, **options)


def _demographics(ctx: Context, result: dict[str, list[tuple]], source: str | None,
                  notes: tuple[str, ...]) -> list[Visual]:
    """Age band, sex and locality (and ethnicity where allowed) from one cube of open children.

    Each child has one value of each, so the breakdowns are exact partitions of the same children: a
    selection on one of them filters the others here, in the frame, without another query."""
    names = ["age_band", "sex", "locality"]
    cube: list[tuple[str | None, str | None, str | None, protection.Count]] = result["cube"]
    sel = ctx.filters.selection
    out = []
    for key, (dim, title, code_list) in DEMOGRAPHIC.items():
        rows = cube if source in (None, key) else \
            [r for r in cube if r[names.index(sel.dim)] == sel.value]  # type: ignore[union-attr]  # source is set only with a selection
        # Cells of the cube are disjoint sets of children: their Counts add up with their keys.
        counts: dict[str, protection.Count] = {}
        for row in rows:
            code = row[:3][names.index(dim)]
            if code is not None:  # as a groupby would: no value, no bar
                counts[code] = counts.get(code, protection.ZERO) + row[3]
        out.append(series(key, title, counts, labels_for(code_list, list(counts)), threshold=ctx.threshold,
                          value="children", value_label="Children", dim=dim, selected=ctx.selected(key), notes=notes))
    if not ctx.special:
        return out + [unavailable("by_ethnicity", "Children open by ethnicity", SPECIAL)]
    counts = dict(result["ethnicity"])  # the demographic selection applied in SQL
    out.append(series("by_ethnicity", "Children open by ethnicity", counts, labels_for(codes.ETHNICITY, list(counts)),
                      threshold=ctx.threshold, value="children", value_label="Children", kind="hbar", notes=notes))
    return out
