"""Drill-through from a chart row or KPI card to the children behind it (data_access level).

The children listed are exactly those counted (checked against direct SQL), limited to the user's
scope, with the number they cannot see suppressed; roles without identifiable rows and forged
requests are refused and audited.
"""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

import data_access
from appstore import audit, users
from data_access import AccessDenied, InvalidFilter, protection, records, views
from data_access.aggregates import drill
from data_access.records.listing import InvalidRequest
from model import schema

E = schema.cin_episodes.c
PURPOSE = {"caseworker": "direct_work", "team_manager": "supervision"}


@pytest.fixture
def app_users(dash_app):  # type: ignore[no-untyped-def]
    def find(username: str):  # type: ignore[no-untyped-def]
        return users.find_login(data_access.current().app, username)[0]  # type: ignore[index]
    return find


def scope_ids(user, purpose: str) -> set[int]:  # type: ignore[no-untyped-def]
    out: set[int] = set()
    page = 0
    while True:
        got = records.child_records(user=user, purpose=purpose, page=page, page_size=200)
        out |= set(int(c) for c in got.rows["child_id"])
        if len(got.rows) < 200:
            return out
        page += 1


def drilled(user, purpose: str, target: dict) -> tuple[set[int], records.Page]:  # type: ignore[no-untyped-def]
    first = records.child_records(user=user, purpose=purpose, page=0, page_size=200, drill=target)
    ids = set(int(c) for c in first.rows["child_id"])
    assert first.total == len(ids) or first.total > 200
    return ids, first


def send_manager():  # type: ignore[no-untyped-def]
    """A team manager of the first SEND team (the demo accounts are all in children's social care)."""
    team = next(t for t, _name, service in data_access.known_teams() if service == "SEND")
    return data_access.create_account(username="send-tm", role="team_manager", local_password=False,
                                      team_ids=(team,), services=("SEND",)).user


def counted(sql: sa.Select) -> set[int]:
    with data_access.current().analytics.connect() as conn:
        return {int(r[0]) for r in conn.execute(sql)}


def test_a_bar_lists_exactly_the_counted_children_in_scope(app_users) -> None:  # type: ignore[no-untyped-def]
    manager = app_users("demo-teammanager")
    data = views.children_in_need_page(user=manager, filters={"period_months": 24})
    chart = data.visuals["by_source"]
    code = next(c for c, v in zip(chart.frame["code"], chart.frame["referrals"], strict=True)
                if v != "c" and int(v) > 20)
    target = {"from": "children_in_need", "visual": "by_source", "code": code, "period_months": "24"}
    ids, page = drilled(manager, "supervision", target)
    # Direct SQL: children with a referral from this source in the period (the page's own window).
    behind = counted(sa.select(E.child_id).where(E.referral_source == code, E.referral_date >= data.first_day,
                                                 E.referral_date <= data.last_day).distinct())
    mine = scope_ids(manager, "supervision")
    assert ids == behind & mine and ids  # every child listed was counted and is in scope
    hidden = len(behind - mine)
    assert page.drill.visible == len(ids)
    from data_access.records import through

    assert page.drill.hidden == through.hidden_band(hidden)  # banded: never the exact number
    assert hidden == 0 or page.drill.hidden != str(hidden)
    assert page.drill_title == f"{chart.title}: {chart.frame.set_index('code').loc[code, 'label']}"


def test_a_kpi_card_lists_its_counted_children(app_users) -> None:  # type: ignore[no-untyped-def]
    worker = app_users("demo-caseworker")
    data = views.children_in_need_page(user=worker, filters={})
    assert any(k.key == "cp_open" for k in data.cards)
    ids, page = drilled(worker, "direct_work", {"from": "children_in_need", "card": "cp_open"})
    cp = schema.cp_plans.c
    day = data.last_day
    behind = counted(sa.select(cp.child_id).where(cp.start_date <= day, sa.or_(cp.end_date.is_(None),
                                                                              cp.end_date > day)).distinct())
    assert ids == behind & scope_ids(worker, "direct_work")
    assert page.drill.visible == len(ids)


