"""Navigation and landing pages per role, derived from the policy (each page's ``access``)."""

from __future__ import annotations

import json
import re

import pytest

import app as app_module
from data_access import policy

SHELL = "..shell-user.children...shell-nav.children.."


def shell(client) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    """POST the shell callback as dash-renderer does; (header text, nav hrefs)."""
    token = client.get_cookie("_csrf_token")
    body = {"output": SHELL, "outputs": [{"id": "shell-user", "property": "children"},
                                         {"id": "shell-nav", "property": "children"}],
            "inputs": [{"id": "shell-url", "property": "pathname", "value": "/"}], "changedPropIds": []}
    response = client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json",
                           headers={"X-CSRFToken": token.value if token else ""})
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = response.get_json()["response"]
    links = answer["shell-nav"]["children"]
    return answer["shell-user"]["children"], [item["props"]["children"]["props"]["href"] for item in links]


DASHBOARDS = ["/", "/service-users", "/children-in-need", "/looked-after", "/care-leavers", "/interventions", "/send",
              "/trends"]
AGGREGATE_PAGES = [*DASHBOARDS, "/benchmarks", "/saved-views"]


@pytest.mark.parametrize(("username", "expected"), [
    ("demo-leader", AGGREGATE_PAGES),
    # a service manager: dashboards for their services, no rows, no administration
    ("demo-manager", AGGREGATE_PAGES),
    # a caseworker in children's social care: no SEND figures; their caseload's rows
    ("demo-caseworker", ["/", "/service-users", "/children-in-need", "/looked-after", "/care-leavers", "/interventions",
                         "/trends", "/records", "/benchmarks", "/saved-views"]),
    ("demo-analyst", [*DASHBOARDS, "/records", "/benchmarks", "/saved-views", "/extract-requests"]),
    ("demo-ig", ["/break-glass-review", "/approvals"]),
    ("demo-admin", ["/admin", "/approvals"]),
])
def test_navigation_offers_only_the_pages_the_role_can_use(client, auth, username: str,  # type: ignore[no-untyped-def]
                                                          expected: list[str]) -> None:
    auth.login(username)
    _text, hrefs = shell(client)
    assert [h for h in hrefs if not h.startswith("/ig")] == expected  # IG workbench pages are IG's own


@pytest.mark.parametrize("username", ["demo-leader", "demo-manager", "demo-caseworker", "demo-analyst",
                                      "demo-ig", "demo-admin"])
def test_only_information_governance_sees_the_ig_workbench(client, auth, username: str) -> None:  # type: ignore[no-untyped-def]
    auth.login(username)
    _text, hrefs = shell(client)
    ig = [h for h in hrefs if h.startswith("/ig/")]
    if username != "demo-ig":
        assert ig == []
        return
    assert hrefs[:2] == ["/ig/access-log", "/ig/audit-chain"]  # the access log first: IG's landing page
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/ig/access-log"


@pytest.mark.parametrize(("username", "landing"), [
    ("demo-leader", None), ("demo-manager", None), ("demo-caseworker", None),
    ("demo-ig", "audit"), ("demo-admin", "user_admin"),
])
def test_roles_without_dashboards_land_on_their_own_first_page(client, auth, username: str,  # type: ignore[no-untyped-def]
                                                              landing: str | None) -> None:
    auth.login(username)
    response = client.get("/")
    if landing is None:
        assert response.status_code == 200
        return
    assert response.status_code == 302
    target = response.headers["Location"]
    page = next(p for p in app_module.dash.page_registry.values() if p["relative_path"] == target)
    assert page["access"] == landing
    assert client.get(target).status_code == 200


def test_every_page_declares_what_it_needs() -> None:
    for page in app_module.dash.page_registry.values():
        need = str(page.get("access", ""))
        assert need.partition(":")[0] in policy.PAGE_NEEDS, page["module"]


def test_an_unknown_need_or_no_user_opens_nothing() -> None:
    class Someone:
        role, user_id, username, team_ids, services, worker_id = "leadership", 1, "x", (), (), None

    assert policy.may_open_page(Someone(), "aggregates")
    assert not policy.may_open_page(Someone(), "everything")
    assert not policy.may_open_page(None, "signed_in")


def test_the_navigation_collapses_on_a_narrow_screen(dash_app, live_server, browser, demo_store) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    from app import DEMO_PASSWORD

    base = live_server(dash_app)
    expect.set_options(timeout=45_000)  # the suite shares a small machine with other browser tests
    context = browser.new_context(viewport={"width": 390, "height": 800}, locale="en-GB", service_workers="block")
    context.set_default_timeout(45_000)
    try:
        page = context.new_page()
        page.goto(base + "/login")
        page.fill("#username", "demo-ig")
        page.fill("#password", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(base + "/ig/access-log")  # IG lands on its access log, not the Overview
        approvals = page.locator("#shell-nav a[href='/approvals']")
        expect(approvals).to_have_count(1)
        expect(approvals).to_be_hidden()  # collapsed behind the toggler
        expect(page.locator("#shell-nav a[href='/']")).to_have_count(0)
        page.get_by_role("button", name="Show or hide the navigation").click()
        expect(approvals).to_be_visible()
        # Clicked while the collapse is still opening, the link took the focus but not the click (3 in 24
        # under load): wait for Bootstrap's "show", set when the opening transition has ended.
        expect(page.locator("#shell-collapse")).to_have_class(re.compile(r"(^|\s)show(\s|$)"))
        approvals.click()
        page.wait_for_url(base + "/approvals")
    finally:
        context.close()
