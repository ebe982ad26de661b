"""Alembic environment for the app store, configured from code rather than an alembic.ini.

``appstore.tables.migrate(url)`` hands over an open connection (already inside a
transaction holding the migration lock) as ``config.attributes["connection"]``. Offline (SQL
script) mode is not supported: the store is always migrated from code.
"""

from __future__ import annotations

from alembic import context

from appstore.tables import metadata


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("migrate the app store with appstore.tables.migrate(url)")
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline migrations are not supported; use appstore.tables.migrate(url)")
run_migrations_online()
