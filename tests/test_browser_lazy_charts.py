"""In a real Chromium: a chart out of view draws its new figure when it comes into view (assets/csi-charts.js).

A slicer change sends every chart its figure; a chart well below the screen keeps its old drawing
(``data-csi-undrawn``) until it scrolls near, then draws the newest figure. What a person sees is
never stale: scrolling to it, printing the page, or saving it as a PNG draws it first.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from app import DEMO_PASSWORD

WAIT = 45_000
LAST = "#cin-closures"  # the last chart of Children in need: far below a 1280 x 1200 screen
# What a chart draws: its bars' hover text (customdata) per trace, from the drawn figure.
GD = "const gd = document.getElementById(id).querySelector('.js-plotly-plot, [data-csi-undrawn]');"
DRAWN = "(id) => { " + GD + " return Array.from((gd && gd.data) || [], (t) => (t.customdata || []).map((c) => c[1])); }"
UNDRAWN = "(id) => { " + GD + " return !!gd && gd.hasAttribute('data-csi-undrawn'); }"


@pytest.fixture(autouse=True)
def _patient_expectations() -> None:
    expect.set_options(timeout=WAIT)


def _open_cin(page: Any, base: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 1200})  # the first chart in view, the last far below
    page.goto(base + "/login")
    page.fill("#username", "demo-leader")
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator(".csi-page")).to_have_count(1)
    page.goto(base + "/children-in-need")
    expect(page.locator("#cin-closures-summary")).to_contain_text("Total episodes")
    # Every chart has had its first drawing (never put off; whether the page's figures came with it or
    # after it is a race between Plotly.js loading and the server's answer): later figures may wait.
    page.wait_for_function("() => Array.from(document.querySelectorAll('.chart .js-plotly-plot'))"
                           ".filter((gd) => gd._fullLayout).length === document.querySelectorAll('.chart').length")


def _table_values(page: Any, key: str) -> list[str]:
    """The chart's data table (filled by the server for the same view): its first value column."""
    page.evaluate("(id) => { const d = document.getElementById(id).closest('details'); d.open = true;"
                  " d.dispatchEvent(new Event('toggle')); }", f"cin-{key}-toggle")
    rows = page.locator(f"#cin-{key}-table tbody tr")
    expect(rows.first).to_be_attached()
    return [r.locator("td").first.inner_text() for r in rows.all()]


def test_a_chart_out_of_view_draws_its_new_figure_when_it_comes_into_view(dash_app, live_server, page) -> None:  # type: ignore[no-untyped-def]
    base = live_server(dash_app)
    _open_cin(page, base)
    assert page.evaluate("() => !!(window.Plotly && window.Plotly.csiLazy)"), "Plotly.react is wrapped"
    page.locator(LAST).scroll_into_view_if_needed()
    expect(page.locator(f"{LAST} [data-csi-undrawn]")).to_have_count(0)
    everyone = page.evaluate(DRAWN, LAST[1:])
    assert everyone and everyone[0] == _table_values(page, "closures")

    page.evaluate("() => window.scrollTo(0, 0)")
    page.select_option("#cin-sex", label="Female")
    expect(page).to_have_url(f"{base}/children-in-need?sex=F")
    expect(page.locator(f"{LAST} [data-csi-undrawn]")).to_have_count(1)  # the new figure waits...
    assert page.evaluate(DRAWN, LAST[1:]) == everyone  # ...while the old drawing stays out of sight
    expect(page.locator("#cin-referrals_time [data-csi-undrawn]")).to_have_count(0)  # the chart in view: drawn

    page.locator(LAST).scroll_into_view_if_needed()  # scrolled to: drawn with the newest figure
    expect(page.locator(f"{LAST} [data-csi-undrawn]")).to_have_count(0)
    girls = page.evaluate(DRAWN, LAST[1:])
    assert girls != everyone and girls[0] == _table_values(page, "closures")


