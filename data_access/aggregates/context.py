"""The request context shared by a page's aggregate queries, and the query helpers they use.

A ``Context`` is built once per page request after the policy has passed: the parsed filters, the
reporting period, the user's services and whether special-category breakdowns are allowed. Each
helper scopes its query in SQL with ``_facts.conditions`` for the chart asking.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from data_access.aggregates import periods
from data_access.aggregates._facts import FACT_SERVICE, Scoped, conditions
from data_access.aggregates.scope import Period
from data_access.aggregates.visual import Visual, unavailable
from data_access.filters import Filters
from data_access.protection import ZERO, Count
from model import codes
from model.recordkeys import KEY_SPACE

OUTSIDE = "Outside the services you manage"


@dataclass(frozen=True)
class Measure:
    """A count a page publishes, with the key sum that protects it (``data_access.protection``).

    ``rows``: the rows of the query's source matching ``cond``, keyed by the source's ``key`` column
    (``rkey``: each row is a unit, e.g. a referral; ``child_rkey`` where each row is one child, e.g. an
    open spell). ``children``: the distinct children (``child`` column) among them, keyed by the
    child's key: ``sum(DISTINCT child * 4096 + child_rkey)`` is congruent to the sum of the distinct
    children's keys mod 4096, as each child has one key; the count is ``count(DISTINCT`` of the same
    expression, so the engine finds the distinct children once for both."""

    cond: sa.ColumnElement[bool] | None = None
    key: str = "rkey"
    child: sa.ColumnElement | None = None

    def sql(self, source: sa.FromClause) -> tuple[sa.ColumnElement, sa.ColumnElement]:
        if self.child is not None:
            # One DISTINCT expression for both (the engine dedups once, not twice): a child has one key,
            # so its distinct values are the distinct children. A child without a key (not in
            # ``children``) still counts and adds 0 (mod 4096) to the key sum, as before.
            unit = sa.distinct(sa.cast(self.child, sa.BigInteger) * sa.literal_column(str(KEY_SPACE))
                               + sa.func.coalesce(source.c.child_rkey, sa.literal_column("0")))
            n: sa.ColumnElement = sa.func.count(unit)
            k: sa.ColumnElement = sa.func.sum(unit)
        else:
            n, k = sa.func.count(), sa.func.sum(source.c[self.key])
        if self.cond is not None:
            n, k = n.filter(self.cond), k.filter(self.cond)
        return n, sa.func.coalesce(sa.cast(k, sa.BigInteger), 0)


@dataclass(frozen=True)
class Grouped:
    """One grouped query of a batch: key columns, measures (a ``Measure`` comes back as a ``Count``,
    anything else as a plain int, which cannot be published), what it reads and its conditions."""

    keys: Sequence[sa.ColumnElement]
    measures: Sequence[sa.ColumnElement | Measure]
    source: sa.FromClause
    where: Sequence[sa.ColumnElement[bool]] = ()
    # Drill-through (``aggregates.drill``): the charts whose rows are this query's groups (chart key ->
    # index of the key that is the chart's category, or (index, extra conditions)), the KPI cards it counts (card
    # key -> the condition picking the card's rows, None: every row), and the column naming the child.
    charts: Mapping[str, int | tuple[int, Sequence[sa.ColumnElement[bool]]]] = field(default_factory=dict)
    cards: Mapping[str, sa.ColumnElement[bool] | None] = field(default_factory=dict)
    child: sa.ColumnElement | None = None


def _columns(q: Grouped) -> list[sa.ColumnElement]:
    out: list[sa.ColumnElement] = []
    for m in q.measures:
        out += list(m.sql(q.source)) if isinstance(m, Measure) else [m]
    return out


def run_batch(conn: sa.Connection, queries: Mapping[str, Grouped]) -> dict[str, list[tuple]]:
    """Run several grouped queries as ONE statement (UNION ALL): one round trip, and a CTE the queries
    share (e.g. "children open on the day") is computed once. Each query's rows come back as its own
    keys (as text, None kept) followed by its own measures: a ``Count`` for each ``Measure`` (its
    count and key sum are computed in the same statement), a plain int for anything else."""
    columns = {name: _columns(q) for name, q in queries.items()}
    width_k = max(len(q.keys) for q in queries.values())
    width_n = max(len(c) for c in columns.values())
    parts = []
    for name, q in queries.items():
        keys = [sa.cast(k, sa.String) for k in q.keys] + [sa.null()] * (width_k - len(q.keys))
        measures = [sa.cast(m, sa.BigInteger) for m in columns[name]] + [sa.literal(0, sa.BigInteger)] * (
            width_n - len(columns[name]))
        parts.append(sa.select(sa.literal(name).label("q"), *(k.label(f"k{i}") for i, k in enumerate(keys)),
                               *(m.label(f"n{i}") for i, m in enumerate(measures)))
                     .select_from(q.source).where(*q.where).group_by(*q.keys))
    out: dict[str, list[tuple]] = {name: [] for name in queries}
    for row in conn.execute(sa.union_all(*parts)).all():
        q = queries[row[0]]
        values = iter(row[1 + width_k:])
        measured = [Count(int(next(values) or 0), int(next(values) or 0)) if isinstance(m, Measure)
                    else int(next(values) or 0) for m in q.measures]
        out[row[0]].append((*row[1:1 + len(q.keys)], *measured))
    return out


def tally(cond: sa.ColumnElement[bool] | None = None, *, key: str = "rkey") -> Measure:
    """The rows matching ``cond`` (all rows when None), protected: ``count(*) FILTER (WHERE cond)``
    with the key sum of the same rows (DuckDB, PostgreSQL and SQLite >= 3.30 alike)."""
    return Measure(cond, key)


def children(child: sa.ColumnElement, cond: sa.ColumnElement[bool] | None = None) -> Measure:
    """The distinct children (``child``: a child_id column) among the rows matching ``cond``, protected
    by the children's own keys (the source must carry ``child_rkey``)."""
    return Measure(cond, child=child)


