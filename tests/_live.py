"""Serving a WSGI app on a real socket, and a real headless Chromium to look at it.

Generic: nothing here knows the application. ``LiveServers`` serves whatever WSGI app it is given
(a Flask app, a Dash app through its ``.server``, or a zero-argument factory returning one).
"""

from __future__ import annotations

import contextlib
import inspect
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

CHROMIUM = os.environ.get("CSI_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_MISSING = f"Chromium not installed at {CHROMIUM} (./test installs it with apt-get)"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


class _QuietHandler(WSGIRequestHandler):
    """Keeps one log line per request out of the test output; errors are still logged."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class LiveServers:
    """Starts WSGI apps on 127.0.0.1 (a free port each) in daemon threads; ``close()`` stops them all."""

    def __init__(self) -> None:
        self._running: list[tuple[BaseWSGIServer, threading.Thread]] = []

    def __call__(self, app: Any) -> str:
        """Serve ``app`` and return its base URL, e.g. ``http://127.0.0.1:41234`` (no trailing slash)."""
        server = make_server("127.0.0.1", 0, as_wsgi(app), threaded=True, request_handler=_QuietHandler)
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1},
            name=f"live-server-{server.server_port}", daemon=True,
        )
        thread.start()
        self._running.append((server, thread))
        return f"http://127.0.0.1:{server.server_port}"

    def close(self) -> None:
        while self._running:
            server, thread = self._running.pop()
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)


def as_wsgi(app: Any) -> Callable[..., Any]:
    """The WSGI callable behind ``app``: a Flask app, a Dash app's ``.server``, or a factory's result."""
    server = getattr(app, "server", None)
    if server is not None and hasattr(server, "wsgi_app"):
        return server  # a Dash app
    if hasattr(app, "wsgi_app"):
        return app  # a Flask app
    if callable(app) and _takes_no_arguments(app):
        return as_wsgi(app())  # a factory
    if callable(app):
        return app  # a plain WSGI callable (environ, start_response)
    raise TypeError(f"not a WSGI app or a factory of one: {app!r}")


def _takes_no_arguments(func: Callable[..., Any]) -> bool:
    try:
        inspect.signature(func).bind()
    except TypeError:
        return False
    except ValueError:  # no signature available (some builtins)
        return False
    return True


@contextlib.contextmanager
def browser_page(browser: Any, *, service_workers: str = "block", timeout_ms: int = 15_000) -> Iterator[Any]:
    """A page in its own browser context (fresh cookies and storage), closed afterwards.

    ``service_workers="block"`` by default: without the app's worker (dashboards/_swcache.py) each
    context would fetch the app's 4 MB of scripts twice, and Playwright's request routing does not
    see what a worker answers. tests/test_browser_service_worker.py allows it."""
    context = browser.new_context(locale="en-GB", timezone_id="Europe/London", service_workers=service_workers)
    context.set_default_timeout(timeout_ms)
    try:
        yield context.new_page()
    finally:
        context.close()
