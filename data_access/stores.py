"""The two stores an app serves from, held by the app and bound to each request.

``open_stores(settings)`` opens both stores (migrating the app store) into a ``Stores`` object that
the app keeps (``app.py`` puts it on the Flask app, as flaskr keeps its database config there). Each
request binds the app's stores (``bind``/``unbind``, or ``with bound(stores):`` in a command or a
test), and every ``data_access`` function reads them through ``current()``. Nothing is process-wide:
two apps on different settings in one process (tests do this) never see each other's stores,
reference data or cached pages.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import sqlalchemy as sa

from appstore import audit, checkpoints
from appstore import tables as app_tables
from appstore.trail import Trail
from data_access import cellkey
from data_access.engine import serving_engine
from model import schema
from model.settings import Settings

T = TypeVar("T")


class PageCache:
    """Recent pages' PROTECTED results, keyed by access scope (role, services, special-category
    permission) as well as the page, the parsed filters and the store build, so one user's view is
    never served to another whose scope differs, and a swapped-in store is never answered from the
    old one. One per app (each worker its own); never the only copy of anything."""

    def __init__(self, size: int = 256) -> None:
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.size = size

    def get(self, key: Hashable) -> Any:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: Hashable, value: object) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


@dataclass(eq=False)
class Stores:
    """One app's stores, its reference-data memo and its page cache."""

    settings: Settings
    analytics: sa.Engine
    app: sa.Engine
    analytics_file: tuple[int, int] | None = None  # (inode, mtime_ns) of the DuckDB file opened
    pages: PageCache = field(default_factory=PageCache)
    trail: Trail = field(init=False)  # the audit writer: app store, audit key, checkpoint file
    _reference: dict[str, tuple[sa.Engine, tuple[int, int], object]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        settings = self.settings
        log = checkpoints.CheckpointLog(settings.audit_checkpoints, settings.audit_key) if settings.audit_key else None
        self.trail = Trail(self.app, settings.audit_key or None, log, settings.audit_checkpoint_every)

    def follow_swap(self) -> None:
        """A refresh swaps a new DuckDB file in with ``os.replace``; open connections keep the old
        copy, so when the file on disk is no longer the one opened, the pool is dropped and the next
        query opens the new copy (one ``stat`` per call; every worker process notices on its own)."""
        if self.settings.analytics_path is None:
            return
        identity = _file_identity(self.settings)
        if identity is not None and identity != self.analytics_file:
            with self._lock:
                if identity != self.analytics_file:
                    old, self.analytics = self.analytics, _open_analytics(self.settings, identity)
                    self.analytics_file = identity
                    old.dispose()  # connections still in use close when they are returned

    def reopen_analytics(self) -> None:
        """Drop pooled analytics connections so the next query sees a freshly swapped-in store."""
        self._reference.clear()
        self.analytics.dispose()

    def reference(self, name: str, load: Callable[[], T]) -> T:
        """``load()`` (store metadata or reference data, never about a child), kept while the same
        DuckDB file is served: a swapped-in file has a new inode, so the next call loads again. A
        PostgreSQL store can be refreshed by another process unnoticed, so it is read every time."""
        if self.settings.analytics_path is None or self.analytics_file is None:
            return load()
        hit = self._reference.get(name)
        if hit is not None and hit[0] is self.analytics and hit[1] == self.analytics_file:
            return hit[2]  # type: ignore[return-value]  # stored by this function under the same name
        value = load()
        self._reference[name] = (self.analytics, self.analytics_file, value)
        return value

    def close(self) -> None:
        """Dispose both engines' pools (the app is shutting down, or a test is over)."""
        self.analytics.dispose()
        self.app.dispose()


def open_stores(settings: Settings) -> Stores:
    """Open both stores for ``settings``, migrating the app store first (idempotent).

    Side effect: signs a checkpoint of the audit chain's head (``Trail.checkpoint``); with
    ``audit_syslog`` checkpoints also go to syslog. Builds the cell-key perturbation table (once per
    process), so a server worker has it before its first request rather than during it.
    """
    cellkey.default_ptable()
    app_tables.migrate(settings.app_db_url)
    if settings.audit_syslog:
        checkpoints.enable_syslog()
    identity = _file_identity(settings)
    stores = Stores(settings, _open_analytics(settings, identity), app_tables.app_engine(settings.app_db_url),
                    identity)
    stores.trail.checkpoint()
    return stores


@dataclass(eq=False)
class _Binding:
    stores: Stores
    refusals: int = 0  # refusals audited while bound: one request's (the app binds per request)


_bound: contextvars.ContextVar[_Binding | None] = contextvars.ContextVar("csi_stores", default=None)


def bind(stores: Stores) -> contextvars.Token[_Binding | None]:
    """Make ``stores`` the current request's (the app calls this before each request)."""
    return _bound.set(_Binding(stores))


def unbind(token: contextvars.Token[_Binding | None]) -> None:
    _bound.reset(token)


def record_event(event: audit.AuditEvent) -> int:
    """Append ``event`` to the current stores' audit trail (keyed, checkpointed); returns its seq.

    A refusal is also counted on the binding (a mutable object, so a count made inside a Dash
    callback's copied context is seen by the request around it: ``refusals_audited``).
    """
    binding = _binding()
    seq = binding.stores.trail.record(event)
    if event.outcome == "refused":
        binding.refusals += 1
    return seq


def refusals_audited() -> int:
    """How many refusals were audited since the current stores were bound (0 when none are)."""
    binding = _bound.get()
    return binding.refusals if binding is not None else 0


@contextlib.contextmanager
def bound(stores: Stores) -> Iterator[Stores]:
    """``with bound(stores):`` data_access calls inside use ``stores`` (commands, tests)."""
    token = bind(stores)
    try:
        yield stores
    finally:
        unbind(token)


def _binding() -> _Binding:
    binding = _bound.get()
    if binding is None:
        raise RuntimeError("no stores are bound: data_access is called outside a request of an app "
                           "(use `with data_access.bound(stores):`)")
    return binding


def current() -> Stores:
    """The stores bound to this request; raises RuntimeError when none are (a bug in the wiring)."""
    stores = _binding().stores
    stores.follow_swap()
    return stores


def _file_identity(settings: Settings) -> tuple[int, int] | None:
    path = settings.analytics_path
    try:
        stat = os.stat(path) if path is not None else None
    except FileNotFoundError:
        return None
    return (stat.st_ino, stat.st_mtime_ns) if stat else None


def _open_analytics(settings: Settings, identity: tuple[int, int] | None) -> sa.Engine:
    """An engine on the analytics store. A DuckDB file is opened through a hard link named for its
    inode: DuckDB hands back an instance already open on the same path (the old copy, after a swap),
    so each copy gets its own path; links to copies no longer served are removed."""
    path = settings.analytics_path
    if path is None or identity is None:
        return serving_engine(settings.analytics_url)
    link = path.with_name(f"{path.name}.open-{identity[0]}")
    for stale in path.parent.glob(f"{path.name}.open-*"):
        if stale != link:
            stale.unlink(missing_ok=True)
    try:
        os.link(path, link)
    except FileExistsError:
        pass
    except OSError:  # no hard links here (another filesystem): fall back to the path itself
        return serving_engine(settings.analytics_url)
    return serving_engine(f"duckdb:///{link}")


def reopen_analytics() -> None:
    """Drop the current stores' pooled analytics connections (after a swap in this process)."""
    current().reopen_analytics()


def reference(name: str, load: Callable[[], T]) -> T:
    """The current stores' memo of reference data (``Stores.reference``)."""
    return current().reference(name, load)


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
