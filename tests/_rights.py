"""Helpers for the data subjects' rights tests (subject access, consent, rectification)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

import data_access
from appstore import users

AS_OF = dt.date(2025, 10, 31)  # the demo store's data date (tests/_stores.py)
EH_CASEWORKER = "eh-caseworker"
DETAIL_LEFT_OUT = {"rkey", "child_rkey", "child_sex", "child_locality", "child_birth_date", "episode_team_id",
                   "episode_referral_source", "episode_primary_need", "episode_closure_reason"}


def user(username: str) -> Any:
    return users.find_login(data_access.current().app, username)[0]  # type: ignore[index]


def store() -> sa.Engine:
    return data_access.current().analytics


def identifiers(child_id: int) -> tuple[str, str | None]:
    """(LA child ID, UPN) of a child, read straight from the analytics store."""
    with store().connect() as conn:
        row = conn.execute(sa.text("SELECT la_child_id, upn FROM children WHERE child_id = :c"), {"c": child_id}).one()
    return str(row[0]), row[1]


def rich_child() -> int:
    """A demo child with records in most sections: CP and EHC plans, consent, the most episodes."""
    with store().connect() as conn:
        return int(conn.execute(sa.text(
            "SELECT c.child_id FROM children c WHERE upn IS NOT NULL "
            "AND EXISTS (SELECT 1 FROM ehc_plans e WHERE e.child_id = c.child_id) "
            "AND EXISTS (SELECT 1 FROM cp_plans e WHERE e.child_id = c.child_id) "
            "AND EXISTS (SELECT 1 FROM sen_placements e WHERE e.child_id = c.child_id) "
            "AND EXISTS (SELECT 1 FROM involvements e WHERE e.child_id = c.child_id AND lawful_basis = 'consent') "
            "ORDER BY (SELECT count(*) FROM cin_episodes e WHERE e.child_id = c.child_id) DESC, c.child_id "
            "LIMIT 1")).scalar_one())


def consent_case() -> tuple[str, str, int, int]:
    """(worker_id, team_id, child_id, involvement_id): an early help or family support worker whose one
    allocation to a child, live on the data date (or within the grace period), is on an involvement held under consent (given,
    not withdrawn in the source): that worker can open the child under consent only."""
    with store().connect() as conn:
        row = conn.execute(sa.text(
            "WITH live AS (SELECT a.worker_id, a.team_id, a.child_id, a.involvement_id, i.lawful_basis, "
            "  i.consent_given_date, i.consent_withdrawn_date FROM allocations a "
            "  JOIN involvements i ON i.involvement_id = a.involvement_id "
            "  WHERE a.start_date <= :day AND (a.end_date IS NULL OR a.end_date >= :since)) "
            "SELECT worker_id, min(team_id), child_id, min(involvement_id) FROM live GROUP BY worker_id, child_id "
            "HAVING count(*) = 1 AND min(lawful_basis) = 'consent' AND max(lawful_basis) = 'consent' "
            "AND max(consent_withdrawn_date) IS NULL AND max(consent_given_date) <= :day "
            "ORDER BY worker_id, child_id LIMIT 1"), {"day": AS_OF, "since": AS_OF - dt.timedelta(days=28)}).one()
    return str(row[0]), str(row[1]), int(row[2]), int(row[3])


def make_eh_caseworker(worker_id: str, team_id: str, password_hash: str | None = None) -> Any:
    """A caseworker account linked to ``worker_id`` (made directly in the app store, as an operator would)."""
    with store().connect() as conn:
        service = conn.execute(sa.text("SELECT service FROM teams WHERE team_id = :t"), {"t": team_id}).scalar_one()
    users.create_user(data_access.current().app, username=EH_CASEWORKER, role="caseworker",
                      password_hash=password_hash, team_ids=(team_id,), services=(str(service),), worker_id=worker_id)
    return user(EH_CASEWORKER)
