"""In Chromium: drill-through from a dashboard bar or KPI card to the records behind it, and break-glass.

A caseworker clicks a bar and lands on a list of exactly the counted children in their caseload, then
opens one child's timeline; an analyst and a leader are offered no drill-through, and a forged one
(the records URL typed in) lists nothing and is audited. Break-glass opens a colleague's child with
a banner and is audited and listed for IG review.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from test_browser_dashboards import chart_bars, click_bar, sign_in

import data_access
from appstore import audit, users
from data_access import records, views

WAIT = 45_000
RECORDS_MODE = "opens the children's records behind it"
DIRECT_WORK = "Direct work with the child and family"


@pytest.fixture(autouse=True)
def _patient_expectations() -> None:
    expect.set_options(timeout=WAIT)


def user(username: str) -> Any:
    return users.find_login(data_access.current().app, username)[0]  # type: ignore[index]


def choose_purpose(page: Any, label: str) -> None:
    page.select_option("#records-purpose", label=label)
    page.click("#records-purpose-set")
    expect(page.locator("#records-banner")).to_contain_text("Every record you open is recorded")


def drilled_ids(who: Any, drill: dict[str, str]) -> list[str]:
    """The LA child IDs listed, in the grid's default order (surname)."""
    got = records.child_records(user=who, purpose="direct_work", page_size=200, drill=drill)
    return list(got.rows["la_child_id"])


def caseload(who: Any) -> set[str]:
    return set(records.child_records(user=who, purpose="direct_work", page_size=200).rows["la_child_id"])


def test_caseworker_clicks_a_bar_and_lands_on_their_counted_children(dash_app, live_server, page) -> None:  # type: ignore[no-untyped-def]
    base = live_server(dash_app)
    worker = user("demo-caseworker")
    chart = views.children_in_need_page(user=worker, filters={}).visuals["by_source"]
    # The bar with the most of this caseworker's children behind it (so the list is not empty).
    sizes = {c: len(drilled_ids(worker, {"from": "children_in_need", "visual": "by_source", "code": c}))
             for c, v in zip(chart.frame["code"], chart.frame["referrals"], strict=True) if v != 0}
    code = max(sizes, key=sizes.__getitem__)
    expected = drilled_ids(worker, {"from": "children_in_need", "visual": "by_source", "code": code})
    assert expected and set(expected) <= caseload(worker)

    sign_in(page, base, "demo-caseworker")
    page.goto(base + "/children-in-need")
    expect(page.locator("#cin-by_source-summary")).to_contain_text("Total referrals")
    page.get_by_label(RECORDS_MODE).check()
    click_bar(page, chart_bars(page, "#cin-by_source").nth(list(chart.frame["code"]).index(code)))
    page.wait_for_url("**/records?**")
    assert "child_id" not in page.url and "upn" not in page.url and f"code={code}" in page.url
    choose_purpose(page, DIRECT_WORK)
    expect(page.locator("#shell-user")).to_contain_text(f"Purpose: {DIRECT_WORK}")  # shown in the header
    expect(page.locator("#records-drill-title")).to_contain_text(str(chart.frame.set_index("code").loc[code, "label"]))
    expect(page.locator("#records-status")).to_contain_text(f"{len(expected):,} of the children counted")
    expect(page.locator(".ag-center-cols-container [col-id=la_child_id]")).to_have_text(expected)
    shown = set(expected)
    assert not shown & caseload(user("demo-caseworker2")) - caseload(worker)

    page.locator(".ag-center-cols-container [col-id=name] a").first.click()
    expect(page.locator("#child-body")).to_contain_text("Timeline")
    expect(page.locator("#child-body")).to_contain_text("Referral")
    assert "ref=" in page.url and not any(cid in page.url for cid in shown)


def test_caseworker_opens_the_records_behind_a_kpi_card(dash_app, live_server, page) -> None:  # type: ignore[no-untyped-def]
    base = live_server(dash_app)
    expected = drilled_ids(user("demo-caseworker"), {"from": "children_in_need", "card": "referrals"})
    sign_in(page, base, "demo-caseworker")
    page.goto(base + "/children-in-need")
    expect(page.locator("#cin-by_source-summary")).to_contain_text("Total referrals")  # settled: nothing resets the mode
    page.get_by_label(RECORDS_MODE).check()
    links = page.locator("#cin-card-links a")
    expect(links.first).to_be_visible()
    page.get_by_role("link", name="Referrals", exact=True).click()
    page.wait_for_url("**/records?**")
    choose_purpose(page, DIRECT_WORK)
    expect(page.locator("#records-status")).to_contain_text(f"{len(expected):,} of the children counted")


@pytest.mark.parametrize("username,purpose", [("demo-analyst", "Statutory return (CIN census, SEN2)"),
                                              ("demo-leader", None)])