def test_printing_or_saving_a_png_draws_the_charts_out_of_view_first(dash_app, live_server, page) -> None:  # type: ignore[no-untyped-def]
    base = live_server(dash_app)
    _open_cin(page, base)
    waiting = page.locator(".chart [data-csi-undrawn]")
    page.select_option("#cin-sex", label="Female")
    expect(page).to_have_url(f"{base}/children-in-need?sex=F")
    expect(waiting).not_to_have_count(0)
    page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")  # as the browser does before printing
    expect(waiting).to_have_count(0)

    page.select_option("#cin-sex", label="Male")
    expect(page).to_have_url(f"{base}/children-in-need?sex=M")
    expect(page.locator(f"{LAST} [data-csi-undrawn]")).to_have_count(1)
    # The PNG button pressed without scrolling (a script's click): the image is of the newest figure.
    with page.expect_download() as download:
        page.evaluate("() => Array.from(document.querySelectorAll('button.btn-tool'))"
                      ".find((b) => b.getAttribute('aria-label') === 'Save Episodes closed, by reason as a PNG image')"
                      ".click()")
    assert download.value.suggested_filename == "cin-closures.png"
    expect(page.locator(f"{LAST} [data-csi-undrawn]")).to_have_count(0)
    assert page.evaluate(DRAWN, LAST[1:])[0] == _table_values(page, "closures")


def test_a_chart_is_laid_out_again_only_when_its_box_changes_size(dash_app, live_server, page) -> None:  # type: ignore[no-untyped-def]
    """dcc.Graph fits each chart to its box after drawing it; Plotly answered 100 ms later with a second
    layout of an unchanged chart. Now only a box that changed size lays the chart out again."""
    base = live_server(dash_app)
    _open_cin(page, base)
    chart = "#cin-referrals_time .js-plotly-plot"
    expect(page.locator(f"{chart} .barlayer .point").first).to_be_attached()
    page.evaluate("(sel) => { const gd = document.querySelector(sel); window.__relayouts = 0;"
                  " gd.on('plotly_relayout', () => { window.__relayouts += 1; }); }", chart)
    width = page.evaluate("(sel) => document.querySelector(sel)._fullLayout.width", chart)
    page.evaluate("(sel) => Plotly.Plots.resize(document.querySelector(sel))", chart)  # the same box
    page.wait_for_timeout(300)  # Plotly's own resize would have laid it out again after 100 ms
    assert page.evaluate("() => window.__relayouts") == 0

    page.set_viewport_size({"width": 900, "height": 1200})  # a narrower box: laid out to fit it
    page.wait_for_function("([sel, w]) => document.querySelector(sel)._fullLayout.width < w", arg=[chart, width])
    narrower = page.evaluate("(sel) => document.querySelector(sel)._fullLayout.width", chart)
    assert narrower == page.evaluate("(sel) => Math.round(document.querySelector(sel).getBoundingClientRect().width)",
                                     chart)


def test_a_png_asked_for_before_plotly_has_loaded_waits_for_the_chart(dash_app, live_server, page) -> None:  # type: ignore[no-untyped-def]
    """Pressed while Plotly.js is still on its way (a slow network; a busy machine), the button used to do
    nothing: the chart had no drawing to export. The image now waits for the chart's drawing."""
    import time

    base = live_server(dash_app)
    _open_cin(page, base)
    page.route("**/plotly.min.js*", lambda route: (time.sleep(2.5), route.continue_()))  # Plotly.js held back
    page.goto(base + "/children-in-need?sex=F")  # a new document: Plotly.js loads again
    expect(page.locator("#cin-closures-summary")).to_contain_text("Total episodes")
    assert not page.evaluate("() => !!window.Plotly"), "the button is pressed before Plotly.js has loaded"
    with page.expect_download() as download:
        page.evaluate("() => Array.from(document.querySelectorAll('button.btn-tool'))"
                      ".find((b) => b.getAttribute('aria-label') === 'Save Episodes closed, by reason as a PNG image')"
                      ".click()")
    assert download.value.suggested_filename == "cin-closures.png"
    assert page.evaluate(DRAWN, LAST[1:])[0] == _table_values(page, "closures")
