"""User administration: only administrators, every change audited, and administrators see no child data."""

from __future__ import annotations

import pytest

import data_access
from appstore import audit, users
from data_access import AccessDenied, accounts, policy

NON_ADMIN_ROLES = sorted(r for r in policy.ROLES if not policy.ROLES[r].user_admin)
ADMIN_CALLS = {
    "list": lambda actor: accounts.admin_list_accounts(actor=actor),
    "create": lambda actor: accounts.admin_create_account(actor=actor, username="new-user", role="analyst"),
    "disable": lambda actor: accounts.admin_set_active(actor=actor, username="demo-analyst", active=False),
    "set_role": lambda actor: accounts.admin_set_role(actor=actor, username="demo-analyst", role="leadership"),
    "end_sessions": lambda actor: accounts.admin_end_sessions(actor=actor, username="demo-analyst"),
}
DEMO_BY_ROLE = {spec["role"]: name for name, spec in accounts.DEMO_ACCOUNTS.items()}


@pytest.fixture(scope="module")
def any_hash() -> str:
    from auth import hash_password

    return hash_password("one hash for every demo account here")


@pytest.fixture
def accounts_only(configured, any_hash: str) -> None:  # type: ignore[no-untyped-def]
    """The demo accounts in a fresh app store, without building the web app (data-layer tests)."""
    accounts.ensure_demo_accounts(password_hash=lambda: any_hash)


def _user(username: str) -> users.AppUser:
    found = users.find_login(data_access.current().app, username)
    assert found is not None
    return found[0]


@pytest.mark.parametrize("call", sorted(ADMIN_CALLS))
@pytest.mark.parametrize("role", [*NON_ADMIN_ROLES, None])
def test_only_user_administrators_may_administer(accounts_only, role: str | None, call: str) -> None:  # type: ignore[no-untyped-def]
    actor = _user(DEMO_BY_ROLE[role]) if role else None
    with pytest.raises(AccessDenied):
        ADMIN_CALLS[call](actor)
    refused = audit.query_events(data_access.current().app, action="access_refused")[0]
    assert refused["resource"] == "users" and refused["username"] == (actor.username if actor else None)
    assert _user("demo-analyst").active and _user("demo-analyst").role == "analyst"
    assert users.find_login(data_access.current().app, "new-user") is None


def test_an_administrator_creates_disables_enables_and_sets_roles_all_audited(accounts_only) -> None:  # type: ignore[no-untyped-def]
    admin = _user("demo-admin")
    created = accounts.admin_create_account(actor=admin, username="jsmith", role="leadership", display_name="J Smith")
    assert created.request is None and created.link is not None  # no child rows: applies at once, with a link
    accounts.admin_set_role(actor=admin, username="jsmith", role="service_manager", services=["CSC", "EH"])
    accounts.admin_set_active(actor=admin, username="jsmith", active=False)
    accounts.admin_set_active(actor=admin, username="jsmith", active=True)
    user = _user("jsmith")
    assert (user.role, user.services, user.active) == ("service_manager", ("CSC", "EH"), True)
    events = audit.query_events(data_access.current().app, action="user_admin")
    assert [e["detail"]["change"] for e in events] == ["enable", "disable", "set_role", "link_issued", "create"]
    assert {e["username"] for e in events} == {"demo-admin"}
    assert {e["detail"]["target"] for e in events} == {"jsmith"}
    assert events[1]["detail"]["active"] is False and events[2]["detail"]["services"] == "CSC,EH"


def test_an_administrator_cannot_change_their_own_account(accounts_only) -> None:  # type: ignore[no-untyped-def]
    admin = _user("demo-admin")
    with pytest.raises(AccessDenied):
        accounts.admin_set_active(actor=admin, username="demo-admin", active=False)
    with pytest.raises(AccessDenied):
        accounts.admin_set_role(actor=admin, username="demo-admin", role="leadership")
    assert _user("demo-admin").active and _user("demo-admin").role == "admin"
    refused = audit.query_events(data_access.current().app, action="user_admin")[0]
    assert refused["outcome"] == "refused"


def test_bad_input_is_refused_with_a_reason(accounts_only) -> None:  # type: ignore[no-untyped-def]
    admin = _user("demo-admin")
    with pytest.raises(ValueError, match="role"):
        accounts.admin_set_role(actor=admin, username="demo-analyst", role="superuser")
    with pytest.raises(users.UserExists):
        accounts.admin_create_account(actor=admin, username="demo-analyst", role="analyst")
    with pytest.raises(ValueError, match="services"):
        accounts.admin_create_account(actor=admin, username="new-one", role="caseworker", services=["XX"])
    with pytest.raises(users.UnknownUser):
        accounts.admin_set_active(actor=admin, username="nobody-here", active=False)