def protected(n: object) -> Count:
    """``n`` as a protected count; raises TypeError for anything without record keys (it could never
    be published, so a measure that lost its keys fails here, not on the page)."""
    if not isinstance(n, Count):
        raise TypeError(f"{n!r} is not a protected count")
    return n


def one_row(result: Mapping[str, list[tuple]], name: str, width: int) -> list[Count]:
    """The protected counts of an ungrouped query (its one row; ZERO for each when it has none)."""
    row = result[name][0] if result[name] else (ZERO,) * width
    return [protected(v) for v in row]


def by_code(result: Mapping[str, list[tuple]], name: str) -> dict[str, Count]:
    """A one-key query's protected counts by code (None -> ""; groups meeting there add up)."""
    out: dict[str, Count] = {}
    for code, n in result[name]:
        key = "" if code is None else code
        out[key] = out.get(key, ZERO) + protected(n)
    return out


def as_month(text: object) -> dt.date:
    """A month bucket from a batch (DATE or TIMESTAMP rendered as text, depending on the engine)."""
    return dt.date.fromisoformat(str(text)[:10])


@dataclass(frozen=True)
class Context:
    conn: sa.Connection
    filters: Filters
    as_of: dt.date
    period: Period
    services: tuple[str, ...] | None  # None: all services
    threshold: int
    special: bool  # the role may see special-category breakdowns
    _scoped: dict[tuple, Scoped] = field(default_factory=dict, compare=False, repr=False)
    # Queries that ride along in the page's one statement (the view's base population), and their rows.
    riders: dict[str, Grouped] = field(default_factory=dict, compare=False, repr=False)
    rider_rows: dict[str, list[tuple]] = field(default_factory=dict, compare=False, repr=False)

    def run(self, queries: Mapping[str, Grouped]) -> dict[str, list[tuple]]:
        """``run_batch`` of the page's queries, with the riders not yet run in the same statement (their
        rows kept in ``rider_rows``): one round trip per page, whatever the view asks besides."""
        riders = {k: q for k, q in self.riders.items() if k not in self.rider_rows}
        out = run_batch(self.conn, {**queries, **riders})
        for key in riders:
            self.rider_rows[key] = out.pop(key)
        return out

    def may_see(self, fact: str) -> bool:
        service = FACT_SERVICE.get(fact)
        return service is None or self.services is None or service in self.services

    def period_for(self, visual: str | None) -> Period:
        """The period, narrowed to the selected month, quarter or year unless ``visual`` is the source."""
        sel = self.filters.selection
        if sel is None or sel.dim != "time" or sel.visual == visual:
            return self.period
        first, last = (dt.date.fromisoformat(d) for d in sel.value.split("_"))
        return periods.narrow(self.period, first, last)

    def scoped(self, fact: str, visual: str | None, day: dt.date | None = None) -> Scoped:
        """``conditions`` for ``fact`` as chart ``visual`` sees it. Only the selection's source chart
        sees other conditions than the rest, so the others share one (immutable) result per request."""
        day = day or self.period_for(visual).end
        sel = self.filters.selection
        key = (fact, visual if sel is not None and sel.visual == visual else None, day)
        found = self._scoped.get(key)
        if found is None:
            found = self._scoped[key] = conditions(fact, self.filters, day, services=self.services, visual=visual)
        return Scoped(list(found.conds), list(found.ignored))

    def outside(self, key: str, title: str) -> Visual:
        return unavailable(key, title, OUTSIDE)

    def selected(self, key: str) -> str | None:
        """The code selected in chart ``key`` (it is the selection's source, so it is highlighted)."""
        sel = self.filters.selection
        return sel.value if sel is not None and sel.visual == key else None

    def time_options(self, key: str, scoped: Scoped) -> dict[str, Any]:
        """Keyword options for a drillable time chart ``key``: level, drill state and the level above."""
        parent = periods.drill_parent(self.filters)
        return dict(dim="time", kind="time", level=periods.time_level(self.filters), drill="time",
                    drill_label=self.drill_label(), selected=self.selected(key), notes=ignored_note(scoped.ignored),
                    extra={"up": parent.key if parent else ""})

    def drill_label(self) -> str | None:
        """The year or quarter a time chart is drilled into, e.g. "CY 2024-25" or "Q2 CY 2024-25"."""
        if self.filters.drill_time is None:
            return None
        first, last = self.filters.drill_time
        level = "quarter" if (last - first).days < 100 else "year"
        return periods.bucket_of(first, level, self.filters.year_type).label


