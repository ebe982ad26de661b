"""In Chromium: the IG break-glass review queue (``/break-glass-review``).

A caseworker opens emergency access with a reason and a justification; an IG officer sees it on the
queue (the child only as a record link, the justification as text), an older grant marked Overdue,
and records an outcome. Other roles get data_access's refusal, also when they post the callback.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from test_browser_dashboards import sign_in
from test_browser_drill import DIRECT_WORK, caseload, choose_purpose, user

import data_access
from appstore import audit, tables
from data_access import records

GOOD = "Police report a child at immediate risk out of hours; <b>duty</b> worker needs history."
WCAG = {"resultTypes": ["violations"],
        "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}}


@pytest.fixture(autouse=True)
def _patient_expectations() -> None:
    expect.set_options(timeout=45_000)


def _backdate(child_id: int, days: int) -> None:
    when = (dt.datetime.now(dt.UTC) - dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with data_access.current().app.begin() as conn:
        conn.execute(tables.break_glass_grants.update()
                     .where(tables.break_glass_grants.c.child_id == child_id).values(granted_at=when))


def test_ig_reviews_a_break_glass_grant_and_sees_overdue(dash_app, live_server, page) -> None:  # type: ignore[no-untyped-def]
    base = live_server(dash_app)
    theirs = records.child_records(user=user("demo-caseworker2"), purpose="direct_work", page_size=200).rows
    mine = caseload(user("demo-caseworker"))
    others = [int(c) for c, la in zip(theirs["child_id"], theirs["la_child_id"], strict=True) if la not in mine]
    child, old_child = others[0], others[1]
    records.open_break_glass(user=user("demo-caseworker2"), child_id=old_child, reason="missing_child",
                             justification="Missing since six tonight, police asking for the history.")
    _backdate(old_child, 30)

    sign_in(page, base, "demo-caseworker")
    page.goto(base + "/break-glass-review")  # not an IG officer: data_access refuses
    expect(page.locator("#bgr-message")).to_contain_text("Only information governance officers")
    expect(page.locator("#bgr-forms")).to_be_hidden()
    page.goto(base + "/records")
    choose_purpose(page, DIRECT_WORK)
    page.goto(base + "/child?ref=" + records.record_ref(child))
    page.get_by_label("Immediate risk of significant harm").check()
    page.fill("#child-glass-text", GOOD)
    page.click("#child-glass-go")
    expect(page.locator("#child-glass-msg")).to_contain_text("Emergency access granted until")

    page.context.clear_cookies()
    sign_in(page, base, "demo-ig")
    page.goto(base + "/break-glass-review")
    queue = page.locator("#bgr-queue")
    expect(queue).to_contain_text("2 waiting, 1 overdue")
    (new, old) = records.break_glass_review_list(user=user("demo-ig"))
    row = page.locator(f"#bgr-queue tr[data-grant='{new['grant_id']}']")
    expect(row).to_contain_text("demo-caseworker")
    expect(row).to_contain_text("Immediate risk of significant harm")
    expect(row).to_contain_text(GOOD)  # the markup is shown as text, not rendered
    assert row.locator("b").count() == 0
    expect(row.get_by_role("link", name="Open record")).to_have_attribute(
        "href", "/child?ref=" + records.record_ref(child))
    assert row.locator(".badge").count() == 0
    expect(page.locator(f"#bgr-queue tr[data-grant='{old['grant_id']}'] .badge")).to_have_text("Overdue")
    html = page.content()
    assert not any(str(la) in html for la in theirs["la_child_id"])  # no LA child ID on the page
    results = Axe().run(page, options=WCAG)
    assert [(v["id"], [n["html"][:300] for n in v["nodes"]]) for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")] == []

    page.select_option("#bgr-pick", value=str(new["grant_id"]))
    page.select_option("#bgr-outcome", label="Justified")
    page.fill("#bgr-note", "Checked with the duty manager.")
    page.click("#bgr-save")
    expect(page.locator("#bgr-message")).to_contain_text(f"Recorded the review of grant {new['grant_id']}: Justified")
    expect(queue).to_contain_text("1 waiting, 1 overdue")
    assert [g["grant_id"] for g in records.break_glass_review_list(user=user("demo-ig"))] == [old["grant_id"]]
    events = audit.query_events(data_access.current().app, action=audit.AuditAction.BREAK_GLASS_REVIEW,
                                username="demo-ig", limit=5)
    assert events and events[0]["detail"] == {"grant_id": new["grant_id"], "outcome": "justified"}


def _review_body(grant: object, outcome: object) -> dict:
    return {
        "output": "..bgr-message.children...bgr-refresh.data..",
        "outputs": [{"id": "bgr-message", "property": "children"}, {"id": "bgr-refresh", "property": "data"}],
        "inputs": [{"id": "bgr-save", "property": "n_clicks", "value": 1}],
        "state": [{"id": "bgr-pick", "property": "value", "value": grant},
                  {"id": "bgr-outcome", "property": "value", "value": outcome},
                  {"id": "bgr-note", "property": "value", "value": "fine"},
                  {"id": "bgr-refresh", "property": "data", "value": 0}],
        "changedPropIds": ["bgr-save.n_clicks"],
    }


def _post(client, body: dict):  # type: ignore[no-untyped-def]
    return client.post("/_dash-update-component", json=body,
                       headers={"X-CSRFToken": client.get_cookie("_csrf_token").value})


@pytest.mark.parametrize("grant", [1, "1x", "-1", "9" * 30, 2**70, True, None, ["1"]])
def test_forged_grant_values_are_refused(client, auth, grant: object) -> None:  # type: ignore[no-untyped-def]
    auth.login("demo-ig")
    response = _post(client, _review_body(grant, "justified"))
    assert response.status_code == 200 and "grant number" in response.get_data(as_text=True)


def test_a_caseworker_posting_the_review_is_refused_and_audited(client, auth) -> None:  # type: ignore[no-untyped-def]
    records.open_break_glass(user=user("demo-caseworker"), child_id=5, reason="missing_child",
                             justification="Missing since six tonight, police asking for the history.")
    (grant,) = records.break_glass_review_list(user=user("demo-ig"))
    auth.login("demo-caseworker")
    response = _post(client, _review_body(str(grant["grant_id"]), "justified"))
    assert response.status_code == 200
    assert "Only information governance officers" in response.get_data(as_text=True)
    refused = audit.query_events(data_access.current().app, action=audit.AuditAction.ACCESS_REFUSED,
                                 username="demo-caseworker", limit=5)
    assert refused and refused[0]["resource"] == "break_glass_review"
    with data_access.current().app.connect() as conn:
        assert conn.execute(sa.select(tables.break_glass_grants.c.reviewed_at)).scalar_one() is None
