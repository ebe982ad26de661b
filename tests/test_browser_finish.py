"""In a real Chromium: the finish of the aggregate pages (issue 15).

Slicers left at "All" say All; the Trends measure box names the measure drawn; every chart shows
that it is updating while its callback runs (the server slowed down on purpose); keyboard focus stays
on the control the user was on after a slicer change and after a table row's "Filter by".
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask import request
from playwright.sync_api import expect

from app import DEMO_PASSWORD

WAIT = 45_000
SHOWN = "(e) => e.options[e.selectedIndex] ? e.options[e.selectedIndex].text : ''"
FOCUSED = "() => { const a = document.activeElement; return a ? (a.id || a.getAttribute('data-focus-key') || a.tagName) : ''; }"


@pytest.fixture(autouse=True)
def _patient_expectations() -> None:
    expect.set_options(timeout=WAIT)


def sign_in(page: Any, base: str, username: str = "demo-leader") -> None:
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator(".csi-page")).to_have_count(1)


def test_slicers_at_all_say_all_and_the_measure_box_names_the_measure(dash_app, live_server, page) -> None:  # type: ignore[no-untyped-def]
    base = live_server(dash_app)
    sign_in(page, base)
    page.goto(base + "/children-in-need")
    expect(page.locator("#cin-by_source-summary")).to_contain_text("Total referrals")
    for field in ("service", "team", "locality", "age_band", "sex", "need"):
        assert page.locator(f"#cin-{field}").evaluate(SHOWN) == "All", field
    page.select_option("#cin-sex", label="Female")
    expect(page).to_have_url(f"{base}/children-in-need?sex=F")
    page.select_option("#cin-sex", index=1)  # back to the "All" option (0 is dbc.Select's hidden placeholder)
    expect(page).to_have_url(f"{base}/children-in-need")
    assert page.locator("#cin-sex").evaluate(SHOWN) == "All"

    page.goto(base + "/trends")
    title = page.locator("#trends-trend-title")
    expect(title).not_to_have_text("Measure over time")  # the chart has drawn its measure
    measure = page.locator("#trends-measure")
    assert measure.evaluate(SHOWN) == title.inner_text() != ""
    page.select_option("#trends-measure", label="CP plans started")
    expect(title).to_have_text("CP plans started")
    assert measure.evaluate(SHOWN) == "CP plans started"


def test_every_chart_shows_it_is_updating_while_its_callback_runs(dash_app, live_server, page) -> None:  # type: ignore[no-untyped-def]
    slow = {"seconds": 0.0}

    @dash_app.server.before_request
    def slow_callbacks() -> None:
        if request.path == "/_dash-update-component" and slow["seconds"]:
            time.sleep(slow["seconds"])

    base = live_server(dash_app)
    sign_in(page, base)
    page.goto(base + "/children-in-need")
    expect(page.locator("#cin-closures-summary")).to_contain_text("Total episodes")
    charts = page.locator(".chart")
    count = charts.count()
    assert count == 9
    expect(page.locator('.chart [data-dash-is-loading="true"]')).to_have_count(0)
    slow["seconds"] = 2.0
    page.select_option("#cin-sex", label="Male")
    loading = page.locator('.chart:has([data-dash-is-loading="true"])')
    expect(loading).to_have_count(count, timeout=10_000)  # every chart at once, while the server works
    badges = loading.evaluate_all("(es) => es.map((e) => getComputedStyle(e, '::after').content)")
    assert badges == ['"Updating\u2026"'] * count
    slow["seconds"] = 0.0
    expect(page.locator("#cin-closures-summary")).to_contain_text("Total episodes")
    expect(page.locator('.chart [data-dash-is-loading="true"]')).to_have_count(0)
    assert charts.first.evaluate("(e) => getComputedStyle(e, '::after').content") in ("none", "normal")


def test_keyboard_focus_stays_on_the_control_after_a_change(dash_app, live_server, page) -> None:  # type: ignore[no-untyped-def]
    base = live_server(dash_app)
    sign_in(page, base)
    page.goto(base + "/children-in-need")
    summary = page.locator("#cin-closures-summary")
    expect(summary).to_contain_text("Total episodes")

    # A slicer changed from the keyboard keeps the focus while the page re-renders.
    page.locator("#cin-sex").focus()
    before = summary.inner_text()
    page.keyboard.press("m")  # type-ahead: "Male"
    expect(summary).not_to_have_text(before)
    expect(page.locator("#cin-selection")).to_contain_text("No chart selection")
    assert page.evaluate(FOCUSED) == "cin-sex"

    # "Filter by" in a chart's data table: the table is rebuilt, and focus moves to the same row's
    # button (now "Clear"), not to the top of the page; Enter again clears the filter.
    page.locator("#cin-closures-toggle").focus()
    page.keyboard.press("Enter")
    row = "Closed after assessment, no further action"
    button = page.locator("#cin-closures-table").get_by_role("button", name=f"Filter the page by {row}")
    button.focus()
    key = button.get_attribute("data-focus-key")
    page.keyboard.press("Enter")
    expect(page.locator("#cin-selection")).to_contain_text(f"Filtered by {row}")
    cleared = page.locator("#cin-closures-table").get_by_role("button", name=f"Clear the filter {row}")
    expect(cleared).to_be_focused()
    assert page.evaluate(FOCUSED) == key
    page.keyboard.press("Enter")
    expect(page.locator("#cin-selection")).to_contain_text("No chart selection")
    expect(page.locator("#cin-closures-table").get_by_role("button", name=f"Filter the page by {row}")).to_be_focused()
