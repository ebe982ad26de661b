"""Alembic migrations for the app store; run them with ``appstore.tables.migrate(url)``."""
