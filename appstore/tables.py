"""The app store: users, sessions, break-glass grants, access requests, set-password links, audit trail.

Transactional and small, unlike the analytics store: SQLite by default (one file in the data
directory), PostgreSQL in production. Tables are SQLAlchemy Core; the schema is created and evolved
only by the Alembic migrations in ``data_access/migrations`` (``migrate(url)``), never by
``metadata.create_all``, so every deployment has the same triggers and constraints.

Timestamps are stored as UTC ISO 8601 text with microseconds (``iso_utc``): the same string on
every engine (the audit chain hashes them), lexically ordered, and no sqlite3 datetime adapters.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROLES: tuple[str, ...] = (
    "leadership", "service_manager", "team_manager", "caseworker", "analyst", "ig_officer", "admin",
)
OUTCOMES: tuple[str, ...] = ("allowed", "refused", "success", "failure")
GENESIS_HASH = "0" * 64
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

_BEGIN_IMMEDIATE = "csi_begin_immediate"  # execution option read by the SQLite "begin" listener

metadata = sa.MetaData()


def _ts(name: str, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(32), nullable=nullable, comment="UTC ISO 8601 text")


def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


users = sa.Table(
    "users", metadata,
    sa.Column("user_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("display_name", sa.String(120), nullable=False),
    sa.Column("role", sa.String(24), nullable=False),
    sa.Column("password_hash", sa.String(255), nullable=True, comment="argon2; NULL for SSO users"),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("worker_id", sa.String(16), nullable=True, comment="-> analytics workers.worker_id"),
    _ts("created_at"),
    _ts("updated_at"),
    sa.Column("session_version", sa.Integer, nullable=False, server_default="0",
              comment="bumped to revoke every session of the user"),
    sa.CheckConstraint(f"role IN ({_quoted(ROLES)})", name="ck_users_role"),
    # AUTOINCREMENT on SQLite: a user_id is never reused, since audit events name it.
    sqlite_autoincrement=True,
)

user_teams = sa.Table(
    "user_teams", metadata,
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.user_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("team_id", sa.String(16), primary_key=True, comment="-> analytics teams.team_id"),
)

user_services = sa.Table(
    "user_services", metadata,
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.user_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("service", sa.String(8), primary_key=True, comment="codes.SERVICE"),
)

sessions = sa.Table(
    "sessions", metadata,
    sa.Column("session_id_hash", sa.String(64), primary_key=True, comment="sha256 of the session token"),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.user_id", ondelete="CASCADE"), nullable=False,
              index=True),
    _ts("created_at"),
    _ts("last_seen_at"),
    _ts("revoked_at", nullable=True),
    sa.Column("client", sa.String(200), nullable=True),
)

break_glass_grants = sa.Table(
    "break_glass_grants", metadata,
    sa.Column("grant_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.user_id"), nullable=False),
    sa.Column("child_id", sa.Integer, nullable=False, comment="opaque analytics child_id"),
    sa.Column("justification", sa.Text, nullable=False),
    _ts("granted_at"),
    _ts("expires_at"),
    sa.Column("reviewed_by", sa.Integer, sa.ForeignKey("users.user_id"), nullable=True),
    _ts("reviewed_at", nullable=True),
    sa.Column("review_note", sa.Text, nullable=True),
    sa.Column("reason_code", sa.String(32), nullable=True, comment="codes.BREAK_GLASS_REASON; NULL before 0002"),
    sa.Column("status", sa.String(16), nullable=False, server_default="granted",
              comment="granted, or refused_limit: asked past the per-user limit (never live; for IG review)"),
    sa.Column("review_outcome", sa.String(32), nullable=True, comment="codes.BREAK_GLASS_REVIEW_OUTCOME"),
    sa.Index("ix_break_glass_user_child", "user_id", "child_id"),
    sqlite_autoincrement=True,
)

REQUEST_KINDS: tuple[str, ...] = ("create", "set_role", "reset_password")
REQUEST_STATUSES: tuple[str, ...] = ("pending", "approved", "rejected")

access_requests = sa.Table(
    "access_requests", metadata,
    sa.Column("request_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("target", sa.String(64), nullable=False, comment="username the request is about"),
    sa.Column("role", sa.String(24), nullable=False),
    sa.Column("team_ids", sa.Text, nullable=True, comment="comma-separated; NULL keeps the user's teams"),
    sa.Column("services", sa.Text, nullable=True, comment="comma-separated; NULL keeps the user's services"),
    sa.Column("display_name", sa.String(120), nullable=True),
    sa.Column("worker_id", sa.String(16), nullable=True),
    sa.Column("local_password", sa.Boolean, nullable=False, server_default=sa.false(),
              comment="create: a local account started by a set-password link (else single sign-on)"),
    sa.Column("requested_by", sa.Integer, sa.ForeignKey("users.user_id"), nullable=False),
    _ts("requested_at"),
    sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
    sa.Column("decided_by", sa.Integer, sa.ForeignKey("users.user_id"), nullable=True),
    _ts("decided_at", nullable=True),
    sa.Column("decision_note", sa.Text, nullable=True),
    sa.CheckConstraint(f"kind IN ({_quoted(REQUEST_KINDS)})", name="ck_access_requests_kind"),
    sa.CheckConstraint(f"status IN ({_quoted(REQUEST_STATUSES)})", name="ck_access_requests_status"),
    sa.CheckConstraint("decided_by IS NULL OR decided_by <> requested_by", name="ck_access_requests_four_eyes"),
    sa.Index("ix_access_requests_status", "status"),
    sqlite_autoincrement=True,
    comment="Grants of identifiable access waiting for a second approver (four eyes)",
)

set_password_tokens = sa.Table(
    "set_password_tokens", metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True, comment="sha256 of the one-time token"),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.user_id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("issued_by", sa.Integer, nullable=True, comment="NULL: the command line"),
    _ts("issued_at"),
    _ts("expires_at"),
    _ts("used_at", nullable=True),
    comment="One-time, expiring set-password links; spent when used or superseded",
)

audit_events = sa.Table(
    "audit_events", metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    _ts("occurred_at"),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("username", sa.String(64), nullable=True),
    sa.Column("user_id", sa.Integer, nullable=True, comment="no FK: the trail outlives any user row"),
    sa.Column("purpose", sa.String(64), nullable=True),
    sa.Column("lawful_basis", sa.String(64), nullable=True),
    sa.Column("resource", sa.String(64), nullable=False),
    sa.Column("child_ids", sa.Text, nullable=False, comment="canonical JSON list of opaque child_ids"),
    sa.Column("fields", sa.Text, nullable=False, comment="canonical JSON list of field NAMES"),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("client", sa.String(200), nullable=True),
    sa.Column("detail", sa.Text, nullable=False, comment="canonical JSON object"),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("entry_hash", sa.String(64), nullable=False),
    sa.Column("pseudonyms", sa.Text, nullable=True,
              comment="canonical JSON list of the pseudonyms a pseudonymised read showed (migration 0003)"),
    sa.CheckConstraint(f"outcome IN ({_quoted(OUTCOMES)})", name="ck_audit_events_outcome"),
    sa.Index("ix_audit_events_occurred_at", "occurred_at"),
    sa.Index("ix_audit_events_username", "username"),
    comment="Append-only, hash-chained; triggers refuse UPDATE and DELETE",
)

audit_head = sa.Table(
    "audit_head", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("entry_hash", sa.String(64), nullable=False),
    _ts("updated_at"),
    sa.CheckConstraint("id = 1", name="ck_audit_head_single_row"),
    comment="The chain's last seq and hash, moved in the same transaction as each append",
)

saved_views = sa.Table(
    "saved_views", metadata,
    sa.Column("view_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.user_id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("page", sa.String(40), nullable=False, comment="the dashboard page's data_access name"),
    sa.Column("query", sa.Text, nullable=False, comment="the validated view state as a URL query (codes only)"),
    sa.Column("share_token", sa.String(32), nullable=True, unique=True,
              comment="NULL: private; else anyone signed in may open it (validated against their own access)"),
    _ts("created_at"),
    sa.UniqueConstraint("user_id", "name", name="uq_saved_views_user_name"),
    sqlite_autoincrement=True,
    comment="Named views (slicers, selection, drill) a user saved; no identifiers, only codes (migration 0007)",
)


def iso_utc(moment: dt.datetime | None = None) -> str:
    """``moment`` (default: now) as UTC ISO 8601 text with microseconds; naive means UTC."""
    moment = moment or dt.datetime.now(dt.UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def app_engine(url: str) -> sa.Engine:
    """An engine on the app store; creates nothing and touches no data.

    For SQLite every new connection gets WAL, ``busy_timeout=10000`` and foreign keys: with the
    default journal and no busy timeout, concurrent audit inserts from two workers failed with
    "database is locked" almost every time (DESIGN.md). SQLAlchemy, not the sqlite3 driver, emits
    BEGIN, so ``write_transaction`` can ask for ``BEGIN IMMEDIATE``.
    """
    if not url.startswith("sqlite"):
        return sa.create_engine(url, pool_pre_ping=True)
    engine = sa.create_engine(url)

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the driver must not emit BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 10000")  # first, so switching to WAL can wait too
        _switch_to_wal(cursor)
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        immediate = conn.get_execution_options().get(_BEGIN_IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _switch_to_wal(cursor: Any, patience: float = 10.0) -> None:
    """``PRAGMA journal_mode = WAL``, retried while another connection holds the lock.

    Switching a fresh file to WAL reads it (shared lock) and then needs an exclusive lock; when two
    connections do this at once SQLite reports "database is locked" at once, without consulting the
    busy timeout, since waiting could deadlock. Without this retry, 4 of 40 rounds of four workers
    migrating a new store together failed so. Once the file is in WAL mode the pragma is a plain read.
    """
    deadline = time.monotonic() + patience
    pause = 0.01
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() + pause > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.25)


@contextmanager
def write_transaction(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A transaction that holds the write lock from its first statement (commits on success).

    SQLite: ``BEGIN IMMEDIATE``, so a read-then-write cannot fail half way with "database is
    locked" (a deferred transaction cannot wait to upgrade its lock) and writers queue on the
    busy timeout instead. PostgreSQL: an ordinary transaction; callers lock what they need.
    """
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.execution_options(**{_BEGIN_IMMEDIATE: True})
        with conn.begin():
            yield conn


def migrate(url: str) -> None:
    """Bring the app store at ``url`` to the latest schema (Alembic ``upgrade head``).

    Idempotent: on an up-to-date store it changes nothing. Safe to call from several workers at
    start-up: SQLite serialises them with ``BEGIN IMMEDIATE``, PostgreSQL with an advisory lock,
    and the later caller finds the store already at head.
    """
    from alembic import command  # local import: only start-up needs Alembic
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    engine = app_engine(url)
    try:
        with write_transaction(engine) as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('csi_app_store_migrate'))"))
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
    finally:
        engine.dispose()


# Tables kept in their own modules register on ``metadata`` when imported; imported here so that
# every user of ``metadata`` (migrations, the app role's grants) sees them.
from appstore import ig_tables as _ig_tables  # noqa: E402,F401  (registers its tables)
from appstore import subject_rights as _subject_rights  # noqa: E402,F401  (registers its tables)
