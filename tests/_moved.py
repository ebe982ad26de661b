"""The demo store with its data date moved (retention tests): a copy whose ``as_of`` is another day,
and data_access bound to it with a given app store and the demo accounts."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

import data_access
from appstore import users
from model.settings import Settings


def store_at(demo_store: Path, folder: Path, day: dt.date) -> Path:
    """A copy of the demo store in ``folder`` whose data date (``as_of``) is ``day``."""
    path = folder / f"analytics-{day.isoformat()}.duckdb"
    if not path.exists():
        shutil.copyfile(demo_store, path)
        con = duckdb.connect(str(path))
        con.execute("UPDATE store_metadata SET value = ? WHERE key = 'as_of'", [day.isoformat()])
        con.close()
    return path


def settings_for(folder: Path, analytics: Path, **overrides: Any) -> Settings:
    overrides.setdefault("app_db_url", f"sqlite:///{folder / 'app.sqlite'}")
    return Settings.from_env({}, data_dir=folder, analytics_url=f"duckdb:///{analytics}", demo=True, **overrides)


@contextmanager
def opened(folder: Path, analytics: Path, **overrides: Any) -> Iterator[data_access.Stores]:
    """data_access bound to ``analytics`` and the app store in ``folder`` (or ``app_db_url=``), demo accounts
    created."""
    stores = data_access.open_stores(settings_for(folder, analytics, **overrides))
    try:
        with data_access.bound(stores):
            data_access.ensure_demo_accounts(password_hash=lambda: "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA")
            yield stores
    finally:
        stores.close()


def user(username: str) -> users.AppUser:
    found = users.find_login(data_access.current().app, username)
    assert found is not None, username
    return found[0]