def test_the_admin_role_sees_no_child_data(accounts_only) -> None:  # type: ignore[no-untyped-def]
    admin = _user("demo-admin")
    role = policy.ROLES["admin"]
    assert (role.aggregates, role.rows, role.purposes, role.audit_trail) == (
        policy.Scope.NONE, policy.RowLevel.NONE, (), False)
    with pytest.raises(AccessDenied):
        data_access.overview_page(user=admin, filters={})
    rows = accounts.admin_list_accounts(actor=admin)  # what the admin page shows: users, no children
    assert {r.user.username for r in rows} == set(accounts.DEMO_ACCOUNTS)
    assert {r.sign_in for r in rows} == {"password"}
    accounts.admin_create_account(actor=admin, username="new-leader", role="leadership")
    rows = {r.user.username: r for r in accounts.admin_list_accounts(actor=admin)}
    assert rows["new-leader"].sign_in == "set-password link not used yet"


def _callback(client, body: dict):  # type: ignore[no-untyped-def]
    return client.post("/_dash-update-component", json=body,
                       headers={"X-CSRFToken": client.get_cookie("_csrf_token").value})


def _change_user_body(trigger: str, **states: object) -> dict:
    buttons = ["admin-save", "admin-disable", "admin-enable", "admin-end-sessions", "admin-reset-password",
               "admin-create"]
    fields = [("admin-pick", "value"), ("admin-role", "value"), ("admin-teams", "value"), ("admin-services", "value"),
              ("admin-new-username", "value"), ("admin-new-display", "value"), ("admin-new-role", "value"),
              ("admin-new-teams", "value"), ("admin-new-services", "value"), ("admin-new-worker", "value"),
              ("admin-new-sign-in", "value"), ("admin-refresh", "data")]
    return {
        "output": "..admin-message.children...admin-refresh.data..",
        "outputs": [{"id": "admin-message", "property": "children"}, {"id": "admin-refresh", "property": "data"}],
        "inputs": [{"id": b, "property": "n_clicks", "value": 1 if b == trigger else None} for b in buttons],
        "state": [{"id": i, "property": p, "value": states.get(i.removeprefix("admin-").replace("-", "_"))}
                  for i, p in fields],
        "changedPropIds": [f"{trigger}.n_clicks"],
    }


def test_the_admin_page_creates_and_disables_users_over_http(client, auth) -> None:  # type: ignore[no-untyped-def]
    auth.login("demo-admin")
    created = _callback(client, _change_user_body(
        "admin-create", new_username="pat-sso", new_display="Pat Example", new_role="leadership", new_sign_in="sso"))
    assert created.status_code == 200 and "Created pat-sso" in created.get_data(as_text=True)
    assert "set-password" not in created.get_data(as_text=True)
    assert users.find_login(data_access.current().app, "pat-sso") == (_user("pat-sso"), None)  # SSO-only
    local = _callback(client, _change_user_body("admin-create", new_username="lin-local", new_role="leadership",
                                                new_sign_in="password"))
    assert "Created lin-local" in local.get_data(as_text=True)
    assert "set-password" in local.get_data(as_text=True) and "token=" in local.get_data(as_text=True)  # once
    waiting = _callback(client, _change_user_body(
        "admin-create", new_username="lee-local", new_role="caseworker", new_teams=["CSC-SGA"], new_services=["CSC"],
        new_sign_in="password"))
    assert "waiting for approval" in waiting.get_data(as_text=True)
    assert "set-password" not in waiting.get_data(as_text=True)
    assert users.find_login(data_access.current().app, "lee-local") is None
    reset = _callback(client, _change_user_body("admin-reset-password", pick="demo-caseworker"))
    assert "waiting for approval" in reset.get_data(as_text=True)
    disabled = _callback(client, _change_user_body("admin-disable", pick="demo-leader"))
    assert "demo-leader is disabled" in disabled.get_data(as_text=True)
    assert not _user("demo-leader").active


def test_the_admin_page_refuses_other_roles_over_http(client, auth) -> None:  # type: ignore[no-untyped-def]
    auth.login("demo-leader")
    response = _callback(client, _change_user_body("admin-disable", pick="demo-admin"))
    assert response.status_code == 200 and "Only a user administrator" in response.get_data(as_text=True)
    assert _user("demo-admin").active


def test_command_line_account_commands(dash_app, settings, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    import cli

    for name, value in {"CSI_DATA_DIR": str(settings.data_dir), "CSI_APP_DB_URL": settings.app_db_url,
                        "CSI_ANALYTICS_URL": settings.analytics_url}.items():
        monkeypatch.setenv(name, value)
    assert cli.main(["disable-user", "demo-leader"]) == 0
    assert not _user("demo-leader").active
    assert cli.main(["enable-user", "demo-leader"]) == 0
    assert cli.main(["set-role", "demo-leader", "--role", "team_manager", "--team", "CSC-SGA",
                            "--service", "CSC"]) == 0
    assert (_user("demo-leader").role, _user("demo-leader").team_ids) == ("team_manager", ("CSC-SGA",))
    assert cli.main(["end-sessions", "demo-leader"]) == 0
    assert cli.main(["disable-user", "no-such-user"]) == 2
    assert "no user named" in capsys.readouterr().err
    events = audit.query_events(data_access.current().app, action="user_admin")
    assert [e["detail"]["change"] for e in events[:4]] == ["end_sessions", "set_role", "enable", "disable"]
    assert {e["detail"]["via"] for e in events[:4]} == {"command_line"}
