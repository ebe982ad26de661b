"""In Chromium as demo-ig: subject access requests (register, extend, download the pack) and consent
withdrawal and rectification, end to end: IG records a withdrawal in the page, and the caseworker who
could open the child under that consent no longer can."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from pathlib import Path

import pytest
from _rights import consent_case, identifiers, make_eh_caseworker, rich_child, user
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from pypdf import PdfReader
from test_browser_dashboards import sign_in

import data_access
from app import DEMO_PASSWORD
from appstore import audit
from auth import hash_password
from data_access import consent, records, sar

TODAY = dt.date.today().isoformat()
WCAG = {"resultTypes": ["violations"],
        "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}}


@pytest.fixture(autouse=True)
def _patient_expectations() -> None:
    expect.set_options(timeout=45_000)


def _serious(page) -> list:  # type: ignore[no-untyped-def]
    results = Axe().run(page, options=WCAG)
    return [(v["id"], [n["html"][:200] for n in v["nodes"]]) for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")]


def _download(page, button: str) -> bytes:  # type: ignore[no-untyped-def]
    with page.expect_download() as info:
        page.click(button)
    return Path(info.value.path()).read_bytes()


def test_ig_registers_a_request_extends_it_and_downloads_the_pack(dash_app, live_server, page) -> None:  # type: ignore[no-untyped-def]
    base = live_server(dash_app)
    child = rich_child()
    la_id, _upn = identifiers(child)
    sign_in(page, base, "demo-caseworker")
    page.goto(base + "/ig/subject-access")  # not IG: data_access refuses and the forms stay hidden
    expect(page.locator("#sar-message")).to_contain_text("Only information governance officers")
    expect(page.locator("#sar-forms")).to_be_hidden()

    page.context.clear_cookies()
    sign_in(page, base, "demo-ig")
    page.goto(base + "/ig/subject-access")
    expect(page.locator("#sar-open")).to_contain_text("0 open, 0 overdue")
    page.fill("#sar-case", "SAR-2026-014")
    page.fill("#sar-requester", "Pat <b>Example</b>")
    page.select_option("#sar-relationship", value="parent")
    page.fill("#sar-received", TODAY)
    page.fill("#sar-child", la_id)
    page.select_option("#sar-evidence", value="photo_id")
    page.click("#sar-register")  # identity not yet recorded as verified: refused
    expect(page.locator("#sar-message")).to_contain_text("identity was verified")
    page.get_by_label("The requester's identity was verified").check()
    page.click("#sar-register")
    expect(page.locator("#sar-message")).to_contain_text("Registered request SAR-2026-014")
    (request,) = sar.open_requests(user=user("demo-ig"))
    row = page.locator(f"#sar-open tr[data-sar='{request['sar_id']}']")
    expect(row).to_contain_text(sar.due_date(dt.date.today()).isoformat())
    expect(row).to_contain_text("Pat <b>Example</b>")  # the requester's name is text, not markup
    assert row.locator("b").count() == 0
    assert la_id not in page.inner_text("#sar-open")
    assert _serious(page) == []

    page.select_option("#sar-pick", value=str(request["sar_id"]))
    page.select_option("#sar-months", value="2")
    page.fill("#sar-reason", "Complex: records held by four services, some archived.")
    page.click("#sar-extend")
    extended = sar.due_date(dt.date.today(), 2).isoformat()
    expect(page.locator("#sar-message")).to_contain_text(f"Extended the deadline to {extended}")
    expect(row).to_contain_text(extended)
    expect(row).to_contain_text(f"2 month(s) after the first deadline, {sar.due_date(dt.date.today()).isoformat()}: "
                                "Complex")

    pdf = _download(page, "#sar-pdf")
    expect(page.locator("#sar-message")).to_contain_text("Produced SAR-SAR-2026-014-")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Subject access request SAR-2026-014" in text and la_id in text
    archive = zipfile.ZipFile(io.BytesIO(_download(page, "#sar-zip")))
    (details,) = json.loads(archive.read("pack.json"))["sections"]["child"]["rows"]
    assert details["la_child_id"] == la_id and details["child_id"] == child
    exports = audit.query_events(data_access.current().app, action="export", username="demo-ig")
    assert [(e["resource"], e["detail"]["format"], e["child_ids"]) for e in exports] == [
        ("sar_pack", "zip", (child,)), ("sar_pack", "pdf", (child,))]

    page.click("#sar-complete")
    expect(page.locator("#sar-message")).to_contain_text("Marked the request as completed")
    expect(page.locator("#sar-open")).to_contain_text("0 open, 0 overdue")
    steps = [e["detail"]["step"] for e in audit.query_events(data_access.current().app, action="subject_access")]
    assert steps == ["completed", "extended", "registered"]


def test_a_withdrawal_recorded_in_the_page_stops_the_caseworker(dash_app, live_server, page) -> None:  # type: ignore[no-untyped-def]
    base = live_server(dash_app)
    worker, team, child, involvement = consent_case()
    caseworker = make_eh_caseworker(worker, team, password_hash=hash_password(DEMO_PASSWORD))
    la_id, _upn = identifiers(child)
    record = base + "/child?ref=" + records.record_ref(child)

    sign_in(page, base, caseworker.username)
    page.goto(base + "/records")
    page.select_option("#records-purpose", label="Direct work with the child and family")
    page.click("#records-purpose-set")
    expect(page.locator("#records-banner")).to_contain_text("Every record you open is recorded")
    page.goto(record)
    expect(page.locator("#child-body")).to_contain_text("Timeline")

    page.context.clear_cookies()
    sign_in(page, base, "demo-ig")
    page.goto(base + "/ig/consent")
    page.fill("#cons-child", la_id)
    page.click("#cons-find")
    expect(page.locator("#cons-involvements")).to_contain_text("involvements held under consent")
    page.select_option("#cons-involvement", value=str(involvement))
    page.select_option("#cons-purpose", value="all")
    page.fill("#cons-date", TODAY)
    page.fill("#cons-note", "Withdrawn by the parent in writing.")
    page.click("#cons-withdraw")
    expect(page.locator("#cons-message")).to_contain_text(f"Recorded the withdrawal of consent on involvement "
                                                          f"{involvement}")
    expect(page.locator("#cons-involvements")).to_contain_text(f"from {TODAY}")
    assert la_id not in page.inner_text("#cons-forms")
    assert _serious(page) == []

    page.select_option("#rect-field", value="postcode")
    page.fill("#rect-received", TODAY)
    page.fill("#rect-correction", "The family moved in <i>August</i>.")
    page.click("#rect-record")
    expect(page.locator("#cons-message")).to_contain_text("Recorded rectification request")
    expect(page.locator("#rect-open")).to_contain_text("1 waiting")
    expect(page.locator("#rect-open")).to_contain_text("The family moved in <i>August</i>.")
    (waiting,) = consent.open_rectifications(user=user("demo-ig"))
    page.select_option("#rect-pick", value=str(waiting["rectification_id"]))
    page.select_option("#rect-outcome", value="rectified")
    page.click("#rect-decide")
    expect(page.locator("#cons-message")).to_contain_text("Rectified")
    expect(page.locator("#rect-open")).to_contain_text("0 waiting")

    page.context.clear_cookies()
    sign_in(page, base, caseworker.username)
    page.goto(base + "/records")
    page.select_option("#records-purpose", label="Direct work with the child and family")
    page.click("#records-purpose-set")
    expect(page.locator("#records-banner")).to_contain_text("Every record you open is recorded")
    page.goto(record)
    expect(page.locator(".csi-page")).to_contain_text("not available to you")
    refused = audit.query_events(data_access.current().app, action="access_refused", username=caseworker.username)
    assert refused and refused[0]["child_ids"] == (child,)
    assert [e["action"] for e in audit.query_events(data_access.current().app, username="demo-ig", limit=200)
            if e["action"] in ("consent_withdrawal", "rectification")] == [
        "rectification", "rectification", "consent_withdrawal"]


def _post(client, body: dict):  # type: ignore[no-untyped-def]
    """POST a callback body, its output named as the server lists it (duplicate outputs carry a suffix)."""
    first = body["outputs"][0]
    listed = [d["output"] for d in client.get("/_dash-dependencies").get_json()
              if d["output"].startswith(f"..{first['id']}.{first['property']}")]
    body = {**body, "output": listed[0],
            "outputs": [{**o, "property": part.rsplit(".", 1)[1]}
                        for o, part in zip(body["outputs"], listed[0][2:-2].split("..."), strict=True)]}
    return client.post("/_dash-update-component", json=body,
                       headers={"X-CSRFToken": client.get_cookie("_csrf_token").value})


def _download_body(pick: object) -> dict:
    return {"output": "..sar-download.data...sar-message.children..",
            "outputs": [{"id": "sar-download", "property": "data"}, {"id": "sar-message", "property": "children"}],
            "inputs": [{"id": "sar-pdf", "property": "n_clicks", "value": 1},
                       {"id": "sar-zip", "property": "n_clicks", "value": None}],
            "state": [{"id": "sar-pick", "property": "value", "value": pick}], "changedPropIds": ["sar-pdf.n_clicks"]}


def _withdraw_body(child: object, involvement: object) -> dict:
    return {"output": "..cons-message.children...cons-refresh.data..",
            "outputs": [{"id": "cons-message", "property": "children"}, {"id": "cons-refresh", "property": "data"}],
            "inputs": [{"id": "cons-withdraw", "property": "n_clicks", "value": 1}],
            "state": [{"id": "cons-child", "property": "value", "value": child},
                      {"id": "cons-involvement", "property": "value", "value": involvement},
                      {"id": "cons-purpose", "property": "value", "value": "all"},
                      {"id": "cons-date", "property": "value", "value": TODAY},
                      {"id": "cons-note", "property": "value", "value": ""},
                      {"id": "cons-refresh", "property": "data", "value": 0}],
            "changedPropIds": ["cons-withdraw.n_clicks"]}


def test_forged_callbacks_from_a_caseworker_get_no_pack_and_record_no_withdrawal(client, auth) -> None:  # type: ignore[no-untyped-def]
    child = rich_child()
    la_id, _upn = identifiers(child)
    number = sar.register_request(user=user("demo-ig"), case_ref="SAR-FORGED", requester="Pat", relationship="self",
                                  received=TODAY, child=la_id, identity_verified=True, identity_evidence="photo_id")
    _worker, _team, consent_child, involvement = consent_case()
    auth.login("demo-caseworker")
    answer = _post(client, _download_body(str(number)))
    assert answer.status_code == 200 and "Only information governance" in answer.get_data(as_text=True)
    assert "sar-download" not in answer.get_json()["response"]  # no file in the answer
    answer = _post(client, _withdraw_body(identifiers(consent_child)[0], str(involvement)))
    assert answer.status_code == 200 and "Only information governance" in answer.get_data(as_text=True)
    assert consent.withdrawn_involvements("all", dt.date.today()) == ()
    refused = audit.query_events(data_access.current().app, action="access_refused", username="demo-caseworker")
    assert [e["resource"] for e in refused[:2]] == ["consent", "sar_pack"]
    assert not audit.query_events(data_access.current().app, action="export")
    auth.logout()
    auth.login("demo-ig")  # a control: the same body from an IG officer gets the pack
    sent = _post(client, _download_body(str(number))).get_json()["response"]["sar-download"]["data"]
    assert sent["filename"].endswith(".pdf") and sent["base64"] and sent["content"]


@pytest.mark.parametrize("pick", ["1; DROP TABLE sar_requests", -1, 2**70, True, ["1"], {"sar_id": 1}, "999"])
def test_forged_request_numbers_in_the_download_callback_are_refused(client, auth, pick: object) -> None:  # type: ignore[no-untyped-def]
    sar.register_request(user=user("demo-ig"), case_ref="SAR-FORGED", requester="Pat", relationship="self",
                         received=TODAY, child=identifiers(rich_child())[0], identity_verified=True,
                         identity_evidence="photo_id")
    auth.login("demo-ig")
    answer = _post(client, _download_body(pick))
    assert answer.status_code == 200
    assert "sar-download" not in answer.get_json()["response"]
    assert not audit.query_events(data_access.current().app, action="export")
