"""The process's two stores, configured once from Settings by the app factory (or a test)."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

import sqlalchemy as sa

from data_access import schema
from data_access.database import analytics_engine
from data_access.settings import Settings


@dataclass
class Stores:
    settings: Settings
    analytics: sa.Engine
    app: sa.Engine


_lock = threading.Lock()
_current: Stores | None = None


def configure(settings: Settings) -> Stores:
    """Open both stores for ``settings`` (migrating the app store) and make them current."""
    from data_access import appstore  # local import: appstore pulls in Alembic

    global _current
    appstore.migrate(settings.app_db_url)
    stores = Stores(settings, analytics_engine(settings.analytics_url), appstore.app_engine(settings.app_db_url))
    with _lock:
        old, _current = _current, stores
    if old is not None:
        old.analytics.dispose()
        old.app.dispose()
    return stores


def current() -> Stores:
    """The configured stores; raises RuntimeError before ``configure``."""
    if _current is None:
        raise RuntimeError("data_access is not configured: call data_access.configure(settings) first")
    return _current


def reopen_analytics() -> None:
    """Drop pooled analytics connections so the next query sees a freshly swapped-in store."""
    current().analytics.dispose()


def analytics_available() -> bool:
    """True when the analytics store exists and holds a build."""
    try:
        with current().analytics.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(schema.store_metadata)).scalar_one() > 0
    except sa.exc.SQLAlchemyError:
        return False


def store_facts() -> dict[str, str]:
    """The store_metadata rows (as_of, source, built_at, ...); no child data."""
    with current().analytics.connect() as conn:
        rows = conn.execute(sa.select(schema.store_metadata.c.key, schema.store_metadata.c.value)).all()
    return {k: v for k, v in rows}


def as_of() -> dt.date:
    """The date the analytics store's data runs to ("now" for every KPI)."""
    return dt.date.fromisoformat(store_facts()["as_of"])
