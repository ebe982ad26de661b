"""Break-glass a council can defend: a reason from the list, a justification in real words, a per-user
limit past which IG is alerted, a short lifetime, and every grant on the IG review list until reviewed
(overdue after N days)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
import sqlalchemy as sa

import data_access
from appstore import audit, tables, users
from data_access import AccessDenied, records
from data_access.records.break_glass import justification_problem
from data_access.records.listing import InvalidRequest
from model import codes
from model.settings import Settings

GOOD = "Police report the child missing tonight; the duty worker needs contacts urgently."


@pytest.fixture
def app_users(dash_app):  # type: ignore[no-untyped-def]
    def find(username: str):  # type: ignore[no-untyped-def]
        return users.find_login(data_access.current().app, username)[0]  # type: ignore[index]
    return find


def _events(action: str, username: str) -> list[dict]:
    return audit.query_events(data_access.current().app, action=action, username=username, limit=50)


def _grants() -> list[dict]:
    with data_access.current().app.connect() as conn:
        return [r._asdict() for r in conn.execute(sa.select(tables.break_glass_grants))]


def test_settings_defaults_and_environment(tmp_path) -> None:  # type: ignore[no-untyped-def]
    default = Settings.from_env({}, data_dir=tmp_path)
    assert (default.break_glass_hours, default.break_glass_limit, default.break_glass_review_days) == (4, 3, 5)
    env = {"CSI_BREAK_GLASS_HOURS": "2", "CSI_BREAK_GLASS_LIMIT": "1", "CSI_BREAK_GLASS_REVIEW_DAYS": "3"}
    chosen = Settings.from_env(env, data_dir=tmp_path)
    assert (chosen.break_glass_hours, chosen.break_glass_limit, chosen.break_glass_review_days) == (2, 1, 3)


def test_reasons_are_the_defined_list() -> None:
    assert list(codes.BREAK_GLASS_REASON.values()) == [
        "Immediate risk of significant harm", "Out-of-hours emergency", "Missing child",
        "Other urgent safeguarding need"]


@pytest.mark.parametrize("text", [
    "xxxxxxxxxxxxxxxxxxxx", "aaaa bbbb", "aaaa bbbb cccc dddd eeee ffff", "asdf asdf qwerty zxcvbnm hjkl",
    "sdfkjh wqrtpl mnbvcx lkjhgf dfghjk", "help help help help help help help", "1234567890 1234567890 123",
    "urgent!!!!!!! now please", "qwertyuiop asdfghjkl zxcvbnm", "poiuytrewq lkjhgfdsa mnbvcxz", "too short",
    "ok ok ok ok ok ok ok ok ok ok", "Need it now pls. Need it now pls.",
])
def test_junk_justifications_are_refused(text: str) -> None:
    assert justification_problem(text) is not None


@pytest.mark.parametrize("text", [
    GOOD, "Urgent safeguarding concern out of hours.", "Child at immediate risk; need the family's address.",
    "Hospital called at 2am: child admitted with injuries, need the plan.", "Missing since 6pm, police asking for history",
    "Property fire at the home; need contacts for the strengths assessment.",
])
def test_real_justifications_are_accepted(text: str) -> None:
    assert justification_problem(text) is None


@pytest.mark.parametrize("reason", [None, "", "bogus", ["missing_child"], 3])
def test_a_reason_from_the_list_is_required(app_users, reason: object) -> None:  # type: ignore[no-untyped-def]
    worker = app_users("demo-caseworker")
    with pytest.raises(AccessDenied, match="Choose the reason"):
        records.open_break_glass(user=worker, child_id=5, reason=reason, justification=GOOD)
    assert _events("access_refused", "demo-caseworker")[0]["resource"] == "break_glass"
    assert not _grants()


@pytest.mark.parametrize("text", ["xxxxxxxxxxxxxxxxxxxx", "aaaa bbbb", "asdf jkl qwerty zxcv uiop hjkl", 42])
def test_junk_is_refused_and_audited(app_users, text: object) -> None:  # type: ignore[no-untyped-def]
    worker = app_users("demo-caseworker")
    with pytest.raises(AccessDenied):
        records.open_break_glass(user=worker, child_id=5, reason="missing_child", justification=text)
    event = _events("access_refused", "demo-caseworker")[0]
    assert event["resource"] == "break_glass" and list(event["child_ids"]) == [5]
    assert not _grants()


def test_a_grant_lasts_the_configured_hours_and_records_its_reason(app_users) -> None:  # type: ignore[no-untyped-def]
    worker = app_users("demo-caseworker")
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    expires = records.open_break_glass(user=worker, child_id=5, reason="immediate_risk", justification=GOOD)
    assert dt.timedelta(hours=4) <= expires - before < dt.timedelta(hours=4, minutes=1)
    assert records.live_break_glass_children(worker) == (5,)
    (grant,) = _grants()
    assert (grant["reason_code"], grant["status"], grant["reviewed_at"]) == ("immediate_risk", "granted", None)
    event = _events("break_glass", "demo-caseworker")[0]
    assert event["detail"]["reason_code"] == "immediate_risk"


def test_past_the_limit_refused_and_ig_alerted(app_users) -> None:  # type: ignore[no-untyped-def]
    worker, ig = app_users("demo-caseworker"), app_users("demo-ig")
    for child in (5, 6, 7):
        records.open_break_glass(user=worker, child_id=child, reason="missing_child", justification=GOOD)
    with pytest.raises(AccessDenied, match="Information governance has been alerted"):
        records.open_break_glass(user=worker, child_id=8, reason="missing_child", justification=GOOD)
    assert records.live_break_glass_children(worker) == (5, 6, 7)  # the refused request is never live
    alert = _events("break_glass_limit", "demo-caseworker")[0]
    assert alert["outcome"] == "refused" and list(alert["child_ids"]) == [8]
    review = records.break_glass_review_list(user=ig)
    assert [(r["child_id"], r["status"]) for r in review][0] == (8, "refused_limit")
    assert sorted(r["child_id"] for r in review if r["status"] == "granted") == [5, 6, 7]
    # Another user has their own limit; and grants older than 24 hours no longer count.
    records.open_break_glass(user=app_users("demo-caseworker2"), child_id=8, reason="missing_child",
                             justification=GOOD)
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=25)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with data_access.current().app.begin() as conn:
        conn.execute(tables.break_glass_grants.update().where(tables.break_glass_grants.c.child_id == 5)
                     .values(granted_at=old))
    records.open_break_glass(user=worker, child_id=9, reason="missing_child", justification=GOOD)


def test_the_limit_is_configurable(app_users) -> None:  # type: ignore[no-untyped-def]
    stores = data_access.current()
    stores.settings = dataclasses.replace(stores.settings, break_glass_limit=1)
    worker = app_users("demo-teammanager")
    records.open_break_glass(user=worker, child_id=5, reason="out_of_hours", justification=GOOD)
    with pytest.raises(AccessDenied):
        records.open_break_glass(user=worker, child_id=6, reason="out_of_hours", justification=GOOD)
    assert _events("break_glass_limit", "demo-teammanager")


def test_review_list_marks_overdue_and_review_clears_it(app_users) -> None:  # type: ignore[no-untyped-def]
    worker, ig = app_users("demo-caseworker"), app_users("demo-ig")
    records.open_break_glass(user=worker, child_id=5, reason="missing_child", justification=GOOD)
    records.open_break_glass(user=worker, child_id=6, reason="other_urgent", justification=GOOD)
    g = tables.break_glass_grants.c
    for child, days in ((5, 6), (6, 4)):
        when = (dt.datetime.now(dt.UTC) - dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        with data_access.current().app.begin() as conn:
            conn.execute(tables.break_glass_grants.update().where(g.child_id == child).values(granted_at=when))
    review = {r["child_id"]: r for r in records.break_glass_review_list(user=ig)}
    assert review[5]["overdue"] and not review[6]["overdue"]
    assert review[6]["reason"] == "Other urgent safeguarding need" and review[6]["justification"] == GOOD
    with pytest.raises(AccessDenied):
        records.review_break_glass(user=worker, grant_id=review[5]["grant_id"], outcome="justified")
    with pytest.raises(InvalidRequest):
        records.review_break_glass(user=ig, grant_id=review[5]["grant_id"], outcome="fine by me")
    records.review_break_glass(user=ig, grant_id=review[5]["grant_id"], outcome="justified", note="Checked.")
    assert [r["child_id"] for r in records.break_glass_review_list(user=ig)] == [6]
    with pytest.raises(InvalidRequest):  # reviewed once only
        records.review_break_glass(user=ig, grant_id=review[5]["grant_id"], outcome="referred")
    assert _events("break_glass_review", "demo-ig")[0]["detail"]["outcome"] == "justified"
