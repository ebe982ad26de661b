"""Counts of children from ``open_spells`` (derived at refresh): no DISTINCT over the involvements.

A child's spells of one service value (a service, or "*" for any) are disjoint, so "children open on
a day" is a count of the spells open then; and "children with an involvement in a period" is a count
of the spells overlapping it that are the child's first to do so: those whose previous spell
(``prev_end``) ended by the period's start. Both hold only when a chart's conditions are the child's
own attributes and at most one service (``spell_service``); otherwise the involvements are needed.
"""

from __future__ import annotations

import sqlalchemy as sa

from data_access.aggregates._facts import child_slicers, slicer_dims
from data_access.aggregates.context import Grouped, tally
from data_access.aggregates.scope import Period, restrict_children
from data_access.filters import Filters
from model import schema

SP = schema.open_spells


def spell_service(filters: Filters, visual: str | None, services: tuple[str, ...] | None) -> str | None:
    """The ``open_spells`` service value whose spells are exactly chart ``visual``'s involvements ("*":
    any service), or None when its conditions need the involvements themselves (a team, need or other
    involvement-level slicer or selection, or several but not all services)."""
    dims = slicer_dims(filters, visual)
    if dims is None or dims.keys() - {"service"}:
        return None
    service = dims.get("service")
    if services is not None:
        if service is None and len(services) == 1:
            service = services[0]
        elif service is None or service not in services:
            return None
    return service or schema.ANY_SERVICE


def children_in_period(filters: Filters, period: Period, service: str) -> Grouped:
    """The children with a ``service`` spell overlapping ``period`` (within the child slicers, ages on
    its end), one row each: keyed by the child's key, as ``children()`` over the involvements is."""
    sp = SP.c
    first = [sp.service == service, sp.start_date <= period.end,
             sa.or_(sp.end_date.is_(None), sp.end_date > period.start),
             sa.or_(sp.prev_end.is_(None), sp.prev_end <= period.start),
             *restrict_children(SP, child_slicers(filters, None), period.end)]
    return Grouped([], [tally(key="child_rkey")], SP, first)
