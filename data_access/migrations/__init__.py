"""Alembic migrations for the app store; run them with ``data_access.appstore.migrate(url)``."""
