"""Break-glass a council can defend: the reason chosen from a list, requests refused past the
per-user limit kept for review, and the outcome of the information governance review.

Columns are spelled out here rather than imported from ``appstore.tables`` (see 0001). Grants made
before this revision have no reason code and count as granted.

Revision ID: 0002
Revises: 0001
Create Date: 2025-07-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("break_glass_grants") as batch:
        batch.add_column(sa.Column("reason_code", sa.String(32), nullable=True,
                                   comment="codes.BREAK_GLASS_REASON; NULL before 0002"))
        batch.add_column(sa.Column("status", sa.String(16), nullable=False, server_default="granted",
                                   comment="granted, or refused_limit: asked past the per-user limit "
                                           "(never live; for IG review)"))
        batch.add_column(sa.Column("review_outcome", sa.String(32), nullable=True,
                                   comment="codes.BREAK_GLASS_REVIEW_OUTCOME"))


def downgrade() -> None:
    with op.batch_alter_table("break_glass_grants") as batch:
        batch.drop_column("review_outcome")
        batch.drop_column("status")
        batch.drop_column("reason_code")
