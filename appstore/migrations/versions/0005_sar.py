"""Data subjects' rights: subject access requests, consent withdrawals, rectification requests.

Columns are spelled out here rather than imported from ``appstore.subject_rights`` (see 0001).

Revision ID: 0005_sar
Revises: 0007_saved_views
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_sar"
down_revision: str | None = "0007_saved_views"  # after the saved views (merged first)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SAR_STATUSES = ("open", "completed")
OUTCOMES = ("pending", "rectified", "partly_rectified", "refused")


def _ts(name: str, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(32), nullable=nullable, comment="UTC ISO 8601 text")


def _day(name: str, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(10), nullable=nullable, comment="ISO date YYYY-MM-DD")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table(
        "sar_requests",
        sa.Column("sar_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_ref", sa.String(40), nullable=False, unique=True),
        sa.Column("child_id", sa.Integer, nullable=False, comment="opaque analytics child_id"),
        sa.Column("requester", sa.String(120), nullable=False),
        sa.Column("relationship", sa.String(24), nullable=False, comment="data_access.sar.RELATIONSHIPS"),
        _day("received_date"),
        sa.Column("identity_verified", sa.Boolean, nullable=False),
        sa.Column("identity_evidence", sa.String(32), nullable=False, comment="data_access.sar.IDENTITY_EVIDENCE"),
        sa.Column("registered_by", sa.Integer, sa.ForeignKey("users.user_id"), nullable=False),
        _ts("registered_at"),
        sa.Column("extension_months", sa.Integer, nullable=False, server_default="0"),
        sa.Column("extension_reason", sa.Text, nullable=True),
        sa.Column("status", sa.String(16), nullable=False, server_default="open"),
        _ts("completed_at", nullable=True),
        sa.CheckConstraint("extension_months BETWEEN 0 AND 2", name="ck_sar_requests_extension"),
        sa.CheckConstraint(_in("status", SAR_STATUSES), name="ck_sar_requests_status"),
        sqlite_autoincrement=True,
        comment="Subject access requests (UK GDPR Art 15) registered by information governance",
    )
    op.create_index("ix_sar_requests_status", "sar_requests", ["status"])
    op.create_table(
        "consent_withdrawals",
        sa.Column("withdrawal_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("involvement_id", sa.Integer, nullable=False, comment="analytics involvement_id when recorded"),
        sa.Column("child_id", sa.Integer, nullable=False, comment="opaque analytics child_id (stable: the ledger's)"),
        sa.Column("service", sa.String(8), nullable=False, comment="with child, type and start: the involvement"),
        sa.Column("intervention_type", sa.String(4), nullable=False),
        _day("start_date"),
        sa.Column("purpose", sa.String(32), nullable=False, comment="a policy purpose, or 'all'"),
        _day("withdrawn_date"),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("recorded_by", sa.Integer, sa.ForeignKey("users.user_id"), nullable=False),
        _ts("recorded_at"),
        sqlite_autoincrement=True,
        comment="Consent withdrawn (Art 7(3)); applied to every read from withdrawn_date",
    )
    op.create_index("ix_consent_withdrawals_involvement", "consent_withdrawals", ["involvement_id"])
    op.create_table(
        "rectification_requests",
        sa.Column("rectification_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("child_id", sa.Integer, nullable=False, comment="opaque analytics child_id"),
        sa.Column("field", sa.String(40), nullable=False, comment="data_access.consent.RECTIFIABLE_FIELDS"),
        sa.Column("correction", sa.Text, nullable=False, comment="the correction asked for"),
        _day("received_date"),
        sa.Column("outcome", sa.String(24), nullable=False, server_default="pending"),
        sa.Column("outcome_note", sa.Text, nullable=True),
        sa.Column("recorded_by", sa.Integer, sa.ForeignKey("users.user_id"), nullable=False),
        _ts("recorded_at"),
        sa.Column("decided_by", sa.Integer, sa.ForeignKey("users.user_id"), nullable=True),
        _ts("decided_at", nullable=True),
        sa.CheckConstraint(_in("outcome", OUTCOMES), name="ck_rectification_outcome"),
        sqlite_autoincrement=True,
        comment="Rectification requests (Art 16): the field, the correction asked for and the outcome",
    )
    op.create_index("ix_rectification_child", "rectification_requests", ["child_id"])


def downgrade() -> None:
    op.drop_index("ix_rectification_child", "rectification_requests")
    op.drop_table("rectification_requests")
    op.drop_index("ix_consent_withdrawals_involvement", "consent_withdrawals")
    op.drop_table("consent_withdrawals")
    op.drop_index("ix_sar_requests_status", "sar_requests")
    op.drop_table("sar_requests")
