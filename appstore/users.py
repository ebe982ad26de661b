"""Application users in the app store: who they are, their role, teams and services.

Passwords are hashed by the ``auth`` package (argon2); this module only stores the encoded hash
and never hands it out except through ``find_login``. ``session_version`` is part of every session:
changing a user's active flag, role, teams, services or password bumps it, which revokes all of
their sessions (ASVS 7.4.2, 7.4.3, 8.3.2).

Access rule for the writers: none here. They are admin operations; the caller must have passed
the policy's user-admin check and records the ``USER_ADMIN`` audit event itself (it knows the actor).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from appstore.tables import ROLES, iso_utc, user_services, user_teams, users, write_transaction
from model import codes

USERNAME_PATTERN = re.compile(r"[a-z0-9._-]{3,64}")
_TEAM_ID = re.compile(r"[A-Za-z0-9_-]{1,16}")


class UserExists(ValueError):
    """Raised by ``create_user`` when the username is taken."""


class UnknownUser(LookupError):
    """Raised by the writers when no user has the given username."""


@dataclass(frozen=True)
class AppUser:
    """A user as the policy sees them; deliberately without the password hash."""

    user_id: int
    username: str
    display_name: str
    role: str
    team_ids: tuple[str, ...]
    services: tuple[str, ...]
    worker_id: str | None
    active: bool
    session_version: int


def _username(username: str) -> str:
    if not isinstance(username, str) or not USERNAME_PATTERN.fullmatch(username):
        raise ValueError("username must be 3-64 characters of lower-case letters, digits, '.', '_' or '-'")
    return username


def _role(role: str) -> str:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}; got {role!r}")
    return role


def _team_ids(team_ids: Iterable[str]) -> tuple[str, ...]:
    team_ids = tuple(team_ids) if not isinstance(team_ids, str) else (team_ids,)
    bad = [t for t in team_ids if not isinstance(t, str) or not _TEAM_ID.fullmatch(t)]
    if bad:
        raise ValueError(f"team ids must be 1-16 letters, digits, '_' or '-'; got {bad!r}")
    return tuple(sorted(set(team_ids)))


def _services(services: Iterable[str]) -> tuple[str, ...]:
    services = tuple(services) if not isinstance(services, str) else (services,)
    bad = [s for s in services if s not in codes.SERVICE]
    if bad:
        raise ValueError(f"services must be codes from {', '.join(codes.SERVICE)}; got {bad!r}")
    return tuple(sorted(set(services)))


def _password_hash(password_hash: str | None) -> str | None:
    # A guard against storing a password by mistake: only encoded argon2 hashes are accepted.
    if password_hash is not None and (not isinstance(password_hash, str)
                                      or not password_hash.startswith("$argon2")):
        raise ValueError("password_hash must be an argon2 encoded hash ('$argon2...'), never a password")
    return password_hash


def _optional_text(value: str | None, name: str, limit: int) -> str | None:
    if value is not None and (not isinstance(value, str) or not value.strip() or len(value) > limit):
        raise ValueError(f"{name} must be non-blank text of at most {limit} characters")
    return value.strip() if value is not None else None


def checked_grant(username: str, role: str, team_ids: Iterable[str] | None,
                  services: Iterable[str] | None) -> tuple[str, str, tuple[str, ...] | None, tuple[str, ...] | None]:
    """(username, role, teams, services) as the writers would store them (None kept); ValueError if bad."""
    return (_username(username), _role(role), None if team_ids is None else _team_ids(team_ids),
            None if services is None else _services(services))


def _load(conn: sa.Connection, *where: sa.ColumnElement[bool]) -> list[tuple[AppUser, str | None]]:
    rows = conn.execute(sa.select(users).where(*where).order_by(users.c.username)).mappings().all()
    ids = [r["user_id"] for r in rows]
    teams: dict[int, list[str]] = {i: [] for i in ids}
    services: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        for uid, team in conn.execute(sa.select(user_teams.c.user_id, user_teams.c.team_id)
                                      .where(user_teams.c.user_id.in_(ids))):
            teams[uid].append(team)
        for uid, service in conn.execute(sa.select(user_services.c.user_id, user_services.c.service)
                                         .where(user_services.c.user_id.in_(ids))):
            services[uid].append(service)
    return [(AppUser(user_id=r["user_id"], username=r["username"], display_name=r["display_name"],
                     role=r["role"], team_ids=tuple(sorted(teams[r["user_id"]])),
                     services=tuple(sorted(services[r["user_id"]])), worker_id=r["worker_id"],
                     active=bool(r["active"]), session_version=r["session_version"]),
             r["password_hash"]) for r in rows]


def _replace_scope(conn: sa.Connection, user_id: int, team_ids: tuple[str, ...] | None,
                   services: tuple[str, ...] | None) -> None:
    if team_ids is not None:
        conn.execute(user_teams.delete().where(user_teams.c.user_id == user_id))
        if team_ids:
            conn.execute(user_teams.insert(), [{"user_id": user_id, "team_id": t} for t in team_ids])
    if services is not None:
        conn.execute(user_services.delete().where(user_services.c.user_id == user_id))
        if services:
            conn.execute(user_services.insert(), [{"user_id": user_id, "service": s} for s in services])


def create_user(engine: sa.Engine, *, username: str, role: str, password_hash: str | None = None,
                display_name: str | None = None, team_ids: Iterable[str] = (),
                services: Iterable[str] = (), worker_id: str | None = None) -> AppUser:
    """Add an active user (``password_hash`` None for SSO-only users); returns it.

    Raises ValueError for a bad username, role, team, service or hash, and ``UserExists`` (a
    ValueError) when the username is taken. Side effects: one user row and its scope rows.
    """
    username, role = _username(username), _role(role)
    values = {"username": username, "role": role, "password_hash": _password_hash(password_hash),
              "display_name": _optional_text(display_name, "display_name", 120) or username,
              "worker_id": _optional_text(worker_id, "worker_id", 16), "active": True,
              "session_version": 0, "created_at": iso_utc(), "updated_at": iso_utc()}
    teams, service_codes = _team_ids(team_ids), _services(services)
    try:
        with write_transaction(engine) as conn:
            if conn.execute(sa.select(users.c.user_id).where(users.c.username == username)).first():
                raise UserExists(f"a user named {username!r} already exists")
            user_id = conn.execute(users.insert().values(**values).returning(users.c.user_id)).scalar_one()
            _replace_scope(conn, user_id, teams, service_codes)
            return _load(conn, users.c.user_id == user_id)[0][0]
    except sa.exc.IntegrityError as exc:
        if "username" not in str(exc.orig):
            raise
        raise UserExists(f"a user named {username!r} already exists") from exc  # a concurrent create won


def find_user(engine: sa.Engine, user_id: int) -> AppUser | None:
    """The user with ``user_id``, active or not (the caller refuses inactive ones), else None."""
    with engine.connect() as conn:
        found = _load(conn, users.c.user_id == user_id)
    return found[0][0] if found else None


def find_login(engine: sa.Engine, username: str) -> tuple[AppUser, str | None] | None:
    """The user named ``username`` and their password hash (None for SSO users), else None.

    For the login check only: the hash must not travel further than the verifier.
    """
    if not isinstance(username, str) or not USERNAME_PATTERN.fullmatch(username):
        return None
    with engine.connect() as conn:
        found = _load(conn, users.c.username == username)
    return found[0] if found else None


def list_users(engine: sa.Engine) -> list[AppUser]:
    """Every user, ordered by username (for the admin page)."""
    with engine.connect() as conn:
        return [user for user, _ in _load(conn)]


def _change(engine: sa.Engine, username: str, values: dict[str, Any], *,
            team_ids: tuple[str, ...] | None = None, services: tuple[str, ...] | None = None,
            revoke: bool = True, if_hash: str | None = None) -> AppUser:
    """Apply a change; bump session_version when ``revoke`` and something actually changed.

    ``if_hash``: change nothing unless the stored password hash is still this one (checked under the
    row lock), so a rehash never overwrites a password changed since it was verified."""
    with write_transaction(engine) as conn:
        # Row lock on PostgreSQL (SQLite already holds the write lock): concurrent admins queue.
        conn.execute(sa.select(users.c.user_id).where(users.c.username == username).with_for_update())
        found = _load(conn, users.c.username == username)
        if not found:
            raise UnknownUser(f"no user named {username!r}")
        before, before_hash = found[0]
        if if_hash is not None and before_hash != if_hash:
            return before
        current = {**before.__dict__, "password_hash": before_hash}
        changed = any(current[k] != v for k, v in values.items())
        changed |= team_ids is not None and team_ids != before.team_ids
        changed |= services is not None and services != before.services
        if not changed:
            return before
        update: dict[str, Any] = {**values, "updated_at": iso_utc()}
        if revoke:
            update["session_version"] = users.c.session_version + 1
        conn.execute(users.update().where(users.c.user_id == before.user_id).values(**update))
        _replace_scope(conn, before.user_id, team_ids, services)
        return _load(conn, users.c.user_id == before.user_id)[0][0]


def set_active(engine: sa.Engine, *, username: str, active: bool) -> AppUser:
    """Enable or disable a user; a change revokes their sessions. Raises ``UnknownUser``."""
    return _change(engine, username, {"active": bool(active)})


def set_role(engine: sa.Engine, *, username: str, role: str, team_ids: Iterable[str] | None = None,
             services: Iterable[str] | None = None) -> AppUser:
    """Change role and, when given, replace teams/services (None keeps them); a change revokes sessions.

    Raises ValueError for a bad role, team or service and ``UnknownUser`` for an unknown username.
    """
    return _change(engine, username, {"role": _role(role)},
                   team_ids=None if team_ids is None else _team_ids(team_ids),
                   services=None if services is None else _services(services))


def set_password_hash(engine: sa.Engine, *, username: str, password_hash: str | None,
                      revoke_sessions: bool = True, replacing: str | None = None) -> AppUser:
    """Store a new argon2 hash (None: SSO only); by default revokes every session (ASVS 7.4.3).

    Pass ``revoke_sessions=False`` for a transparent rehash at login (same password, new parameters),
    with ``replacing``: the hash just verified (nothing is stored if the password changed meanwhile).
    """
    return _change(engine, username, {"password_hash": _password_hash(password_hash)},
                   revoke=revoke_sessions, if_hash=replacing)


def revoke_sessions(engine: sa.Engine, *, username: str) -> AppUser:
    """Bump ``session_version`` so every existing session of the user stops working (ASVS 7.4.5)."""
    with write_transaction(engine) as conn:
        result = conn.execute(users.update().where(users.c.username == username)
                              .values(session_version=users.c.session_version + 1, updated_at=iso_utc()))
        if result.rowcount != 1:
            raise UnknownUser(f"no user named {username!r}")
        return _load(conn, users.c.username == username)[0][0]
