"""Consent withdrawals at query time, surviving a rebuild; rectification requests (data_access.consent)."""

from __future__ import annotations

import datetime as dt
import os
import shutil

import pytest
import sqlalchemy as sa
from _rights import AS_OF, consent_case, identifiers, make_eh_caseworker, rich_child, user

import data_access
from appstore import audit
from appstore.subject_rights import consent_withdrawals, rectification_requests
from data_access import AccessDenied, InvalidRequest, consent, records, sar_pack
from model.settings import Settings

TODAY = dt.date.today().isoformat()


def _can_open(who, child: int, purpose: str = "direct_work") -> bool:  # type: ignore[no-untyped-def]
    try:
        records.child_record(user=who, purpose=purpose, child_id=child)
    except AccessDenied:
        return False
    return True


def _listed(who, child: int) -> bool:  # type: ignore[no-untyped-def]
    page = records.child_records(user=who, purpose="direct_work", page_size=50,
                                 search={"la_child_id": identifiers(child)[0]})
    return child in set(int(c) for c in page.rows["child_id"])


def test_a_withdrawal_stops_reads_that_relied_on_consent(dash_app) -> None:  # type: ignore[no-untyped-def]
    worker, team, child, involvement = consent_case()
    caseworker = make_eh_caseworker(worker, team)
    la_id, _upn = identifiers(child)
    assert _can_open(caseworker, child) and _listed(caseworker, child)
    ig = user("demo-ig")
    (listed,) = [r for r in consent.consent_involvements(user=ig, child=la_id) if r["involvement_id"] == involvement]
    assert listed["withdrawn_here"] == "" and listed["withdrawn_in_source"] == ""
    number = consent.record_withdrawal(user=ig, child=la_id, involvement_id=str(involvement), purpose="all",
                                       withdrawn_on=TODAY, note="Phoned the duty desk.")
    assert not _can_open(caseworker, child) and not _listed(caseworker, child)
    refused = audit.query_events(data_access.current().app, action="access_refused", username=caseworker.username)
    assert refused[0]["child_ids"] == (child,) and refused[0]["resource"] == "child"
    (again,) = [r for r in consent.consent_involvements(user=ig, child=la_id) if r["involvement_id"] == involvement]
    assert again["withdrawn_here"] == f"Every purpose that relies on this consent from {TODAY}"
    (event,) = audit.query_events(data_access.current().app, action="consent_withdrawal", username="demo-ig")
    assert event["child_ids"] == (child,) and event["detail"] == {
        "withdrawal_id": number, "involvement_id": involvement, "consent_purpose": "all", "withdrawn_date": TODAY}
    # A subject access request still covers the data, however it was held.
    assert _can_open(ig, child, "subject_access_request")


def test_a_withdrawal_follows_its_involvement_when_a_refresh_renumbers_them(dash_app) -> None:  # type: ignore[no-untyped-def]
    worker, team, child, involvement = consent_case()
    caseworker = make_eh_caseworker(worker, team)
    consent.record_withdrawal(user=user("demo-ig"), child=identifiers(child)[0], involvement_id=involvement,
                              purpose="all", withdrawn_on=TODAY)
    with data_access.current().app.begin() as conn:  # as if a refresh had given the involvement another number
        conn.execute(consent_withdrawals.update().values(involvement_id=involvement + 7))
    assert consent.withdrawn_involvements("direct_work", AS_OF) == (involvement,)  # matched by child, service,
    assert not _can_open(caseworker, child)  # type and start date, not by the number it had


def test_a_withdrawal_for_one_purpose_leaves_the_others(dash_app) -> None:  # type: ignore[no-untyped-def]
    worker, team, child, involvement = consent_case()
    caseworker = make_eh_caseworker(worker, team)
    consent.record_withdrawal(user=user("demo-ig"), child=identifiers(child)[0], involvement_id=involvement,
                              purpose="supervision", withdrawn_on=TODAY)
    assert _can_open(caseworker, child)  # direct work still has the consent
    assert consent.withdrawn_involvements("supervision", AS_OF) == (involvement,)
    assert consent.withdrawn_involvements("direct_work", AS_OF) == ()