def ignored_note(dims: Sequence[str]) -> tuple[str, ...]:
    """A chart note for slicer or selection dimensions that could not be applied to its counts."""
    return (f"Not filtered by {', '.join(dims)} (not recorded for these counts).",) if dims else ()


def month_start(conn: sa.Connection, column: sa.ColumnElement) -> sa.ColumnElement:
    """The first day of ``column``'s month: ``date_trunc`` on DuckDB and PostgreSQL, ``date`` on SQLite."""
    if conn.dialect.name == "sqlite":
        return sa.func.date(column, "start of month")
    return sa.func.date_trunc("month", column)


def roll_up(monthly: Mapping[str, Mapping[dt.date, int]], period: Period, level: str,
            year_type: str) -> tuple[list[tuple[str, str]], dict[str, dict[str, int]]]:
    """Month counts rolled up to the chart's buckets: ([(range key, label)], {measure: {key: n}})."""
    buckets: dict[str, periods.Bucket] = {}
    for month in periods.month_starts(period):
        bucket = periods.bucket_of(month, level, year_type)
        buckets.setdefault(bucket.key, bucket)
    counts: dict[str, dict[str, int]] = {m: dict.fromkeys(buckets, 0) for m in monthly}
    for measure, by_month in monthly.items():
        for month, n in by_month.items():
            key = periods.bucket_of(month, level, year_type).key
            if key in counts[measure]:
                counts[measure][key] += n
    first_day = period.start + dt.timedelta(days=1)
    rows = [(k, b.label + (" (part)" if b.first < first_day or b.last > period.end else ""))
            for k, b in buckets.items()]
    return rows, counts


def labels_for(code_list: Mapping[str, object], found: Sequence[str] = ()) -> dict[str, str]:
    """Code -> label for a code list (``INTERVENTION_TYPE`` values are (service, label) pairs), plus
    any unexpected codes found in the data, labelled as themselves ("" = not recorded)."""
    out = {c: (v[1] if isinstance(v, tuple) else str(v)) for c, v in code_list.items()}
    for code in found:
        if code not in out:
            out[code] = "Not recorded" if code == "" else code
    return out


def team_labels(conn: sa.Connection, service: str | None, services: tuple[str, ...] | None) -> dict[str, str]:
    """Team id -> name for the teams of ``service`` (or every service in scope): reference data."""
    from model import schema

    t = schema.teams.c
    query = sa.select(t.team_id, t.name).order_by(t.service, t.name)
    if service is not None:
        query = query.where(t.service == service)
    if services is not None:
        query = query.where(t.service.in_(services))
    return {team_id: name for team_id, name in conn.execute(query).all()}


def service_labels(services: tuple[str, ...] | None) -> dict[str, str]:
    return {c: v for c, v in codes.SERVICE.items() if services is None or c in services}
