"""In Chromium, the analyst's route to an extract (``/extract-requests``): demo-analyst asks, demo-ig approves
on ``/ig/extracts``, demo-analyst produces the extract and downloads it once; a second download (from a
page opened before the first) is refused. axe finds no serious or critical violation on the page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from test_a11y_other_pages import serious
from test_browser_dashboards import sign_in
from test_browser_ig_retention import download_once

import data_access
from appstore import audit

REASON = "DBV diagnostic: <b>phase 2</b> data pack for Newton Europe"


@pytest.fixture(autouse=True)
def _patient_expectations() -> None:
    expect.set_options(timeout=45_000)


def _open_requests(page, base: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + "/extract-requests")
    expect(page.locator("#xr-forms")).to_be_visible()


def test_analyst_asks_ig_approves_analyst_produces_and_downloads_once(dash_app, live_server, page) -> None:  # type: ignore[no-untyped-def]
    base = live_server(dash_app)
    sign_in(page, base, "demo-analyst")
    expect(page.locator("#shell-nav a[href='/extract-requests']")).to_have_count(1)
    _open_requests(page, base)
    table = page.locator("#xr-list table")
    expect(table.locator("caption")).to_have_text("You have not asked for an extract yet")
    page.select_option("#xr-recipient", "newton")
    page.get_by_label("Why it is needed").fill(REASON)
    page.get_by_role("button", name="Send request").click()
    message = page.locator("#xr-message")
    expect(message).to_contain_text("Request 1 sent to information governance")
    row = page.locator("#xr-list tr[data-request='1']")
    expect(row).to_contain_text("Waiting for information governance")
    expect(row).to_contain_text(REASON)  # text, not markup
    expect(row).to_contain_text("(UK time)")
    assert row.locator("b").count() == 0
    expect(page.locator("#xr-produce-pick option[value='newton']")).to_have_count(0)  # not approved yet
    page.wait_for_load_state("networkidle")
    found = serious(page)
    assert found == [], "\n".join(found)

    page.context.clear_cookies()
    sign_in(page, base, "demo-ig")
    page.goto(base + "/ig/extracts")
    expect(page.locator("#ext-requests")).to_contain_text("1 waiting")
    page.select_option("#ext-request-pick", "1")
    page.get_by_role("button", name="Approve").click()
    expect(page.locator("#ext-message")).to_contain_text("Request 1 approved")

    page.context.clear_cookies()
    sign_in(page, base, "demo-analyst")
    _open_requests(page, base)
    expect(row).to_contain_text("Approved: ready to produce")
    page.select_option("#xr-produce-pick", "newton")
    page.get_by_role("button", name="Produce extract").click()
    expect(message).to_contain_text("Produced extract 1 for Newton Europe")
    expect(row).to_contain_text("Produced")
    expect(row).to_contain_text("k achieved")
    expect(row.locator("td").last).to_have_text("not yet")
    stale = page.context.new_page()  # a second tab, opened before the download
    _open_requests(stale, base)
    stale.select_option("#xr-download-pick", "1")

    name, manifest, lines = download_once(page, "#xr-download-pick", "1")
    assert name == "dbv-send-1.0-newton-1.zip"
    assert manifest["recipient"] == "newton" and manifest["produced_by"] == "demo-analyst"
    assert manifest["row_count"] == len(lines) - 1 > 0 and manifest["k_achieved"] >= 5
    expect(message).to_contain_text("Downloaded dbv-send-1.0-newton-1.zip")
    expect(row.locator("td").last).to_have_text("yes")
    expect(page.locator("#xr-download-pick option[value='1']")).to_have_count(0)  # no longer offered

    stale.get_by_role("button", name="Download (once)").click()
    expect(stale.locator("#xr-message")).to_contain_text("has been downloaded already: it can be downloaded once")
    expect(stale.locator("#xr-download-pick option[value='1']")).to_have_count(0)
    page.wait_for_load_state("networkidle")
    found = serious(page)
    assert found == [], "\n".join(found)
    steps = [(e["action"], e["detail"].get("step"), e["username"])
             for e in audit.query_events(data_access.current().app) if e["resource"] == "extracts"]
    assert steps[:5] == [("access_refused", None, "demo-analyst"), ("export", "download", "demo-analyst"),
                         ("extract", "produce", "demo-analyst"), ("extract", "approved", "demo-ig"),
                         ("extract", "request", "demo-analyst")]
