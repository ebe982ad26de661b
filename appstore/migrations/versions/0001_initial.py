"""Initial app store: users, teams and services, sessions, break-glass grants, audit trail.

The audit tables get triggers (SQLite and PostgreSQL) that refuse UPDATE and DELETE of
``audit_events`` and any move of ``audit_head`` other than one step forward. They are defence in
depth against the app or an operator; someone with the database file can drop them, which is
what the hash chain (``appstore.audit.verify``) detects.

Tables are spelled out here rather than imported from ``appstore.metadata``: a revision must keep
creating the schema as it was, whatever the current code says.

Revision ID: 0001
Revises:
Create Date: 2025-06-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES = ("leadership", "service_manager", "team_manager", "caseworker", "analyst", "ig_officer", "admin")
OUTCOMES = ("allowed", "refused", "success", "failure")
APPEND_ONLY = "audit_events is append-only"
HEAD_FORWARD = "audit_head only moves forward one entry at a time"


def _ts(name: str, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(32), nullable=nullable, comment="UTC ISO 8601 text")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _user_fk(name: str = "user_id", nullable: bool = False, cascade: bool = False,
             primary_key: bool = False) -> sa.Column[int]:
    fk = sa.ForeignKey("users.user_id", ondelete="CASCADE" if cascade else None)
    return sa.Column(name, sa.Integer, fk, nullable=nullable, primary_key=primary_key)


def upgrade() -> None:
    op.create_table(
        "users",
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
        sa.CheckConstraint(_in("role", ROLES), name="ck_users_role"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "user_teams",
        _user_fk(cascade=True, primary_key=True),
        sa.Column("team_id", sa.String(16), primary_key=True, comment="-> analytics teams.team_id"),
    )
    op.create_table(
        "user_services",
        _user_fk(cascade=True, primary_key=True),
        sa.Column("service", sa.String(8), primary_key=True, comment="codes.SERVICE"),
    )
    op.create_table(
        "sessions",
        sa.Column("session_id_hash", sa.String(64), primary_key=True, comment="sha256 of the session token"),
        _user_fk(cascade=True),
        _ts("created_at"),
        _ts("last_seen_at"),
        _ts("revoked_at", nullable=True),
        sa.Column("client", sa.String(200), nullable=True),
    )
    op.create_index("ix_sessions_user_id", "sessions", ["user_id"])
    op.create_table(
        "break_glass_grants",
        sa.Column("grant_id", sa.Integer, primary_key=True, autoincrement=True),
        _user_fk(),
        sa.Column("child_id", sa.Integer, nullable=False, comment="opaque analytics child_id"),
        sa.Column("justification", sa.Text, nullable=False),
        _ts("granted_at"),
        _ts("expires_at"),
        _user_fk("reviewed_by", nullable=True),
        _ts("reviewed_at", nullable=True),
        sa.Column("review_note", sa.Text, nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_break_glass_user_child", "break_glass_grants", ["user_id", "child_id"])
    _create_audit_tables()
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _sqlite_guards()
    elif bind.dialect.name == "postgresql":
        _postgres_guards()


def _create_audit_tables() -> None:
    op.create_table(
        "audit_events",
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
        sa.CheckConstraint(_in("outcome", OUTCOMES), name="ck_audit_events_outcome"),
        comment="Append-only, hash-chained; triggers refuse UPDATE and DELETE",
    )
    op.create_index("ix_audit_events_occurred_at", "audit_events", ["occurred_at"])
    op.create_index("ix_audit_events_username", "audit_events", ["username"])
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
        _ts("updated_at"),
        sa.CheckConstraint("id = 1", name="ck_audit_head_single_row"),
        comment="The chain's last seq and hash, moved in the same transaction as each append",
    )
    genesis = {"id": 1, "seq": 0, "entry_hash": "0" * 64, "updated_at": "1970-01-01T00:00:00.000000+00:00"}
    op.bulk_insert(head, [genesis])


def _sqlite_guards() -> None:
    for verb in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
                   f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END")
    op.execute("CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head "
               f"BEGIN SELECT RAISE(ABORT, '{HEAD_FORWARD}'); END")
    op.execute("CREATE TRIGGER audit_head_forward BEFORE UPDATE ON audit_head "
               "WHEN NEW.id <> OLD.id OR NEW.seq <> OLD.seq + 1 "
               f"BEGIN SELECT RAISE(ABORT, '{HEAD_FORWARD}'); END")


def _postgres_guards() -> None:
    op.execute(f"""
        CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$""")
    op.execute("CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events "
               "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()")
    op.execute("CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
               "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()")
    op.execute(f"""
        CREATE FUNCTION audit_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP <> 'UPDATE' THEN
                RAISE EXCEPTION '{HEAD_FORWARD}';
            END IF;
            IF NEW.id <> OLD.id OR NEW.seq <> OLD.seq + 1 THEN
                RAISE EXCEPTION '{HEAD_FORWARD}';
            END IF;
            RETURN NEW;
        END $$""")
    op.execute("CREATE TRIGGER audit_head_forward BEFORE UPDATE OR DELETE ON audit_head "
               "FOR EACH ROW EXECUTE FUNCTION audit_head_forward_only()")
    op.execute("CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head "
               "FOR EACH STATEMENT EXECUTE FUNCTION audit_head_forward_only()")


def downgrade() -> None:
    bind = op.get_bind()
    for table in ("audit_head", "audit_events", "break_glass_grants", "sessions", "user_services",
                  "user_teams", "users"):
        op.drop_table(table)
    if bind.dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
        op.execute("DROP FUNCTION IF EXISTS audit_head_forward_only()")
