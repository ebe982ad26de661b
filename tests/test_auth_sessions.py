"""Server-side sessions: a captured cookie stops working at logout, disable, role change and expiry.

Each test replays a session cookie captured earlier in a *separate* client, as an attacker who
copied it would, and checks the very next request.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import zlib
from dataclasses import replace

import pytest
import sqlalchemy as sa

import data_access
from appstore import sessions as store_sessions
from appstore import tables, users
from data_access import accounts

# The admin page's "show the chosen user" callback: answers an administrator, refuses anyone else.
SHOW_PICK = {"output": "..admin-role.value...admin-teams.value...admin-services.value..",
             "outputs": [{"id": "admin-role", "property": "value"}, {"id": "admin-teams", "property": "value"},
                         {"id": "admin-services", "property": "value"}],
             "inputs": [{"id": "admin-pick", "property": "value", "value": "demo-leader"}],
             "changedPropIds": ["admin-pick.value"], "state": []}


def session_cookie(client, name: str = "csi_session") -> str:  # type: ignore[no-untyped-def]
    cookie = client.get_cookie(name)
    assert cookie is not None, f"no {name} cookie"
    return str(cookie.value)


def replay(dash_app, cookie: str, name: str = "csi_session"):  # type: ignore[no-untyped-def]
    """A fresh client holding only the captured session cookie."""
    other = dash_app.server.test_client()
    other.set_cookie(name, cookie)
    return other


def callback(client):  # type: ignore[no-untyped-def]
    """POST a callback with the CSRF header Dash's renderer would send."""
    token = client.get_cookie("_csrf_token")
    return client.post("/_dash-update-component", json=SHOW_PICK,
                       headers={"X-CSRFToken": token.value if token else ""})


def test_a_cookie_captured_before_logout_is_refused_on_the_next_request(dash_app, client, auth) -> None:  # type: ignore[no-untyped-def]
    auth.login("demo-manager")
    captured = session_cookie(client)
    assert replay(dash_app, captured).get("/_dash-layout").status_code == 200
    assert callback(client).status_code == 200
    auth.logout()
    attacker = replay(dash_app, captured)
    assert attacker.get("/_dash-layout").status_code == 401
    assert attacker.get("/").status_code == 302
    assert callback(attacker).status_code == 401


def test_a_cookie_captured_before_the_user_is_disabled_is_refused(dash_app, client, auth) -> None:  # type: ignore[no-untyped-def]
    auth.login("demo-manager")
    captured = session_cookie(client)
    admin = users.find_login(data_access.current().app, "demo-admin")[0]  # type: ignore[index]
    accounts.admin_set_active(actor=admin, username="demo-manager", active=False)
    assert replay(dash_app, captured).get("/_dash-layout").status_code == 401
    assert client.get("/_dash-layout").status_code == 401
    accounts.admin_set_active(actor=admin, username="demo-manager", active=True)
    assert replay(dash_app, captured).get("/_dash-layout").status_code == 401  # re-enabling revives nothing


def test_a_role_change_takes_effect_on_the_next_request(dash_app, client, auth) -> None:  # type: ignore[no-untyped-def]
    auth.login("demo-leader")
    refused = callback(client).get_json()["response"]
    assert refused["admin-role"]["value"] is None  # leadership may not administer users
    accounts.operator_set_role("demo-leader", "admin")
    assert callback(client).status_code == 401  # the old session, with the old role, is gone
    auth.login("demo-leader")
    answered = callback(client).get_json()["response"]
    assert answered["admin-role"]["value"] == "admin"  # the new role applies


def test_login_issues_a_new_session_and_the_pre_login_cookie_stays_anonymous(dash_app, client, auth) -> None:  # type: ignore[no-untyped-def]
    client.get("/login")
    planted = session_cookie(client)  # what an attacker could have fixed in the victim's browser
    auth.login("demo-manager")
    after = session_cookie(client)
    assert after != planted
    assert replay(dash_app, planted).get("/_dash-layout").status_code == 401
    assert replay(dash_app, after).get("/_dash-layout").status_code == 200
    auth.logout()
    auth.login("demo-manager")
    assert session_cookie(client) != after  # every sign-in: a new server-side session
    with data_access.current().app.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(tables.sessions)).scalar_one() == 2


def _backdate(column: str, delta: dt.timedelta) -> None:
    with data_access.current().app.begin() as conn:
        conn.execute(tables.sessions.update().values(
            {column: tables.iso_utc(dt.datetime.now(dt.UTC) - delta)}))


@pytest.mark.parametrize(("column", "age", "live"), [
    ("last_seen_at", dt.timedelta(minutes=29), True),
    ("last_seen_at", dt.timedelta(minutes=31), False),  # idle timeout: 30 minutes by default
    ("created_at", dt.timedelta(hours=11, minutes=59), True),
    ("created_at", dt.timedelta(hours=12, minutes=1), False),  # absolute lifetime: 12 hours by default
])
def test_idle_and_absolute_timeouts(client, auth, column: str, age: dt.timedelta, live: bool) -> None:  # type: ignore[no-untyped-def]
    auth.login("demo-manager")
    _backdate(column, age)
    assert client.get("/_dash-layout").status_code == (200 if live else 401)


