"""Art 9 covers what a request filters, selects or drills by, not only the columns it shows.

A list of the children behind "Children open by ethnicity: White British" tells each child's
ethnicity. So: a role without special category permission cannot cross-filter or drill through by
ethnicity, disability, factors at assessment or need (health; see test_art9_health.py) (refused, audited, also when forged); a role with it
gets only the children whose Art 9 condition is recorded for its access, the others counted in the
banded hidden number.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import data_access
from appstore import audit, users
from data_access import AccessDenied, InvalidFilter, policy, records, views
from data_access.records import through

PURPOSE = {"caseworker": "direct_work", "team_manager": "supervision"}
DEMO = {"leadership": "demo-leader", "service_manager": "demo-manager", "team_manager": "demo-teammanager",
        "caseworker": "demo-caseworker", "analyst": "demo-analyst", "ig_officer": "demo-ig", "admin": "demo-admin"}
SPECIAL = sorted(policy.SPECIAL_CATEGORY_VISUALS)
PAGE_OF = {"by_ethnicity": "service_users", "by_disability": "service_users", "factors": "children_in_need",
           "health_checks": "looked_after"}
# SEN primary need (health) is on the SEND page, outside the demo team manager's services: its drill-through
# is covered in test_art9_health.py.
assert set(PAGE_OF) | {"primary_need"} == set(SPECIAL)


@pytest.fixture
def app_users(dash_app):  # type: ignore[no-untyped-def]
    def find(username: str):  # type: ignore[no-untyped-def]
        return users.find_login(data_access.current().app, username)[0]  # type: ignore[index]
    return find


def _refusals(username: str) -> list[dict]:
    return audit.query_events(data_access.current().app, action=audit.AuditAction.ACCESS_REFUSED,
                              username=username, limit=50)


def _first_code(visual: str) -> str:
    """A row of ``visual`` as the (permitted) team manager's page shows it."""
    manager = users.find_login(data_access.current().app, "demo-teammanager")[0]  # type: ignore[index]
    chart = views.PAGE_FUNCTIONS[PAGE_OF[visual]](user=manager, filters={"period_months": 60}).visuals[visual]
    assert chart.available, "control: the team manager sees the breakdown"
    return str(chart.frame["code"].iloc[0])


@pytest.mark.parametrize("role", sorted(DEMO))
@pytest.mark.parametrize("visual", SPECIAL)
def test_selection_by_special_category_follows_the_role(app_users, role: str, visual: str) -> None:  # type: ignore[no-untyped-def]
    """Cross-filter (selection) on a special category chart: only roles allowed the breakdown."""
    user = app_users(DEMO[role])
    state = {"selection": f"{visual}:sex:F"}
    allowed = policy.can(policy.ensure_special_category_aggregates, user)
    assert allowed == (role in ("leadership", "service_manager", "team_manager", "analyst"))
    if allowed:
        views.view_state(user=user, query=state)
        return
    before = len(_refusals(DEMO[role]))
    with pytest.raises(AccessDenied):
        views.view_state(user=user, query=state)
    assert len(_refusals(DEMO[role])) == before + 1


@pytest.mark.parametrize("role", sorted(DEMO))
@pytest.mark.parametrize("visual", sorted(PAGE_OF))
def test_drill_through_by_special_category_follows_the_role(app_users, role: str, visual: str) -> None:  # type: ignore[no-untyped-def]
    """Drill-through by a special category row: only team managers (breakdowns AND fields), and then
    only children whose Art 9 condition is recorded for the manager's access."""
    user = app_users(DEMO[role])
    target = {"from": PAGE_OF[visual], "visual": visual, "code": _first_code(visual), "period_months": "60"}
    purpose = PURPOSE.get(role, "direct_work")
    if role != "team_manager":
        with pytest.raises(AccessDenied):
            records.child_records(user=user, purpose=purpose, drill=target)
        assert _refusals(DEMO[role])[0]["resource"] == "drill_through"
        return
    if visual in ("factors", "health_checks"):  # counted per assessment / per check: not drillable charts
        with pytest.raises(InvalidFilter):
            records.child_records(user=user, purpose=purpose, drill=target)
        return
    page = records.child_records(user=user, purpose=purpose, drill=target, page_size=200)
    assert page.drill is not None
    assert "withheld" not in set(page.rows["ethnicity"]) | set(page.rows["religion"])


