"""Server-side sessions and the record of sign-in attempts, both in the app store.

A session is a row in ``sessions`` keyed by the sha256 of a random reference token (ASVS 7.2.3:
256 bits from ``secrets``); the browser holds only the token. Every request looks the row up
(``SessionStore.touch``), so a session is refused on the very next request once it is revoked
(logout, "log out everywhere", an administrator), idle for longer than the idle timeout, older than
the absolute lifetime, or its user is disabled or has had their ``session_version`` bumped (a role,
team, service or password change; see ``users.py``). The token embeds the user's
``session_version`` at sign-in, and the hash covers it, so it cannot be edited.

Sign-in throttling keeps no state of its own: ``sign_in_failures`` counts the failed password
attempts already in the audit trail (per username since their last success, and per client
address), so every worker sees the same counts and nothing lives only in a worker's memory.

Access rule: none here; these are called by the sign-in machinery (wired in ``app.py``) with the
user it has just authenticated or the token it was given. Side effects are stated per function.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from appstore import audit, users
from appstore.tables import audit_events, iso_utc, sessions, write_transaction
from appstore.trail import Trail

# The ``reason`` of a LOGIN_FAILED event for a password that was not accepted (wrong password,
# unknown or disabled user): the only failures that count towards throttling. A refusal because
# of throttling is recorded with THROTTLED and does not count, so a wait is not extended by it.
PASSWORD_NOT_ACCEPTED = "password not accepted"
THROTTLED = "throttled"

_AUTH_ACTIONS = {"login": audit.AuditAction.LOGIN, "login_failed": audit.AuditAction.LOGIN_FAILED,
                 "logout": audit.AuditAction.LOGOUT, "refused": audit.AuditAction.ACCESS_REFUSED}


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class SessionStore:
    """Create, check, and revoke server-side sessions; ``app.py`` hands one to ``auth.init_auth``."""

    def __init__(self, engine: sa.Engine, *, idle_minutes: int, max_hours: int) -> None:
        self.engine = engine
        if idle_minutes <= 0 or max_hours <= 0:
            raise ValueError("session idle timeout and lifetime must be positive")
        self.idle = dt.timedelta(minutes=idle_minutes)
        self.lifetime = dt.timedelta(hours=max_hours)
        # last_seen_at is written at most this often per session: idle timeouts are exact to
        # within this margin, and a page's burst of callbacks costs one write, not one each.
        self.touch_interval = min(dt.timedelta(seconds=60), self.idle / 10)

    def create(self, *, user_id: int, client: str | None = None) -> str:
        """A new session for the user; returns its token (the only copy of it).

        Side effects: one ``sessions`` row; rows long past any use are purged.
        """
        user = users.find_user(self.engine, user_id)
        if user is None or not user.active:
            raise ValueError("cannot start a session for an unknown or disabled user")
        token = f"{user.session_version}.{secrets.token_urlsafe(32)}"
        now = _now()
        with write_transaction(self.engine) as conn:
            conn.execute(sessions.delete().where(
                sessions.c.created_at < iso_utc(now - self.lifetime - dt.timedelta(days=1))))
            conn.execute(sessions.insert().values(
                session_id_hash=_hash(token), user_id=user_id, created_at=iso_utc(now),
                last_seen_at=iso_utc(now), revoked_at=None, client=(client or None) and client[:200]))
        return token

    def touch(self, token: str) -> users.AppUser | None:
        """The session's user if the session is live, else None; keeps a live session from idling.

        Refused (None): unknown or revoked token, idle too long, past its lifetime, user disabled
        or their ``session_version`` moved on. Side effects: ``last_seen_at`` updated at most once
        per ``touch_interval``.
        """
        if not isinstance(token, str) or len(token) > 200:
            return None
        engine = self.engine
        with engine.connect() as conn:
            row = conn.execute(sa.select(sessions).where(sessions.c.session_id_hash == _hash(token))).first()
        now = _now()
        if row is None or row.revoked_at is not None:
            return None
        created, last_seen = dt.datetime.fromisoformat(row.created_at), dt.datetime.fromisoformat(row.last_seen_at)
        if now - created > self.lifetime or now - last_seen > self.idle:
            return None
        user = users.find_user(engine, row.user_id)
        if user is None or not user.active or token.split(".", 1)[0] != str(user.session_version):
            return None
        if now - last_seen >= self.touch_interval:
            with write_transaction(engine) as conn:
                conn.execute(sessions.update().where(sessions.c.session_id_hash == row.session_id_hash)
                             .values(last_seen_at=iso_utc(now)))
        return user

    def revoke(self, token: str) -> None:
        """End one session (logout). Side effects: sets its ``revoked_at``."""
        with write_transaction(self.engine) as conn:
            conn.execute(sessions.update().where(sessions.c.session_id_hash == _hash(token),
                                                 sessions.c.revoked_at.is_(None))
                         .values(revoked_at=iso_utc()))

    def revoke_all(self, user_id: int) -> int:
        """End every live session of the user ("log out everywhere"); returns how many ended."""
        return revoke_user_sessions(self.engine, user_id)


def revoke_user_sessions(engine: sa.Engine, user_id: int) -> int:
    """Set ``revoked_at`` on every unrevoked session of ``user_id``; returns the count."""
    with write_transaction(engine) as conn:
        result = conn.execute(sessions.update().where(sessions.c.user_id == user_id,
                                                      sessions.c.revoked_at.is_(None))
                              .values(revoked_at=iso_utc()))
    return int(result.rowcount or 0)


def live_session_count(engine: sa.Engine, user_id: int, *, idle_minutes: int, max_hours: int) -> int:
    """How many unrevoked, unexpired sessions the user has (for the admin page)."""
    now = _now()
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(sessions).where(
            sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None),
            sessions.c.created_at >= iso_utc(now - dt.timedelta(hours=max_hours)),
            sessions.c.last_seen_at >= iso_utc(now - dt.timedelta(minutes=idle_minutes)))).scalar_one())


@dataclass(frozen=True)
class SignInFailures:
    """Failed password attempts in the window: for the username (since its last success) and client."""

    account: int
    account_last: dt.datetime | None
    client: int
    client_last: dt.datetime | None


def _audited_username(username: str | None) -> str | None:
    # The trail stores usernames cleaned and cut (AuditEvent); count against the same text.
    return audit.AuditEvent(action=audit.AuditAction.LOGIN_FAILED, outcome="failure",
                            username=username).username if username else None


def sign_in_failures(engine: sa.Engine, *, username: str | None, client: str | None,
                     window_minutes: int) -> SignInFailures:
    """Count failed password attempts in the last ``window_minutes`` from the audit trail.

    Existing and unknown usernames are counted alike (the trail records every attempt), so the
    throttle built on these counts cannot tell anyone which usernames exist. Side effects: none.
    """
    since = iso_utc(_now() - dt.timedelta(minutes=window_minutes))
    failed = sa.and_(audit_events.c.action == str(audit.AuditAction.LOGIN_FAILED),
                     audit_events.c.reason == PASSWORD_NOT_ACCEPTED, audit_events.c.occurred_at >= since)
    count = (sa.func.count(), sa.func.max(audit_events.c.occurred_at))
    name = _audited_username(username)
    with engine.connect() as conn:
        account, account_last = 0, None
        if name is not None:
            last_success = (sa.select(sa.func.coalesce(sa.func.max(audit_events.c.seq), 0))
                            .where(audit_events.c.action == str(audit.AuditAction.LOGIN),
                                   audit_events.c.username == name, audit_events.c.occurred_at >= since)
                            .scalar_subquery())
            account, account_last = conn.execute(sa.select(*count).where(
                failed, audit_events.c.username == name, audit_events.c.seq > last_success)).one()
        by_client, client_last = (0, None) if not client else conn.execute(
            sa.select(*count).where(failed, audit_events.c.client == client[:200])).one()
    return SignInFailures(int(account), _as_time(account_last), int(by_client), _as_time(client_last))


def _as_time(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def record_sign_in_event(trail: Trail, action: str, outcome: audit.Outcome, *, username: str | None,
                         user_id: int | None, client: str | None = None, reason: str | None = None,
                         method: str | None = None) -> None:
    """Append a sign-in, failed sign-in, sign-out or refused request to the audit trail.

    ``action`` is one of login, login_failed, logout, refused; ``method`` (password, sso) goes
    in the event's detail. Side effects: one audit event, written by ``trail`` under the audit key.
    """
    trail.record(audit.AuditEvent(
        action=_AUTH_ACTIONS[action], outcome=outcome, username=username, user_id=user_id, client=client,
        reason=reason, resource="request" if action == "refused" else "",
        detail={"method": method} if method else {}))
