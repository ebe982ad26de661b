"""Drill-through: the children counted in one chart row or KPI card, as a SQL subquery of child ids.

Every page's counts are declared once, as ``Grouped`` batch queries that name the charts and cards
they feed (``charts``, ``cards``). The children behind a chart row are the rows of that query whose
category key equals the row's code (for a time chart: whose month falls in the row's range); behind a
card, the rows the card counts. So a drill-through always lists the children of exactly the rows
that were counted, with the same slicers, selection, period and services. The subquery is joined to
the user's row scope by ``records``; nothing here decides who may see a child.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping

import sqlalchemy as sa

from data_access.aggregates import (
    care_leavers,
    children_in_need,
    interventions,
    leadership,
    looked_after,
    send,
    service_users,
    trends,
)
from data_access.aggregates.context import Context, Grouped
from data_access.filters import InvalidFilter

QUERIES: Mapping[str, Callable[[Context], dict[str, Grouped]]] = {
    "overview": leadership.queries, "service_users": service_users.queries,
    "children_in_need": children_in_need.queries, "interventions": interventions.queries, "send": send.queries,
    "trends": trends.queries, "looked_after": looked_after.queries, "care_leavers": care_leavers.queries,
}
TIME_CODE = re.compile(r"^(\d{4}-\d{2}-\d{2})_(\d{4}-\d{2}-\d{2})$")


def _child(q: Grouped) -> sa.ColumnElement:
    return q.child if q.child is not None else q.source.c.child_id


def _row_condition(key: sa.ColumnElement, code: str) -> sa.ColumnElement[bool]:
    match = TIME_CODE.match(code)
    if match:  # a time bucket: its months (the key is the month's first day)
        first, last = (dt.date.fromisoformat(d) for d in match.groups())
        return sa.and_(key >= first, key <= last)
    return sa.func.coalesce(sa.cast(key, sa.String), "") == code


def members(ctx: Context, page: str, *, visual: str | None = None, code: str | None = None,
            card: str | None = None) -> sa.Select:
    """SELECT DISTINCT child_id of the rows counted in chart ``visual``'s row ``code`` or in ``card``.

    Raises InvalidFilter when the page has no such chart or card (a forged request, typically)."""
    if page not in QUERIES:
        raise InvalidFilter(f"Drill-through: unknown page {page[:30]!r}.")
    for q in QUERIES[page](ctx).values():
        if visual is not None and visual in q.charts and code is not None:
            spec = q.charts[visual]
            index, extra = spec if isinstance(spec, tuple) else (spec, [])
            conds = [*q.where, _row_condition(q.keys[index], code), *extra]
        elif card is not None and card in q.cards:
            picked = q.cards[card]
            conds = [*q.where, *([picked] if picked is not None else [])]
        else:
            continue
        child = _child(q)
        return sa.select(child.label("child_id")).select_from(q.source).where(*conds).distinct()
    what = f"chart {visual[:30]!r}" if visual is not None else f"card {str(card)[:30]!r}"
    raise InvalidFilter(f"Drill-through: the {what} on this page cannot be drilled through.")
