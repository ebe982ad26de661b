"""The PostgreSQL rights of the application's own database role: append-only on the audit trail.

The migrations run as the schema's owner; the app then serves as another role that may only
SELECT and INSERT on ``audit_events`` (no UPDATE, DELETE or TRUNCATE) and SELECT and UPDATE the
three columns of ``audit_head``, whose trigger (owned by the owner, so the app role cannot drop it)
lets the head move forward one entry at a time only. ``audit_head`` stays, rather than chaining from
``max(seq)``: the head, moved in the same transaction as each insert, is what shows a tail deleted
by someone with more rights, and ``SELECT ... FOR UPDATE`` of its one row is the lock that keeps
concurrent writers from forking the chain (``LOCK TABLE ... EXCLUSIVE`` would need UPDATE, DELETE or
TRUNCATE on ``audit_events``). Everything else the app keeps (users, sessions, grants) it may
change; ``alembic_version`` it may read, so start-up finds the store migrated.

``python app.py grant-app-role ROLE`` prints these statements; ``--execute`` runs them on
``CSI_APP_DB_URL``, connected as the owner. The role must exist and must not own the tables.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from appstore import tables

# Every table the app keeps but the audit trail: the app may change these (derived from the tables,
# so a table a migration adds is covered without editing this list).
APP_TABLES = tuple(name for name in tables.metadata.tables if name not in ("audit_events", "audit_head"))
_ROLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


def app_role_sql(role: str, schema: str = "public") -> list[str]:
    """The REVOKE/GRANT statements for ``role`` on the app store in ``schema``; ValueError for a bad name."""
    if not _ROLE.fullmatch(role) or not _ROLE.fullmatch(schema):
        raise ValueError("a role or schema name is letters, digits and _ (at most 63), not starting with a digit")
    r, s = f'"{role}"', f'"{schema}"'
    tables = ", ".join(f"{s}.{t}" for t in APP_TABLES)
    return [
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {r}",
        f"GRANT USAGE ON SCHEMA {s} TO {r}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON {tables} TO {r}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
        f"GRANT SELECT ON {s}.alembic_version TO {r}",
        f"GRANT SELECT, INSERT ON {s}.audit_events TO {r}",  # append-only: no UPDATE, DELETE, TRUNCATE
        f"GRANT SELECT ON {s}.audit_head TO {r}",
        f"GRANT UPDATE (seq, entry_hash, updated_at) ON {s}.audit_head TO {r}",  # forward only (trigger)
    ]


def grant_app_role(engine: sa.Engine, role: str) -> list[str]:
    """Run ``app_role_sql`` for the connection's current schema, in one transaction; returns it."""
    with engine.begin() as conn:
        if conn.dialect.name != "postgresql":
            raise ValueError("database roles are a PostgreSQL matter: SQLite has none")
        schema = conn.execute(sa.text("SELECT current_schema()")).scalar_one()
        statements = app_role_sql(role, schema)
        for statement in statements:
            conn.exec_driver_sql(statement)
    return statements
