"""Charts draw with the vendored Plotly.js basic bundle, never plotly.py's full plotly.min.js (4.8 MB)."""

from __future__ import annotations

from pathlib import Path

from dash import dcc
from playwright.sync_api import expect
from plotly.offline import get_plotlyjs_version

from app import DEMO_PASSWORD, HERE
from dashboards import _plotlyjs as plotlyjs

BUNDLE = plotlyjs.bundle_path(HERE / "assets")
FULL = Path(__import__("plotly").__file__).parent / "package_data" / "plotly.min.js"


def test_the_vendored_bundle_is_the_plotly_js_version_plotly_py_ships() -> None:
    assert BUNDLE.is_file(), f"vendor npm's plotly.js-basic-dist-min@{get_plotlyjs_version()} as {BUNDLE}"
    assert plotlyjs.bundle_version(BUNDLE) == get_plotlyjs_version()
    licence = BUNDLE.with_name(BUNDLE.name.replace(".min.js", ".LICENSE.txt")).read_text()
    assert licence.startswith("MIT License")
    assert BUNDLE.stat().st_size < FULL.stat().st_size / 3


def test_the_renderer_s_plotly_url_serves_the_basic_bundle_and_nothing_serves_the_full_one(  # type: ignore[no-untyped-def]
        dash_app, client, auth) -> None:
    url = "/" + plotlyjs.RENDERER_URL
    with client.get(url) as before:  # open before sign-in, like Dash's other component files (auth.guard)
        assert before.status_code == 200 and "Set-Cookie" not in before.headers
    assert client.post(url).status_code == 401  # only reading it
    auth.login("demo-leader")
    page = client.get("/").get_data(as_text=True)
    assert "plotly.min.js" not in page and "plotly-basic" not in page  # loaded by dcc.Graph when it draws
    with client.get(url) as served:
        assert served.status_code == 200 and served.mimetype == "text/javascript"
        assert served.get_data() == BUNDLE.read_bytes()
        assert served.headers["Cache-Control"] == "no-cache" and served.headers["ETag"]
    with client.get(url, headers={"If-None-Match": served.headers["ETag"]}) as again:
        assert again.status_code == 304 and not again.get_data()  # a returning browser revalidates cheaply
    # Dash no longer lists the full bundle as a resource, so its own route serves no plotly path.
    assert not any(r.get("namespace") == "plotly" for r in dcc._js_dist)  # noqa: SLF001
    assert "plotly" not in dash_app.registered_paths


def test_the_overview_draws_its_chart_with_the_basic_bundle(dash_app, live_server, page) -> None:  # type: ignore[no-untyped-def]
    base = live_server(dash_app)
    sizes: list[int] = []
    page.on("requestfinished", lambda r: sizes.append(r.sizes()["responseBodySize"]) if "plotly" in r.url else None)
    page.goto(base + "/login")
    page.fill("#username", "demo-leader")
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    # As long as the other browser tests wait: the first request to a live server builds the app's caches.
    expect(page.locator("#overview-trend-summary")).not_to_be_empty(timeout=45_000)
    page.locator("#overview-trend").scroll_into_view_if_needed()  # a chart out of view draws when it comes into view
    expect(page.locator("#overview-trend .js-plotly-plot .barlayer .point").first).to_be_visible(timeout=45_000)
    plotly = page.evaluate("() => ({version: Plotly.version, traces: Object.keys(Plotly.PlotSchema.get().traces)})")
    assert plotly["version"] == get_plotlyjs_version()
    assert sorted(plotly["traces"]) == ["bar", "pie", "scatter"]
    assert sizes == [BUNDLE.stat().st_size]
