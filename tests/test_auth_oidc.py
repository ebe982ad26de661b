"""Single sign-on against a real OpenID provider (panva/oidc-provider under Node.js) on 127.0.0.1.

Each sign-in goes through the provider's own login and consent pages, the authorisation code flow
with PKCE, and the app's ID-token validation; nothing is mocked.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
import requests
from _oidc.server import NODE_MISSING, Provider, free_port, node_available, running_provider
from playwright.sync_api import expect
from werkzeug.serving import make_server

import data_access
from appstore import audit, users
from auth.oidc_config import GroupGrant, map_groups, parse_group_map

pytestmark = pytest.mark.skipif(not node_available(), reason=NODE_MISSING)

GROUP_MAP = {
    "csi-caseworkers": {"role": "caseworker", "team_ids": ["CSC-SGA"], "services": ["CSC"]},
    "csi-service-managers": {"role": "service_manager", "services": ["CSC", "EH"]},
    "csi-admins": {"role": "admin"},
}


@pytest.fixture(scope="module")
def provider() -> Iterator[tuple[Provider, int]]:
    """The provider (started once per module) and the port the app must serve on for its redirect."""
    app_port = free_port()
    with running_provider(port=free_port(), redirect_uri=f"http://127.0.0.1:{app_port}/login/sso/callback") as idp:
        yield idp, app_port


@contextlib.contextmanager
def serving(application: Any, port: int) -> Iterator[str]:
    server = make_server("127.0.0.1", port, application.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def sso_settings(settings, provider: Provider, **changes: Any):  # type: ignore[no-untyped-def]
    return replace(settings, oidc_issuer=provider.issuer, oidc_client_id=provider.client_id,
                   oidc_client_secret=provider.client_secret, oidc_group_map=json.dumps(GROUP_MAP),
                   oidc_scopes="openid profile email groups", oidc_label="Sign in with Test IdP", **changes)


@pytest.fixture
def sso(settings, provider) -> Iterator[tuple[str, Provider, Any]]:  # type: ignore[no-untyped-def]
    """(app base URL, provider, Dash app): the app configured for the provider, both serving."""
    import app as app_module

    idp, app_port = provider
    application = app_module.create_app(sso_settings(settings, idp))
    stores = app_module.stores_of(application)
    with serving(application, app_port) as base, data_access.bound(stores):
        yield base, idp, application
    stores.close()


def _submit(session: requests.Session, page: requests.Response, **fields: str) -> requests.Response:
    """Post the provider's interaction form on ``page`` (its hidden fields plus ``fields``)."""
    action = re.search(r'<form[^>]*action="([^"]+)"', page.text)
    assert action, f"no form on {page.url}:\n{page.text[-800:]}"
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    return session.post(action.group(1), data={**hidden, **fields}, timeout=10, allow_redirects=False)


def _follow(session: requests.Session, page: requests.Response,
            tamper: Callable[[str], str] | None) -> requests.Response:
    while page.is_redirect:
        location = requests.compat.urljoin(page.url, page.headers["Location"])
        if tamper and "/login/sso/callback" in location:
            location = tamper(location)
        page = session.get(location, timeout=10, allow_redirects=False)
    return page


def sso_sign_in(base: str, login: str, *, session: requests.Session | None = None,
                tamper: Callable[[str], str] | None = None) -> tuple[requests.Session, requests.Response]:
    """Sign in through the provider's login and consent pages, as a browser would."""
    session = session or requests.Session()
    page = _follow(session, session.get(f"{base}/login/sso?next=/admin", timeout=10, allow_redirects=False), None)
    assert 'name="login"' in page.text, page.url
    page = _follow(session, _submit(session, page, login=login, password="any password works here"), tamper)
    if 'value="consent"' in page.text:
        page = _follow(session, _submit(session, page), tamper)
    return session, page


def test_sso_login_lands_with_roles_mapped_from_groups(sso) -> None:  # type: ignore[no-untyped-def]
    base, _provider, _app = sso
    session, page = sso_sign_in(base, "sso-caseworker")
    assert page.status_code == 200 and page.url == f"{base}/admin"  # the next path survived the round trip
    assert session.get(f"{base}/_dash-layout", timeout=10).status_code == 200
    found = users.find_login(data_access.current().app, "sso-caseworker")
    assert found is not None
    user, password_hash = found
    assert (user.role, user.team_ids, user.services, password_hash) == ("caseworker", ("CSC-SGA",), ("CSC",), None)
    assert user.display_name == "Sam Caseworker"
    login = audit.query_events(data_access.current().app, action="login")[0]
    assert (login["username"], login["detail"]) == ("sso-caseworker", {"method": "sso"})
    created = audit.query_events(data_access.current().app, action="user_admin")[0]
    assert created["detail"]["via"] == "single_sign_on" and created["detail"]["role"] == "caseworker"


def test_sso_role_follows_the_groups_at_every_sign_in(sso) -> None:  # type: ignore[no-untyped-def]
    base, _provider, _app = sso
    engine = data_access.current().app
    users.create_user(engine, username="sso-manager", role="analyst", password_hash=None)  # pre-provisioned
    session, _ = sso_sign_in(base, "sso-manager")
    user = users.find_user(engine, users.find_login(engine, "sso-manager")[0].user_id)  # type: ignore[index]
    assert (user.role, user.services) == ("service_manager", ("CSC", "EH"))  # type: ignore[union-attr]
    assert session.get(f"{base}/_dash-layout", timeout=10).status_code == 200


