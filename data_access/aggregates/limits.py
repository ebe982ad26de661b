"""Limits on the views a protected page answers, where perturbation alone is weak (ABS and ONS
restrict their query space the same way; docs/disclosure.md).

* A filtered view whose base population (the children with an involvement in the period, within the
  slicers and the user's services) publishes below ``Settings.min_view_children`` shows no figures:
  "Too few children to show this view". The decision is made from the PUBLISHED (protected) count,
  so it is the same whichever page or order the slicers were set in.
* A breakdown by special category data (ethnicity, disability, factors at assessment) combines with
  at most ``Settings.special_category_max_slicers`` slicers.
"""

from __future__ import annotations

import sqlalchemy as sa

from data_access import policy, protection
from data_access.aggregates import spells
from data_access.aggregates._facts import INV, conditions
from data_access.aggregates.context import Grouped, children
from data_access.aggregates.scope import Period
from data_access.filters import Filters

NARROWING = ("service", "team", "locality", "age_band", "sex", "need")
SPECIAL_VISUALS = tuple(sorted(policy.SPECIAL_CATEGORY_VISUALS))
TOO_FEW = "Too few children to show this view: remove a filter or choose a longer period."


def slicers(filters: Filters) -> int:
    """How many slicers narrow the view (a chart selection counts as one)."""
    return sum(getattr(filters, name) is not None for name in NARROWING) + (filters.selection is not None)


def special_message(cap: int) -> str:
    return (f"Breakdowns by special category data are shown with at most {cap} "
            f"filter{'s' if cap != 1 else ''} or selection{'s' if cap != 1 else ''}; remove one to see this.")


def base_query(filters: Filters, period: Period, *, services: tuple[str, ...] | None) -> Grouped | None:
    """The view's base population (children with an involvement in the period, within the slicers and
    the user's services), to ride along in the page's statement; None for the whole area."""
    if slicers(filters) == 0:
        return None
    service = spells.spell_service(filters, None, services)
    if service is not None:  # one row per child: no DISTINCT over the involvements
        return spells.children_in_period(filters, period, service)
    scoped = conditions("involvements", filters, period.end, services=services)
    overlapping = [INV.c.start_date <= period.end,
                   sa.or_(INV.c.end_date.is_(None), INV.c.end_date > period.start)]
    return Grouped([], [children(INV.c.child_id)], INV, [*overlapping, *scoped.conds])


def too_few_children(rows: list[tuple], *, minimum: int, threshold: int) -> bool:
    """Whether the base population (``base_query``'s rows) publishes below ``minimum``."""
    if minimum <= 0:
        return False
    base = rows[0][0] if rows else protection.ZERO
    shown = protection.shown(base, threshold=threshold)
    return not isinstance(shown, int) or shown < minimum
