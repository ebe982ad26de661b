"""Four eyes on identifiable access, and one-time set-password links (GitHub issue 13, items 2 and 5)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

import data_access
from appstore import audit, grants, users
from appstore.tables import access_requests
from auth import hash_password, verify_password
from data_access import AccessDenied, accounts, approvals, policy, setpassword

PASSWORD = "correct horse battery staple"
NEEDS_APPROVAL = sorted(r for r in policy.ROLES if policy.grant_needs_approval(r))


@pytest.fixture(scope="module")
def any_hash() -> str:
    return hash_password("one hash for every demo account here")


@pytest.fixture
def accounts_only(configured, any_hash: str) -> None:  # type: ignore[no-untyped-def]
    accounts.ensure_demo_accounts(password_hash=lambda: any_hash)


def _user(username: str) -> users.AppUser:
    found = users.find_login(data_access.current().app, username)
    assert found is not None
    return found[0]


def _changes() -> list[str]:
    return [e["detail"]["change"] for e in audit.query_events(data_access.current().app, action="user_admin")]


def _second_admin(any_hash: str) -> users.AppUser:
    return users.create_user(data_access.current().app, username="admin-two", role="admin", password_hash=any_hash)


def test_the_rule_covers_every_role_with_child_rows_or_the_power_to_approve() -> None:
    assert NEEDS_APPROVAL == ["admin", "analyst", "caseworker", "ig_officer", "team_manager"]
    assert not policy.grant_needs_approval("leadership") and not policy.grant_needs_approval("service_manager")


@pytest.mark.parametrize("role", NEEDS_APPROVAL)
def test_an_admin_cannot_create_an_account_with_identifiable_access_that_takes_effect(accounts_only, role) -> None:  # type: ignore[no-untyped-def]
    outcome = accounts.admin_create_account(actor=_user("demo-admin"), username="jsmith", role=role,
                                            team_ids=["CSC-SGA"], services=["CSC"], worker_id="W00002")
    assert outcome.user is None and outcome.link is None and outcome.request is not None
    assert users.find_login(data_access.current().app, "jsmith") is None
    assert _changes()[0] == "request"


def test_an_ig_officer_approves_and_only_the_new_user_sets_the_password(accounts_only) -> None:  # type: ignore[no-untyped-def]
    asked = accounts.admin_create_account(actor=_user("demo-admin"), username="jsmith", role="caseworker",
                                          team_ids=["CSC-SGA"], services=["CSC"], worker_id="W00002")
    assert asked.request is not None
    assert [r.request_id for r in approvals.list_pending(actor=_user("demo-ig"))] == [asked.request.request_id]
    approved = approvals.approve(actor=_user("demo-ig"), request_id=asked.request.request_id)
    assert approved.user is not None and approved.link is not None
    user, password_hash = users.find_login(data_access.current().app, "jsmith")  # type: ignore[misc]
    assert (user.role, user.team_ids, user.worker_id, password_hash) == ("caseworker", ("CSC-SGA",), "W00002", None)
    assert setpassword.check_link(approved.link.token) == "jsmith"
    assert setpassword.use_link(approved.link.token, hash_password(PASSWORD)) == "jsmith"
    assert verify_password(users.find_login(data_access.current().app, "jsmith")[1], PASSWORD)  # type: ignore[index]
    assert approvals.list_pending(actor=_user("demo-ig")) == []
    assert _changes()[:5] == ["link_used", "link_issued", "create", "approve", "request"]


def test_the_requester_cannot_approve_their_own_request_but_a_second_admin_can(accounts_only, any_hash) -> None:  # type: ignore[no-untyped-def]
    asked = accounts.admin_set_role(actor=_user("demo-admin"), username="demo-leader", role="analyst")
    assert asked.request is not None and _user("demo-leader").role == "leadership"
    with pytest.raises(AccessDenied, match="your own request"):
        approvals.approve(actor=_user("demo-admin"), request_id=asked.request.request_id)
    with pytest.raises(AccessDenied, match="your own request"):
        approvals.reject(actor=_user("demo-admin"), request_id=asked.request.request_id)
    assert _user("demo-leader").role == "leadership"
    refused = audit.query_events(data_access.current().app, action="access_refused")[0]
    assert refused["resource"] == "access_requests" and refused["username"] == "demo-admin"
    approvals.approve(actor=_second_admin(any_hash), request_id=asked.request.request_id)
    assert _user("demo-leader").role == "analyst"


def test_the_store_itself_refuses_a_decision_by_the_requester(accounts_only) -> None:  # type: ignore[no-untyped-def]
    admin = _user("demo-admin")
    asked = accounts.admin_set_role(actor=admin, username="demo-leader", role="analyst")
    assert asked.request is not None
    with pytest.raises(grants.NotPending):
        grants.decide(data_access.current().app, asked.request.request_id, status="approved", decided_by=admin.user_id)
    with pytest.raises(sa.exc.IntegrityError), data_access.current().app.begin() as conn:
        conn.execute(access_requests.update().values(decided_by=admin.user_id))


def test_nobody_decides_a_request_about_their_own_account(accounts_only, any_hash) -> None:  # type: ignore[no-untyped-def]
    other = _second_admin(any_hash)
    asked = accounts.admin_set_role(actor=other, username="demo-ig", role="ig_officer", services=["CSC"])
    assert asked.request is not None
    with pytest.raises(AccessDenied, match="your own account"):
        approvals.approve(actor=_user("demo-ig"), request_id=asked.request.request_id)
    approvals.approve(actor=_user("demo-admin"), request_id=asked.request.request_id)
    assert _user("demo-ig").services == ("CSC",)


def test_a_rejected_request_never_applies(accounts_only) -> None:  # type: ignore[no-untyped-def]
    asked = accounts.admin_create_account(actor=_user("demo-admin"), username="jsmith", role="team_manager",
                                          team_ids=["CSC-SGA"])
    assert asked.request is not None
    approvals.reject(actor=_user("demo-ig"), request_id=asked.request.request_id)
    with pytest.raises(AccessDenied, match="not waiting"):
        approvals.approve(actor=_user("demo-ig"), request_id=asked.request.request_id)
    assert users.find_login(data_access.current().app, "jsmith") is None
    assert _changes()[:2] == ["reject", "request"]


@pytest.mark.parametrize("role", ["leadership", "service_manager", "team_manager", "caseworker", "analyst"])
def test_only_approvers_see_or_decide_requests(accounts_only, role: str) -> None:
    asked = accounts.admin_set_role(actor=_user("demo-admin"), username="demo-leader", role="analyst")
    actor = _user(next(n for n, spec in accounts.DEMO_ACCOUNTS.items() if spec["role"] == role))
    for call in (lambda: approvals.list_pending(actor=actor),
                 lambda: approvals.approve(actor=actor, request_id=asked.request.request_id),  # type: ignore[union-attr]
                 lambda: approvals.reject(actor=actor, request_id=asked.request.request_id)):  # type: ignore[union-attr]
        with pytest.raises(AccessDenied):
            call()
    assert _user("demo-leader").role == "leadership"


def test_widening_a_scope_waits_and_narrowing_applies_at_once(accounts_only) -> None:  # type: ignore[no-untyped-def]
    admin = _user("demo-admin")
    before = _user("demo-teammanager")
    wider = accounts.admin_set_role(actor=admin, username="demo-teammanager", role="team_manager",
                                    team_ids=[*before.team_ids, "CSC-SGB"], services=before.services)
    assert wider.request is not None and _user("demo-teammanager").team_ids == before.team_ids
    more_services = accounts.admin_set_role(actor=admin, username="demo-caseworker", role="caseworker",
                                            services=["CSC", "SEND"])
    assert more_services.request is not None
    narrower = accounts.admin_set_role(actor=admin, username="demo-manager", role="service_manager", services=["CSC"])
    assert narrower.user is not None and narrower.user.services == ("CSC",)  # no child rows: at once
    to_leader = accounts.admin_set_role(actor=admin, username="demo-caseworker2", role="leadership")
    assert to_leader.user is not None and to_leader.user.role == "leadership"  # taking rows away: at once


def test_resetting_an_identifiable_account_waits_and_the_approver_gets_the_link(accounts_only) -> None:  # type: ignore[no-untyped-def]
    admin = _user("demo-admin")
    asked = accounts.admin_reset_password(actor=admin, username="demo-caseworker")
    assert asked.link is None and asked.request is not None
    approved = approvals.approve(actor=_user("demo-ig"), request_id=asked.request.request_id)
    assert approved.link is not None and approved.link.username == "demo-caseworker"
    direct = accounts.admin_reset_password(actor=admin, username="demo-leader")
    assert direct.link is not None and direct.request is None  # no child rows: the admin hands it over
    with pytest.raises(AccessDenied):
        accounts.admin_reset_password(actor=admin, username="demo-admin")


def test_a_link_is_single_use(accounts_only) -> None:  # type: ignore[no-untyped-def]
    link = accounts.admin_create_account(actor=_user("demo-admin"), username="lee", role="leadership").link
    assert link is not None and len(link.token) >= 40
    assert setpassword.use_link(link.token, hash_password(PASSWORD)) == "lee"
    assert setpassword.use_link(link.token, hash_password("another long passphrase")) is None
    assert setpassword.check_link(link.token) is None
    assert verify_password(users.find_login(data_access.current().app, "lee")[1], PASSWORD)  # type: ignore[index]
    refused = audit.query_events(data_access.current().app, action="user_admin")[0]
    assert (refused["outcome"], refused["detail"]["change"], refused["detail"]["status"]) == (
        "refused", "link_refused", "used")
    with data_access.current().app.connect() as conn:  # only the hash of the token is stored
        assert link.token not in str(conn.execute(sa.text("SELECT * FROM set_password_tokens")).all())


def test_a_link_expires(accounts_only) -> None:  # type: ignore[no-untyped-def]
    user = accounts.admin_create_account(actor=_user("demo-admin"), username="lee", role="leadership").user
    assert user is not None
    token = "t" * 43
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=data_access.current().settings.set_password_hours + 1)
    grants.add_token(data_access.current().app, user_id=user.user_id, token=token, issued_by=None,
                     hours=data_access.current().settings.set_password_hours, now=long_ago)
    assert setpassword.use_link(token, hash_password(PASSWORD)) is None
    assert users.find_login(data_access.current().app, "lee")[1] is None  # type: ignore[index]
    assert audit.query_events(data_access.current().app, action="user_admin")[0]["detail"]["status"] == "expired"


def test_a_link_for_a_disabled_user_is_refused_and_a_newer_link_spends_the_older(accounts_only) -> None:  # type: ignore[no-untyped-def]
    admin = _user("demo-admin")
    first = accounts.admin_create_account(actor=admin, username="lee", role="leadership").link
    second = accounts.admin_reset_password(actor=admin, username="lee").link
    assert first is not None and second is not None
    assert setpassword.check_link(first.token) is None  # superseded
    accounts.admin_set_active(actor=admin, username="lee", active=False)
    assert setpassword.use_link(second.token, hash_password(PASSWORD)) is None
    assert audit.query_events(data_access.current().app, action="user_admin")[0]["detail"]["status"] == "disabled"
    assert setpassword.check_link("no-such-token-" * 3) is None  # unknown: refused, not recorded


def test_the_set_password_page_sets_a_password_once_over_http(client, auth) -> None:  # type: ignore[no-untyped-def]
    auth.login("demo-admin")
    link = accounts.admin_create_account(actor=_user("demo-admin"), username="lee", role="leadership").link
    assert link is not None
    auth.logout()
    form = client.get(link.path)
    assert form.status_code == 200 and "lee" in form.get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    post = {"csrf_token": csrf, "token": link.token}
    assert client.post("/set-password", data={**post, "password": "qwerty123456", "confirm": "qwerty123456"}
                       ).status_code == 400
    assert client.post("/set-password", data={**post, "password": PASSWORD, "confirm": PASSWORD + "x"}
                       ).status_code == 400
    assert client.post("/set-password", data={"token": link.token, "password": PASSWORD, "confirm": PASSWORD}
                       ).status_code == 400  # no CSRF token
    done = client.post("/set-password", data={**post, "password": PASSWORD, "confirm": PASSWORD})
    assert done.status_code == 200 and "Your password is set" in done.get_data(as_text=True)
    assert client.get(link.path).status_code == 410
    assert client.post("/set-password", data={**post, "password": PASSWORD, "confirm": PASSWORD}).status_code == 410
    assert auth.login("lee", PASSWORD).status_code == 302


def test_an_admin_who_held_an_accounts_link_cannot_ask_for_or_grant_it_identifiable_access(accounts_only, any_hash) -> None:  # type: ignore[no-untyped-def]
    """The gap in four eyes: an admin creates a leadership account (no approval needed), keeps its
    set-password link, then asks for caseworker access for it. Whoever held an account's link may
    control it, so they can neither ask for nor decide identifiable access for it (refused, audited)."""
    admin, second = _user("demo-admin"), _second_admin(any_hash)
    made = accounts.admin_create_account(actor=admin, username="sock-puppet", role="leadership")
    assert made.user is not None and made.link is not None  # applied at once; the admin holds the link
    with pytest.raises(AccessDenied, match="sign-in link"):
        accounts.admin_set_role(actor=admin, username="sock-puppet", role="caseworker", team_ids=["CSC-SGA"],
                                services=["CSC"])
    refused = audit.query_events(data_access.current().app, action="access_refused")[0]
    assert refused["resource"] == "access_requests" and "sign-in link" in refused["reason"]
    asked = accounts.admin_set_role(actor=second, username="sock-puppet", role="caseworker", team_ids=["CSC-SGA"],
                                    services=["CSC"])  # another administrator may ask ...
    assert asked.request is not None
    with pytest.raises(AccessDenied, match="sign-in link"):  # ... but the link holder may not decide
        approvals.approve(actor=admin, request_id=asked.request.request_id)
    assert approvals.approve(actor=_user("demo-ig"), request_id=asked.request.request_id).user is not None
    assert _user("sock-puppet").role == "caseworker"