def test_forged_drill_by_ethnicity_is_refused_and_audited(app_users) -> None:  # type: ignore[no-untyped-def]
    """A caseworker (no special category breakdowns) forging the drill-through URL or callback body."""
    worker = app_users("demo-caseworker")
    code = _first_code("by_ethnicity")
    for target in ({"from": "service_users", "visual": "by_ethnicity", "code": code},
                   {"from": "service_users", "card": "open", "selection": f"by_ethnicity:sex:{code}"},
                   {"from": "children_in_need", "visual": "factors", "code": "1A"}):
        with pytest.raises(AccessDenied, match="not available to your role"):
            records.check_drill_through(user=worker, drill=target)  # the page's callback
        assert _refusals("demo-caseworker")[0]["resource"] == "drill_through"
        with pytest.raises(AccessDenied):
            records.child_records(user=worker, purpose="direct_work", drill=target)  # the URL
        assert _refusals("demo-caseworker")[0]["resource"] == "drill_through"
    reads = audit.query_events(data_access.current().app, action=audit.AuditAction.RECORD_READ,
                               username="demo-caseworker", limit=50)
    assert not [e for e in reads if "by_ethnicity" in str(e["detail"].get("drill_through", ""))]


def early_help_manager():  # type: ignore[no-untyped-def]
    """A team manager of an early help team: most involvements there rest on consent, and about a fifth
    of those record no Art 9 condition (so the grid masks those children's special category fields)."""
    team = next(t for t, _name, service in data_access.known_teams() if service == "EH")
    return data_access.create_account(username="eh-tm", role="team_manager", local_password=False,
                                      team_ids=(team,), services=("EH",)).user


def test_drill_by_ethnicity_lists_only_children_with_an_art9_condition(app_users) -> None:  # type: ignore[no-untyped-def]
    """The early help manager's list by ethnicity leaves out in-scope children without a recorded Art 9
    condition (whose ethnicity the grid masks) and counts them, banded, as hidden."""
    manager = early_help_manager()
    found = None
    for code in views.service_users_page(user=manager, filters={"period_months": 60}).visuals["by_ethnicity"] \
            .frame["code"]:
        target = {"from": "service_users", "visual": "by_ethnicity", "code": str(code), "period_months": "60"}
        resolved = through.resolve(manager, target)
        assert resolved.art9_only
        # The same list without the Art 9 rule: every in-scope counted child, masked or not.
        plain = records.listing.identifiable_page  # type: ignore[attr-defined]
        access = records._access(manager, "supervision")  # type: ignore[attr-defined]
        filters = data_access.reference.parse_filters(None)
        with data_access.current().analytics.connect() as conn:
            every = plain(conn, access, filters, page=0, page_size=200, sort="surname", descending=False,
                          members=resolved.members)
            counted = conn.execute(sa.select(sa.func.count()).select_from(resolved.members.subquery())).scalar_one()
        masked = every.rows[every.rows["ethnicity"] == "withheld"]
        if not masked.empty:
            found = (target, every, masked, counted)
            break
    assert found is not None, "control: some in-scope child counted by ethnicity has no Art 9 condition"
    target, every, masked, counted = found
    page = records.child_records(user=manager, purpose="supervision", drill=target, page_size=200)
    listed = set(int(c) for c in page.rows["child_id"])
    assert listed == set(int(c) for c in every.rows["child_id"]) - set(int(c) for c in masked["child_id"])
    assert page.drill is not None and page.drill.visible == len(listed)
    assert page.drill.hidden == through.hidden_band(int(counted) - len(listed)) != "none"


def test_a_card_drill_with_a_special_category_selection_is_art9_only(app_users) -> None:  # type: ignore[no-untyped-def]
    """A card's drill-through with a special category chart selected (cross-filter) is drawn by it too."""
    manager = app_users("demo-teammanager")
    assert not through.resolve(manager, {"from": "children_in_need", "card": "referrals"}).art9_only
    assert through.resolve(manager, {"from": "children_in_need", "card": "referrals",
                                     "selection": "factors:sex:F"}).art9_only
