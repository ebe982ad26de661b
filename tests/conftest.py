"""Fixtures shared by the whole suite: a real PostgreSQL server, a real Chromium, live WSGI servers.

- ``pg_url`` (session): SQLAlchemy URL of a database on the suite's PostgreSQL server.
- ``fresh_pg_url``: URL of a new, empty database on that server, dropped after the test.
- ``browser`` (session) / ``page``: headless Chromium (/usr/bin/chromium) through Playwright.
- ``live_server``: ``live_server(app) -> "http://127.0.0.1:PORT"`` for a Flask/Dash app or factory.

The PostgreSQL server starts once per session in ``pytest_configure`` and its URL is exported as
CSI_TEST_PG_URL, so modules may read it at import time. Set CSI_TEST_PG_URL yourself to use another
server, or CSI_TEST_NO_PG=1 to start none (PostgreSQL tests then skip).

Under pytest-xdist (``-n``, as ./test runs the suite) the controller starts the one server before it
starts the workers, which inherit CSI_TEST_PG_URL; each worker then creates a database of its own on
that server (csi_test_gw0, csi_test_gw1, ...) and exports its URL instead, so no two workers ever share
``pg_url``'s database.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

import _live  # tests/ has no __init__.py: pytest puts it on sys.path, so its helpers import by name
import _pg
import pytest
from sqlalchemy.engine import make_url

# The app's own fixtures (demo_store, settings, configured, dash_app, client, auth).
pytest_plugins = ["_stores"]

_SERVER = pytest.StashKey["_pg.PostgresServer"]()
_START_ERROR = pytest.StashKey[str]()
_WORKER_DATABASE = pytest.StashKey[tuple[str, str]]()  # (the URL an xdist worker inherited, its database's name)
_NO_PG = "CSI_TEST_NO_PG=1: no PostgreSQL server for this run"
_INFO_ONLY = ("help", "version", "collectonly", "showfixtures", "markers")


def _pg_unavailable_reason() -> str:
    return _NO_PG if os.environ.get("CSI_TEST_NO_PG") == "1" else _pg.SKIP_REASON


def pytest_configure(config: pytest.Config) -> None:
    if any(getattr(config.option, name, False) for name in _INFO_ONLY):
        return
    if os.environ.get("CSI_TEST_PG_URL") and hasattr(config, "workerinput"):  # an xdist worker
        _use_a_database_of_the_workers_own(config, os.environ["CSI_TEST_PG_URL"], config.workerinput["workerid"])
        return
    if os.environ.get("CSI_TEST_PG_URL") or os.environ.get("CSI_TEST_NO_PG") == "1" or not _pg.find_bindir():
        return
    try:
        server = _pg.start_server()
    except Exception as exc:  # reported by pg_url, so tests without PostgreSQL still run
        config.stash[_START_ERROR] = f"could not start PostgreSQL: {exc}"
        return
    config.stash[_SERVER] = server
    os.environ["CSI_TEST_PG_URL"] = server.url()


def _use_a_database_of_the_workers_own(config: pytest.Config, url: str, worker: str) -> None:
    """In xdist worker ``worker`` (gw0, ...): create the database ``<database>_<worker>`` on the server
    ``url`` names and export its URL as CSI_TEST_PG_URL for this worker's tests."""
    name = f"{make_url(url).database or _pg.DATABASE}_{worker}"
    try:
        own = _pg.create_database(url, name)  # one of that name left by a killed run is replaced
    except Exception as exc:  # reported by pg_url, as a server that did not start is
        config.stash[_START_ERROR] = f"could not create this worker's database {name} on {url}: {exc}"
        return
    config.stash[_WORKER_DATABASE] = (url, name)
    os.environ["CSI_TEST_PG_URL"] = own


def pytest_unconfigure(config: pytest.Config) -> None:
    if worker_database := config.stash.get(_WORKER_DATABASE, None):
        inherited, name = worker_database
        os.environ["CSI_TEST_PG_URL"] = inherited
        with contextlib.suppress(Exception):  # cleaning up only: the server may be gone already
            _pg.drop_database(inherited, name)
    server = config.stash.get(_SERVER, None)
    if server is not None:
        os.environ.pop("CSI_TEST_PG_URL", None)
        server.stop()


def pytest_report_header(config: pytest.Config) -> str:
    if config.stash.get(_SERVER, None) is not None:
        postgres = f"started by the suite at {os.environ['CSI_TEST_PG_URL']}"
    elif os.environ.get("CSI_TEST_PG_URL"):
        postgres = f"CSI_TEST_PG_URL={os.environ['CSI_TEST_PG_URL']}"
    else:
        postgres = config.stash.get(_START_ERROR, _pg_unavailable_reason())
    chromium = _live.CHROMIUM if os.path.exists(_live.CHROMIUM) else _live.CHROMIUM_MISSING
    return f"postgresql: {postgres}\nchromium: {chromium}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests by the real services they use, so `-m "not browser"` and `-m "not postgres"` work."""
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if used & {"pg_url", "fresh_pg_url"}:
            item.add_marker(pytest.mark.postgres)
        if used & {"browser", "page"}:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def pg_url(pytestconfig: pytest.Config) -> str:
    """'postgresql+psycopg://postgres@127.0.0.1:PORT/csi_test' on the suite's PostgreSQL server."""
    if error := pytestconfig.stash.get(_START_ERROR, None):
        pytest.fail(error)
    url = os.environ.get("CSI_TEST_PG_URL")
    if url:
        return url
    pytest.skip(_pg_unavailable_reason())


@pytest.fixture
def fresh_pg_url(pg_url: str) -> Iterator[str]:
    """A new empty database (t_<uuid>) on the same server, dropped after the test."""
    with _pg.fresh_database(pg_url) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless system Chromium driven by Playwright (never Playwright's own browser download)."""
    if not os.path.exists(_live.CHROMIUM):
        pytest.skip(_live.CHROMIUM_MISSING)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=_live.CHROMIUM, headless=True, args=_live.CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A page in its own browser context, without the app's service worker (``_live.browser_page``)."""
    with _live.browser_page(browser) as opened:
        yield opened


@pytest.fixture
def live_server() -> Iterator[_live.LiveServers]:
    """``live_server(app) -> base URL``: serves a WSGI app (or a factory of one) until the test ends."""
    servers = _live.LiveServers()
    yield servers
    servers.close()
