"""What you may see: the only door to data.

Every public function here takes the server-side ``user`` explicitly, asks the policy, scopes its
query in SQL, suppresses small numbers before returning, and audits refusals. Dashboards call these
functions and nothing else; ``data_access`` imports no Dash, Flask or flask-login.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import pandas as pd

from data_access import audit, policy, users
from data_access.accounts import create_account, ensure_demo_accounts, verify_audit_trail
from data_access.aggregates import overview as _overview
from data_access.filters import Filters, InvalidFilter
from data_access.policy import AccessDenied, Principal
from data_access.settings import Settings
from data_access.stores import (
    analytics_available,
    as_of,
    configure,
    current,
    reference,
    reopen_analytics,
    store_facts,
    store_layout_problem,
)

__all__ = [
    "AccessDenied", "InvalidFilter", "Filters", "Settings", "configure", "current", "find_user", "find_login",
    "record_auth_event", "overview", "OverviewData", "user_banner", "analytics_available", "reopen_analytics",
    "store_facts", "store_layout_problem", "known_teams", "create_account", "ensure_demo_accounts",
    "verify_audit_trail", "policy",
]

T = TypeVar("T")


def find_user(user_id: int) -> users.AppUser | None:
    """The app-store user with ``user_id`` (for the session loader); no access check, no child data."""
    return users.find_user(current().app, user_id)


def find_login(username: str) -> tuple[users.AppUser, str | None] | None:
    """The user and password hash for a login attempt (for auth only)."""
    return users.find_login(current().app, username)


_AUTH_ACTIONS = {"login": audit.AuditAction.LOGIN, "login_failed": audit.AuditAction.LOGIN_FAILED,
                 "logout": audit.AuditAction.LOGOUT}


def record_auth_event(action: str, outcome: str, *, username: str | None, user_id: int | None,
                      client: str | None = None) -> None:
    """Append a login, failed login or logout to the audit trail."""
    audit.record(current().app, audit.AuditEvent(
        action=_AUTH_ACTIONS[action], outcome=outcome, username=username, user_id=user_id, client=client))


def _refused(user: Principal | None, resource: str, reason: str) -> None:
    audit.record(current().app, audit.AuditEvent(
        action=audit.AuditAction.ACCESS_REFUSED, outcome="refused",
        username=getattr(user, "username", None), user_id=getattr(user, "user_id", None),
        resource=resource, reason=reason[:300]))


def _guarded(resource: str, user: Principal | None, run: Callable[[], T]) -> T:
    """Run ``run``; audit and re-raise any refusal or invalid input (a forged request, typically)."""
    try:
        return run()
    except (AccessDenied, InvalidFilter) as exc:
        _refused(user, resource, f"{type(exc).__name__}: {exc}")
        raise


def known_teams() -> list[tuple[str, str, str]]:
    """(team_id, name, service) for every team: reference data, not about any child."""
    import sqlalchemy as sa

    from data_access import schema

    def load() -> tuple[tuple[str, str, str], ...]:
        with current().analytics.connect() as conn:
            rows = conn.execute(sa.select(schema.teams.c.team_id, schema.teams.c.name, schema.teams.c.service)
                                .order_by(schema.teams.c.service, schema.teams.c.name)).all()
        return tuple(tuple(r) for r in rows)  # type: ignore[misc]
    return list(reference("known_teams", load))


def parse_filters(raw: Mapping[str, object] | None) -> Filters:
    """Validate page filters against the code lists and the store's teams (raises InvalidFilter)."""
    return Filters.parse(raw, teams=[t[0] for t in known_teams()])


@dataclass(frozen=True)
class OverviewData:
    as_of: dt.date
    kpis: list[_overview.Kpi]
    referrals_by_month: pd.DataFrame | None  # None when outside the user's services
    filters: Filters


def overview(*, user: Principal | None, filters: Mapping[str, object] | None) -> OverviewData:
    """The Overview's KPI cards and monthly referrals, suppressed.

    Raises AccessDenied unless the user's role may see aggregates; InvalidFilter for a bad slicer
    value. Both refusals are audited. Aggregates only: no identifiable data, no audit of reads.
    """
    def run() -> OverviewData:
        policy.ensure_aggregates(user)
        parsed = parse_filters(filters)
        stores = current()
        threshold = stores.settings.suppression_threshold
        day = as_of()
        with stores.analytics.connect() as conn:
            kpis = _overview.overview_kpis(conn, user=user, filters=parsed, as_of=day,  # type: ignore[arg-type]
                                           threshold=threshold)
            try:
                trend = _overview.referrals_by_month(conn, user=user, filters=parsed,  # type: ignore[arg-type]
                                                     as_of=day, threshold=threshold)
            except AccessDenied:  # outside the user's services: the card says so; not a forged request
                trend = None
        return OverviewData(day, kpis, trend, parsed)

    return _guarded("overview", user, run)


def user_banner(*, user: Principal | None) -> dict[str, Any]:
    """Display name and role label for the page header (the user's own details only)."""
    role = policy.role_of(user)
    return {"name": getattr(user, "display_name", None) or user.username,  # type: ignore[union-attr]
            "role": role.label}


# The aggregate dashboards' pages, view state and exports (data_access/views.py, data_access/export.py).
from data_access.views import (  # noqa: E402
    PageData,
    children_in_need_page,
    export_visual,
    interventions_page,
    overview_page,
    record_image_export,
    send_page,
    service_users_page,
    slicer_options,
    trend_measures,
    trends_page,
    view_state,
)

__all__ += ["PageData", "children_in_need_page", "export_visual", "interventions_page", "overview_page",
            "record_image_export", "send_page", "service_users_page",
            "slicer_options", "trend_measures", "trends_page", "view_state"]
