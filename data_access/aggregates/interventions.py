"""Interventions: which types are applied, how many, for how long and with what outcome, by service and team.

An intervention is one ``involvements`` row (the council's own catalogue: early help, educational
psychology consultation, assessment and Video Interaction Guidance, family support, short breaks,
...; there is no national standard). Volumes count involvements started in the period; durations
and outcomes count those ended in it. Every count is protected (``data_access.protection``): a
``tally`` of the involvements, published by its cell key; the median duration is shown only when the
published number of involvements it rests on is at least 8 (``protection.average_allowed``).
"""

from __future__ import annotations

import sqlalchemy as sa

from data_access import protection
from data_access.aggregates import periods
from data_access.aggregates.context import (
    Context,
    Grouped,
    as_month,
    ignored_note,
    labels_for,
    month_start,
    roll_up,
    service_labels,
    tally,
    team_labels,
)
from data_access.aggregates.kpi import Kpi
from data_access.aggregates.scope import Period, open_on
from data_access.aggregates.visual import Visual, columns, cross, series, table
from model import codes, schema

INV = schema.involvements
DURATION = {"1m": "Under 1 month", "3m": "1 to 3 months", "6m": "3 to 6 months", "12m": "6 to 12 months",
            "12m+": "Over 12 months"}


def _days() -> sa.ColumnElement[int]:
    return INV.c.end_date - INV.c.start_date  # whole days on DuckDB and PostgreSQL



def queries(ctx: Context) -> dict[str, Grouped]:
    """Every count the page needs, each scoped for the chart it feeds (and what each drills through to)."""
    p = ctx.period_for(None)
    scoped = ctx.scoped("involvements", None)
    started, ended = p.contains(INV.c.start_date), p.contains(INV.c.end_date)
    is_open = open_on(INV.c.start_date, INV.c.end_date, p.end)
    service = ctx.filters.drill_org
    sel = ctx.filters.selection
    ended_source = "outcomes" if sel is not None and sel.visual == "outcomes" else None
    days = _days()
    band = sa.case((days <= 30, "1m"), (days <= 91, "3m"), (days <= 182, "6m"), (days <= 365, "12m"), else_="12m+")
    outcome = sa.func.coalesce(INV.c.outcome, "")
    volumes = periods.drill_period(ctx.filters, ctx.period_for("volumes"))
    volume_conds = ctx.scoped("involvements", "volumes").conds
    # The outcome cube's other charts follow a selection on the outcomes chart in the frame (``_ended``).
    others = [outcome == sel.value] if ended_source and sel is not None else []
    return {
        "cards": Grouped([], [tally(started), tally(ended), tally(is_open)], INV,
                         [sa.or_(started, ended, is_open), *scoped.conds],
                         cards={"started": started, "ended": ended, "open": is_open}),
        # The median and the protected number of involvements it rests on (the ``ended`` card's rows).
        "median": Grouped([], [tally(), sa.func.round(sa.func.percentile_cont(0.5).within_group(days))], INV,
                          [ended, *scoped.conds], cards={"median_days": None}),
        "by_type": Grouped([INV.c.intervention_type], [tally()], INV, [
            ctx.period_for("by_type").contains(INV.c.start_date), *ctx.scoped("involvements", "by_type").conds],
            charts={"by_type": 0}),
        "by_service_team": Grouped([INV.c.team_id if service else INV.c.service], [tally()], INV, [
            ctx.period_for("by_service_team").contains(INV.c.start_date),
            *([INV.c.service == service] if service else []), *ctx.scoped("involvements", "by_service_team").conds],
            charts={"by_service_team": 0}),
        "ended": Grouped([INV.c.intervention_type, outcome, band], [tally()], INV, [
            ctx.period_for(ended_source).contains(INV.c.end_date), *ctx.scoped("involvements", ended_source).conds],
            charts={"outcomes": 1, "durations": (2, others), "type_outcome": (0, others)}),
        "started_monthly": Grouped([month_start(ctx.conn, INV.c.start_date)], [tally()], INV,
                                   [volumes.contains(INV.c.start_date), *volume_conds], charts={"volumes": 0}),
        "ended_monthly": Grouped([month_start(ctx.conn, INV.c.end_date)], [tally()], INV,
                                 [volumes.contains(INV.c.end_date), *volume_conds]),
    }


def page(ctx: Context) -> tuple[list[Kpi], list[Visual]]:
    """Every card and chart from one statement (``run_batch``), each count scoped for its chart."""
    result = ctx.run(queries(ctx))
    scoped = ctx.scoped("involvements", None)
    sel = ctx.filters.selection
    ended_source = "outcomes" if sel is not None and sel.visual == "outcomes" else None
    volumes = periods.drill_period(ctx.filters, ctx.period_for("volumes"))
    notes = ignored_note(scoped.ignored)
    charts = [_volumes(ctx, result, volumes), _by_type(ctx, result, notes), _by_service_team(ctx, result, notes),
              *_ended(ctx, result, ended_source, notes)]
    return _cards(ctx, result), charts


