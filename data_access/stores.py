"""The process's two stores, configured once from Settings by the app factory (or a test)."""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import sqlalchemy as sa

from data_access import schema
from data_access.database import analytics_engine
from data_access.settings import Settings


@dataclass
class Stores:
    settings: Settings
    analytics: sa.Engine
    app: sa.Engine
    analytics_file: tuple[int, int] | None = field(default=None)  # (inode, mtime_ns) when opened


def _file_identity(settings: Settings) -> tuple[int, int] | None:
    path = settings.analytics_path
    try:
        stat = os.stat(path) if path is not None else None
    except FileNotFoundError:
        return None
    return (stat.st_ino, stat.st_mtime_ns) if stat else None


T = TypeVar("T")
_lock = threading.Lock()
_current: Stores | None = None


def configure(settings: Settings) -> Stores:
    """Open both stores for ``settings`` (migrating the app store) and make them current."""
    from data_access import appstore  # local import: appstore pulls in Alembic

    global _current
    appstore.migrate(settings.app_db_url)
    identity = _file_identity(settings)
    stores = Stores(settings, _open_analytics(settings, identity), appstore.app_engine(settings.app_db_url),
                    identity)
    with _lock:
        old, _current = _current, stores
        _reference.clear()
    if old is not None:
        old.analytics.dispose()
        old.app.dispose()
    return stores


def current() -> Stores:
    """The configured stores; raises RuntimeError before ``configure``.

    A refresh swaps a new DuckDB file in with ``os.replace``; open connections keep the old copy, so
    when the file on disk is no longer the one opened, the pool is dropped and the next query opens
    the new copy (one ``stat`` per call; every worker process notices on its own).
    """
    stores = _current
    if stores is None:
        raise RuntimeError("data_access is not configured: call data_access.configure(settings) first")
    if stores.settings.analytics_path is not None:
        identity = _file_identity(stores.settings)
        if identity is not None and identity != stores.analytics_file:
            with _lock:
                if identity != stores.analytics_file:
                    old, stores.analytics = stores.analytics, _open_analytics(stores.settings, identity)
                    stores.analytics_file = identity
                    old.dispose()  # connections still in use close when they are returned
    return stores


def _open_analytics(settings: Settings, identity: tuple[int, int] | None) -> sa.Engine:
    """An engine on the analytics store. A DuckDB file is opened through a hard link named for its
    inode: DuckDB hands back an instance already open on the same path (the old copy, after a swap),
    so each copy gets its own path; links to copies no longer served are removed."""
    path = settings.analytics_path
    if path is None or identity is None:
        return analytics_engine(settings.analytics_url)
    link = path.with_name(f"{path.name}.open-{identity[0]}")
    for stale in path.parent.glob(f"{path.name}.open-*"):
        if stale != link:
            stale.unlink(missing_ok=True)
    try:
        os.link(path, link)
    except FileExistsError:
        pass
    except OSError:  # no hard links here (another filesystem): fall back to the path itself
        return analytics_engine(settings.analytics_url)
    return analytics_engine(f"duckdb:///{link}")


def reopen_analytics() -> None:
    """Drop pooled analytics connections so the next query sees a freshly swapped-in store."""
    _reference.clear()
    current().analytics.dispose()


_reference: dict[str, tuple[sa.Engine, tuple[int, int], object]] = {}


def reference(name: str, load: Callable[[], T]) -> T:
    """``load()`` (store metadata or reference data, never about a child), kept while the same DuckDB
    file is served: a refresh swaps in a new file (a new inode), which ``current()`` notices, so the
    next call loads again. Saves two queries per dashboard callback. A PostgreSQL store can be
    refreshed by another process without anything here noticing, so it is read every time."""
    stores = current()
    if stores.settings.analytics_path is None or stores.analytics_file is None:
        return load()
    hit = _reference.get(name)
    if hit is not None and hit[0] is stores.analytics and hit[1] == stores.analytics_file:
        return hit[2]  # type: ignore[return-value]
    value = load()
    _reference[name] = (stores.analytics, stores.analytics_file, value)
    return value


def analytics_available() -> bool:
    """True when the analytics store exists and holds a build."""
    try:
        with current().analytics.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(schema.store_metadata)).scalar_one() > 0
    except sa.exc.SQLAlchemyError:
        return False


def store_layout_problem() -> str | None:
    """Why the analytics store cannot be served by this version (built by an older one), or None."""
    if not analytics_available():
        return None
    found = store_facts().get("layout", "1")
    if found == schema.STORE_LAYOUT:
        return None
    return (f"The analytics store ({current().settings.analytics_url}) was built by an older version of this app "
            f"(store layout {found}; this version needs {schema.STORE_LAYOUT}). Rebuild it: `python app.py "
            "load refresh` for council data, or `python app.py build-demo` for the demo store.")


def store_facts() -> dict[str, str]:
    """The store_metadata rows (as_of, source, built_at, ...); no child data."""
    def load() -> tuple[tuple[str, str], ...]:
        with current().analytics.connect() as conn:
            rows = conn.execute(sa.select(schema.store_metadata.c.key, schema.store_metadata.c.value)).all()
        return tuple((k, v) for k, v in rows)
    return dict(reference("store_facts", load))


def as_of() -> dt.date:
    """The date the analytics store's data runs to ("now" for every KPI)."""
    return dt.date.fromisoformat(store_facts()["as_of"])
