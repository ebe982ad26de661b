"""Saved views: named URL states that belong to their user, validated on save and again when opened
(by the OPENING user's access), shared by an unguessable link, never holding an identifier."""

from __future__ import annotations

import dash
import pytest

import data_access
from appstore import audit, users
from auth import hash_password
from data_access import accounts, saved_views


@pytest.fixture
def people(configured) -> dict[str, users.AppUser]:  # type: ignore[no-untyped-def]
    accounts.ensure_demo_accounts(password_hash=lambda: hash_password("saved views test"))
    out = {}
    for name in ("demo-leader", "demo-manager", "demo-caseworker", "demo-ig"):
        found = users.find_login(data_access.current().app, name)
        assert found is not None
        out[name] = found[0]
    return out


def refusals() -> list[str]:
    return [e["resource"] for e in audit.query_events(data_access.current().app, action="access_refused")]


def test_a_view_is_saved_as_validated_codes_and_listed_for_its_owner_only(people) -> None:  # type: ignore[no-untyped-def]
    leader = people["demo-leader"]
    state = {"sex": "F", "period_months": 24, "selection": "by_source:referral_source:6"}
    view = saved_views.save_view(user=leader, page="children_in_need", state=state, name="  Girls, police  ")
    assert view.name == "Girls, police" and view.page_title == "Children in need"
    assert view.url == "/children-in-need?period_months=24&selection=by_source%3Areferral_source%3A6&sex=F"
    assert view.share_path is None
    assert [v.name for v in saved_views.my_views(user=leader)] == ["Girls, police"]
    assert saved_views.my_views(user=people["demo-manager"]) == []
    again = saved_views.save_view(user=leader, page="children_in_need", state={"sex": "M"}, name="Girls, police")
    assert [v.url for v in saved_views.my_views(user=leader)] == [again.url]  # replaced by name


@pytest.mark.parametrize(("state", "error"), [
    ({"team": "1 OR 1=1"}, data_access.InvalidFilter),
    ({"child_id": "123"}, data_access.InvalidFilter),  # no field can carry an identifier
    ({"selection": "by_source:referral_source:<script>"}, data_access.InvalidFilter),
])
def test_a_forged_state_is_refused_audited_and_not_saved(people, state, error) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error):
        saved_views.save_view(user=people["demo-leader"], page="children_in_need", state=state, name="x")
    assert saved_views.my_views(user=people["demo-leader"]) == []
    assert "saved_views" in refusals()


@pytest.mark.parametrize("name", ["", "   ", "x" * 81, "a\x00b", None, 42, "DU83360919", "child A123456789012",
                                  "case 12345", "NHS 943-476-5919"])
def test_a_bad_name_or_page_is_refused(people, name) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(data_access.InvalidRequest):
        saved_views.save_view(user=people["demo-leader"], page="overview", state={}, name=name)
    with pytest.raises(data_access.InvalidRequest):
        saved_views.save_view(user=people["demo-leader"], page="records", state={}, name="ok")


@pytest.mark.parametrize("name", ["FY 2024-25", "Q3 2024", "Team A, 10 to 15", "North & South <b>"])
def test_ordinary_names_are_kept_as_typed(people, name) -> None:  # type: ignore[no-untyped-def]
    assert saved_views.save_view(user=people["demo-leader"], page="overview", state={}, name=name).name == name


def test_a_manager_cannot_save_a_view_of_a_service_outside_theirs(people) -> None:  # type: ignore[no-untyped-def]
    caseworker = people["demo-caseworker"]  # children's social care only
    with pytest.raises(data_access.AccessDenied):
        saved_views.save_view(user=caseworker, page="send", state={"service": "SEND"}, name="send")


def test_roles_without_dashboards_have_no_saved_views(people) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(data_access.AccessDenied):
        saved_views.my_views(user=people["demo-ig"])


def test_only_the_owner_shares_or_deletes_a_view(people) -> None:  # type: ignore[no-untyped-def]
    leader, manager = people["demo-leader"], people["demo-manager"]
    view = saved_views.save_view(user=leader, page="overview", state={"sex": "F"}, name="mine")
    for forged in (view.view_id, str(view.view_id), True, None):
        with pytest.raises(data_access.InvalidRequest):
            saved_views.share_view(user=manager, view_id=forged, shared=True)
        with pytest.raises(data_access.InvalidRequest):
            saved_views.delete_view(user=manager, view_id=forged)
    assert [v.name for v in saved_views.my_views(user=leader)] == ["mine"]
    shared = saved_views.share_view(user=leader, view_id=view.view_id, shared=True)
    assert shared.share_path is not None and len(shared.share_path) > len("/view/") + 20
    assert saved_views.share_view(user=leader, view_id=view.view_id, shared=False).share_path is None
    saved_views.delete_view(user=leader, view_id=view.view_id)
    assert saved_views.my_views(user=leader) == []


