"""Login, logout and the login guard, through the real Flask routes."""

from __future__ import annotations

import json

import pytest

import data_access
from appstore import audit, users


def test_login_page_is_public_and_has_the_form(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/login")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="username"' in html and 'name="password"' in html and 'name="csrf_token"' in html


@pytest.mark.parametrize("path", ["/", "/_dash-layout", "/_dash-dependencies", "/some/page"])
def test_every_route_needs_login(client, path: str) -> None:  # type: ignore[no-untyped-def]
    response = client.get(path)
    assert response.status_code in (302, 401)
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/login")


def test_callbacks_need_login(client) -> None:  # type: ignore[no-untyped-def]
    body = {"output": "overview-kpis.children", "outputs": {"id": "overview-kpis", "property": "children"},
            "inputs": [], "changedPropIds": []}
    response = client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 401


def test_demo_login_reaches_the_overview(client, auth) -> None:  # type: ignore[no-untyped-def]
    response = auth.login("demo-manager")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    assert client.get("/_dash-layout").status_code == 200
    events = audit.query_events(data_access.current().app, action="login")
    assert [e["username"] for e in events] == ["demo-manager"]


@pytest.mark.parametrize("username", ["demo-manager", "no-such-user"])
def test_wrong_password_gives_one_generic_error(auth, username: str) -> None:  # type: ignore[no-untyped-def]
    response = auth.login(username, password="not-the-password-at-all")
    assert response.status_code == 401
    assert "The username or password is not right" in response.get_data(as_text=True)
    assert username not in response.get_data(as_text=True)


def test_failed_logins_are_audited(auth) -> None:  # type: ignore[no-untyped-def]
    auth.login("demo-leader", password="wrong-password-123")
    events = audit.query_events(data_access.current().app, action="login_failed")
    assert events and events[0]["outcome"] == "failure"


def test_login_without_csrf_token_is_refused(client) -> None:  # type: ignore[no-untyped-def]
    from app import DEMO_PASSWORD

    response = client.post("/login", data={"username": "demo-manager", "password": DEMO_PASSWORD})
    assert response.status_code == 400


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"])
def test_next_parameter_only_follows_local_paths(auth, target: str) -> None:  # type: ignore[no-untyped-def]
    response = auth.login("demo-manager", next_path=target)
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_next_parameter_keeps_a_local_path(auth) -> None:  # type: ignore[no-untyped-def]
    response = auth.login("demo-manager", next_path="/")
    assert response.headers["Location"] == "/"


def test_logout_ends_the_session(client, auth) -> None:  # type: ignore[no-untyped-def]
    auth.login("demo-manager")
    assert auth.logout().status_code == 302
    assert client.get("/_dash-layout").status_code == 401
    assert audit.query_events(data_access.current().app, action="logout")


def test_disabling_a_user_ends_their_session_on_the_next_request(client, auth) -> None:  # type: ignore[no-untyped-def]
    auth.login("demo-manager")
    assert client.get("/_dash-layout").status_code == 200
    users.set_active(data_access.current().app, username="demo-manager", active=False)
    assert client.get("/_dash-layout").status_code == 401


def test_security_headers_on_every_response(client, auth) -> None:  # type: ignore[no-untyped-def]
    for response in (client.get("/login"), client.get("/_dash-layout")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["Cache-Control"] == "no-store"
    session_cookie = [c for c in auth.login("demo-manager").headers.getlist("Set-Cookie") if "csi_session" in c]
    assert session_cookie and "HttpOnly" in session_cookie[0] and "SameSite=Lax" in session_cookie[0]


def test_demo_accounts_exist_for_every_role(dash_app) -> None:  # type: ignore[no-untyped-def]
    roles = {u.role for u in users.list_users(data_access.current().app)}
    assert roles == set(data_access.policy.ROLES)


def test_no_default_accounts_outside_demo_mode(settings) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    import app as app_module

    application = app_module.create_app(replace(settings, demo=False))
    assert users.list_users(app_module.stores_of(application).app) == []


def test_secret_key_is_generated_once_and_kept(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from model.settings import Settings

    first = Settings.from_env({}, data_dir=tmp_path)
    second = Settings.from_env({}, data_dir=tmp_path)
    assert first.secret_key == second.secret_key and len(first.secret_key) >= 48
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert Settings.from_env({}, data_dir=tmp_path / "other").secret_key != first.secret_key
