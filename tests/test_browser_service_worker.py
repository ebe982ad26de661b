"""In a real Chromium: the sign-in page's service worker (dashboards/_swcache.py).

While a person types, it fetches the app's static files into CacheStorage; signed in, the pages load
those files from it, and everything else (pages, layouts, callbacks, the child record) from the
server, never stored. These tests open their own browser contexts, with service workers allowed
(the suite's ``page`` fixture blocks them).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import _live
import pytest
from playwright.sync_api import expect
from test_swcache import precache  # type: ignore[import-not-found]

from app import DEMO_PASSWORD

STATIC = ("/assets/", "/_dash-component-suites/")
CACHED = """async () => {
  const out = {};
  for (const name of await caches.keys()) {
    out[name] = (await (await caches.open(name)).keys()).map((r) => new URL(r.url).pathname + new URL(r.url).search);
  }
  return out;
}"""
READY = "() => navigator.serviceWorker.ready.then((r) => r.active.scriptURL)"


@pytest.fixture(autouse=True)
def _patient_expectations() -> None:
    expect.set_options(timeout=30_000)


@pytest.fixture
def worker_page(browser: Any) -> Iterator[Any]:
    with _live.browser_page(browser, service_workers="allow", timeout_ms=30_000) as opened:
        yield opened


def _listed(page: Any, base: str) -> list[str]:
    return list(precache(page.request.get(base + "/csi-sw.js").text())["urls"])


def _sign_in(page: Any, base: str, username: str = "demo-leader") -> None:
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator(".csi-page")).to_have_count(1)


def test_the_sign_in_page_installs_a_worker_holding_only_the_apps_static_files(dash_app, live_server,  # type: ignore[no-untyped-def]
                                                                                worker_page) -> None:
    page, base = worker_page, live_server(dash_app)
    page.goto(base + "/login")
    assert page.evaluate(READY) == base + "/csi-sw.js"
    cached = page.evaluate(CACHED)
    assert len(cached) == 1 and next(iter(cached)).startswith("csi-static-")
    held = next(iter(cached.values()))
    assert sorted(held) == sorted(_listed(page, base))  # every listed file, nothing else
    assert all(u.startswith(STATIC) for u in held)


def test_signed_in_pages_take_scripts_from_the_worker_and_data_from_the_server(dash_app, live_server,  # type: ignore[no-untyped-def]
                                                                              worker_page) -> None:
    page, base = worker_page, live_server(dash_app)
    page.goto(base + "/login")
    page.evaluate(READY)
    before = page.evaluate(CACHED)
    answers: list[tuple[str, str, bool]] = []
    page.on("response", lambda r: answers.append((r.request.method, r.url[len(base):], r.from_service_worker)))
    _sign_in(page, base, "demo-caseworker")
    page.goto(base + "/children-in-need")
    expect(page.locator("#cin-referrals_time-summary")).not_to_be_empty()
    page.locator("#cin-referrals_time").scroll_into_view_if_needed()  # charts draw once in view (csi-charts.js)
    page.wait_for_function("() => { const gd = document.querySelector('#cin-referrals_time .js-plotly-plot');"
                           " return !!(gd && gd._fullLayout && gd.data && gd.data.length); }")  # Plotly.js drew it
    page.goto(base + "/records")
    page.select_option("#records-purpose", label="Direct work with the child and family")
    page.click("#records-purpose-set")
    link = page.locator(".ag-center-cols-container [col-id=name] a").first  # AG Grid's chunk, from the worker
    link.click()  # a child's record: identifiable
    expect(page.get_by_text("Timeline")).to_be_visible()

    from_worker = {url for _m, url, worker in answers if worker}
    listed = set(_listed(page, base))
    assert {u for u in from_worker} <= listed, "the worker answers only for listed files"
    for must in ("dash_renderer", "plotly.min.js", "dcc/async-graph.js", "async-community.js"):
        assert any(must in u for u in from_worker), f"{must} came from the worker"
    data = [(m, u, w) for m, u, w in answers if not u.startswith(STATIC)]
    assert any(u.startswith("/_dash-update-component") for _m, u, _w in data)
    assert not [a for a in data if a[2]], "pages, layouts and callbacks come from the server"
    assert page.evaluate(CACHED) == before, "nothing the pages were sent was stored"


def test_the_worker_adds_nothing_the_app_does_not_list(dash_app, live_server, worker_page) -> None:  # type: ignore[no-untyped-def]
    """A page asking for an unlisted static file gets it from the server; the cache is unchanged."""
    page, base = worker_page, live_server(dash_app)
    page.goto(base + "/login")
    page.evaluate(READY)
    page.reload()  # now controlled by the worker
    before = page.evaluate(CACHED)
    got = page.evaluate("() => fetch('/assets/house.css?unlisted=1').then((r) => r.status)")
    assert got == 200
    assert page.evaluate(CACHED) == before


def test_signing_in_while_the_worker_is_still_installing_loads_the_page_from_the_server(  # type: ignore[no-untyped-def]
        dash_app, live_server, worker_page) -> None:
    """A saved password submitted while the worker is still fetching: the page is not the worker's yet
    (it was not active when the page was asked for), so it loads everything from the server and works."""
    import time

    from flask import request

    @dash_app.server.before_request
    def slow_plotly() -> None:  # the worker's install waits on Plotly.js
        if request.path.endswith("plotly.min.js"):
            time.sleep(3)

    page, base = worker_page, live_server(dash_app)
    page.goto(base + "/login")
    installing = "() => navigator.serviceWorker.getRegistration().then((r) => !!(r && r.installing))"
    deadline = time.monotonic() + 10
    while not page.evaluate(installing):  # registered half a second after load, then installing
        assert time.monotonic() < deadline, "the sign-in page registered its worker"
        page.wait_for_timeout(50)
    answers: list[bool] = []
    page.on("response", lambda r: answers.append(r.from_service_worker))
    _sign_in(page, base)
    assert page.evaluate("() => navigator.serviceWorker.controller") is None
    expect(page.locator("#overview-cards")).not_to_be_empty()
    page.locator("#overview-trend").scroll_into_view_if_needed()
    page.wait_for_function("() => { const gd = document.querySelector('#overview-trend .js-plotly-plot');"
                           " return !!(gd && gd._fullLayout && gd.data && gd.data.length); }")
    assert answers and not any(answers), "nothing came from the worker"
