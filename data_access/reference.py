"""Reference data (teams), the signed-in user's own details and sign-in lookups: no child data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from appstore import users
from data_access import policy
from data_access.filters import Filters
from data_access.policy import Principal
from data_access.stores import current, reference
from model import schema


def find_login(username: str) -> tuple[users.AppUser, str | None] | None:
    """The user and password hash for a login attempt (for auth only)."""
    return users.find_login(current().app, username)


def known_teams() -> list[tuple[str, str, str]]:
    """(team_id, name, service) for every team: reference data, not about any child."""
    def load() -> tuple[tuple[str, str, str], ...]:
        t = schema.teams.c
        with current().analytics.connect() as conn:
            rows = conn.execute(sa.select(t.team_id, t.name, t.service).order_by(t.service, t.name)).all()
        return tuple((str(a), str(b), str(c)) for a, b, c in rows)
    return list(reference("known_teams", load))


def parse_filters(raw: Mapping[str, object] | None) -> Filters:
    """Validate page filters against the code lists and the store's teams (raises InvalidFilter)."""
    return Filters.parse(raw, teams=[t[0] for t in known_teams()])


def user_banner(*, user: Principal | None) -> dict[str, Any]:
    """Display name and role label for the page header (the user's own details only)."""
    role = policy.role_of(user)
    name = getattr(user, "display_name", None) or getattr(user, "username", "")
    return {"name": name, "role": role.label}