@pytest.mark.parametrize(("login", "why"), [
    ("sso-nogroups", "no group that grants access"),
    ("sso-conflict", "groups granting different roles"),
    ("demo-leader", "local password account"),
])
def test_sso_refuses_users_without_a_clean_mapping(sso, login: str, why: str) -> None:  # type: ignore[no-untyped-def]
    base, _provider, _app = sso
    session, page = sso_sign_in(base, login)
    assert page.status_code == 401 and "Single sign-on did not complete" in page.text
    assert session.get(f"{base}/_dash-layout", timeout=10).status_code == 401
    events = audit.query_events(data_access.current().app, action="login_failed") + \
        audit.query_events(data_access.current().app, action="user_admin")
    assert any(why in (e["reason"] or "") for e in events)
    if login == "demo-leader":  # the local account was not taken over
        assert users.find_login(data_access.current().app, "demo-leader")[1] is not None  # type: ignore[index]


def test_sso_refuses_a_disabled_user(sso) -> None:  # type: ignore[no-untyped-def]
    base, _provider, _app = sso
    sso_sign_in(base, "sso-caseworker")
    users.set_active(data_access.current().app, username="sso-caseworker", active=False)
    session, page = sso_sign_in(base, "sso-caseworker")
    assert page.status_code == 401
    assert session.get(f"{base}/_dash-layout", timeout=10).status_code == 401


def test_sso_callback_with_a_forged_state_is_refused(sso) -> None:  # type: ignore[no-untyped-def]
    base, _provider, _app = sso
    session, page = sso_sign_in(base, "sso-caseworker",
                                tamper=lambda url: re.sub(r"state=[^&]+", "state=forged", url))
    assert page.status_code == 401
    assert session.get(f"{base}/_dash-layout", timeout=10).status_code == 401
    reasons = [e["reason"] for e in audit.query_events(data_access.current().app, action="login_failed")]
    assert any("MismatchingState" in (r or "") for r in reasons)


def test_sso_callback_from_another_issuer_is_refused(sso) -> None:  # type: ignore[no-untyped-def]
    base, _provider, _app = sso
    _session, page = sso_sign_in(base, "sso-caseworker",
                                 tamper=lambda url: re.sub(r"iss=[^&]+", "iss=http%3A%2F%2Fevil.example", url))
    assert page.status_code == 401


def test_sso_uses_pkce_and_a_nonce(sso) -> None:  # type: ignore[no-untyped-def]
    base, _provider, _app = sso
    start = requests.get(f"{base}/login/sso", allow_redirects=False, timeout=10)
    location = start.headers["Location"]
    assert "code_challenge_method=S256" in location and "code_challenge=" in location
    assert "nonce=" in location and "state=" in location and "response_type=code" in location


def test_local_accounts_can_be_switched_off(settings, live_server) -> None:  # type: ignore[no-untyped-def]
    import app as app_module

    port = free_port()
    configured = replace(settings, local_accounts=False, oidc_issuer=f"http://127.0.0.1:{port}",
                         oidc_client_id="csi-test", oidc_client_secret="csi-test-client-secret-not-real",
                         oidc_group_map=json.dumps(GROUP_MAP), oidc_scopes="openid profile email groups")
    client = app_module.create_app(configured).server.test_client()
    page = client.get("/login").get_data(as_text=True)
    assert 'name="password"' not in page and 'href="/login/sso' in page
    with client.session_transaction() as session:  # a valid form token, so only the switch refuses
        session["csrf"] = "known-token"
    from app import DEMO_PASSWORD

    response = client.post("/login", data={"username": "demo-leader", "password": DEMO_PASSWORD,
                                           "csrf_token": "known-token"})
    assert response.status_code == 403 and "Sign in with your organisation account" in response.get_data(as_text=True)
    assert client.get("/_dash-layout").status_code == 401


def test_group_map_parsing_and_mapping_rules() -> None:
    grants = parse_group_map(json.dumps({"a": {"role": "caseworker", "team_ids": ["T1"], "services": ["CSC"]},
                                         "b": {"role": "caseworker", "team_ids": ["T2"]},
                                         "c": {"role": "leadership"}}))
    assert map_groups(["a", "b", "x"], grants) == GroupGrant("caseworker", ("T1", "T2"), ("CSC",))
    assert map_groups(["a", "c"], grants) is None  # two roles: deny, never guess
    assert map_groups(["x"], grants) is None and map_groups(None, grants) is None
    assert map_groups("c", grants) == GroupGrant("leadership")
    for bad in ('{"a": "caseworker"}', '["a"]', "not json", '{"a": {"role": "x", "teams": []}}'):
        with pytest.raises(ValueError):
            parse_group_map(bad)


def test_unknown_role_in_the_group_map_stops_start_up(settings) -> None:  # type: ignore[no-untyped-def]
    import app as app_module

    bad = replace(settings, oidc_issuer="https://idp.example", oidc_client_id="x", oidc_client_secret="y",
                  oidc_group_map='{"g": {"role": "superuser"}}')
    with pytest.raises(ValueError, match="superuser"):
        app_module.create_app(bad)


def test_sso_in_a_real_browser_with_no_csp_violations(sso, page) -> None:  # type: ignore[no-untyped-def]
    base, _provider, _app = sso
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(base + "/")
    assert page.url.startswith(base + "/login")
    page.click("#sso-login")
    page.fill("input[name=login]", "sso-manager")
    page.fill("input[name=password]", "any password works here")
    page.click("button[type=submit]")
    page.click("button[type=submit]")  # the provider's consent page: Continue
    page.wait_for_url(base + "/")
    # Locator waits, not wait_for_function: that evaluates a string, which this CSP rightly refuses.
    expect(page.locator("#shell-user")).to_have_text("Mo Manager (Service manager)")  # a callback's answer
    page.wait_for_load_state("networkidle")
    assert violations == []