def test_no_drill_through_for_roles_without_identifiable_rights(dash_app, live_server, page, username: str,
                                                                 purpose: str | None) -> None:  # type: ignore[no-untyped-def]
    base = live_server(dash_app)
    sign_in(page, base, username)
    page.goto(base + "/children-in-need")
    expect(page.locator("#cin-by_source-summary")).to_contain_text("Total referrals")
    expect(page.get_by_label("drills down (year, quarter, month; service, team)")).to_be_visible()
    assert page.get_by_label(RECORDS_MODE).count() == 0
    assert page.locator("#cin-card-links a").count() == 0

    # Forged: the drill-through URL typed in. Nothing identifiable is listed, and it is audited.
    page.goto(base + "/records?from=children_in_need&card=cp_open")
    if purpose is None:
        expect(page.locator("#records-banner")).to_contain_text("not available to your role")
    else:
        choose_purpose(page, purpose)
    expect(page.locator("#records-message")).to_contain_text("not available to your role")
    events = audit.query_events(data_access.current().app, action=audit.AuditAction.ACCESS_REFUSED,
                                username=username, limit=20)
    assert any(e["resource"] == "drill_through" for e in events)
    cells = page.locator(".ag-center-cols-container .ag-cell").all_inner_texts()
    assert not [c for c in cells if c.strip()], cells  # no row has any value (at most an empty stub)


def test_break_glass_opens_a_colleagues_child_with_a_banner_and_is_audited(dash_app, live_server, page) -> None:  # type: ignore[no-untyped-def]
    base = live_server(dash_app)
    theirs = records.child_records(user=user("demo-caseworker2"), purpose="direct_work", page_size=200).rows
    mine = caseload(user("demo-caseworker"))
    child = next(int(c) for c, la in zip(theirs["child_id"], theirs["la_child_id"], strict=True) if la not in mine)
    sign_in(page, base, "demo-caseworker")
    page.goto(base + "/records")
    choose_purpose(page, DIRECT_WORK)
    page.goto(base + "/child?ref=" + records.record_ref(child))
    expect(page.locator("#child-body")).to_contain_text("not available to you")
    good = "Police report a child at immediate risk out of hours; duty worker needs history."
    page.fill("#child-glass-text", good)
    page.click("#child-glass-go")  # no reason chosen
    expect(page.locator("#child-glass-msg")).to_contain_text("Choose the reason")
    page.get_by_label("Immediate risk of significant harm").check()
    page.fill("#child-glass-text", "too short")
    page.click("#child-glass-go")
    expect(page.locator("#child-glass-msg")).to_contain_text("at least 20 characters")
    page.fill("#child-glass-text", "asdf asdf qwerty zxcvbnm hjkl hjkl")  # keyboard mash
    page.click("#child-glass-go")
    expect(page.locator("#child-glass-msg")).to_contain_text("in words")
    expect(page.locator("#child-body")).not_to_contain_text("Timeline")
    page.fill("#child-glass-text", good)
    page.click("#child-glass-go")
    expect(page.locator("#child-glass-msg")).to_contain_text("Emergency access granted until")
    expect(page.get_by_role("alert")).to_contain_text("Emergency access is active")
    expect(page.locator("#child-body")).to_contain_text("Timeline")
    events = audit.query_events(data_access.current().app, action=audit.AuditAction.BREAK_GLASS,
                                username="demo-caseworker", limit=5)
    assert events and list(events[0]["child_ids"]) == [child]
    reads = audit.query_events(data_access.current().app, action=audit.AuditAction.RECORD_READ,
                               username="demo-caseworker", limit=5)
    assert any(e["detail"].get("break_glass") and list(e["child_ids"]) == [child] for e in reads)
    review = [g for g in records.break_glass_review_list(user=user("demo-ig")) if g["child_id"] == child]
    assert review and review[0]["reason"] == "Immediate risk of significant harm" and not review[0]["overdue"]


def test_caseworker_filters_the_grid_by_name_in_the_database(dash_app, live_server, page) -> None:  # type: ignore[no-untyped-def]
    base = live_server(dash_app)
    worker = user("demo-caseworker")
    rows = records.child_records(user=worker, purpose="direct_work", page_size=200).rows
    surname = rows["surname"].dropna().iloc[0]
    expected = list(records.child_records(user=worker, purpose="direct_work", page_size=200,
                                          search={"name": surname}).rows["la_child_id"])
    sign_in(page, base, "demo-caseworker")
    page.goto(base + "/records")
    choose_purpose(page, DIRECT_WORK)
    expect(page.locator(".ag-center-cols-container [col-id=la_child_id]").first).to_be_visible()
    page.get_by_role("textbox", name="Name Filter Input").fill(surname)
    cells = page.locator(".ag-center-cols-container [col-id=la_child_id]")
    expect(cells).to_have_text(expected)  # exactly these rows, in order, once the filtered page has arrived
