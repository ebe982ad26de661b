"""In Chromium: caseworkers see their own caseload and open a child's timeline; others see no rows."""

from __future__ import annotations

import data_access
from app import DEMO_PASSWORD
from data_access import records, users


def login(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


def choose_purpose(page, label: str) -> None:  # type: ignore[no-untyped-def]
    page.click("#records-purpose")
    page.get_by_role("option", name=label).click()
    page.click("#records-purpose-set")
    page.wait_for_selector("text=Every record you open is recorded")


def caseload(username: str) -> set[str]:
    user = users.find_login(data_access.current().app, username)[0]  # type: ignore[index]
    page = records.child_records(user=user, purpose="direct_work", page_size=200)
    return set(page.rows["la_child_id"])


def test_caseworker_sees_own_caseload_and_opens_a_timeline(dash_app, live_server, page) -> None:  # type: ignore[no-untyped-def]
    base = live_server(dash_app)
    login(page, base, "demo-caseworker")
    page.goto(base + "/records")
    choose_purpose(page, "Direct work with the child and family")
    page.wait_for_selector(".ag-row [col-id=la_child_id]")
    page.locator(".ag-center-cols-container .ag-row").nth(5).wait_for(state="attached")  # more than 5 rows
    shown = set(page.locator(".ag-center-cols-container [col-id=la_child_id]").all_inner_texts())
    mine, colleague = caseload("demo-caseworker"), caseload("demo-caseworker2")
    assert shown and shown <= mine and not shown & colleague
    assert f"{len(mine):,} children in your scope" in page.inner_text("#records-status")
    page.locator(".ag-center-cols-container [col-id=name] a").first.click()
    page.wait_for_selector("text=Timeline")
    assert "Referral" in page.inner_text("#child-body")
    assert "ref=" in page.url and not any(cid in page.url for cid in mine)


def test_colleagues_child_is_refused_in_the_browser(dash_app, live_server, page) -> None:  # type: ignore[no-untyped-def]
    base = live_server(dash_app)
    colleague = users.find_login(data_access.current().app, "demo-caseworker2")[0]  # type: ignore[index]
    theirs = records.child_records(user=colleague, purpose="direct_work", page_size=1).rows
    login(page, base, "demo-caseworker")
    page.goto(base + "/records")
    choose_purpose(page, "Direct work with the child and family")
    page.goto(base + "/child?ref=" + records.record_ref(int(theirs["child_id"].iloc[0])))
    page.wait_for_selector("text=not available to you")
    assert theirs["surname"].iloc[0] not in page.content()


def test_analyst_gets_pseudonymised_rows_only(dash_app, live_server, page) -> None:  # type: ignore[no-untyped-def]
    base = live_server(dash_app)
    login(page, base, "demo-analyst")
    page.goto(base + "/records")
    choose_purpose(page, "Statutory return (CIN census, SEN2)")
    page.wait_for_selector(".ag-center-cols-container [col-id=pseudo_id]")
    assert page.locator("[col-id=la_child_id]").count() == 0
    assert page.locator(".ag-center-cols-container [col-id=name]").count() == 0


def test_leader_has_no_records(dash_app, live_server, page) -> None:  # type: ignore[no-untyped-def]
    base = live_server(dash_app)
    login(page, base, "demo-leader")
    page.goto(base + "/records")
    page.wait_for_selector("text=Child-level records are not available to your role")
