"""In Chromium: the period presets (financial, census, calendar year, last N whole months) and the
Overview's like-for-like England comparison, which names its basis and keeps it whatever the period."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect

from app import DEMO_PASSWORD
from data_access.aggregates import periods
from data_access.filters import Filters


def test_period_presets_and_like_for_like_cards(dash_app, live_server, page) -> None:  # type: ignore[no-untyped-def]
    expect.set_options(timeout=45_000)
    base = live_server(dash_app)
    page.goto(base + "/login")
    page.fill("#username", "demo-leader")
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
    england = page.locator("#kpi-referrals-england")
    expect(england).to_contain_text("Compared over the same 12-month window")
    year_text = england.text_content()  # textContent: the cards' dcc.Loading hides them (innerText '') while a slow update runs
    value = page.locator("#kpi-referrals-value")
    year_value = value.text_content()

    # The last 3 months: three whole months ending with the data date's month; the card's own value
    # changes, its England comparison does not (the same 12-month window, stated on the card).
    page.select_option("#overview-period", "m3")
    expect(page).to_have_url(f"{base}/?period_months=3")
    expect(value).not_to_have_text(year_value)
    expect(england).to_have_text(year_text)
    expect(page.locator("#overview-asof")).to_contain_text("Period: 01 August 2025 to 31 October 2025")  # demo data date
    expect(page.locator("#kpi-referrals-definition, #overview-cards")).not_to_have_count(0)
    expect(page.locator("#overview-cards")).to_contain_text("1 Aug 2025 to 31 Oct 2025")  # the definition follows
    assert "(part)" not in page.locator("#overview-trend-summary").inner_text()

    # Last financial year: 1 April to 31 March, in the URL, previous period the financial year before.
    page.select_option("#overview-period", "last_financial_year")
    expect(page).to_have_url(f"{base}/?period=last_financial_year")
    expect(page.locator("#kpi-referrals-trend")).to_contain_text("previous financial year")


def test_the_resolved_presets_are_what_the_page_says() -> None:
    as_of = dt.date(2025, 10, 31)
    fy = periods.resolve(Filters(period="last_financial_year"), as_of)
    assert (fy.start + dt.timedelta(days=1), fy.end) == (dt.date(2024, 4, 1), dt.date(2025, 3, 31))
    three = periods.resolve(Filters(period_months=3), as_of)
    assert three.start + dt.timedelta(days=1) == dt.date(2025, 8, 1)