def test_a_time_bucket_and_a_slicer_narrow_the_children(app_users) -> None:  # type: ignore[no-untyped-def]
    manager = app_users("demo-teammanager")
    data = views.children_in_need_page(user=manager, filters={"sex": "F"})
    month = data.visuals["referrals_time"].frame["code"].iloc[-2]
    first, last = month.split("_")
    ids, _ = drilled(manager, "supervision", {"from": "children_in_need", "visual": "referrals_time",
                                               "code": month, "sex": "F"})
    ch = schema.children.c
    behind = counted(sa.select(E.child_id).join(schema.children, ch.child_id == E.child_id).where(
        ch.sex == "F", E.referral_date >= first, E.referral_date <= last).distinct())
    assert ids == behind & scope_ids(manager, "supervision")


@pytest.mark.parametrize("page,visual", [
    ("service_users", "by_sex"), ("service_users", "by_service"), ("interventions", "by_type"),
    ("interventions", "outcomes"), ("send", "primary_need"), ("trends", "trend"), ("overview", "trend"),
    ("children_in_need", "closures"), ("children_in_need", "cp_category"), ("send", "timeliness_20w"),
])
def test_every_page_drills_through_within_scope(app_users, page: str, visual: str) -> None:  # type: ignore[no-untyped-def]
    manager = app_users("demo-teammanager") if page != "send" else send_manager()
    data = views.PAGE_FUNCTIONS[page](user=manager, filters={"period_months": 60})
    chart = data.visuals[visual]
    assert chart.available
    code = chart.frame["code"].iloc[0]
    ids, page_ = drilled(manager, "supervision", {"from": page, "visual": visual, "code": code,
                                                  "period_months": "60"})
    assert ids <= scope_ids(manager, "supervision")
    assert page_.drill is not None


def test_members_match_the_chart_counts_for_child_level_charts(configured) -> None:  # type: ignore[no-untyped-def]
    """Where a chart counts children (Service users by sex), its drill-through members are those children:
    as many, and with their keys the value the chart publishes (``protection.shown``)."""
    class Leader:
        role, user_id, username, team_ids, services, worker_id = "leadership", 0, "t", (), (), None
    data = views.service_users_page(user=Leader(), filters={})  # type: ignore[arg-type]
    parsed, services = views.authorised_filters(Leader(), {})  # type: ignore[arg-type]
    with data_access.current().analytics.connect() as conn:
        ctx = views.page_context(conn, parsed, services, True, data.as_of)
        ch = schema.children.c
        threshold = data_access.current().settings.suppression_threshold
        for code, shown in zip(data.visuals["by_sex"].frame["code"], data.visuals["by_sex"].frame["children"],
                               strict=True):
            members = drill.members(ctx, "service_users", visual="by_sex", code=code).subquery()
            n, keysum = conn.execute(sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(ch.rkey), 0))
                                     .select_from(members.join(schema.children, ch.child_id == members.c.child_id))
                                     ).one()
            assert shown == protection.shown(protection.Count(n, int(keysum)), threshold=threshold), code


@pytest.mark.parametrize("username,purpose", [("demo-analyst", "statutory_return"), ("demo-leader", "direct_work"),
                                              ("demo-manager", "direct_work"), ("demo-ig", "subject_access_request")])
def test_roles_without_identifiable_rights_are_refused_and_audited(app_users, username: str, purpose: str) -> None:  # type: ignore[no-untyped-def]
    user = app_users(username)
    with pytest.raises(AccessDenied):
        records.child_records(user=user, purpose=purpose, drill={"from": "children_in_need", "card": "cp_open"})
    events = audit.query_events(data_access.current().app, action=audit.AuditAction.ACCESS_REFUSED,
                                username=username, limit=5)
    assert events and events[0]["resource"] == "drill_through"


