"""Drill-through from a dashboard chart row or KPI card to the children behind it.

A drill-through request names the page, the chart and row (``visual`` + ``code``) or the card
(``card``), and carries the page's view state (slicers, selection, drill level) exactly as the page's
URL does: codes, never an identifier. It is checked like the page itself (the page's data function
runs with the same user and filters, so a view the user may not open is refused), and then only
for roles with identifiable rows: everyone else is refused, and the refusal is audited by the caller.

Special category data (UK GDPR Art 9) covers what a list is drawn by, not only the columns it shows:
a list of the children behind a bar of "Children open by ethnicity" tells the ethnicity of each. So
a drill-through from a breakdown by ethnicity, disability, factors at assessment or SEN primary need,
with such a chart selected (cross-filter), or by need (slicer or selection: CIN or SEN primary need,
health), is refused to a role without special category permission, and for
a role with it lists only the children whose Art 9 condition is recorded for the user's access
(``art9_only``); the others are counted in the banded hidden number like any child out of scope.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa

from data_access import policy
from data_access.filters import InvalidFilter
from data_access.policy import AccessDenied, Principal, RowLevel, Scope
from data_access.stores import current, store_facts

TARGET_FIELDS = ("from", "visual", "code", "card")
MAX_TEXT = 40


@dataclass(frozen=True)
class DrillThrough:
    """A checked drill-through: what was clicked, as the page showed it, and the children it counted."""

    page: str
    visual: str | None
    code: str | None
    card: str | None
    state: dict[str, object]  # the page's validated view state (for the way back)
    title: str  # e.g. "Referrals by source: Police"
    period_label: str
    shown: object  # the value the chart row or card displays (a number, "c" or a rate)
    members: sa.Select  # SELECT DISTINCT child_id of the counted rows
    art9_only: bool = False  # drawn by special category data: only children with an Art 9 condition

    @property
    def target(self) -> str:
        """A short description for the audit trail (codes only)."""
        return f"{self.page}/{self.visual}={self.code}" if self.visual else f"{self.page}/card={self.card}"


@dataclass(frozen=True)
class DrillCounts:
    """How many of the counted children the user can see, and how many (suppressed) they cannot."""

    visible: int
    hidden: str  # banded (HIDDEN_BANDS): never the exact number of children outside the user's scope


# The number of counted children outside the user's scope is shown only in bands at least 10 wide
# (a chart's published figure is perturbed, but the list is exact: were the hidden number exact too,
# figure minus list would give the figure's noise, and with it the true count). "none" is exact: then
# every child counted is in the user's own scope, where figures may be exact.
HIDDEN_BANDS = ((0, "none"), (9, "fewer than 10"), (49, "10 to 49"), (99, "50 to 99"), (999, "100 to 999"))


def hidden_band(hidden: int) -> str:
    """The band of ``hidden`` children (HIDDEN_BANDS), e.g. "fewer than 10"."""
    return next((label for top, label in HIDDEN_BANDS if hidden <= top), "1,000 or more")


def _text(raw: Mapping[str, object], name: str) -> str | None:
    value = raw.get(name)
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > MAX_TEXT or not value.isprintable():
        raise InvalidFilter(f"Drill-through field {name!r} is not a valid value.")
    return value


def ensure_drill_through(user: Principal | None) -> None:
    """Raise AccessDenied unless the role sees identifiable rows (for its own scope) and aggregates."""
    role = policy.role_of(user)
    if role.rows is not RowLevel.IDENTIFIABLE or role.aggregates is Scope.NONE or \
            role.row_scope not in (Scope.CASELOAD, Scope.TEAM):
        raise AccessDenied("Drill-through to children's records is not available to your role.")


def resolve(user: Principal | None, raw: object) -> DrillThrough:
    """Check a drill-through request and find the children it counts. Raises AccessDenied for a role
    without identifiable rows or a view the user may not open; InvalidFilter for anything malformed."""
    from data_access import views
    from data_access.aggregates import drill

    ensure_drill_through(user)
    if not isinstance(raw, Mapping):
        raise InvalidFilter("A drill-through must be a set of named values.")
    page, visual, code, card = (_text(raw, f) for f in TARGET_FIELDS)
    if page not in views.PAGE_FUNCTIONS or (visual is None) == (card is None) or (visual is None) != (code is None):
        raise InvalidFilter("A drill-through names a page and either a chart and its row or a card.")
    art9_only = (visual in policy.SPECIAL_CATEGORY_VISUALS or _selects_special(raw.get("selection"))
                 or any(raw.get(d) not in (None, "") for d in policy.SPECIAL_CATEGORY_DIMS))
    if art9_only:  # before the page runs: a forged request is refused as such, not as an unknown chart
        policy.ensure_special_category_lists(user)
    state = views.view_state(user=user, query={k: v for k, v in raw.items() if k not in TARGET_FIELDS})
    data = views.PAGE_FUNCTIONS[page](user=user, filters=state)
    if visual is not None:
        chart = data.visuals.get(visual)
        if chart is None or not chart.available or code not in set(chart.frame["code"]):
            raise InvalidFilter(f"Drill-through: there is no row {code!r} in chart {visual!r} on this page.")
        row = chart.frame[chart.frame["code"] == code].iloc[0]
        title, shown = f"{chart.title}: {row['label']}", row[chart.plotted[0]]
    else:
        kpi = next((k for k in data.cards if k.key == card and k.value is not None), None)
        if kpi is None:
            raise InvalidFilter(f"Drill-through: there is no card {card!r} on this page.")
        title, shown = kpi.label, kpi.value
    parsed, services = views.authorised_filters(user, state)
    special = policy.can(policy.ensure_special_category_aggregates, user)
    with current().analytics.connect() as conn:
        ctx = views.page_context(conn, parsed, services, special, dt.date.fromisoformat(store_facts()["as_of"]))
        members = drill.members(ctx, page, visual=visual, code=code, card=card)
    return DrillThrough(page, visual, code, card, state, title, data.period_label, shown, members, art9_only)


def _selects_special(selection: object) -> bool:
    """Whether a selection (``visual:dim:code``, validated later) is on a special category chart or by
    a special category dimension (need)."""
    if not isinstance(selection, str):
        return False
    visual, _, rest = selection.partition(":")
    return policy.selects_special(visual, rest.partition(":")[0])


def counts(conn: sa.Connection, through: DrillThrough, visible: int) -> DrillCounts:
    """How many of the counted children the user cannot see, banded (never identifying any of them,
    never exact unless none)."""
    counted = conn.execute(sa.select(sa.func.count()).select_from(through.members.subquery())).scalar_one()
    return DrillCounts(visible, hidden_band(max(0, int(counted) - visible)))
