"""Accessibility (WCAG 2.2 AA): axe-core in Chromium on every dashboard, default and filtered, plus keyboard use.

axe finds no serious or critical violation on any page, in its default state and in a filtered one
(a slicer, a chart selection and a drill level from the URL, with every data table opened). A
clean axe run is not conformance on its own; the keyboard test checks that the cross-filter works
without a mouse and that focus is visible.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import _live  # type: ignore[import-not-found]
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from app import DEMO_PASSWORD

WCAG = {"resultTypes": ["violations"],
        "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}}
PAGES = {
    "/": "?sex=F&grain=year&drill_time=2024-04-01_2025-03-31&selection=trend%3Atime%3A2025-01-01_2025-03-31",
    "/service-users": "?age_band=10-15&drill_org=CSC&selection=by_sex%3Asex%3AF",
    "/children-in-need": "?age_band=16-17&selection=by_source%3Areferral_source%3A6",
    "/interventions": "?service=EH&selection=by_type%3Aintervention_type%3AEHA",
    "/send": "?sex=M&selection=primary_need%3Aneed%3AASD",
    "/trends": "?measure=assessments_45&grain=quarter&period_months=24&locality=NORTH",
}


@pytest.fixture(autouse=True)
def _patient_expectations() -> None:
    expect.set_options(timeout=45_000)


@pytest.fixture(scope="module")
def signed_in(browser: Any, demo_store: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    """One app, server and signed-in leader for the module (the checks only read pages)."""
    import app as app_module
    from model.settings import Settings

    tmp = tmp_path_factory.mktemp("a11y")
    settings = Settings.from_env({}, data_dir=tmp, analytics_url=f"duckdb:///{demo_store}",
                                 app_db_url=f"sqlite:///{tmp / 'app.sqlite'}", demo=True)
    application = app_module.create_app(settings)
    servers = _live.LiveServers()
    base = servers(application)
    context = browser.new_context(locale="en-GB", timezone_id="Europe/London", service_workers="block")
    context.set_default_timeout(45_000)
    page = context.new_page()
    page.goto(base + "/login")
    page.fill("#username", "demo-leader")
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator(".csi-page")).to_have_count(1, timeout=45_000)
    try:
        yield page, base
    finally:
        context.close()
        servers.close()
        app_module.stores_of(application).close()


def settled(page: Any) -> None:
    """Wait until every chart's summary has been written by the render callback."""
    summaries = page.locator(".chart-summary")
    expect(summaries.first).not_to_be_empty()
    for i in range(summaries.count()):
        expect(summaries.nth(i)).not_to_be_empty()


def serious(page: Any) -> list[str]:
    results = Axe().run(page, options=WCAG)
    return [f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes'][0]['target']}"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("path", list(PAGES))
def test_axe_finds_no_serious_violations_default_and_filtered(signed_in, path: str) -> None:  # type: ignore[no-untyped-def]
    page, base = signed_in
    page.goto(base + path)
    settled(page)
    assert serious(page) == [], f"{path} (default)"

    page.goto(base + path + PAGES[path])
    settled(page)
    for summary in page.locator("details.chart-data > summary").all():
        summary.click()
    expect(page.locator(".data-table").first).to_be_visible()
    assert serious(page) == [], f"{path} (filtered)"


def test_cross_filter_from_the_keyboard_with_visible_focus(signed_in) -> None:  # type: ignore[no-untyped-def]
    page, base = signed_in
    page.goto(base + "/children-in-need")
    settled(page)
    table = page.locator("#cin-closures-table")
    page.locator("#cin-closures-toggle").focus()  # the <summary> of the chart's data-table view
    page.keyboard.press("Enter")
    expect(table.locator("table")).to_be_visible()
    button = table.get_by_role("button", name="Filter the page by Closed after assessment, no further action")
    button.focus()
    outline = button.evaluate("(e) => getComputedStyle(e).outlineStyle + ' ' + getComputedStyle(e).outlineWidth")
    assert outline.startswith("solid") and not outline.endswith(" 0px")
    page.keyboard.press("Enter")
    expect(page.locator("#cin-selection")).to_contain_text("Filtered by Closed after assessment, no further action")
    page.locator("#cin-clear").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#cin-selection")).to_contain_text("No chart selection")