@pytest.mark.parametrize("target", [
    {"from": "children_in_need", "visual": "by_source", "code": "NOPE"},
    {"from": "children_in_need", "visual": "nope", "code": "1A"},
    {"from": "children_in_need", "card": "no_card"},
    {"from": "nowhere", "card": "cp_open"},
    {"from": "children_in_need", "card": "cp_open", "visual": "by_source", "code": "1A"},
    {"from": "children_in_need", "card": "cp_open", "sex": "X"},
    {"from": "children_in_need", "card": "cp_open", "child_id": "1"},
    {"from": ["children_in_need"], "card": "cp_open"},
    {"from": "children_in_need", "card": "x" * 500},
    "children_in_need",
])
def test_forged_drill_through_is_refused_and_audited(app_users, target: object) -> None:  # type: ignore[no-untyped-def]
    worker = app_users("demo-caseworker")
    with pytest.raises((InvalidFilter, AccessDenied, InvalidRequest)):
        records.child_records(user=worker, purpose="direct_work", drill=target)
    events = audit.query_events(data_access.current().app, action=audit.AuditAction.ACCESS_REFUSED,
                                username="demo-caseworker", limit=1)
    assert events[0]["resource"] == "drill_through"


def test_drill_through_read_is_audited_with_its_target(app_users) -> None:  # type: ignore[no-untyped-def]
    worker = app_users("demo-caseworker")
    ids, _ = drilled(worker, "direct_work", {"from": "children_in_need", "card": "referrals"})
    event = audit.query_events(data_access.current().app, action=audit.AuditAction.RECORD_READ,
                               username="demo-caseworker", limit=1)[0]
    assert event["detail"]["drill_through"] == "children_in_need/card=referrals"
    assert set(event["child_ids"]) == ids


def test_hidden_count_is_banded_when_the_clicked_value_was_suppressed(app_users) -> None:  # type: ignore[no-untyped-def]
    from data_access.records import through

    worker = app_users("demo-caseworker")
    found = None
    for months in (12, 3):  # the first drillable bar shown as c, over a year or a quarter
        data = views.children_in_need_page(user=worker, filters={"period_months": months})
        for visual, column in (("closures", "episodes"), ("by_source", "referrals")):
            frame: pd.DataFrame = data.visuals[visual].frame
            small = frame[frame[column] == "c"]
            if found is None and not small.empty:
                found = ({"from": "children_in_need", "visual": visual, "code": small["code"].iloc[0],
                          "period_months": str(months)})
    assert found is not None, "control: the demo data has a bar shown as c"
    resolved = through.resolve(worker, found)
    with data_access.current().analytics.connect() as conn:
        assert through.counts(conn, resolved, 0).hidden == "fewer than 10"  # banded, never the count


def test_name_and_id_search_runs_in_the_database_within_scope(app_users) -> None:  # type: ignore[no-untyped-def]
    worker = app_users("demo-caseworker")
    everyone = records.child_records(user=worker, purpose="direct_work", page_size=200).rows
    surname = everyone["surname"].dropna().iloc[0]
    found = records.child_records(user=worker, purpose="direct_work", page_size=200,
                                  search={"name": surname[:3].lower()}).rows
    assert len(found) and set(found["child_id"]) <= set(everyone["child_id"])
    assert all(str(f).lower().startswith(surname[:3].lower()) or str(s).lower().startswith(surname[:3].lower())
               for f, s in zip(found["forename"], found["surname"], strict=True))
    la = everyone["la_child_id"].iloc[0]
    by_id = records.child_records(user=worker, purpose="direct_work", search={"la_child_id": la}).rows
    assert list(by_id["la_child_id"]) == [la]
    wild = records.child_records(user=worker, purpose="direct_work", search={"name": "%"}).rows
    assert wild.empty  # a LIKE wildcard is matched literally, never as "everything"
    event = audit.query_events(data_access.current().app, action=audit.AuditAction.RECORD_READ,
                               username="demo-caseworker", limit=1)[0]
    assert event["detail"]["searched"] == "name" and "%" not in str(event)


@pytest.mark.parametrize("search", [{"name": ""}, {"name": "x" * 41}, {"upn": "A"}, {"name": 3}, "smith",
                                    {"name": "a\x00b"}])
def test_malformed_search_is_refused(app_users, search: object) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidRequest):
        records.child_records(user=app_users("demo-caseworker"), purpose="direct_work", search=search)


def test_pseudonymised_rows_cannot_be_searched_by_name(app_users) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(AccessDenied):
        records.child_records(user=app_users("demo-analyst"), purpose="statutory_return", search={"name": "smi"})
    events = audit.query_events(data_access.current().app, action=audit.AuditAction.ACCESS_REFUSED,
                                username="demo-analyst", limit=1)
    assert events[0]["resource"] == "records"