def test_timeouts_are_configurable(settings, make_app) -> None:  # type: ignore[no-untyped-def]
    from _stores import Login

    application = make_app(replace(settings, session_idle_minutes=2, session_max_hours=1))
    client = application.server.test_client()
    Login(client).login("demo-manager")
    _backdate("last_seen_at", dt.timedelta(minutes=3))
    assert client.get("/_dash-layout").status_code == 401


def test_activity_keeps_a_session_alive(client, auth) -> None:  # type: ignore[no-untyped-def]
    auth.login("demo-manager")
    _backdate("last_seen_at", dt.timedelta(minutes=20))
    assert client.get("/_dash-layout").status_code == 200  # touched: last_seen_at is now
    with data_access.current().app.connect() as conn:
        seen = conn.execute(sa.select(tables.sessions.c.last_seen_at)).scalar_one()
    assert dt.datetime.now(dt.UTC) - dt.datetime.fromisoformat(seen) < dt.timedelta(minutes=1)


def test_log_out_everywhere_ends_every_session_of_the_user(dash_app, client, auth) -> None:  # type: ignore[no-untyped-def]
    from _stores import Login

    laptop = dash_app.server.test_client()
    Login(laptop).login("demo-manager")
    auth.login("demo-manager")
    other_user = dash_app.server.test_client()
    Login(other_user).login("demo-leader")
    response = client.post("/logout", data={"csrf_token": auth.csrf("/logout"), "scope": "everywhere"})
    assert response.status_code == 302
    assert laptop.get("/_dash-layout").status_code == 401
    assert client.get("/_dash-layout").status_code == 401
    assert other_user.get("/_dash-layout").status_code == 200


def test_an_administrator_can_end_a_users_sessions(dash_app, client, auth) -> None:  # type: ignore[no-untyped-def]
    auth.login("demo-manager")
    admin = users.find_login(data_access.current().app, "demo-admin")[0]  # type: ignore[index]
    assert accounts.admin_end_sessions(actor=admin, username="demo-manager") == 1
    assert client.get("/_dash-layout").status_code == 401


def _flask_payload(cookie: str) -> dict:
    body = cookie.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    return json.loads(zlib.decompress(raw) if cookie.startswith(".") else raw)


def test_the_cookie_holds_only_an_opaque_token_and_the_store_only_its_hash(client, auth) -> None:  # type: ignore[no-untyped-def]
    auth.login("demo-manager")
    payload = _flask_payload(session_cookie(client))
    token = payload["_user_id"]
    assert set(payload) <= {"_user_id", "_fresh", "_id", "csrf"}
    assert len(token.split(".", 1)[1]) >= 43  # 32 random bytes, base64url
    with data_access.current().app.connect() as conn:
        stored = conn.execute(sa.select(tables.sessions.c.session_id_hash)).scalar_one()
    assert stored != token and token not in stored and len(stored) == 64


def test_a_tampered_token_is_refused(dash_app, client, auth) -> None:  # type: ignore[no-untyped-def]
    auth.login("demo-manager")
    store = store_sessions.SessionStore(data_access.current().app, idle_minutes=30, max_hours=12)
    token = _flask_payload(session_cookie(client))["_user_id"]
    assert store.touch(token) is not None
    version, rest = token.split(".", 1)
    assert store.touch(f"{int(version) + 1}.{rest}") is None
    assert store.touch(token + "x") is None and store.touch("") is None


@pytest.mark.parametrize("https", [False, True])
def test_cookie_attributes(settings, https: bool) -> None:  # type: ignore[no-untyped-def]
    import re

    import app as app_module

    application = app_module.create_app(replace(settings, https=https))
    client = application.server.test_client()
    base = "https://localhost" if https else "http://localhost"
    page = client.get("/login", base_url=base).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    response = client.post("/login", base_url=base, data={"username": "demo-manager", "csrf_token": token,
                                                           "password": app_module.DEMO_PASSWORD})
    assert response.status_code == 302
    cookies = response.headers.getlist("Set-Cookie")
    session = next(c for c in cookies if "csi_session=" in c)
    csrf = next(c for c in cookies if "csrf" in c)
    assert "HttpOnly" in session and "SameSite=Lax" in session and "Path=/" in session
    assert "Expires" not in session and "Max-Age" not in session  # ends with the browser
    assert "HttpOnly" not in csrf and "SameSite=Strict" in csrf  # Dash's renderer must read it
    if https:
        assert session.startswith("__Host-csi_session=") and "Secure" in session and "Domain" not in session
        assert csrf.startswith("__Host-csi_csrf=") and "Secure" in csrf
        assert client.get("/_dash-layout", base_url=base).status_code == 200
        assert application.config.csrf_token_name == "__Host-csi_csrf"  # where Dash's renderer reads it
    else:
        assert session.startswith("csi_session=") and "Secure" not in session
        assert csrf.startswith("_csrf_token=")
