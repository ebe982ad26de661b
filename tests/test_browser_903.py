"""In Chromium: the Children looked after and Care leavers pages (cards with their definitions and England
figures, cross-filter into the URL, accessible tables, CSV export), and the care history on a looked-after
child's record for a team manager."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

import data_access
from data_access import records
from model import schema_903

try:
    from test_browser_dashboards import WAIT, chart_bars, click_bar, sign_in  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover
    from .test_browser_dashboards import WAIT, chart_bars, click_bar, sign_in


@pytest.fixture(autouse=True)
def _patient_expectations() -> None:
    expect.set_options(timeout=WAIT)


def test_looked_after_page_cards_cross_filter_url_and_export(dash_app, live_server, page) -> None:  # type: ignore[no-untyped-def]
    base = live_server(dash_app)
    sign_in(page, base, "demo-leader")
    page.goto(base + "/looked-after")
    looked_after = page.locator("#kpi-cla_rate-value")
    expect(page.locator("#kpi-cla_rate-england")).to_contain_text("England 67 per 10,000")
    expect(page.locator("[data-kpi=cla_long_term]")).to_contain_text("2½ years")  # its definition
    expect(page.locator("[data-kpi=cla_health_assessment]")).to_be_attached()
    everyone = looked_after.text_content()  # textContent: the cards' dcc.Loading hides them (innerText '') while a slow update runs
    assert everyone.replace(",", "").isdigit() and int(everyone.replace(",", "")) > 300

    # Cross-filter: the section 20 bar narrows the cards and the other charts, and goes into the URL.
    bars = chart_bars(page, "#cla-legal_status")
    expect(bars).to_have_count(8)
    codes = ["C1", "C2", "E1", "V2", "L1", "L2", "J1", "J2"]
    click_bar(page, bars.nth(codes.index("V2")))
    expect(page.locator("#cla-selection")).to_contain_text("Single period of accommodation under s20")
    expect(looked_after).not_to_have_text(everyone)
    assert "selection=legal_status%3Alegal_status%3AV2" in page.url

    # The accessible data table of the placement chart, and its CSV export under the selection.
    page.click("#cla-placement_type-toggle")
    expect(page.locator("#cla-placement_type-table tbody tr")).to_have_count(7)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download Looked after at the end, by placement type as CSV").click()
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    assert download.value.suggested_filename == "looked-after-placement-type-2025-10-31.csv"
    codes_in_file = [r[0] if r else "" for r in rows]  # after the export's about block
    assert ["foster", "Foster care"] == rows[codes_in_file.index("foster")][:2]


def test_care_leavers_page_shows_both_age_groups_against_england(dash_app, live_server, page) -> None:  # type: ignore[no-untyped-def]
    base = live_server(dash_app)
    sign_in(page, base, "demo-leader")
    page.goto(base + "/care-leavers")
    expect(page.locator("#kpi-cl_in_touch_19_21-value")).to_contain_text("%")
    expect(page.locator("#kpi-cl_in_touch_19_21-england")).to_contain_text("England 91%")
    expect(page.locator("#kpi-cl_eet_17_18-value")).to_contain_text("%")
    expect(page.locator("[data-kpi=cl_suitable_19_21]")).to_contain_text("ACCOM ending 1")
    page.click("#cl-eet-toggle")
    table = page.locator("#cl-eet-table")
    expect(table).to_contain_text("Aged 19 to 21")
    expect(table).to_contain_text("In EET")


def _looked_after_child_of(username: str, purpose: str) -> int:
    """A child in the user's scope with a period of care (from the records API and plain SQL)."""
    from appstore import users

    user = users.find_login(data_access.current().app, username)[0]  # type: ignore[index]
    ids = [int(c) for c in records.child_records(user=user, purpose=purpose, page_size=200).rows["child_id"]]
    episodes = schema_903.cla_episodes.c
    with data_access.current().analytics.connect() as conn:
        counts = conn.execute(sa.select(episodes.child_id, sa.func.count()).where(episodes.child_id.in_(ids))
                              .group_by(episodes.child_id).order_by(sa.func.count().desc())).all()
    assert counts, "the team manager's scope has no looked-after child"
    return int(counts[0][0])


def test_team_manager_sees_the_care_history_of_a_looked_after_child(dash_app, live_server, page) -> None:  # type: ignore[no-untyped-def]
    base = live_server(dash_app)
    child = _looked_after_child_of("demo-teammanager", "supervision")
    with data_access.current().analytics.connect() as conn:
        episodes = conn.execute(sa.select(sa.func.count()).where(schema_903.cla_episodes.c.child_id == child)).scalar()
    sign_in(page, base, "demo-teammanager")
    page.goto(base + "/records")
    page.select_option("#records-purpose", label="Case supervision and management oversight")
    page.click("#records-purpose-set")
    page.wait_for_selector("text=Every record you open is recorded")
    page.goto(base + "/child?ref=" + records.record_ref(child))
    history = page.locator("#child-care-history")
    expect(history).to_contain_text("Care history")
    table = history.locator("table").nth(1)
    expect(table.locator("caption")).to_have_text("Episodes: legal status and placements")
    expect(table.locator("tbody tr")).to_have_count(int(episodes))
    expect(table).to_contain_text("Started to be looked after")
    expect(history).to_contain_text("Looked-after reviews")
    expect(history).not_to_contain_text("withheld")  # a team manager with an Art 9 condition for this access
