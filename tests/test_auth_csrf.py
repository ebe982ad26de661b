"""CSRF: form tokens on login and logout; origin checks and a double-submit token on Dash callbacks."""

from __future__ import annotations

import pytest

import data_access
from appstore import audit

SHOW_PICK = {"output": "..admin-role.value...admin-teams.value...admin-services.value..",
             "outputs": [{"id": "admin-role", "property": "value"}, {"id": "admin-teams", "property": "value"},
                         {"id": "admin-services", "property": "value"}],
             "inputs": [{"id": "admin-pick", "property": "value", "value": "demo-leader"}],
             "changedPropIds": ["admin-pick.value"], "state": []}
UPDATE = "/_dash-update-component"


@pytest.fixture
def signed_in(client, auth):  # type: ignore[no-untyped-def]
    """The client signed in as the administrator; returns the CSRF cookie's value."""
    auth.login("demo-admin")
    return client.get_cookie("_csrf_token").value


def test_a_genuine_callback_is_answered(client, signed_in: str) -> None:  # type: ignore[no-untyped-def]
    response = client.post(UPDATE, json=SHOW_PICK, headers={
        "X-CSRFToken": signed_in, "Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 200
    assert response.get_json()["response"]["admin-role"]["value"] == "leadership"


@pytest.mark.parametrize(("case", "headers"), [
    ("no token", {}),
    ("wrong token", {"X-CSRFToken": "guessed"}),
    ("cross-site origin", {"Origin": "https://evil.example"}),
    ("null origin", {"Origin": "null"}),
    ("cross-site fetch", {"Sec-Fetch-Site": "cross-site"}),
    ("same-site fetch", {"Sec-Fetch-Site": "same-site"}),
])
def test_forged_callbacks_are_refused_and_audited(client, signed_in: str, case: str, headers: dict) -> None:  # type: ignore[no-untyped-def]
    sent = {"X-CSRFToken": signed_in, **headers} if case not in ("no token", "wrong token") else headers
    response = client.post(UPDATE, json=SHOW_PICK, headers=sent)
    assert response.status_code == 403, case
    refused = audit.query_events(data_access.current().app, action="access_refused")[0]
    assert refused["username"] == "demo-admin" and refused["resource"] == "request"
    assert UPDATE in refused["reason"]


def test_a_header_matching_the_cookie_but_not_the_session_is_refused(client, signed_in: str) -> None:  # type: ignore[no-untyped-def]
    client.set_cookie("_csrf_token", "planted-by-attacker")  # e.g. set by a sibling subdomain
    response = client.post(UPDATE, json=SHOW_PICK, headers={"X-CSRFToken": "planted-by-attacker"})
    assert response.status_code == 403


def test_a_header_without_the_cookie_is_refused(client, signed_in: str) -> None:  # type: ignore[no-untyped-def]
    client.delete_cookie("_csrf_token")
    assert client.post(UPDATE, json=SHOW_PICK, headers={"X-CSRFToken": signed_in}).status_code == 403


def test_a_callback_that_is_not_json_is_refused(client, signed_in: str) -> None:  # type: ignore[no-untyped-def]
    response = client.post(UPDATE, data="output=x", content_type="application/x-www-form-urlencoded",
                           headers={"X-CSRFToken": signed_in})
    assert response.status_code == 415


def test_logout_without_its_token_is_refused_and_the_session_survives(client, auth) -> None:  # type: ignore[no-untyped-def]
    auth.login("demo-manager")
    assert client.post("/logout", data={}).status_code == 400
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 400
    assert client.get("/_dash-layout").status_code == 200


def test_login_from_another_site_is_refused(client, auth) -> None:  # type: ignore[no-untyped-def]
    from app import DEMO_PASSWORD

    token = auth.csrf()
    response = client.post("/login", data={"username": "demo-manager", "password": DEMO_PASSWORD,
                                           "csrf_token": token}, headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert client.get("/_dash-layout").status_code == 401


def test_the_form_token_changes_at_sign_in(client, auth) -> None:  # type: ignore[no-untyped-def]
    before = auth.csrf()
    auth.login("demo-manager")
    after = client.get_cookie("_csrf_token").value
    assert before != after
    response = client.post("/logout", data={"csrf_token": before})
    assert response.status_code == 400  # the pre-login token no longer works


def test_anonymous_forged_requests_are_refused_without_filling_the_audit_trail(client) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        assert client.post(UPDATE, json=SHOW_PICK, headers={"Origin": "https://evil.example"}).status_code == 403
    assert audit.query_events(data_access.current().app, action="access_refused") == []