def test_a_withdrawal_dated_in_the_future_waits_for_its_date(dash_app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    worker, team, child, involvement = consent_case()
    make_eh_caseworker(worker, team)
    consent.record_withdrawal(user=user("demo-ig"), child=identifiers(child)[0], involvement_id=involvement,
                              purpose="all", withdrawn_on=TODAY)
    monkeypatch.setattr("data_access.sar.today", lambda: dt.date.today() - dt.timedelta(days=1))
    assert consent.withdrawn_involvements("direct_work", AS_OF) == ()  # yesterday it had not been withdrawn


def test_the_withdrawal_survives_a_rebuild_of_the_analytics_store(settings: Settings, demo_store, tmp_path,  # type: ignore[no-untyped-def]
                                                                  make_app) -> None:
    from refresh import demo

    copy = tmp_path / "analytics.duckdb"
    shutil.copyfile(demo_store, copy)
    make_app(Settings.from_env({}, data_dir=tmp_path, analytics_url=f"duckdb:///{copy}",
                               app_db_url=settings.app_db_url, demo=True))
    worker, team, child, involvement = consent_case()
    caseworker = make_eh_caseworker(worker, team)
    consent.record_withdrawal(user=user("demo-ig"), child=identifiers(child)[0], involvement_id=involvement,
                              purpose="all", withdrawn_on=TODAY)
    consent.record_rectification(user=user("demo-ig"), child=identifiers(child)[0], field="postcode",
                                 correction="Moved last spring.", received=TODAY)
    assert not _can_open(caseworker, child)
    before = os.stat(copy).st_ino
    demo.build(f"duckdb:///{copy}", seed=20250331, scale=1.0, as_of=AS_OF, progress=False)
    assert os.stat(copy).st_ino != before  # a new store was swapped in
    with data_access.current().analytics.connect() as conn:  # it says consent stands, as the source does
        row = conn.execute(sa.text("SELECT lawful_basis, consent_withdrawn_date FROM involvements "
                                   "WHERE involvement_id = :i"), {"i": involvement}).one()
    assert tuple(row) == ("consent", None)
    assert not _can_open(caseworker, child) and not _listed(caseworker, child)  # still withdrawn
    (rect,) = consent.open_rectifications(user=user("demo-ig"))
    assert rect["field"] == "Postcode" and rect["correction"] == "Moved last spring."


@pytest.mark.parametrize(("change", "message"), [
    ({"involvement_id": "other_child"}, "this child's involvements held under consent"),
    ({"involvement_id": "not_consent"}, "this child's involvements held under consent"),
    ({"involvement_id": "1; DROP TABLE"}, "involvement"),
    ({"purpose": "vital_interests"}, "purpose"),
    ({"withdrawn_on": "2000-02-30"}, "not a calendar date"),
    ({"withdrawn_on": "1999-12-31"}, "between 2000 and today"),
    ({"child": "NOBODY"}, "No child has that LA child ID or UPN"),
])
def test_a_forged_or_wrong_withdrawal_is_refused_and_audited(dash_app, change: dict, message: str) -> None:  # type: ignore[no-untyped-def]
    _worker, _team, child, involvement = consent_case()
    with data_access.current().analytics.connect() as conn:
        other = conn.execute(sa.text("SELECT min(involvement_id) FROM involvements WHERE child_id <> :c "
                                     "AND lawful_basis = 'consent'"), {"c": child}).scalar_one()
        public = conn.execute(sa.text("SELECT min(involvement_id) FROM involvements WHERE lawful_basis <> 'consent'")
                              ).scalar_one()
    values = {"child": identifiers(child)[0], "involvement_id": involvement, "purpose": "all", "withdrawn_on": TODAY}
    values.update(change)
    values["involvement_id"] = {"other_child": other, "not_consent": public}.get(values["involvement_id"],
                                                                                 values["involvement_id"])
    with pytest.raises(InvalidRequest, match=message):
        consent.record_withdrawal(user=user("demo-ig"), **values)
    with data_access.current().app.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(consent_withdrawals)).scalar() == 0
    refused = audit.query_events(data_access.current().app, action="access_refused", username="demo-ig", limit=1)
    assert refused[0]["resource"] == "consent"


@pytest.mark.parametrize("username", ["demo-caseworker", "demo-teammanager", "demo-analyst", "demo-admin"])
def test_only_information_governance_records_withdrawals_and_rectifications(dash_app, username: str) -> None:  # type: ignore[no-untyped-def]
    _worker, _team, child, involvement = consent_case()
    la_id = identifiers(child)[0]
    who = user(username)
    calls = [lambda: consent.consent_involvements(user=who, child=la_id),
             lambda: consent.record_withdrawal(user=who, child=la_id, involvement_id=involvement, purpose="all",
                                               withdrawn_on=TODAY),
             lambda: consent.record_rectification(user=who, child=la_id, field="surname", correction="x",
                                                  received=TODAY),
             lambda: consent.open_rectifications(user=who),
             lambda: consent.decide_rectification(user=who, rectification_id=1, outcome="rectified")]
    for call in calls:
        with pytest.raises(AccessDenied, match="Only information governance"):
            call()
    refused = audit.query_events(data_access.current().app, action="access_refused", username=username)
    assert len(refused) == len(calls)
    assert consent.withdrawn_involvements("direct_work", AS_OF) == ()


def test_a_rectification_request_is_recorded_then_decided(dash_app) -> None:  # type: ignore[no-untyped-def]
    ig = user("demo-ig")
    child = rich_child()
    la_id = identifiers(child)[0]
    number = consent.record_rectification(user=ig, child=la_id, field="birth_date", received=TODAY,
                                          correction="Born on the 12th, not the 21st.")
    assert [r["rectification_id"] for r in consent.open_rectifications(user=ig)] == [number]
    with pytest.raises(InvalidRequest, match="note"):
        consent.decide_rectification(user=ig, rectification_id=number, outcome="refused")
    consent.decide_rectification(user=ig, rectification_id=str(number), outcome="rectified",
                                 note="Corrected in the case management system.")
    assert consent.open_rectifications(user=ig) == []
    with data_access.current().app.connect() as conn:
        row = conn.execute(sa.select(rectification_requests)).one()
    assert (row.outcome, row.outcome_note, row.decided_by) == ("rectified", "Corrected in the case management system.",
                                                               ig.user_id)
    events = audit.query_events(data_access.current().app, action="rectification", username="demo-ig")
    assert [(e["detail"]["step"], e["child_ids"]) for e in events] == [("decided", (child,)), ("recorded", (child,))]
    assert not any("21st" in str(e) for e in events)  # the correction's text is never in the trail
    with pytest.raises(InvalidRequest, match="no rectification request waiting"):
        consent.decide_rectification(user=ig, rectification_id=number, outcome="refused", note="too late")
    number_of = sar_pack.app_store_sections(child)["rectification_requests"]
    assert [r["rectification_id"] for r in number_of] == [number]
