"""Audit entries can name the pseudonyms a pseudonymised read showed.

``audit_events.pseudonyms``: canonical JSON list of keyed-hash pseudonyms, NULL when none. The hash
chain covers it only when set (``appstore.chain.OPTIONAL_HASHED_COLUMNS``), so every entry written
before this revision keeps its hash. Adding a nullable column updates no row, so the append-only
triggers are untouched.

Revision ID: 0003
Revises: 0004_grants
Create Date: 2025-07-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0004_grants"  # merged after the break-glass (0002) and grants (0004) migrations
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("audit_events", sa.Column(
        "pseudonyms", sa.Text, nullable=True,
        comment="canonical JSON list of the pseudonyms a pseudonymised read showed (migration 0003)"))


def downgrade() -> None:
    op.execute("ALTER TABLE audit_events DROP COLUMN pseudonyms")  # SQLite 3.35+ and PostgreSQL
