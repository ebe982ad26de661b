"""In Chromium as ``demo-ig``: the retention page (``/ig/retention``) at a moved data date, dry run then run,
and the extracts page (``/ig/extracts``): produce, download once. Others get data_access's refusal, also
when they post a callback themselves (``test_ig_callbacks_forged``)."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa
from _moved import settings_for, store_at
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from test_browser_break_glass_review import WCAG
from test_browser_dashboards import sign_in

import data_access
from appstore import audit

DAY = dt.date(2030, 3, 31)


@pytest.fixture(autouse=True)
def _patient_expectations() -> None:
    expect.set_options(timeout=45_000)


def _no_violations(page) -> None:  # type: ignore[no-untyped-def]
    results = Axe().run(page, options=WCAG)
    assert [(v["id"], [n["html"][:200] for n in v["nodes"]]) for v in results.response["violations"]] == []


def test_ig_archives_after_a_dry_run_at_a_moved_data_date(make_app, live_server, page, demo_store: Path,  # type: ignore[no-untyped-def]
                                                          tmp_path: Path) -> None:
    moved = store_at(demo_store, tmp_path, DAY)
    base = live_server(make_app(settings_for(tmp_path, moved)))
    due = duckdb.connect(str(moved), read_only=True).execute(
        "SELECT count(*) FROM children WHERE retention_date <= ?", [DAY]).fetchone()[0]  # type: ignore[index]

    sign_in(page, base, "demo-caseworker")
    page.goto(base + "/ig/retention")
    expect(page.locator("#ret-message")).to_contain_text("Only information governance officers")
    expect(page.locator("#ret-forms")).to_be_hidden()

    page.context.clear_cookies()
    sign_in(page, base, "demo-ig")
    expect(page.locator("#shell-nav a[href='/ig/retention']")).to_have_count(1)
    page.goto(base + "/ig/retention")
    report = page.locator("#ret-report")
    expect(report).to_contain_text(DAY.isoformat())
    expect(report.locator("tr[data-state='due_archive'] td")).to_contain_text(f"{due:,}")
    expect(page.get_by_role("button", name="Run", exact=True)).to_be_disabled()  # nothing to run before a dry run
    page.get_by_role("button", name="Dry run").click()
    plan = page.locator("#ret-plan")
    expect(plan).to_contain_text(f"would archive {due:,} records")
    expect(plan).to_contain_text("Nothing has changed yet")
    expect(plan.locator("table tr", has_text=str(DAY.year))).to_have_count(1)  # the records by year
    expect(report.locator("tr[data-state='archived'] td")).to_have_text("0")
    _no_violations(page)
    page.get_by_role("button", name=f"Archive {due:,} records").click()
    expect(page.locator("#ret-message")).to_contain_text(f"Archived {due:,} records")
    expect(report.locator("tr[data-state='due_archive'] td")).to_have_text("0")
    expect(report.locator("tr[data-state='archived'] td")).to_contain_text(f"{due:,}")
    steps = [e["detail"].get("dry_run") for e in audit.query_events(data_access.current().app, action="retention")
             if e["detail"]["step"] == "archive"]
    assert steps == [None, True]  # newest first: the run after its dry run
    with data_access.current().app.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM retention_records")).scalar() == due


def test_ig_produces_an_extract_and_downloads_it_once(dash_app, live_server, page) -> None:  # type: ignore[no-untyped-def]
    base = live_server(dash_app)
    sign_in(page, base, "demo-ig")
    page.goto(base + "/ig/extracts")
    expect(page.locator("#ext-forms")).to_be_visible()
    page.select_option("#ext-recipient", "cipfa")
    page.get_by_role("button", name="Produce extract").click()
    message = page.locator("#ext-message")
    expect(message).to_contain_text("Produced extract 1 for CIPFA")
    expect(page.locator("#ext-list tr[data-extract='1']")).to_contain_text("not yet")
    _no_violations(page)
    page.select_option("#ext-pick", "1")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download (once)").click()
    assert download.value.suggested_filename == "dbv-send-1.0-cipfa-1.zip"
    with zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes())) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        lines = archive.read("dbv-send-1.0.csv").decode().splitlines()
    assert manifest["recipient"] == "cipfa" and manifest["row_count"] == len(lines) - 1
    assert manifest["k_achieved"] >= 5
    expect(message).to_contain_text("Downloaded dbv-send-1.0-cipfa-1.zip")
    expect(page.locator("#ext-list tr[data-extract='1']")).not_to_contain_text("not yet")
    expect(page.locator("#ext-pick option[value='1']")).to_have_count(0)  # no longer offered
    events = audit.query_events(data_access.current().app)
    assert [(e["action"], e["detail"].get("step")) for e in events if e["resource"] == "extracts"][:2] == [
        ("export", "download"), ("extract", "produce")]


def test_ig_approves_an_analysts_extract_request(dash_app, live_server, page) -> None:  # type: ignore[no-untyped-def]
    from _moved import user

    from data_access import extracts

    asked = extracts.request_extract(user=user("demo-analyst"), recipient="newton",
                                     reason="DBV diagnostic: <b>phase 2</b> data pack")
    base = live_server(dash_app)
    sign_in(page, base, "demo-ig")
    page.goto(base + "/ig/extracts")
    requests = page.locator("#ext-requests")
    expect(requests).to_contain_text("1 waiting")
    expect(requests).to_contain_text("DBV diagnostic: <b>phase 2</b> data pack")  # text, not markup
    assert requests.locator("b").count() == 0
    page.select_option("#ext-request-pick", str(asked))
    page.get_by_role("button", name="Approve").click()
    expect(page.locator("#ext-message")).to_contain_text(f"Request {asked} approved")
    expect(requests).to_contain_text("0 waiting")
    made = extracts.produce_extract(user=user("demo-analyst"), recipient="newton")  # now allowed, once
    assert made.row_count > 0