def test_a_shared_view_opens_with_the_openers_own_access(people) -> None:  # type: ignore[no-untyped-def]
    leader, caseworker = people["demo-leader"], people["demo-caseworker"]
    fine = saved_views.save_view(user=leader, page="overview", state={"sex": "F"}, name="girls")
    send = saved_views.save_view(user=leader, page="send", state={"service": "SEND"}, name="send")
    fine_token = saved_views.share_view(user=leader, view_id=fine.view_id, shared=True).share_path.split("/")[-1]  # type: ignore[union-attr]
    send_token = saved_views.share_view(user=leader, view_id=send.view_id, shared=True).share_path.split("/")[-1]  # type: ignore[union-attr]
    assert saved_views.open_shared(user=caseworker, token=fine_token) == "/?sex=F"
    with pytest.raises(data_access.AccessDenied):  # SEND is outside the caseworker's services
        saved_views.open_shared(user=caseworker, token=send_token)
    with pytest.raises(data_access.InvalidRequest):
        saved_views.open_shared(user=caseworker, token="guess")
    assert refusals().count("shared_view") == 2


def test_page_paths_match_the_dashboards(dash_app) -> None:  # type: ignore[no-untyped-def]
    paths = {p["module"].rsplit(".", 1)[-1]: p["relative_path"] for p in dash.page_registry.values()}
    for page, path in saved_views.PAGE_PATHS.items():
        assert paths[page] == path


def test_the_shared_link_route_redirects_or_refuses(dash_app, client, auth) -> None:  # type: ignore[no-untyped-def]
    from data_access import current

    auth.login("demo-leader")
    leader = users.find_login(current().app, "demo-leader")[0]  # type: ignore[index]
    view = saved_views.save_view(user=leader, page="trends", state={"grain": "quarter"}, name="q")
    link = saved_views.share_view(user=leader, view_id=view.view_id, shared=True).share_path
    response = client.get(link)
    assert response.status_code == 302 and response.headers["Location"] == "/trends?grain=quarter"
    assert client.get("/view/not-a-real-token").status_code == 404


def test_save_open_and_share_a_view_in_chromium(dash_app, live_server, browser, demo_store) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    from app import DEMO_PASSWORD

    expect.set_options(timeout=45_000)  # the suite shares a small machine with other browser tests
    base = live_server(dash_app)

    def signed_in(username: str):  # type: ignore[no-untyped-def]
        context = browser.new_context(locale="en-GB", timezone_id="Europe/London", service_workers="block")
        context.set_default_timeout(45_000)
        page = context.new_page()
        page.goto(base + "/login")
        page.fill("#username", username)
        page.fill("#password", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(base + "/")
        return context, page

    context, page = signed_in("demo-manager")
    other = None
    try:
        page.goto(base + "/children-in-need")
        page.select_option("#cin-age_band", label="16 to 17")
        expect(page).to_have_url(f"{base}/children-in-need?age_band=16-17")
        page.get_by_text("Save this view").click()
        page.fill("#cin-view-name", "Older teenagers <b>bold</b>")
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.locator("#cin-view-message")).to_contain_text("Saved \u201cOlder teenagers <b>bold</b>\u201d")
        page.goto(base + "/saved-views")
        table = page.locator("#sv-views")
        expect(table).to_contain_text("Older teenagers <b>bold</b>")  # text, never markup
        expect(table.locator("b")).to_have_count(0)
        page.get_by_role("button", name="Share by link").click()
        message = page.locator("#sv-message")
        expect(message).to_contain_text("Share this link: /view/")
        link = message.inner_text().split("Share this link: ")[1].strip()
        table.get_by_role("link", name="Older teenagers <b>bold</b>").click()
        expect(page).to_have_url(f"{base}/children-in-need?age_band=16-17")
        expect(page.locator("#cin-age_band")).to_have_value("16-17")

        other, colleague = signed_in("demo-leader")
        colleague.goto(base + link)
        expect(colleague).to_have_url(f"{base}/children-in-need?age_band=16-17")
        expect(colleague.locator("#cin-age_band")).to_have_value("16-17")
    finally:
        context.close()
        if other is not None:
            other.close()
