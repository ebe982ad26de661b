"""The IG access log (``data_access.access_log``): who saw this child, patterns, export, chain verification.

Real stores: the session's demo analytics store and a fresh SQLite app store per test; reads are made
through ``data_access.records`` as the demo users, so the trail holds what the app really writes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

import pytest
import sqlalchemy as sa

import data_access
from appstore import audit, tables, users
from data_access import InvalidRequest, access_log, records
from data_access.access_log.criteria import LONDON, parse_criteria
from data_access.access_log.patterns import Hours
from data_access.records.listing import pseudonym
from model import schema

pytestmark = pytest.mark.usefixtures("configured")


def user(username: str) -> Any:
    found = users.find_login(data_access.current().app, username)
    assert found is not None
    return found[0]


def ensure_accounts() -> None:
    data_access.ensure_demo_accounts(password_hash=lambda: "$argon2id$v=19$m=8,t=1,p=1$x$y")


@pytest.fixture(autouse=True)
def _accounts(configured) -> None:  # type: ignore[no-untyped-def]
    ensure_accounts()


def child_row(child_id: int) -> tuple[str, str | None]:
    with data_access.current().analytics.connect() as conn:
        row = conn.execute(sa.select(schema.children.c.la_child_id, schema.children.c.upn)
                           .where(schema.children.c.child_id == child_id)).one()
    return str(row[0]), row[1]


def last_events(action: str, limit: int = 5) -> list[dict[str, Any]]:
    return audit.query_events(data_access.current().app, action=action, limit=limit)


def a_caseload_child(username: str = "demo-caseworker") -> int:
    listed = records.child_records(user=user(username), purpose="direct_work", page_size=50).rows
    with_upn = [int(c) for c, upn in zip(listed["child_id"], listed["upn"], strict=True) if isinstance(upn, str)]
    return with_upn[0]


def test_search_by_la_child_id_answers_who_when_why_and_basis() -> None:
    child = a_caseload_child()
    records.child_record(user=user("demo-caseworker"), purpose="direct_work", child_id=child)
    la, _upn = child_row(child)
    log = access_log.search(user=user("demo-ig"), criteria={"child": la})
    assert log.child_found is True
    reads = [e for e in log.entries if e.action == "record_read" and e.resource == "child"]
    assert [(e.username, e.role, e.purpose, e.outcome) for e in reads] == \
        [("demo-caseworker", "Caseworker", "direct_work", "allowed")]
    assert reads[0].lawful_basis not in ("", "-")
    assert reads[0].when.startswith(dt.datetime.now(LONDON).strftime("%Y-%m-%d"))
    # the list read that showed the child is there too, and nothing about other children only
    assert any(e.resource == "records" for e in log.entries)
    searched = last_events("audit_search", 1)[0]
    assert searched["username"] == "demo-ig" and searched["child_ids"] == (child,)
    assert searched["purpose"] == "ig_audit" and searched["lawful_basis"] == "legal_obligation"
    assert la not in json.dumps(searched, default=str)  # the identifier typed is never in the trail


def test_search_by_upn_finds_the_same_child_and_analysts_pseudonymised_reads() -> None:
    child = a_caseload_child()
    la, upn = child_row(child)
    assert upn
    seen = records.child_records(user=user("demo-analyst"), purpose="service_planning", page_size=200).rows
    key = data_access.current().settings.pseudonym_key
    mine = pseudonym(key, la)
    log = access_log.search(user=user("demo-ig"), criteria={"child": upn.lower()})
    assert log.child_found is True
    analyst = [e for e in log.entries if e.username == "demo-analyst"]
    if mine in set(seen["pseudo_id"]):  # the child was on the analyst's page: matched by its pseudonym
        assert analyst and analyst[0].pseudonymised and analyst[0].purpose == "service_planning"
    else:
        assert analyst == []
    # and a child on the analyst's page is always found through the pseudonym the read was audited with
    shown = str(seen["pseudo_id"].iloc[0])
    with data_access.current().analytics.connect() as conn:
        las = [str(r[0]) for r in conn.execute(sa.select(schema.children.c.la_child_id))]
    other = next(x for x in las if pseudonym(key, x) == shown)
    hits = access_log.search(user=user("demo-ig"), criteria={"child": other}).entries
    assert [(e.username, e.pseudonymised) for e in hits if e.action == "record_read"] == [("demo-analyst", True)]


def test_an_unknown_child_finds_nothing_and_the_search_is_still_audited() -> None:
    log = access_log.search(user=user("demo-ig"), criteria={"child": "NOSUCHCHILD"})
    assert log.child_found is False and log.entries == [] and log.total == 0
    event = last_events("audit_search", 1)[0]
    assert event["child_ids"] == () and event["detail"]["child_found"] is False
    assert "NOSUCHCHILD" not in json.dumps(event, default=str)


def test_search_by_user_action_and_days() -> None:
    child = a_caseload_child()
    records.child_record(user=user("demo-caseworker"), purpose="direct_work", child_id=child)
    records.child_records(user=user("demo-caseworker2"), purpose="direct_work", page_size=10)
    today = dt.datetime.now(LONDON).date()
    by_user = access_log.search(user=user("demo-ig"), criteria={"username": "demo-caseworker2"}).entries
    assert by_user and {e.username for e in by_user} == {"demo-caseworker2"}
    by_action = access_log.search(user=user("demo-ig"), criteria={"action": "record_read"}).entries
    assert {e.action for e in by_action} == {"record_read"}
    assert {"demo-caseworker", "demo-caseworker2"} <= {e.username for e in by_action}
    past = access_log.search(user=user("demo-ig"), criteria={
        "since": (today - dt.timedelta(days=20)).isoformat(), "until": (today - dt.timedelta(days=2)).isoformat()})
    assert past.entries == [] and past.total == 0


@pytest.mark.parametrize("username", ["demo-caseworker", "demo-teammanager", "demo-leader", "demo-analyst",
                                      "demo-admin", "demo-manager"])
def test_other_roles_are_refused_and_the_refusal_audited(username: str) -> None:
    for call in (access_log.search, access_log.export_csv):
        with pytest.raises(data_access.AccessDenied, match="information governance"):
            call(user=user(username), criteria={"child": "X1"})
    with pytest.raises(data_access.AccessDenied):
        access_log.verify_chain(user=user(username))
    refused = [e for e in last_events("access_refused", 10) if e["username"] == username]
    assert [e["resource"] for e in refused[:3]] == ["audit_chain", "access_log", "access_log"]
    assert last_events("audit_search") == [] and last_events("export") == []


def test_no_user_is_refused() -> None:
    with pytest.raises(data_access.AccessDenied):
        access_log.search(user=None, criteria={})


TODAY = dt.date(2026, 12, 6)


@pytest.mark.parametrize(("criteria", "field"), [
    ({"child": "1' OR '1'='1"}, "child"),
    ({"child": "x; DROP TABLE audit_events"}, "child"),
    ({"child": ["A1"]}, "child"),
    ({"child": "A" * 21}, "child"),
    ({"username": "demo-ig' --"}, "username"),
    ({"username": 7}, "username"),
    ({"action": "everything"}, "action"),
    ({"action": ["record_read"]}, "action"),
    ({"since": "2026-02-30"}, "since"),
    ({"since": "06/12/2026"}, "since"),
    ({"until": "2026-12-06T00:00"}, "until"),
    ({"until": 20261206}, "until"),
    ({"since": "2026-12-06", "until": "2026-12-01"}, "until"),
    ({"since": "2000-01-01", "until": "2026-12-06"}, "too long"),
    ({"since": "1900-01-01", "until": "1900-01-02"}, "since"),
    ({"where": "1=1"}, "may not have"),
    ("child=A1", "named fields"),
])
def test_malformed_or_forged_criteria_are_refused(criteria: object, field: str) -> None:
    with pytest.raises(InvalidRequest, match=field):
        parse_criteria(criteria, today=TODAY)


def test_a_forged_search_is_refused_audited_and_its_text_not_kept() -> None:
    with pytest.raises(InvalidRequest, match="child"):
        access_log.search(user=user("demo-ig"), criteria={"child": "A123456789012' OR 1=1 --"})
    refused = last_events("access_refused", 1)[0]
    assert refused["resource"] == "access_log" and refused["username"] == "demo-ig"
    assert "OR 1=1" not in refused["reason"] and "A123456789012" not in refused["reason"]
    assert last_events("audit_search") == []


def test_default_days_and_the_largest_range() -> None:
    assert parse_criteria({}, today=TODAY).since == TODAY - dt.timedelta(days=29)
    wide = parse_criteria({"since": "2025-12-06", "until": "2026-12-06"}, today=TODAY)
    assert wide.days == access_log.MAX_DAYS


@pytest.mark.parametrize(("utc", "outside"), [
    ("2026-12-07T08:30:00+00:00", False),  # Monday 08:30 GMT
    ("2026-12-07T07:59:00+00:00", True),  # before eight
    ("2026-12-07T18:00:00+00:00", True),  # at the end
    ("2026-12-05T12:00:00+00:00", True),  # Saturday
    ("2026-12-25T12:00:00+00:00", True),  # Christmas Day
    ("2026-07-06T07:30:00+00:00", False),  # 08:30 BST on a Monday
    ("2026-07-06T17:30:00+00:00", True),  # 18:30 BST
    ("2026-08-31T12:00:00+00:00", True),  # summer bank holiday
])
def test_out_of_hours_is_judged_in_london_time(utc: str, outside: bool) -> None:
    assert Hours.parse("08:00-18:00").outside(utc) is outside


@pytest.mark.parametrize("text", ["8-18", "18:00-08:00", "08:00-24:30", "25:00-26:00", ""])
def test_bad_working_hours_setting_names_the_variable(text: str) -> None:
    with pytest.raises(ValueError, match="CSI_IG_WORKING_HOURS"):
        Hours.parse(text)


def _outsiders(count: int) -> list[int]:
    theirs = records.child_records(user=user("demo-caseworker2"), purpose="direct_work", page_size=200).rows
    mine = set(records.child_records(user=user("demo-caseworker"), purpose="direct_work", page_size=200)
               .rows["child_id"])
    return [int(c) for c in theirs["child_id"] if int(c) not in mine][:count]


def test_a_user_reading_many_children_outside_their_caseload_is_flagged() -> None:
    for child in _outsiders(5):
        with pytest.raises(data_access.AccessDenied):
            records.child_record(user=user("demo-caseworker"), purpose="direct_work", child_id=child)
    records.child_records(user=user("demo-caseworker2"), purpose="direct_work", page_size=20)  # in scope
    log = access_log.search(user=user("demo-ig"), criteria={})
    flagged = {(f.kind, f.username, f.count) for f in log.patterns if f.kind == "outside_caseload"}
    assert flagged == {("outside_caseload", "demo-caseworker", 5)}
    refused = [e for e in log.entries if e.username == "demo-caseworker" and e.action == "access_refused"]
    assert len(refused) == 5 and all("refused_child" in e.flags for e in refused)


def test_four_refused_reads_stay_under_the_threshold() -> None:
    for child in _outsiders(4):
        with pytest.raises(data_access.AccessDenied):
            records.child_record(user=user("demo-caseworker"), purpose="direct_work", child_id=child)
    assert [f for f in access_log.search(user=user("demo-ig"), criteria={}).patterns
            if f.kind == "outside_caseload"] == []


def _grant(username: str, child: int, when: dt.datetime) -> None:
    with tables.write_transaction(data_access.current().app) as conn:
        conn.execute(tables.break_glass_grants.insert().values(
            user_id=user(username).user_id, child_id=child, reason_code="missing_child", status="granted",
            justification="Missing since six tonight, police asking for the history.",
            granted_at=tables.iso_utc(when), expires_at=tables.iso_utc(when + dt.timedelta(hours=4))))


def test_break_glass_above_the_usual_rate_is_flagged_and_a_usual_rate_is_not() -> None:
    outsiders = _outsiders(2)
    for child in outsiders:
        records.open_break_glass(user=user("demo-caseworker"), child_id=child, reason="missing_child",
                                 justification="Missing since six tonight, police asking for the history.")
        records.child_record(user=user("demo-caseworker"), purpose="vital_interests", child_id=child)
    log = access_log.search(user=user("demo-ig"), criteria={"username": "demo-caseworker"})
    assert [(f.kind, f.count) for f in log.patterns if f.kind == "break_glass_rate"] == [("break_glass_rate", 2)]
    assert all("break_glass" in e.flags for e in log.entries if e.purpose == "vital_interests")
    # a colleague who breaks glass this often every month is not unusual
    now = dt.datetime.now(dt.UTC)
    for days in range(35, 125, 3):
        _grant("demo-caseworker2", outsiders[0], now - dt.timedelta(days=days))
    for child in _outsiders(2):
        _grant("demo-caseworker2", child, now - dt.timedelta(hours=1))
    records.child_records(user=user("demo-caseworker2"), purpose="direct_work", page_size=5)
    log = access_log.search(user=user("demo-ig"), criteria={"username": "demo-caseworker2"})
    assert [f for f in log.patterns if f.kind == "break_glass_rate"] == []


def test_export_is_a_csv_with_its_context_and_is_audited() -> None:
    child = a_caseload_child()
    records.child_record(user=user("demo-caseworker"), purpose="direct_work", child_id=child)
    la, _ = child_row(child)
    file = access_log.export_csv(user=user("demo-ig"), criteria={"child": la})
    assert file.mimetype == "text/csv" and file.filename.startswith("access-log-")
    rows = list(csv.reader(io.StringIO(file.content.decode("utf-8-sig"))))
    context = {r[0]: r[1] for r in rows if len(r) == 2}
    assert context["Exported by"] == "demo-ig" and context["Child"] == f"record {records.record_ref(child)}"
    header = rows.index(list(access_log.search.__globals__["HEADER"]))
    body = rows[header + 1:]
    assert any(r[2] == "demo-caseworker" and r[4] == "record_read" and r[7] == "direct_work" for r in body)
    event = last_events("export", 1)[0]
    assert event["resource"] == "export:access_log" and event["child_ids"] == (child,)
    assert event["detail"]["format"] == "csv" and la not in json.dumps(event, default=str)
    assert la not in file.content.decode("utf-8-sig")  # nor in the file: the child by record reference


def test_export_cells_a_spreadsheet_would_run_are_text() -> None:
    with pytest.raises(data_access.AccessDenied):
        records.declare_purpose(user=user("demo-caseworker"), purpose="=cmd|' /C calc'!A0")
    file = access_log.export_csv(user=user("demo-ig"), criteria={"username": "demo-caseworker"})
    text = file.content.decode("utf-8-sig")
    assert "=cmd" in text and ",=cmd" not in text and "'=cmd" in text


def test_chain_verification_reports_the_latest_checkpoint_and_is_audited() -> None:
    records.child_records(user=user("demo-caseworker"), purpose="direct_work", page_size=5)
    check = access_log.verify_chain(user=user("demo-ig"))
    assert check.ok and check.checked > 0
    head_seq, _ = audit.chain_head(data_access.current().app)
    assert check.checkpoint_seq == head_seq - 1  # signed before the verification's own entry
    event = last_events("audit_verify", 1)[0]
    assert event["outcome"] == "success" and event["detail"]["checkpoint_seq"] == check.checkpoint_seq
    assert event["detail"]["intact"] is True


def test_chain_verification_finds_an_edited_entry() -> None:
    records.child_records(user=user("demo-caseworker"), purpose="direct_work", page_size=5)
    records.child_records(user=user("demo-caseworker2"), purpose="direct_work", page_size=5)
    engine = data_access.current().app
    with engine.begin() as conn:
        for name in ("audit_events_no_update", "audit_events_no_delete"):
            conn.exec_driver_sql(f"DROP TRIGGER {name}")
        conn.execute(tables.audit_events.update().where(tables.audit_events.c.seq == 2).values(username="someone"))
    check = access_log.verify_chain(user=user("demo-ig"))
    assert not check.ok and "entry seq 2" in check.lines[0] and "edited" in check.lines[0]
    event = last_events("audit_verify", 1)[0]
    assert event["outcome"] == "failure" and event["detail"]["intact"] is False


def test_single_reads_of_children_no_longer_allocated_count_as_outside_the_caseload() -> None:
    from dataclasses import replace

    from data_access.records.scope import check_access, scope_subquery

    worker = user("demo-caseworker")
    stores = data_access.current()

    def scope(grace: int) -> set[int]:
        access = check_access(worker, "direct_work", day=data_access.as_of(), grace_days=grace)
        with stores.analytics.connect() as conn:
            return {int(r[0]) for r in conn.execute(sa.select(scope_subquery(access).c.child_id))}
    ended = sorted(scope(stores.settings.caseworker_grace_days) - scope(0))  # in the grace period only
    assert ended, "the demo caseworker has allocations that ended within the grace period"
    stores.settings = replace(stores.settings, ig_outside_caseload_children=len(ended))
    for child in ended:
        records.child_record(user=worker, purpose="direct_work", child_id=child)  # allowed: grace period
    records.child_records(user=worker, purpose="direct_work", page_size=200)  # a list read is not counted
    log = access_log.search(user=user("demo-ig"), criteria={"username": "demo-caseworker"})
    assert [(f.kind, f.count) for f in log.patterns if f.kind == "outside_caseload"] == \
        [("outside_caseload", len(ended))]
    stores.settings = replace(stores.settings, ig_outside_caseload_children=len(ended) + 1)
    log = access_log.search(user=user("demo-ig"), criteria={"username": "demo-caseworker"})
    assert [f for f in log.patterns if f.kind == "outside_caseload"] == []


def test_identifiers_smuggled_into_the_trail_are_withheld_from_the_log() -> None:
    child = a_caseload_child()
    la, upn = child_row(child)
    with data_access.current().analytics.connect() as conn:
        fore, sur = conn.execute(sa.select(schema.children.c.forename, schema.children.c.surname)
                                 .where(schema.children.c.child_id == child)).one()
    data_access.current().trail.record(audit.AuditEvent(  # a failed sign-in: the username is whatever was typed
        action=audit.AuditAction.LOGIN_FAILED, outcome="failure", username=la, reason=f"typed {fore} {sur}"))
    with pytest.raises(data_access.AccessDenied):  # a forged purpose is audited as sent
        records.declare_purpose(user=user("demo-caseworker"), purpose=f"{upn} born 2012-03-04 ZZ1 1ZZ")
    log = access_log.search(user=user("demo-ig"), criteria={})
    shown = json.dumps([e.__dict__ for e in log.entries])
    for secret in (la, upn, fore, sur, "2012-03-04", "ZZ1 1ZZ"):
        assert secret not in shown
    assert "[withheld]" in shown and "demo-caseworker" in shown and "Caseworker" in shown
    file = access_log.export_csv(user=user("demo-ig"), criteria={}).content.decode("utf-8-sig")
    assert la not in file and upn not in file and sur not in file
