"""The IG review of break-glass grants (``data_access.records.glass_review``): what was opened under a
grant and for how long, outcomes with notes, the reviewed history, and refusals."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from test_access_log import _outsiders, ensure_accounts, last_events, user

import data_access
from appstore import tables
from data_access import InvalidRequest, records

pytestmark = pytest.mark.usefixtures("configured")
WHY = "Missing since six tonight, police asking for the history."


@pytest.fixture(autouse=True)
def _accounts(configured) -> None:  # type: ignore[no-untyped-def]
    ensure_accounts()


def _break_glass(child: int, reads: int, who: str = "demo-caseworker") -> dict[str, Any]:
    records.open_break_glass(user=user(who), child_id=child, reason="missing_child", justification=WHY)
    for _ in range(reads):
        records.child_record(user=user(who), purpose="vital_interests", child_id=child)
    return next(g for g in records.break_glass_review_list(user=user("demo-ig")) if g["child_id"] == child)


def test_each_grant_shows_its_justification_duration_and_what_was_opened() -> None:
    opened, untouched, other = _outsiders(3)
    grant = _break_glass(opened, reads=2)
    idle = _break_glass(untouched, reads=0)
    # a read of another child under another grant, and a direct-work read, are not this grant's
    _break_glass(other, reads=1)
    records.child_records(user=user("demo-caseworker"), purpose="direct_work", page_size=5)
    assert grant["justification"] == WHY and grant["reason"] == "Missing child"
    assert grant["granted_hours"] == pytest.approx(data_access.current().settings.break_glass_hours)
    assert grant["reads"] == 2 and grant["first_read"] <= grant["last_read"]
    assert grant["granted_at"] <= grant["first_read"] < grant["expires_at"]
    expected = records.child_record(user=user("demo-ig"), purpose="subject_access_request", child_id=opened).fields
    assert set(grant["fields"]) <= set(expected) and "birth_date" in grant["fields"]
    assert idle["reads"] == 0 and idle["fields"] == () and idle["first_read"] is None


def test_reads_after_the_grant_expired_are_not_counted() -> None:
    child = _outsiders(1)[0]
    grant = _break_glass(child, reads=1)
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).isoformat()
    with data_access.current().app.begin() as conn:  # the grant ended a minute ago
        conn.execute(tables.break_glass_grants.update().where(tables.break_glass_grants.c.grant_id == grant["grant_id"])
                     .values(expires_at=past))
    (after,) = records.break_glass_review_list(user=user("demo-ig"))
    assert after["reads"] == 0


def test_a_review_is_kept_with_its_reviewer_outcome_and_note_in_the_history() -> None:
    first, second = _outsiders(2)
    a, b = _break_glass(first, reads=1), _break_glass(second, reads=0)
    records.review_break_glass(user=user("demo-ig"), grant_id=a["grant_id"], outcome="justified", note="")
    records.review_break_glass(user=user("demo-ig"), grant_id=b["grant_id"], outcome="referred",
                               note="Opened nothing; ask why the grant was needed.")
    assert records.break_glass_review_list(user=user("demo-ig")) == []
    history = records.break_glass_review_history(user=user("demo-ig"))
    assert [(h["grant_id"], h["reviewer"], h["review_outcome"], h["outcome"]) for h in history] == [
        (b["grant_id"], "demo-ig", "referred", "Referred for investigation"),
        (a["grant_id"], "demo-ig", "justified", "Justified")]
    assert history[0]["review_note"] == "Opened nothing; ask why the grant was needed."
    assert history[1]["reads"] == 1 and not any(h["overdue"] for h in history)
    assert [e["detail"]["outcome"] for e in last_events("break_glass_review", 2)] == ["referred", "justified"]


@pytest.mark.parametrize("outcome", ["not_justified", "referred"])
def test_flagging_a_grant_needs_a_note(outcome: str) -> None:
    grant = _break_glass(_outsiders(1)[0], reads=0)
    with pytest.raises(InvalidRequest, match="note"):
        records.review_break_glass(user=user("demo-ig"), grant_id=grant["grant_id"], outcome=outcome, note="  bad ")
    assert last_events("access_refused", 1)[0]["resource"] == "break_glass_review"
    with data_access.current().app.connect() as conn:
        assert conn.execute(sa.select(tables.break_glass_grants.c.reviewed_at)).scalar_one() is None


def test_an_overdue_grant_is_marked() -> None:
    grant = _break_glass(_outsiders(1)[0], reads=0)
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(days=6)).isoformat()
    with data_access.current().app.begin() as conn:
        conn.execute(tables.break_glass_grants.update().values(granted_at=old))
    (after,) = records.break_glass_review_list(user=user("demo-ig"))
    assert after["grant_id"] == grant["grant_id"] and after["overdue"] is True


@pytest.mark.parametrize("username", ["demo-caseworker", "demo-teammanager", "demo-analyst", "demo-admin",
                                      "demo-leader"])
def test_other_roles_cannot_see_the_queue_or_the_history(username: str) -> None:
    for call in (records.break_glass_review_list, records.break_glass_review_history):
        with pytest.raises(data_access.AccessDenied, match="information governance"):
            call(user=user(username))
    refused = [e for e in last_events("access_refused", 2) if e["username"] == username]
    assert [e["resource"] for e in refused] == ["break_glass_review", "break_glass_review"]
