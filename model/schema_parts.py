"""The analytics store's shared SQLAlchemy metadata and column helpers (model.schema, model.schema_903)."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()


def id_column(name: str) -> sa.Column:
    """A surrogate integer primary key assigned at load."""
    return sa.Column(name, sa.Integer, primary_key=True, autoincrement=False)


def fk_column(name: str, target: str, nullable: bool = False) -> sa.Column:
    """A reference to ``target``'s surrogate key.

    Foreign keys are documented rather than enforced: the store is bulk-loaded and read-only,
    and DuckDB's FK checks would make a refresh much slower for no safety gain there."""
    return sa.Column(name, sa.Integer, nullable=nullable, comment=f"-> {target}")


def child_copies() -> tuple[sa.Column, ...]:
    """Derived copies of the child's slicer attributes (CHILD_COPIES): slicers filter a fact's own rows."""
    return (sa.Column("child_sex", sa.String(1), nullable=True, comment="derived: children.sex"),
            sa.Column("child_locality", sa.String(16), nullable=True, comment="derived: children.locality"),
            sa.Column("child_birth_date", sa.Date, nullable=True, comment="derived: children.birth_date"),
            sa.Column("child_rkey", sa.SmallInteger, nullable=True, comment="derived: children.rkey"))
