"""Subject access requests: registering, ICO deadlines and extensions, and who may (data_access.sar)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from _rights import identifiers, rich_child, user

import data_access
from appstore import audit
from appstore.subject_rights import sar_requests
from data_access import AccessDenied, InvalidRequest, sar


def _register(who: str = "demo-ig", *, ref: str = "SAR/2026/001", child: str | None = None,
              received: dt.date | None = None, verified: object = True) -> int:
    return sar.register_request(
        user=user(who), case_ref=ref, requester="Pat Example", relationship="parent",
        received=(received or dt.date.today()).isoformat(), child=child or identifiers(rich_child())[0],
        identity_verified=verified, identity_evidence="photo_id")


def _events(action: str, username: str = "demo-ig") -> list[dict]:
    return audit.query_events(data_access.current().app, action=action, username=username, limit=50)


@pytest.mark.parametrize(("received", "due"), [
    (dt.date(2025, 9, 3), dt.date(2025, 10, 3)),  # the ICO's example: 3 September -> 3 October
    (dt.date(2025, 3, 31), dt.date(2025, 4, 30)),  # no 31 April: the last day of the month
    (dt.date(2024, 1, 31), dt.date(2024, 2, 29)),  # leap year
    (dt.date(2025, 10, 4), dt.date(2025, 11, 4)),
    (dt.date(2025, 12, 6), dt.date(2026, 1, 6)),  # over the year end
    (dt.date(2025, 9, 8), dt.date(2025, 10, 8)),
    (dt.date(2025, 10, 11), dt.date(2025, 11, 11)),
    (dt.date(2025, 7, 4), dt.date(2025, 8, 4)),  # 4 August 2025 is a Monday
    (dt.date(2025, 7, 5), dt.date(2025, 8, 5)),
    (dt.date(2025, 9, 6), dt.date(2025, 10, 6)),  # 6 October: Monday
    (dt.date(2025, 10, 18), dt.date(2025, 11, 18)),
    (dt.date(2025, 5, 31), dt.date(2025, 6, 30)),
    (dt.date(2025, 8, 30), dt.date(2025, 9, 30)),
    (dt.date(2025, 10, 25), dt.date(2025, 11, 25)),
    (dt.date(2025, 7, 26), dt.date(2025, 8, 26)),  # 25 August 2025 is the bank holiday, 26th a Tuesday
    (dt.date(2025, 7, 25), dt.date(2025, 8, 26)),  # due Monday 25 August (bank holiday): the next working day
    (dt.date(2025, 10, 1), dt.date(2025, 11, 3)),  # due Saturday 1 November: Monday 3 November
    (dt.date(2025, 11, 25), dt.date(2025, 12, 29)),  # Christmas Day, Boxing Day, then the weekend
])
def test_the_deadline_is_one_calendar_month_moved_off_weekends_and_bank_holidays(received: dt.date,
                                                                                 due: dt.date) -> None:
    assert sar.due_date(received) == due


def test_an_extension_adds_up_to_two_calendar_months() -> None:
    assert sar.due_date(dt.date(2025, 9, 3), 2) == dt.date(2025, 12, 3)
    assert sar.due_date(dt.date(2025, 3, 31), 1) == dt.date(2025, 6, 2)  # 31 May is a Saturday: Monday 2 June


def test_ig_registers_a_request_named_by_la_child_id_or_upn(dash_app) -> None:  # type: ignore[no-untyped-def]
    child = rich_child()
    la_id, upn = identifiers(child)
    first = _register(child=la_id)
    second = _register(ref="SAR-2026-002", child=str(upn).lower(), received=dt.date.today() - dt.timedelta(days=40))
    with data_access.current().app.connect() as conn:
        rows = {r.sar_id: r for r in conn.execute(sa.select(sar_requests))}
    assert rows[first].child_id == rows[second].child_id == child
    assert rows[first].identity_verified and rows[first].identity_evidence == "photo_id"
    listed = sar.open_requests(user=user("demo-ig"))
    assert [r["sar_id"] for r in listed] == [second, first]  # soonest deadline first
    old = listed[0]
    assert old["overdue"] and old["due"] == sar.due_date(dt.date.today() - dt.timedelta(days=40))
    assert old["days_left"] == (old["due"] - dt.date.today()).days < 0
    assert not listed[1]["overdue"] and listed[1]["due"] == sar.due_date(dt.date.today())
    assert not any(la_id in str(v) or str(upn) in str(v) for r in listed for v in r.values())  # no child data
    registered = _events("subject_access")
    assert [(e["detail"]["step"], e["child_ids"]) for e in registered] == [("registered", (child,))] * 2


@pytest.mark.parametrize(("change", "message"), [
    ({"verified": False}, "identity was verified"),
    ({"verified": "true"}, "identity was verified"),
    ({"child": "NOT-A-CHILD"}, "No child has that LA child ID or UPN"),
    ({"ref": "x"}, "case reference"),
    ({"received": dt.date.today() + dt.timedelta(days=1)}, "between 2000 and today"),
])
def test_an_incomplete_request_is_refused_and_audited(dash_app, change: dict, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidRequest, match=message):
        _register(**change)
    with data_access.current().app.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(sar_requests)).scalar() == 0
    assert _events("access_refused")[0]["resource"] == "sar"


def test_a_case_reference_is_registered_once(dash_app) -> None:  # type: ignore[no-untyped-def]
    _register()
    with pytest.raises(InvalidRequest, match="already registered"):
        _register()


def test_extension_needs_a_reason_stays_within_two_months_and_the_first_month(dash_app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    ig = user("demo-ig")
    number = _register(received=dt.date.today() - dt.timedelta(days=3))
    reason = "Complex: records from three services and two earlier requests from the same person."
    with pytest.raises(InvalidRequest, match="at most two"):
        sar.extend_request(user=ig, sar_id=number, months=3, reason=reason)
    with pytest.raises(InvalidRequest, match="reason"):
        sar.extend_request(user=ig, sar_id=number, months=2, reason="busy")
    due = sar.extend_request(user=ig, sar_id=str(number), months="2", reason=reason)
    assert due == sar.due_date(dt.date.today() - dt.timedelta(days=3), 2)
    (row,) = sar.open_requests(user=ig)
    assert (row["extension_months"], row["extension_reason"], row["due"]) == (2, reason, due)
    assert _events("subject_access")[0]["detail"] == {"sar_id": number, "step": "extended", "months": 2}
    late = _register(ref="SAR-LATE", received=dt.date.today() - dt.timedelta(days=45))
    with pytest.raises(InvalidRequest, match="first month has run out"):
        sar.extend_request(user=ig, sar_id=late, months=1, reason=reason)


def test_a_completed_request_leaves_the_open_list(dash_app) -> None:  # type: ignore[no-untyped-def]
    ig = user("demo-ig")
    number = _register()
    sar.complete_request(user=ig, sar_id=number)
    assert sar.open_requests(user=ig) == []
    with pytest.raises(InvalidRequest, match="already closed"):
        sar.complete_request(user=ig, sar_id=number)


@pytest.mark.parametrize("username", ["demo-caseworker", "demo-teammanager", "demo-analyst", "demo-admin",
                                      "demo-leader"])
def test_only_information_governance_handles_requests(dash_app, username: str) -> None:  # type: ignore[no-untyped-def]
    number = _register()
    who = user(username)
    calls = [lambda: _register(username, ref="SAR-OTHER"), lambda: sar.open_requests(user=who),
             lambda: sar.extend_request(user=who, sar_id=number, months=1, reason="x" * 30),
             lambda: sar.complete_request(user=who, sar_id=number)]
    for call in calls:
        with pytest.raises(AccessDenied, match="Only information governance"):
            call()
    refused = _events("access_refused", username)
    assert len(refused) == len(calls) and {e["resource"] for e in refused} == {"sar"}
    assert [r["sar_id"] for r in sar.open_requests(user=user("demo-ig"))] == [number]


@pytest.mark.parametrize("forged", [None, "", "1x", -1, 0, 2**70, True, ["1"], {"sar_id": 1}, 999])
def test_forged_request_numbers_are_refused(dash_app, forged: object) -> None:  # type: ignore[no-untyped-def]
    _register()
    with pytest.raises(InvalidRequest):
        sar.complete_request(user=user("demo-ig"), sar_id=forged)
