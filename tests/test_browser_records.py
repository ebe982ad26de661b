"""In Chromium: caseworkers see their own caseload and open a child's timeline; others see no rows."""

from __future__ import annotations

import data_access
from app import DEMO_PASSWORD
from appstore import users
from data_access import records


def login(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


def choose_purpose(page, label: str) -> None:  # type: ignore[no-untyped-def]
    page.select_option("#records-purpose", label=label)
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


def scope(username: str, purpose: str) -> set[str]:
    """Every LA child ID ``username`` may list for ``purpose`` (all pages)."""
    user = users.find_login(data_access.current().app, username)[0]  # type: ignore[index]
    first = records.child_records(user=user, purpose=purpose, page_size=200)
    ids = set(first.rows["la_child_id"])
    for number in range(1, -(-first.total // 200)):
        ids |= set(records.child_records(user=user, purpose=purpose, page=number, page_size=200).rows["la_child_id"])
    assert len(ids) == first.total
    return ids


def test_team_manager_sees_their_teams_children(dash_app, live_server, page) -> None:  # type: ignore[no-untyped-def]
    """Both caseworkers' children are in the team manager's list; nothing outside the team is."""
    base = live_server(dash_app)
    team = scope("demo-teammanager", "supervision")
    manager = users.find_login(data_access.current().app, "demo-teammanager")[0]  # type: ignore[index]
    allocated = _allocated_to(manager.team_ids)  # independently of data_access's scope query
    mine, colleague = scope("demo-caseworker", "direct_work"), scope("demo-caseworker2", "direct_work")
    # Both caseworkers are in the team: their current children are the manager's too (a caseworker's
    # list also keeps children for a grace period after an allocation ends; the manager's does not).
    assert team <= allocated and mine & allocated <= team and colleague & allocated <= team
    assert mine & team and colleague & team
    login(page, base, "demo-teammanager")
    page.goto(base + "/records")
    choose_purpose(page, "Case supervision and management oversight")
    page.wait_for_selector(".ag-row [col-id=la_child_id]")
    page.wait_for_selector(f"#records-status:has-text('{len(team):,} children in your scope')")
    page.locator(".ag-center-cols-container .ag-row").nth(5).wait_for(state="attached")
    shown = set(page.locator(".ag-center-cols-container [col-id=la_child_id]").all_inner_texts())
    assert shown and shown <= team
    page.get_by_role("columnheader", name="LA child ID").click()  # sorted in the database, still the team only
    page.wait_for_selector("[role=columnheader][col-id=la_child_id][aria-sort=ascending]")
    page.wait_for_function("(first) => { const c = document.querySelector("
                           "'.ag-center-cols-container .ag-row[row-index=\"0\"] [col-id=la_child_id]');"
                           " return c && c.innerText === first; }", arg=min(team))


def _allocated_to(team_ids: tuple[str, ...]) -> set[str]:
    """LA child IDs with an allocation to one of ``team_ids`` open on the store's day (plain SQL)."""
    conn = data_access.current().analytics.connect()
    try:
        marks = ", ".join(f"'{t}'" for t in team_ids)
        rows = conn.connection.driver_connection.execute(
            "select distinct c.la_child_id from allocations a join involvements i using (involvement_id) "
            f"join children c on c.child_id = i.child_id where a.team_id in ({marks}) and a.start_date <= $d "
            "and (a.end_date is null or a.end_date >= $d)", {"d": data_access.as_of()}).fetchall()
    finally:
        conn.close()
    return {r[0] for r in rows}


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
