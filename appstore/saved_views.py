"""Saved views in the app store (storage only; ``data_access.saved_views`` decides and validates)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from appstore.tables import iso_utc, saved_views, write_transaction

V = saved_views.c


@dataclass(frozen=True)
class SavedView:
    view_id: int
    user_id: int
    name: str
    page: str
    query: str
    share_token: str | None
    created_at: str


def _view(row: sa.RowMapping) -> SavedView:
    return SavedView(row["view_id"], row["user_id"], row["name"], row["page"], row["query"], row["share_token"],
                     row["created_at"])


def save(engine: sa.Engine, *, user_id: int, name: str, page: str, query: str) -> SavedView:
    """Save (or replace, by name) one of the user's views."""
    with write_transaction(engine) as conn:
        conn.execute(saved_views.delete().where(V.user_id == user_id, V.name == name))
        inserted = conn.execute(saved_views.insert().values(
            user_id=user_id, name=name, page=page, query=query, created_at=iso_utc())).inserted_primary_key
        assert inserted is not None  # an INSERT of one row always has a key
        view_id = inserted[0]
        row = conn.execute(sa.select(saved_views).where(V.view_id == view_id)).mappings().one()
    return _view(row)


def of_user(engine: sa.Engine, user_id: int) -> list[SavedView]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(saved_views).where(V.user_id == user_id).order_by(V.name)).mappings().all()
    return [_view(r) for r in rows]


def by_share_token(engine: sa.Engine, token: str) -> SavedView | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(saved_views).where(V.share_token == token)).mappings().first()
    return _view(row) if row else None


def set_shared(engine: sa.Engine, *, user_id: int, view_id: int, shared: bool) -> SavedView | None:
    """Share the user's own view by a new unguessable token, or stop sharing it; None if not theirs."""
    with write_transaction(engine) as conn:
        done = conn.execute(saved_views.update().where(V.view_id == view_id, V.user_id == user_id)
                            .values(share_token=secrets.token_urlsafe(18) if shared else None))
        if not done.rowcount:
            return None
        row = conn.execute(sa.select(saved_views).where(V.view_id == view_id)).mappings().one()
    return _view(row)


def delete(engine: sa.Engine, *, user_id: int, view_id: int) -> bool:
    """Delete the user's own view; False if it is not theirs (or does not exist)."""
    with write_transaction(engine) as conn:
        return bool(conn.execute(saved_views.delete().where(V.view_id == view_id, V.user_id == user_id)).rowcount)
