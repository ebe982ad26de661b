"""In a real Chromium, as demo-manager: slicers, cross-filtering, drill-down, shareable URLs and exports.

Waits use Playwright's locator assertions (no string evaluation: the app's Content-Security-Policy
forbids 'unsafe-eval', which string predicates need).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from app import DEMO_PASSWORD

WAIT = 45_000  # generous: the suite shares a small machine with other browser tests


@pytest.fixture(autouse=True)
def _patient_expectations() -> None:
    expect.set_options(timeout=WAIT)


def sign_in(page: Any, base: str, username: str = "demo-manager") -> None:
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("#shell-user, .csi-page")).not_to_have_count(0)


def click_bar(page: Any, locator: Any) -> None:
    """Click the middle of a bar the way a mouse does (Plotly's drag layer sits on top of the bars)."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def chart_bars(page: Any, chart: str) -> Any:
    """The bars of the chart ``chart`` (e.g. "#cin-by_source"), scrolled into view as a person would
    see them: a chart out of view draws its newest figure when it comes into view (assets/csi-charts.js)."""
    page.locator(chart).scroll_into_view_if_needed()
    expect(page.locator(f"{chart} [data-csi-undrawn]")).to_have_count(0)
    return page.locator(f"{chart} .bars .point")


def chart_text(page: Any, graph_id: str) -> list[list[str]]:
    """The values each trace of a chart shows in its hover text (customdata), per bar (scrolled into view)."""
    chart_bars(page, f"#{graph_id}")
    return page.evaluate("(id) => Array.from(document.getElementById(id).querySelector('.js-plotly-plot').data,"
                         " (t) => t.customdata.map((c) => c[1]))", graph_id)


def test_slicer_cross_filter_drill_url_and_export(dash_app, live_server, page, browser) -> None:  # type: ignore[no-untyped-def]
    base = live_server(dash_app)
    sign_in(page, base)
    page.goto(base + "/children-in-need")
    referrals = page.locator("#kpi-referrals-value")
    expect(page.locator("#cin-by_source-summary")).to_contain_text("Total referrals")
    everyone = referrals.text_content()  # textContent: the cards' dcc.Loading hides them (innerText '') while a slow update runs

    # 1. A slicer: age band 16 to 17 narrows the cards and every chart, and goes into the URL.
    page.select_option("#cin-age_band", label="16 to 17")
    expect(referrals).not_to_have_text(everyone)
    expect(page).to_have_url(f"{base}/children-in-need?age_band=16-17")
    teenagers = referrals.text_content()

    # 2. Cross-filter: clicking the Police bar filters the cards and the other charts, not its own.
    police = chart_bars(page, "#cin-by_source").nth(17)
    click_bar(page, police)
    expect(page.locator("#cin-selection")).to_contain_text("Filtered by Police (from Referrals by source)")
    expect(referrals).not_to_have_text(teenagers)
    assert page.locator("#cin-by_source .bars .point").count() == 22
    expect(page.locator("#cin-clear")).to_be_visible()

    # 3. Drill down in place: years -> quarters -> months, with a way back up (its data table open).
    page.click("#cin-referrals_time-toggle")
    expect(page.locator("#cin-referrals_time-table tbody tr")).to_have_count(12)
    page.select_option("#cin-grain", label="Year")
    level = page.locator("#cin-referrals_time-level")
    expect(level).to_contain_text("Showing years")
    page.get_by_label("drills down").check()
    click_bar(page, chart_bars(page, "#cin-referrals_time").first)
    expect(level).to_contain_text("Showing quarters of CY 2024-25")
    click_bar(page, chart_bars(page, "#cin-referrals_time").first)
    expect(level).to_contain_text("Showing months of Q3 CY 2024-25")
    expect(page.locator("#cin-referrals_time-table tbody tr")).to_have_count(2)  # Nov and Dec 2024 in the period
    expect(page).to_have_url(re.compile("drill_time=2024-10-01_2024-12-31"))  # written just after the redraw
    url = page.url
    assert "drill_time=2024-10-01_2024-12-31" in url and "selection=by_source%3Areferral_source%3A6" in url

    # 4. The URL reopens the same view in a new browser context (fresh cookies: sign in again).
    other = browser.new_context(locale="en-GB", timezone_id="Europe/London", service_workers="block").new_page()
    try:
        sign_in(other, base)
        other.goto(url)
        expect(other.locator("#cin-referrals_time-level")).to_contain_text("Showing months of Q3 CY 2024-25")
        expect(other.locator("#cin-selection")).to_contain_text("Filtered by Police")
        expect(other.locator("#kpi-referrals-value")).to_have_text(referrals.text_content())
        expect(other.locator("#cin-closures-summary")).to_have_text(page.inner_text("#cin-closures-summary"))
    finally:
        other.context.close()

    # 5. Up one level, then export the data behind a chart: the numbers match the chart, with c.
    page.get_by_role("button", name="Drill Referrals, re-referrals and no further action up one level").click()
    expect(level).to_contain_text("Showing quarters")
    shown = chart_text(page, "cin-closures")[0]
    with page.expect_download() as download:
        page.get_by_role("button", name="Download Episodes closed, by reason as CSV").click()
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    assert download.value.suggested_filename == "children-in-need-closures-2025-10-31.csv"
    head, rows = {r[0]: r[1] for r in rows[:rows.index([])]}, rows[rows.index([]) + 1:]
    assert head["Filters"].startswith("Age: 16 to 17; Chart selection:") and head["Data to"] == "31 October 2025"
    exported = [r[2] for r in rows[1:-1]]
    assert exported == [v.replace(",", "") for v in shown]
    assert "c" in exported


def test_chart_png_and_page_pdf_exports_are_audited(dash_app, live_server, page) -> None:  # type: ignore[no-untyped-def]
    import data_access
    from appstore import audit

    base = live_server(dash_app)
    sign_in(page, base, "demo-leader")
    page.goto(base + "/send?sex=F")
    expect(page.locator("#send-primary_need-summary")).to_contain_text("Total plans")
    with page.expect_download() as download:
        page.get_by_role("button", name="Save Active plans by primary need as a PNG image").click()
    assert download.value.suggested_filename == "send-primary_need.png"
    png = Path(download.value.path()).read_bytes()
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert width == 1000 and height >= 48 + 560 + 16 + 20 * 5  # a title above, five caption lines below the chart
    with page.expect_download() as download:
        page.get_by_role("button", name="Save page as PDF").click()
    assert download.value.suggested_filename == "send-page-2025-10-31.pdf"
    from pypdf import PdfReader

    text = " ".join(" ".join(p.extract_text() for p in PdfReader(download.value.path()).pages).split())
    assert "SEND" in text and "Sex: Female" in text and "Figures are protected" in text
    events = audit.query_events(data_access.current().app, action="export")
    assert {(e["detail"]["format"], e["detail"]["visual"], e["detail"].get("filters")) for e in events} == {
        ("png", "primary_need", "sex=F"), ("pdf", "page", "sex=F")}


def test_every_page_says_its_figures_are_protected_and_links_to_how(dash_app, live_server, page) -> None:  # type: ignore[no-untyped-def]
    base = live_server(dash_app)
    sign_in(page, base)
    for path in ("/", "/children-in-need", "/send"):
        page.goto(base + path)
        expect(page.locator(".csi-asof")).to_contain_text("Figures are protected: small numbers may be adjusted")
    page.get_by_role("link", name="How figures are protected").click()
    expect(page.get_by_role("heading", name="How figures are protected")).to_be_visible()
    expect(page.locator(".csi-about")).to_contain_text("the same figure wherever they appear")
    assert page.url.endswith("/about-figures")
