"""Four-eyes grants and set-password links: access_requests and set_password_tokens.

Follows 0002 (break-glass review columns); written in parallel with it, hence the number.

Revision ID: 0004_grants
Revises: 0002
Create Date: 2025-11-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_grants"
down_revision: str | None = "0002"  # after the break-glass review columns
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("create", "set_role", "reset_password")
STATUSES = ("pending", "approved", "rejected")


def _ts(name: str, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(32), nullable=nullable, comment="UTC ISO 8601 text")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table(
        "access_requests",
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
        sa.CheckConstraint(_in("kind", KINDS), name="ck_access_requests_kind"),
        sa.CheckConstraint(_in("status", STATUSES), name="ck_access_requests_status"),
        sa.CheckConstraint("decided_by IS NULL OR decided_by <> requested_by", name="ck_access_requests_four_eyes"),
        sqlite_autoincrement=True,
        comment="Grants of identifiable access waiting for a second approver (four eyes)",
    )
    op.create_index("ix_access_requests_status", "access_requests", ["status"])
    op.create_table(
        "set_password_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True, comment="sha256 of the one-time token"),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.user_id", ondelete="CASCADE"), nullable=False),
        sa.Column("issued_by", sa.Integer, nullable=True, comment="NULL: the command line"),
        _ts("issued_at"),
        _ts("expires_at"),
        _ts("used_at", nullable=True),
        comment="One-time, expiring set-password links; spent when used or superseded",
    )
    op.create_index("ix_set_password_tokens_user_id", "set_password_tokens", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_set_password_tokens_user_id", table_name="set_password_tokens")
    op.drop_table("set_password_tokens")
    op.drop_index("ix_access_requests_status", table_name="access_requests")
    op.drop_table("access_requests")
