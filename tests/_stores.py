"""Named fixtures for the demo analytics store, configured settings and the app (loaded by conftest)."""

from __future__ import annotations

import datetime as dt
import fcntl
from collections.abc import Iterator
from pathlib import Path

import pytest

import data_access
from model.settings import Settings

AS_OF = dt.date(2025, 10, 31)
SEED = 20250331


@pytest.fixture(scope="session")
def demo_store(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scale-1 demo analytics store (DuckDB file) built once per test session. Under pytest-xdist the
    workers share one: the first to need it builds it (under a lock) in the run's base temporary
    directory, the parent of each worker's own. Tests only read it (read-only, as the app opens it)
    or copy it."""
    from refresh import demo

    if hasattr(pytestconfig, "workerinput"):  # an xdist worker
        folder = tmp_path_factory.getbasetemp().parent / "analytics"
        folder.mkdir(exist_ok=True)
    else:
        folder = tmp_path_factory.mktemp("analytics")
    path = folder / "analytics.duckdb"
    with open(folder / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        if not path.exists():
            building = folder / "building.duckdb"  # renamed once whole: a worker that dies mid-build leaves no store
            building.unlink(missing_ok=True)
            demo.build(f"duckdb:///{building}", seed=SEED, scale=1.0, as_of=AS_OF, progress=False)
            building.rename(path)
    return path


@pytest.fixture
def settings(tmp_path: Path, demo_store: Path) -> Settings:
    """Settings for one test: the shared demo store, a fresh app store, demo mode on."""
    return Settings.from_env({}, data_dir=tmp_path, analytics_url=f"duckdb:///{demo_store}",
                             app_db_url=f"sqlite:///{tmp_path / 'app.sqlite'}", demo=True)


@pytest.fixture
def configured(settings: Settings) -> Iterator[Settings]:
    """data_access bound to stores opened on ``settings`` (fresh app store) for the test."""
    stores = data_access.open_stores(settings)
    with data_access.bound(stores):
        yield settings
    stores.close()


@pytest.fixture
def dash_app(settings: Settings):  # type: ignore[no-untyped-def]
    """The full Dash app on ``settings`` with the demo accounts."""
    import app as app_module

    application = app_module.create_app(settings)
    application.server.config.update(TESTING=True)
    stores = app_module.stores_of(application)
    with data_access.bound(stores):  # the test's own data_access calls read this app's stores
        yield application
    stores.close()


@pytest.fixture
def client(dash_app):  # type: ignore[no-untyped-def]
    return dash_app.server.test_client()


class Login:
    """Logs a test client in and out through the real /login form (with its CSRF token)."""

    def __init__(self, client) -> None:  # type: ignore[no-untyped-def]
        self.client = client

    def csrf(self, path: str = "/login") -> str:
        import re

        page = self.client.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert match, "no CSRF token on " + path
        return match.group(1)

    def login(self, username: str, password: str | None = None, next_path: str | None = None):  # type: ignore[no-untyped-def]
        from app import DEMO_PASSWORD

        url = "/login" + (f"?next={next_path}" if next_path else "")
        return self.client.post(url, data={"username": username, "password": password or DEMO_PASSWORD,
                                           "csrf_token": self.csrf()})

    def logout(self):  # type: ignore[no-untyped-def]
        return self.client.post("/logout", data={"csrf_token": self.csrf("/logout")})


@pytest.fixture
def auth(client) -> Login:  # type: ignore[no-untyped-def]
    return Login(client)


@pytest.fixture(params=["duckdb", "sqlite", "postgresql"])
def engine_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[object]:
    """A store built by ``database.build_store`` on each engine from the requesting module's
    ``STORE_FRAMES()`` (PostgreSQL: a fresh database on the suite's server); yields an Engine."""
    import sqlalchemy as sa

    from refresh import database

    if request.param == "duckdb":
        url = f"duckdb:///{tmp_path / 'a.duckdb'}"
    elif request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'a.sqlite'}"
    else:
        url = request.getfixturevalue("fresh_pg_url")
    frames = request.module.STORE_FRAMES
    database.build_store(url, lambda: iter(frames().items()))
    engine = sa.create_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def make_app(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """``make_app(settings) -> Dash app``: a full app on other settings, bound for the rest of the test
    (the test's own data_access calls read its stores), closed after it."""
    import app as app_module

    def make(settings: Settings):  # type: ignore[no-untyped-def]
        application = app_module.create_app(settings)
        application.server.config.update(TESTING=True)
        stores = app_module.stores_of(application)
        token = data_access.bind(stores)

        def close() -> None:
            data_access.unbind(token)
            stores.close()
        request.addfinalizer(close)
        return application
    return make
