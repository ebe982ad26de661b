"""In Chromium, as ``demo-ig``: the access log (``/ig/access-log``, IG's landing page), its export, the
audit chain page (``/ig/audit-chain``) and the extended break-glass review; and forged callback bodies
posted to the access log by other roles and with malformed criteria, refused and audited."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from test_access_log import _outsiders, a_caseload_child, child_row, last_events, user
from test_browser_dashboards import sign_in

import data_access
from appstore import audit, tables
from data_access import records

WCAG = {"resultTypes": ["violations"],
        "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}}
WHY = "Missing since six tonight, police asking for the history."


@pytest.fixture(autouse=True)
def _patient_expectations() -> None:
    expect.set_options(timeout=45_000)


def _serious(page) -> list:  # type: ignore[no-untyped-def]
    results = Axe().run(page, options=WCAG)
    return [(v["id"], [n["html"][:200] for n in v["nodes"]]) for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")]


def test_ig_finds_who_saw_a_child_sees_the_patterns_and_exports(dash_app, live_server, page) -> None:  # type: ignore[no-untyped-def]
    base = live_server(dash_app)
    child = a_caseload_child()
    records.child_record(user=user("demo-caseworker"), purpose="direct_work", child_id=child)
    for other in _outsiders(5):  # five refused attempts at children outside the caseload
        with pytest.raises(data_access.AccessDenied):
            records.child_record(user=user("demo-caseworker"), purpose="direct_work", child_id=other)
    la, upn = child_row(child)
    assert upn

    sign_in(page, base, "demo-ig")
    page.wait_for_url(base + "/ig/access-log")  # IG's landing page
    page.fill("#alog-child", upn)
    page.click("#alog-search")
    results = page.locator("#alog-results")
    expect(results).to_contain_text("demo-caseworker (Caseworker)")
    row = results.locator("tr", has_text="demo-caseworker (Caseworker)").filter(has_text="child").first
    expect(row).to_contain_text("record_read")
    expect(row).to_contain_text("direct_work")
    searched = last_events("audit_search", 1)[0]
    assert searched["username"] == "demo-ig" and searched["child_ids"] == (child,)
    # the identifier typed went nowhere but the callback's body
    assert upn not in page.url and la not in page.url
    stored = page.evaluate("() => JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])")
    assert upn not in stored and la not in stored
    assert page.locator("#alog-child").input_value() == upn
    assert _serious(page) == []

    page.fill("#alog-child", "")  # everyone's entries in the last 30 days: the patterns
    page.click("#alog-search")
    flag = page.locator("#alog-flags li[data-flag='outside_caseload']")
    expect(flag).to_contain_text("demo-caseworker: read or tried to read 5 children outside their caseload")
    expect(results.locator("tr", has_text="access_refused").first).to_contain_text("Refused: a child")

    page.fill("#alog-user", "demo-caseworker")
    page.fill("#alog-child", la)
    with page.expect_download() as download:
        page.click("#alog-export")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    context = {r[0]: r[1] for r in rows if len(r) == 2}
    assert context["Child"] == f"record {records.record_ref(child)}" and context["User"] == "demo-caseworker"
    assert context["Exported by"] == "demo-ig"
    assert any("demo-caseworker" in r and "direct_work" in r for r in rows)
    expect(page.locator("#alog-message")).to_contain_text("recorded in the audit trail")
    exported = last_events("export", 1)[0]
    assert exported["resource"] == "export:access_log" and exported["child_ids"] == (child,)

    page.fill("#alog-since", "2020-01-01")  # more than a year: refused, and the refusal audited
    page.click("#alog-search")
    expect(page.locator("#alog-message")).to_contain_text("too long")
    assert last_events("access_refused", 1)[0]["resource"] == "access_log"


def test_ig_verifies_the_audit_chain_in_the_page(dash_app, live_server, page) -> None:  # type: ignore[no-untyped-def]
    base = live_server(dash_app)
    sign_in(page, base, "demo-ig")
    page.goto(base + "/ig/audit-chain")
    expect(page.locator("#chain-verdict")).to_contain_text("Intact")
    expect(page.locator("#chain-checkpoint")).to_contain_text("Latest verified checkpoint: entry")
    first = last_events("audit_verify", 1)[0]
    page.click("#chain-verify")
    expect(page.locator("#chain-checkpoint")).to_contain_text(f"entry {first['seq']:,}")  # signed at the last check
    checks = last_events("audit_verify", 5)
    assert len(checks) == 2 and all(c["username"] == "demo-ig" and c["outcome"] == "success" for c in checks)
    assert _serious(page) == []

    engine = data_access.current().app  # someone with the database edits an entry
    with engine.begin() as conn:
        for name in ("audit_events_no_update", "audit_events_no_delete"):
            conn.exec_driver_sql(f"DROP TRIGGER {name}")
        conn.execute(tables.audit_events.update().where(tables.audit_events.c.seq == first["seq"])
                     .values(username="someone-else"))
    page.click("#chain-verify")
    expect(page.locator("#chain-verdict")).to_contain_text("BROKEN")
    expect(page.locator("#chain-result")).to_contain_text(f"entry seq {first['seq']}")
    assert last_events("audit_verify", 1)[0]["outcome"] == "failure"


def test_ig_sees_what_a_grant_opened_and_flags_it_with_a_note(dash_app, live_server, page) -> None:  # type: ignore[no-untyped-def]
    base = live_server(dash_app)
    child = _outsiders(1)[0]
    records.open_break_glass(user=user("demo-caseworker"), child_id=child, reason="missing_child", justification=WHY)
    for _ in range(2):
        records.child_record(user=user("demo-caseworker"), purpose="vital_interests", child_id=child)
    (grant,) = records.break_glass_review_list(user=user("demo-ig"))

    sign_in(page, base, "demo-ig")
    page.goto(base + "/break-glass-review")
    row = page.locator(f"#bgr-queue tr[data-grant='{grant['grant_id']}']")
    expect(row).to_contain_text("Granted for 4 h. 2 reads of the record")
    expect(row).to_contain_text(WHY)
    page.select_option("#bgr-pick", value=str(grant["grant_id"]))
    page.select_option("#bgr-outcome", label="Referred for investigation")
    page.click("#bgr-save")  # no note: refused
    expect(page.locator("#bgr-message")).to_contain_text("Write a note")
    page.fill("#bgr-note", "Two reads of a child not on the caseload; ask the manager.")
    page.click("#bgr-save")
    expect(page.locator("#bgr-message")).to_contain_text("Referred for investigation")
    reviewed = page.locator(f"#bgr-history tr[data-reviewed='{grant['grant_id']}']")
    expect(reviewed).to_contain_text("demo-ig")
    expect(reviewed).to_contain_text("Referred for investigation")
    expect(reviewed).to_contain_text("ask the manager")
    expect(page.locator("#bgr-queue")).to_contain_text("0 waiting")
    assert _serious(page) == []


def _search_body(criteria: dict) -> dict:
    state = [{"id": f"alog-{name}", "property": "value", "value": criteria.get(key)}
             for key, name in (("child", "child"), ("username", "user"), ("action", "action"), ("since", "since"),
                               ("until", "until"))]
    return {"output": "..alog-message.children...alog-flags.children...alog-results.children..",
            "outputs": [{"id": "alog-message", "property": "children"}, {"id": "alog-flags", "property": "children"},
                        {"id": "alog-results", "property": "children"}],
            "inputs": [{"id": "alog-search", "property": "n_clicks", "value": 1}], "state": state,
            "changedPropIds": ["alog-search.n_clicks"]}


def _post(client, body: dict):  # type: ignore[no-untyped-def]
    return client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json",
                       headers={"X-CSRFToken": client.get_cookie("_csrf_token").value})


@pytest.mark.parametrize("username", ["demo-caseworker", "demo-analyst", "demo-leader", "demo-admin"])
def test_other_roles_posting_the_search_are_refused_and_audited(client, auth, username: str) -> None:  # type: ignore[no-untyped-def]
    child = a_caseload_child()
    la, _ = child_row(child)
    auth.login(username)
    response = _post(client, _search_body({"child": la}))
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Only information governance officers" in text and la not in text
    refused = audit.query_events(data_access.current().app, action="access_refused", username=username, limit=1)
    assert refused[0]["resource"] == "access_log"
    assert last_events("audit_search") == []


@pytest.mark.parametrize(("criteria", "message"), [
    ({"child": "1' OR '1'='1"}, "Field 'child'"),
    ({"child": {"$ne": None}}, "Field 'child'"),
    ({"since": "2026-13-01"}, "Field 'since'"),
    ({"since": "2001-01-01", "until": "2026-01-01"}, "too long"),
    ({"action": "record_read' OR 1=1 --"}, "Field 'action'"),
    ({"username": ["demo-ig"]}, "Field 'username'"),
])
def test_forged_search_bodies_are_refused_and_audited(client, auth, criteria: dict, message: str) -> None:  # type: ignore[no-untyped-def]
    auth.login("demo-ig")
    response = _post(client, _search_body(criteria))
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    refused = audit.query_events(data_access.current().app, action="access_refused", username="demo-ig", limit=1)
    assert refused[0]["resource"] == "access_log" and "OR" not in (refused[0]["reason"] or "")
    with data_access.current().app.connect() as conn:
        searches = conn.execute(sa.select(sa.func.count()).where(tables.audit_events.c.action == "audit_search"))
        assert searches.scalar_one() == 0