def _cards(ctx: Context, result: dict[str, list[tuple]]) -> list[Kpi]:
    zero = protection.ZERO
    n_started, n_ended, n_open = result["cards"][0] if result["cards"] else (zero, zero, zero)
    n_median, median = result["median"][0] if result["median"] else (zero, None)
    t = ctx.threshold

    def count(n: protection.Count) -> int | str:
        return protection.shown(n, threshold=t)

    # The median is not a count (shown as computed), but whether it is shown is decided from the
    # PUBLISHED number of involvements it rests on, the same in every view.
    shown_median: int | str = int(median) if median is not None and protection.average_allowed(
        n_median, threshold=t) else protection.SUPPRESSED
    return [
        Kpi("started", "Interventions started", count(n_started), "count", "Involvements starting in the period."),
        Kpi("ended", "Interventions ended", count(n_ended), "count", "Involvements ending in the period."),
        Kpi("open", "Interventions open", count(n_open), "count",
            "Involvements open on the last day of the period."),
        Kpi("median_days", "Median duration (days)", shown_median, "count",
            "Median days from start to end of the involvements ending in the period; shown as c when it "
            "rests on fewer than 8 (as published)."),
    ]


def _counts(result: dict[str, list[tuple]], name: str) -> dict[str, protection.Count]:
    return {("" if code is None else code): n for code, n in result[name]}


def _by_type(ctx: Context, result: dict[str, list[tuple]], notes: tuple[str, ...]) -> Visual:
    key = "by_type"
    labels = {c: f"{lab} ({codes.SERVICE[svc]})" for c, (svc, lab) in codes.INTERVENTION_TYPE.items()
              if ctx.services is None or svc in ctx.services}
    return series(key, "Interventions started, by type", _counts(result, key), labels, threshold=ctx.threshold,
                  value="started", value_label="Started", dim="intervention_type", kind="hbar",
                  selected=ctx.selected(key), notes=notes)


def _by_service_team(ctx: Context, result: dict[str, list[tuple]], notes: tuple[str, ...]) -> Visual:
    key, service = "by_service_team", ctx.filters.drill_org
    labels = team_labels(ctx.conn, service, ctx.services) if service else service_labels(ctx.services)
    title = f"Interventions started, by team: {codes.SERVICE[service]}" if service else \
        "Interventions started, by service"
    return series(key, title, _counts(result, key), labels, threshold=ctx.threshold, value="started",
                  value_label="Started", dim="team" if service else "service", kind="hbar",
                  level="team" if service else "service", drill="org",
                  drill_label=codes.SERVICE[service] if service else None, selected=ctx.selected(key), notes=notes)


def _ended(ctx: Context, result: dict[str, list[tuple]], source: str | None, notes: tuple[str, ...]) -> list[Visual]:
    """Outcomes, duration bands and type x outcome of involvements ended in the period, from one cube."""
    sel = ctx.filters.selection
    cube: list[tuple[str, str, str, protection.Count]] = result["ended"]
    others = cube if source is None else [c for c in cube if c[1] == sel.value]  # type: ignore[union-attr]  # source is set only with a selection
    # Cells of the cube are disjoint sets of involvements: their Counts add up with their keys.
    by_outcome: dict[str, protection.Count] = {}
    by_band: dict[str, protection.Count] = {}
    for _kind, outcome, _band, n in cube:
        if outcome is not None:  # as a groupby would: no outcome, no bar
            by_outcome[outcome] = by_outcome.get(outcome, protection.ZERO) + n
    for _kind, _outcome, band, n in others:
        if band is not None:
            by_band[band] = by_band.get(band, protection.ZERO) + n
    outcome_labels = labels_for({k: v for k, v in codes.INTERVENTION_OUTCOME.items() if k != "OPEN"},
                                list(by_outcome))
    types = {c: lab for c, (svc, lab) in codes.INTERVENTION_TYPE.items()
             if ctx.services is None or svc in ctx.services}
    grid = cross(((kind, outcome, n) for kind, outcome, _band, n in others), types, outcome_labels)
    return [
        series("outcomes", "Interventions ended, by outcome", by_outcome, outcome_labels, threshold=ctx.threshold,
               value="ended", value_label="Ended", dim="outcome", kind="hbar", selected=ctx.selected("outcomes"),
               notes=notes),
        series("durations", "Interventions ended, by duration", by_band,
               DURATION, threshold=ctx.threshold, value="ended", value_label="Ended", notes=notes),
        table("type_outcome", "Outcomes of interventions ended, by type", grid, types, outcome_labels,
              threshold=ctx.threshold, notes=notes),
    ]


def _volumes(ctx: Context, result: dict[str, list[tuple]], period: Period) -> Visual:
    monthly = {name: {as_month(m): n for m, n in result[f"{name}_monthly"]} for name in ("started", "ended")}
    rows, counts = roll_up(monthly, period, periods.time_level(ctx.filters), ctx.filters.year_type)
    return columns("volumes", "Interventions started and ended", rows, counts, {"started": "Started", "ended": "Ended"},
                   threshold=ctx.threshold,
                   **ctx.time_options("volumes", ctx.scoped("involvements", "volumes")))
