"""In a real Chromium: sign in as demo-manager and read the Overview's KPIs off the page."""

from __future__ import annotations

import re

try:
    from _expected import direct_counts  # type: ignore[import-not-found]
except ImportError:
    from ._expected import direct_counts  # type: ignore[no-redef]

from playwright.sync_api import expect

from app import DEMO_PASSWORD


def _number(text: str) -> float:
    return float(re.sub(r"[^0-9.]", "", text))


def test_manager_logs_in_and_reads_the_overview_kpis(dash_app, live_server, page, demo_store) -> None:  # type: ignore[no-untyped-def]
    import data_access

    base = live_server(dash_app)
    page.goto(base + "/")
    assert page.url.startswith(base + "/login")
    page.fill("#username", "demo-manager")
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#kpi-cin_now-value")
    expect(page.locator("#kpi-ehc_active-value")).not_to_be_empty()

    expected = direct_counts(demo_store, data_access.as_of())
    read = {key: page.text_content(f"#kpi-{key}-value") for key in  # textContent: see test_a_slicer_change_updates_the_kpis
            ("cin_now", "referrals", "rereferral_rate", "assessments_45", "cp_open", "ehc_active")}
    assert _number(read["cin_now"]) == expected["cin_now"]
    assert _number(read["referrals"]) == expected["referrals"]
    assert _number(read["rereferral_rate"]) == expected["rereferral_rate"]
    assert _number(read["assessments_45"]) == expected["assessments_45"]
    assert _number(read["cp_open"]) == expected["cp_open"]
    assert _number(read["ehc_active"]) == expected["ehc_active"]
    expect(page.locator("#shell-user")).not_to_be_empty()
    assert "Demo Service Manager" in page.inner_text("#shell-user")
    # The chart has a text summary and a data-table alternative.
    assert "Referrals per month" in page.inner_text("#overview-trend-summary")
    page.click("#overview-trend-toggle")  # the table is filled when its view is opened
    expect(page.locator("#overview-trend-table table tbody tr")).to_have_count(12)


def test_a_slicer_change_updates_the_kpis(dash_app, live_server, page) -> None:  # type: ignore[no-untyped-def]
    base = live_server(dash_app)
    page.goto(base + "/login")
    page.fill("#username", "demo-leader")
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    kpi = page.locator("#kpi-cin_now-value")
    expect(kpi).not_to_be_empty()
    shown = kpi.text_content()  # textContent: the cards' dcc.Loading hides them (innerText '') while a slow update runs
    before = _number(shown)
    page.select_option("#overview-sex", "F")
    expect(kpi).not_to_have_text(re.compile(rf"^({re.escape(shown)})?$"))  # neither the old value nor empty
    after = _number(kpi.text_content())
    assert 0 < after < before
