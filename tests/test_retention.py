"""Retention on demo data with moved data dates: report, dry run, run, and what archiving and
destruction change at query time (``data_access.retention``).

The demo store (as_of 2025-10-31) is copied with its data date moved to 2030-03-31 (archive) and
2050-03-31 (destruction: 25 years after the 25th birthday), sharing one app store, so the state
set at one date is applied with the others (as after a rebuild of the analytics store).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa
from _moved import opened, store_at, user

import data_access
from appstore import audit, users
from data_access import AccessDenied, InvalidRequest, records, retention
from data_access.policy import Purpose
from data_access.records.scope import scope_subquery

ARCHIVE_DAY, DESTROY_DAY = dt.date(2030, 3, 31), dt.date(2050, 3, 31)


def _count(path: Path, sql: str, *args: object) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return int(con.execute(sql, list(args)).fetchone()[0])  # type: ignore[index]
    finally:
        con.close()


def _events(action: str) -> list[dict]:
    return audit.query_events(data_access.current().app, action=action)


def _scoped(username: str, purpose: str, *, retention_state: bool = True) -> set[int]:
    access = records._access(user(username), purpose)
    access = access if retention_state else replace(access, withheld=())
    with data_access.current().analytics.connect() as conn:
        return set(conn.execute(sa.select(scope_subquery(access).c.child_id)).scalars())


def test_archive_then_destroy_at_moved_data_dates(demo_store: Path, tmp_path: Path) -> None:
    at_2030, at_2050 = store_at(demo_store, tmp_path, ARCHIVE_DAY), store_at(demo_store, tmp_path, DESTROY_DAY)
    due_2030 = _count(demo_store, "SELECT count(*) FROM children WHERE retention_date <= ?", ARCHIVE_DAY)
    with opened(tmp_path, at_2030):
        ig = user("demo-ig")
        before = retention.retention_report(user=ig)
        assert (before.data_date, before.due_archive, before.archived, before.destroyed) == (ARCHIVE_DAY, due_2030, 0, 0)
        plan = retention.dry_run(user=ig, step="archive")
        assert (plan.records, plan.rule) == (due_2030, retention.ARCHIVE_RULE)
        assert plan.latest is not None and plan.latest <= ARCHIVE_DAY
        assert sum(n for _, n in plan.by_year) == due_2030 and plan.by_year[-1][0] == ARCHIVE_DAY.year
        assert dict(plan.by_year)[2021] == _count(demo_store, "SELECT count(*) FROM children WHERE "
                                                  "year(retention_date) = 2021")
        assert retention.retention_report(user=ig).archived == 0  # a dry run changes nothing
        done = retention.run(user=ig, step="archive", token=plan.token)
        assert done.records == due_2030
        after = retention.retention_report(user=ig)
        assert (after.due_archive, after.archived) == (0, due_2030)
        print(f"\narchive at {ARCHIVE_DAY}: dry run {plan.records} records, run archived {done.records}")
        with pytest.raises(InvalidRequest, match="already been carried out"):
            retention.run(user=ig, step="archive", token=plan.token)  # one use
        logged = _events("retention")
        assert [e["detail"].get("dry_run") for e in logged if e["detail"]["step"] == "archive"] == [None, True]

    due_2050 = _count(demo_store, "SELECT count(*) FROM children WHERE retention_date <= ?",
                      retention.add_years(DESTROY_DAY, -25))
    with opened(tmp_path, at_2050):
        ig = user("demo-ig")
        report = retention.retention_report(user=ig)
        assert (report.due_destroy, report.archived) == (due_2050, due_2030)
        plan = retention.dry_run(user=ig, step="destroy")
        assert plan.records == due_2050 > 0
        done = retention.run(user=ig, step="destroy", token=plan.token)
        assert done.records == due_2050
        print(f"destroy at {DESTROY_DAY}: dry run {plan.records} records, run destroyed {done.records}")
        final = retention.retention_report(user=ig)
        assert (final.destroyed, final.archived, final.due_destroy) == (due_2050, due_2030 - due_2050, 0)
        (certificate,) = _events("destruction_certificate")
        assert certificate["seq"] == done.audit_seq and certificate["username"] == "demo-ig"
        assert certificate["detail"]["rule"] == retention.DESTROY_RULE
        assert certificate["detail"]["data_date"] == DESTROY_DAY.isoformat()
        assert certificate["detail"]["rows_children"] == due_2050
        assert certificate["detail"]["rows_involvements"] > 0
        assert certificate["child_ids"] == () and len(certificate["pseudonyms"]) == due_2050  # pseudonyms only
        la_ids = {la for (la,) in duckdb.connect(str(at_2050), read_only=True).execute(
            "SELECT la_child_id FROM children WHERE retention_date <= ?", [retention.add_years(DESTROY_DAY, -25)]
        ).fetchall()}
        text = repr(certificate)
        assert not any(la in text for la in la_ids)

    # Back on the store as it was built (as after a rebuild): the state holds at query time.
    with opened(tmp_path, demo_store):
        engine = data_access.current().app
        with engine.connect() as conn:
            state = dict(conn.execute(sa.text(
                "SELECT child_id, destroyed_at IS NOT NULL FROM retention_records")).all())
        archived = {c for c, gone in state.items() if not gone}
        destroyed = {c for c, gone in state.items() if gone}
        # Archived children still inside their retention date on this older data date are withheld all the same.
        without = _scoped("demo-analyst", "statutory_return", retention_state=False)
        statutory = _scoped("demo-analyst", "statutory_return")
        assert len(without & archived) > 100 and not statutory & (archived | destroyed)
        assert statutory == without - archived - destroyed
        ig = user("demo-ig")
        kept = min(without & archived)  # archived, but inside its retention date on this data date
        for purpose in ("subject_access_request", "legal_claims"):
            assert records.child_record(user=ig, purpose=purpose, child_id=kept).child_id == kept
            with pytest.raises(AccessDenied):
                records.child_record(user=ig, purpose=purpose, child_id=min(destroyed))
        refused = [e for e in _events("access_refused") if e["resource"] == "child"]
        assert refused and refused[0]["child_ids"] == (min(destroyed),)
        # Break-glass (vital interests) does not reach an archived record either.
        worker = user("demo-caseworker")
        records.open_break_glass(user=worker, child_id=kept, reason="missing_child",
                                 justification="Missing since six tonight, police asking for the history.")
        with pytest.raises(AccessDenied):
            records.child_record(user=worker, purpose="vital_interests", child_id=kept)


def test_a_run_does_exactly_its_dry_run_or_nothing(demo_store: Path, tmp_path: Path) -> None:
    with opened(tmp_path, store_at(demo_store, tmp_path, ARCHIVE_DAY)):
        ig = user("demo-ig")
        other = users.create_user(data_access.current().app, username="ig-two", role="ig_officer",
                                  password_hash=None, display_name="Second IG officer")
        first = retention.dry_run(user=ig, step="archive")
        with pytest.raises(InvalidRequest, match="officer who ran the dry run"):
            retention.run(user=other, step="archive", token=first.token)
        with pytest.raises(InvalidRequest, match="for the archive step"):
            retention.run(user=ig, step="destroy", token=first.token)
        with pytest.raises(InvalidRequest, match="unknown"):
            retention.run(user=ig, step="archive", token="x" * 32)  # forged
        with pytest.raises(InvalidRequest, match="dry run first"):
            retention.run(user=ig, step="archive", token=None)
        second = retention.dry_run(user=other, step="archive")
        assert retention.run(user=other, step="archive", token=second.token).records == first.records > 0
        with pytest.raises(InvalidRequest, match="changed since the dry run"):
            retention.run(user=ig, step="archive", token=first.token)  # what it showed is no longer what is due
        assert retention.retention_report(user=ig).archived == first.records
        refusals = [e for e in _events("access_refused") if e["resource"] == "retention"]
        assert len(refusals) == 5


@pytest.mark.parametrize("username", ["demo-caseworker", "demo-analyst", "demo-admin", "demo-leader"])
def test_only_information_governance_may_act_and_refusals_are_audited(demo_store: Path, tmp_path: Path,
                                                                      username: str) -> None:
    with opened(tmp_path, store_at(demo_store, tmp_path, ARCHIVE_DAY)):
        ig, actor = user("demo-ig"), user(username)
        plan = retention.dry_run(user=ig, step="archive")
        with pytest.raises(AccessDenied):
            retention.retention_report(user=actor)
        with pytest.raises(AccessDenied):
            retention.dry_run(user=actor, step="archive")
        with pytest.raises(AccessDenied):
            retention.run(user=actor, step="archive", token=plan.token)
        with pytest.raises(AccessDenied):
            retention.run(user=None, step="archive", token=plan.token)
        refused = [e for e in _events("access_refused") if e["resource"] == "retention"]
        assert [e["username"] for e in refused] == [None, username, username, username]
        assert retention.retention_report(user=ig).archived == 0


def test_legal_claims_is_information_governance_only() -> None:
    from data_access import policy

    holders = {name for name, role in policy.ROLES.items() if Purpose.LEGAL_CLAIMS in role.purposes}
    assert holders == {"ig_officer"}
    assert Purpose.LEGAL_CLAIMS in policy.PURPOSES_PAST_RETENTION
