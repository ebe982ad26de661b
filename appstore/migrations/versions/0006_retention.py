"""Retention (archive and destroy steps with their dry runs) and pseudonymised extracts.

Columns are spelled out here rather than imported from ``appstore.ig_tables`` (see 0001).

Revision ID: 0006_retention
Revises: 0005_sar
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_retention"
down_revision: str | None = "0005_sar"  # merged after saved views (0007) and subject rights (0005)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(32), nullable=nullable, comment="UTC ISO 8601 text")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table(
        "retention_runs",
        sa.Column("run_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("step", sa.String(8), nullable=False),
        sa.Column("rule", sa.String(40), nullable=False, comment="the retention rule applied"),
        sa.Column("data_date", sa.String(10), nullable=False, comment="the analytics store's as_of (ISO date)"),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True, comment="sha256 of the dry run's token"),
        sa.Column("digest", sa.String(64), nullable=False, comment="sha256 of the records the dry run found"),
        sa.Column("planned", sa.Integer, nullable=False, comment="records the dry run found"),
        sa.Column("planned_by", sa.Integer, sa.ForeignKey("users.user_id"), nullable=False),
        _ts("planned_at"),
        sa.Column("status", sa.String(8), nullable=False, server_default="planned"),
        sa.Column("done_by", sa.Integer, sa.ForeignKey("users.user_id"), nullable=True),
        _ts("done_at", nullable=True),
        sa.Column("done", sa.Integer, nullable=True, comment="records the run changed"),
        sa.CheckConstraint(_in("step", ("archive", "destroy")), name="ck_retention_runs_step"),
        sa.CheckConstraint(_in("status", ("planned", "done")), name="ck_retention_runs_status"),
        sqlite_autoincrement=True,
        comment="Dry runs of retention steps and the runs that followed them",
    )
    op.create_table(
        "retention_records",
        sa.Column("child_id", sa.Integer, primary_key=True, autoincrement=False, comment="opaque analytics child_id"),
        sa.Column("retention_date", sa.String(10), nullable=False, comment="25th birthday when archived (ISO date)"),
        sa.Column("archive_ends", sa.String(10), nullable=False, comment="end of the archive period (ISO date)"),
        sa.Column("archive_run", sa.Integer, sa.ForeignKey("retention_runs.run_id"), nullable=False),
        _ts("archived_at"),
        sa.Column("destroy_run", sa.Integer, sa.ForeignKey("retention_runs.run_id"), nullable=True),
        _ts("destroyed_at", nullable=True),
        comment="Archived records (out of reach but for subject access and legal claims) and destroyed ones",
    )
    op.create_index("ix_retention_records_archive_ends", "retention_records", ["archive_ends"])
    op.create_table(
        "extract_requests",
        sa.Column("request_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("spec", sa.String(40), nullable=False),
        sa.Column("recipient", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("requested_by", sa.Integer, sa.ForeignKey("users.user_id"), nullable=False),
        _ts("requested_at"),
        sa.Column("status", sa.String(12), nullable=False, server_default="pending"),
        sa.Column("decided_by", sa.Integer, sa.ForeignKey("users.user_id"), nullable=True),
        _ts("decided_at", nullable=True),
        sa.CheckConstraint(_in("status", ("pending", "approved", "rejected", "used")),
                           name="ck_extract_requests_status"),
        sa.CheckConstraint("decided_by IS NULL OR decided_by <> requested_by", name="ck_extract_requests_four_eyes"),
        sqlite_autoincrement=True,
        comment="Analysts' requests for a pseudonymised extract, approved by information governance",
    )
    op.create_table(
        "extracts",
        sa.Column("extract_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("spec", sa.String(40), nullable=False),
        sa.Column("spec_version", sa.String(12), nullable=False),
        sa.Column("recipient", sa.String(16), nullable=False),
        sa.Column("key_id", sa.String(40), nullable=False, comment="names the recipient's key, never holds it"),
        sa.Column("row_count", sa.Integer, nullable=False),
        sa.Column("k_achieved", sa.Integer, nullable=False),
        sa.Column("produced_by", sa.Integer, sa.ForeignKey("users.user_id"), nullable=False),
        _ts("produced_at"),
        sa.Column("request_id", sa.Integer, sa.ForeignKey("extract_requests.request_id"), nullable=True),
        sa.Column("content", sa.LargeBinary, nullable=True, comment="the ZIP until its one download; then NULL"),
        sa.Column("downloaded_by", sa.Integer, sa.ForeignKey("users.user_id"), nullable=True),
        _ts("downloaded_at", nullable=True),
        sqlite_autoincrement=True,
        comment="Pseudonymised extracts for an external recipient; downloadable once",
    )


def downgrade() -> None:
    op.drop_table("extracts")
    op.drop_table("extract_requests")
    op.drop_index("ix_retention_records_archive_ends", table_name="retention_records")
    op.drop_table("retention_records")
    op.drop_table("retention_runs")
