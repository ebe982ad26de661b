"""Saved views: a user's named dashboard views (URL state of codes only), optionally shared by link.

Revision ID: 0007_saved_views
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_saved_views"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "saved_views",
        sa.Column("view_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.user_id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("page", sa.String(40), nullable=False, comment="the dashboard page's data_access name"),
        sa.Column("query", sa.Text, nullable=False, comment="the validated view state as a URL query (codes only)"),
        sa.Column("share_token", sa.String(32), nullable=True, unique=True,
                  comment="NULL: private; else anyone signed in may open it (validated against their own access)"),
        sa.Column("created_at", sa.String(32), nullable=False, comment="UTC ISO 8601 text"),
        sa.UniqueConstraint("user_id", "name", name="uq_saved_views_user_name"),
        sqlite_autoincrement=True,
        comment="Named views (slicers, selection, drill) a user saved; no identifiers, only codes (migration 0007)",
    )
    op.create_index("ix_saved_views_user_id", "saved_views", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_saved_views_user_id", table_name="saved_views")
    op.drop_table("saved_views")
