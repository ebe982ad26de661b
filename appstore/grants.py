"""Four-eyes access requests and one-time set-password tokens in the app store (storage only).

No policy here: ``data_access.approvals`` and ``data_access.setpassword`` decide who may request,
approve or use what, and audit it. Two invariants are also held by the store itself: a request is
decided once (``decide`` moves only a pending one), and a request's decider is never its requester
(a CHECK constraint). Tokens are stored as their sha256 only; a token is spent by using it, by a
newer token for the same user, or by expiry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import sqlalchemy as sa

from appstore.tables import access_requests, iso_utc, set_password_tokens, users, write_transaction


class NotPending(LookupError):
    """Raised by ``decide`` for an unknown request or one already decided."""


@dataclass(frozen=True)
class AccessRequest:
    request_id: int
    kind: str  # "create", "set_role" or "reset_password"
    target: str
    role: str
    team_ids: tuple[str, ...] | None  # None: keep the user's teams
    services: tuple[str, ...] | None
    display_name: str | None
    worker_id: str | None
    local_password: bool
    requested_by: int
    requested_at: str
    status: str
    decided_by: int | None
    decided_at: str | None


def _split(text: str | None) -> tuple[str, ...] | None:
    return None if text is None else tuple(t for t in text.split(",") if t)


def _join(values: tuple[str, ...] | None) -> str | None:
    return None if values is None else ",".join(values)


def _request(row: sa.RowMapping) -> AccessRequest:
    return AccessRequest(
        request_id=row["request_id"], kind=row["kind"], target=row["target"], role=row["role"],
        team_ids=_split(row["team_ids"]), services=_split(row["services"]), display_name=row["display_name"],
        worker_id=row["worker_id"], local_password=bool(row["local_password"]), requested_by=row["requested_by"],
        requested_at=row["requested_at"], status=row["status"], decided_by=row["decided_by"],
        decided_at=row["decided_at"])


def add_request(engine: sa.Engine, *, kind: str, target: str, role: str, requested_by: int,
                team_ids: tuple[str, ...] | None = None, services: tuple[str, ...] | None = None,
                display_name: str | None = None, worker_id: str | None = None,
                local_password: bool = False) -> AccessRequest:
    """Store a pending request; returns it."""
    with write_transaction(engine) as conn:
        request_id = conn.execute(access_requests.insert().values(
            kind=kind, target=target, role=role, team_ids=_join(team_ids), services=_join(services),
            display_name=display_name, worker_id=worker_id, local_password=local_password,
            requested_by=requested_by, requested_at=iso_utc(), status="pending",
        ).returning(access_requests.c.request_id)).scalar_one()
        return _request(conn.execute(sa.select(access_requests).where(
            access_requests.c.request_id == request_id)).mappings().one())


def find_request(engine: sa.Engine, request_id: int) -> AccessRequest | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(access_requests).where(
            access_requests.c.request_id == request_id)).mappings().first()
    return _request(row) if row else None


def list_requests(engine: sa.Engine, *, status: str | None = "pending") -> list[AccessRequest]:
    """Requests (by default the pending ones), oldest first."""
    query = sa.select(access_requests).order_by(access_requests.c.request_id)
    if status is not None:
        query = query.where(access_requests.c.status == status)
    with engine.connect() as conn:
        return [_request(r) for r in conn.execute(query).mappings()]


def pending_for(engine: sa.Engine, target: str) -> list[AccessRequest]:
    """Pending requests about ``target``."""
    return [r for r in list_requests(engine) if r.target == target]


def decide(engine: sa.Engine, request_id: int, *, status: str, decided_by: int,
           note: str | None = None) -> AccessRequest:
    """Move a pending request to "approved" or "rejected" (once); raises NotPending otherwise."""
    if status not in ("approved", "rejected"):
        raise ValueError("a decision is 'approved' or 'rejected'")
    with write_transaction(engine) as conn:
        moved = conn.execute(access_requests.update().where(
            access_requests.c.request_id == request_id, access_requests.c.status == "pending",
            access_requests.c.requested_by != decided_by,
        ).values(status=status, decided_by=decided_by, decided_at=iso_utc(), decision_note=note))
        if moved.rowcount != 1:
            raise NotPending(f"request {request_id} is not waiting for a decision by this approver")
        return _request(conn.execute(sa.select(access_requests).where(
            access_requests.c.request_id == request_id)).mappings().one())


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_token(engine: sa.Engine, *, user_id: int, token: str, issued_by: int | None, hours: int,
              now: dt.datetime | None = None) -> str:
    """Store ``token`` (hashed) for ``user_id``, spending the user's earlier unused tokens; returns
    its expiry (ISO text)."""
    now = now or dt.datetime.now(dt.UTC)
    expires = iso_utc(now + dt.timedelta(hours=hours))
    with write_transaction(engine) as conn:
        conn.execute(set_password_tokens.update().where(
            set_password_tokens.c.user_id == user_id, set_password_tokens.c.used_at.is_(None),
        ).values(used_at=iso_utc(now)))
        conn.execute(set_password_tokens.insert().values(
            token_hash=token_hash(token), user_id=user_id, issued_by=issued_by, issued_at=iso_utc(now),
            expires_at=expires))
    return expires


def issued_link(engine: sa.Engine, *, username: str, issued_by: int) -> bool:
    """Whether ``issued_by`` ever held a set-password link for the account ``username`` (and so could
    have set its password: they may control it)."""
    with engine.connect() as conn:
        found = conn.execute(sa.select(sa.func.count()).select_from(set_password_tokens.join(
            users, users.c.user_id == set_password_tokens.c.user_id)).where(
            users.c.username == username, set_password_tokens.c.issued_by == issued_by)).scalar_one()
    return int(found) > 0


@dataclass(frozen=True)
class TokenCheck:
    status: str  # "ok", "unknown", "used", "expired", "disabled"
    user_id: int | None = None
    username: str | None = None


def _check(conn: sa.Connection, token: str, now: dt.datetime) -> TokenCheck:
    row = conn.execute(sa.select(set_password_tokens.c.user_id, set_password_tokens.c.used_at,
                                 set_password_tokens.c.expires_at, users.c.username, users.c.active)
                       .join(users, users.c.user_id == set_password_tokens.c.user_id)
                       .where(set_password_tokens.c.token_hash == token_hash(token))).first()
    if row is None:
        return TokenCheck("unknown")
    status = ("used" if row.used_at is not None else "expired" if row.expires_at <= iso_utc(now)
              else "disabled" if not row.active else "ok")
    return TokenCheck(status, row.user_id, row.username)


def check_token(engine: sa.Engine, token: str, now: dt.datetime | None = None) -> TokenCheck:
    with engine.connect() as conn:
        return _check(conn, token, now or dt.datetime.now(dt.UTC))


def use_token(engine: sa.Engine, token: str, password_hash: str, now: dt.datetime | None = None) -> TokenCheck:
    """Spend ``token`` and store ``password_hash`` for its user (ending their sessions), in one
    transaction; returns the check (status "ok" only when both happened)."""
    if not password_hash.startswith("$argon2"):
        raise ValueError("password_hash must be an argon2 encoded hash, never a password")
    now = now or dt.datetime.now(dt.UTC)
    with write_transaction(engine) as conn:
        found = _check(conn, token, now)
        if found.status != "ok":
            return found
        spent = conn.execute(set_password_tokens.update().where(
            set_password_tokens.c.token_hash == token_hash(token), set_password_tokens.c.used_at.is_(None),
        ).values(used_at=iso_utc(now)))
        if spent.rowcount != 1:
            return TokenCheck("used", found.user_id, found.username)
        conn.execute(users.update().where(users.c.user_id == found.user_id).values(
            password_hash=password_hash, updated_at=iso_utc(now), session_version=users.c.session_version + 1))
        return found


def users_with_live_tokens(engine: sa.Engine, now: dt.datetime | None = None) -> frozenset[int]:
    t = set_password_tokens.c
    with engine.connect() as conn:
        return frozenset(conn.execute(sa.select(t.user_id).where(
            t.used_at.is_(None), t.expires_at > iso_utc(now or dt.datetime.now(dt.UTC)))).scalars())
