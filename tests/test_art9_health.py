"""Health is special category data too (UK GDPR Art 9): the need slicer (a CIN primary need, N2 is the
child's disability or illness; or a SEN primary need) and the SEND page's "Active plans by primary
need" chart. A role without special category permission cannot filter, cross-filter or drill through
by them (refused and audited); a role with it can, and a drill-through by them lists only children
whose Art 9 condition is recorded for its access (``art9_only``).
"""

from __future__ import annotations

import pytest

import data_access
from appstore import audit, users
from data_access import AccessDenied, policy, records, views
from data_access.aggregates import send
from data_access.records import through

DEMO = {"leadership": "demo-leader", "service_manager": "demo-manager", "team_manager": "demo-teammanager",
        "caseworker": "demo-caseworker"}
ALLOWED = {"leadership", "service_manager", "team_manager"}
NEEDS = ("N2", "SEMH")  # a CIN primary need and a SEN primary need
SELECTIONS = ("primary_need:need:SEMH", "by_source:need:N2")


@pytest.fixture
def app_users(dash_app):  # type: ignore[no-untyped-def]
    def find(username: str):  # type: ignore[no-untyped-def]
        return users.find_login(data_access.current().app, username)[0]  # type: ignore[index]
    return find


def _refusals(username: str) -> list[dict]:
    return audit.query_events(data_access.current().app, action=audit.AuditAction.ACCESS_REFUSED,
                              username=username, limit=50)


def _send_account(role: str):  # type: ignore[no-untyped-def]
    team = next(t for t, _name, service in data_access.known_teams() if service == "SEND")
    return data_access.create_account(username=f"send-{role}", role=role, local_password=False,
                                      team_ids=(team,), services=("SEND",)).user


def _check(user, username: str, allowed: bool, call) -> None:  # type: ignore[no-untyped-def]
    if allowed:
        call()
        return
    before = len(_refusals(username))
    with pytest.raises(AccessDenied, match="health"):
        call()
    assert len(_refusals(username)) == before + 1


def test_the_policy_lists_health() -> None:
    assert "primary_need" in policy.SPECIAL_CATEGORY_VISUALS and "need" in policy.SPECIAL_CATEGORY_DIMS
    assert policy.can(policy.ensure_special_category_aggregates, None) is False


@pytest.mark.parametrize("role", sorted(DEMO))
@pytest.mark.parametrize("need", NEEDS)
def test_need_filter_follows_the_role(app_users, role: str, need: str) -> None:  # type: ignore[no-untyped-def]
    user = app_users(DEMO[role])
    allowed = role in ALLOWED
    assert allowed == policy.can(policy.ensure_special_category_aggregates, user)
    _check(user, DEMO[role], allowed, lambda: views.view_state(user=user, query={"need": need}))
    page = views.children_in_need_page if need.startswith("N") else views.send_page
    _check(user, DEMO[role], allowed, lambda: page(user=user, filters={"need": need}))


@pytest.mark.parametrize("role", sorted(DEMO))
@pytest.mark.parametrize("selection", SELECTIONS)
def test_selection_by_need_follows_the_role(app_users, role: str, selection: str) -> None:  # type: ignore[no-untyped-def]
    user = app_users(DEMO[role])
    _check(user, DEMO[role], role in ALLOWED, lambda: views.view_state(user=user, query={"selection": selection}))


def test_caseworker_drill_by_health_is_refused_and_audited(app_users) -> None:  # type: ignore[no-untyped-def]
    worker = app_users("demo-caseworker")
    for target in ({"from": "send", "visual": "primary_need", "code": "SEMH"},
                   {"from": "send", "card": "ehc_active", "selection": "primary_need:need:SEMH"},
                   {"from": "children_in_need", "card": "referrals", "selection": "by_source:need:N2"},
                   {"from": "children_in_need", "card": "referrals", "need": "N2"}):
        with pytest.raises(AccessDenied, match="not available to your role"):
            records.check_drill_through(user=worker, drill=target)
        assert _refusals("demo-caseworker")[0]["resource"] == "drill_through"
        with pytest.raises(AccessDenied):
            records.child_records(user=worker, purpose="direct_work", drill=target)
        assert _refusals("demo-caseworker")[0]["resource"] == "drill_through"


def test_team_manager_drill_by_health_is_art9_only(app_users) -> None:  # type: ignore[no-untyped-def]
    manager = _send_account("team_manager")
    chart = views.send_page(user=manager, filters={"period_months": 60}).visuals["primary_need"]
    assert chart.available, "control: the SEND team manager sees primary need"
    code = str(chart.frame["code"].iloc[0])
    target = {"from": "send", "visual": "primary_need", "code": code, "period_months": "60"}
    assert through.resolve(manager, target).art9_only
    page = records.child_records(user=manager, purpose="supervision", drill=target, page_size=200)
    assert page.drill is not None
    cin = app_users("demo-teammanager")
    assert not through.resolve(cin, {"from": "children_in_need", "card": "referrals"}).art9_only
    assert through.resolve(cin, {"from": "children_in_need", "card": "referrals", "need": "N2"}).art9_only


def test_send_primary_need_chart_is_unavailable_without_permission(app_users) -> None:  # type: ignore[no-untyped-def]
    worker = _send_account("caseworker")
    data = views.send_page(user=worker, filters={"period_months": 60})
    chart = data.visuals["primary_need"]
    assert not chart.available and chart.frame.empty
    assert data.visuals["placements"].available, "control: the rest of the SEND page is shown"
    assert chart.message == send.SPECIAL
