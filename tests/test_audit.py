"""The audit trail: typed events, a hash chain that exposes tampering, append-only guards, concurrency."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from appstore import audit, tables
from appstore.audit import AuditAction, AuditEvent

ROOT = Path(__file__).resolve().parent.parent
PG_SKIP = "CSI_TEST_PG_URL not set (the ./test script starts PostgreSQL)"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def app_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, unmigrated app store: a SQLite file, or a new schema in the scratch PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'app.sqlite'}"
        return
    pg_url = os.environ.get("CSI_TEST_PG_URL")  # read late: the suite's conftest sets it at start-up
    if not pg_url:
        pytest.skip(PG_SKIP)
    base = sa.engine.make_url(pg_url).set(drivername="postgresql+psycopg")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture
def app_store(app_store_url: str) -> Iterator[sa.Engine]:
    tables.migrate(app_store_url)
    engine = tables.app_engine(app_store_url)
    yield engine
    engine.dispose()


def _read(n: int, **overrides: object) -> AuditEvent:
    values: dict[str, object] = {
        "action": AuditAction.RECORD_READ, "outcome": "allowed", "resource": "child",
        "username": "cw1", "user_id": 7, "purpose": "direct_work", "lawful_basis": "public_task",
        "child_ids": (n, n + 1), "fields": ("child_id", "dob"), "client": "10.0.0.1",
        "detail": {"rows": 2, "page": "records"},
    }
    return AuditEvent(**{**values, **overrides})  # type: ignore[arg-type]


def _fill(engine: sa.Engine, n: int) -> None:
    for i in range(1, n + 1):
        assert audit.record(engine, _read(i)) == i


def _drop_guards(engine: sa.Engine) -> None:
    """What an attacker with the database would do first."""
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            for name in ("audit_events_no_update", "audit_events_no_delete", "audit_head_no_delete",
                         "audit_head_forward"):
                conn.exec_driver_sql(f"DROP TRIGGER {name}")
        else:
            conn.exec_driver_sql("DROP TRIGGER audit_events_no_change ON audit_events")
            conn.exec_driver_sql("DROP TRIGGER audit_head_forward ON audit_head")


def _sql(engine: sa.Engine, statement: str, **params: object) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text(statement), params)


def test_empty_trail_verifies(app_store: sa.Engine) -> None:
    result = audit.verify(app_store)
    assert (result.ok, result.checked, result.first_broken_seq) == (True, 0, None)
    assert audit.chain_head(app_store) == (0, "0" * 64)


def test_chain_verifies_after_many_records(app_store: sa.Engine) -> None:
    _fill(app_store, 30)
    result = audit.verify(app_store)
    assert result.ok and result.checked == 30 and result.first_broken_seq is None, result.message
    seq, head_hash = audit.chain_head(app_store)
    assert seq == 30 and len(head_hash) == 64


def test_rows_chain_from_genesis_with_utc_microsecond_times(app_store: sa.Engine) -> None:
    _fill(app_store, 2)
    with app_store.connect() as conn:
        rows = conn.execute(sa.select(tables.audit_events).order_by("seq")).mappings().all()
    assert rows[0]["prev_hash"] == "0" * 64
    assert rows[1]["prev_hash"] == rows[0]["entry_hash"]
    moment = dt.datetime.fromisoformat(rows[0]["occurred_at"])
    assert moment.utcoffset() == dt.timedelta(0) and rows[0]["occurred_at"].endswith("+00:00")
    assert len(rows[0]["occurred_at"].split(".")[1]) == len("123456+00:00")
    assert rows[0]["child_ids"] == "[1,2]" and rows[0]["detail"] == '{"page":"records","rows":2}'


def test_edited_row_fails_verify_naming_its_seq(app_store: sa.Engine) -> None:
    _fill(app_store, 10)
    _drop_guards(app_store)
    _sql(app_store, "UPDATE audit_events SET username = 'someone_else' WHERE seq = 4")
    result = audit.verify(app_store)
    assert not result.ok and result.first_broken_seq == 4 and result.checked == 3
    assert "edited" in result.message and "record_read" in result.message


def test_deleted_middle_row_fails_verify_at_the_next_entry(app_store: sa.Engine) -> None:
    _fill(app_store, 10)
    _drop_guards(app_store)
    _sql(app_store, "DELETE FROM audit_events WHERE seq = 5")
    result = audit.verify(app_store)
    assert not result.ok and result.first_broken_seq == 6
    assert "entry 5 is missing" in result.message


def test_deleted_and_renumbered_rows_fail_verify(app_store: sa.Engine) -> None:
    _fill(app_store, 10)
    _drop_guards(app_store)
    _sql(app_store, "DELETE FROM audit_events WHERE seq = 5")
    for seq in range(6, 11):
        _sql(app_store, "UPDATE audit_events SET seq = :new WHERE seq = :old", new=seq - 1, old=seq)
    result = audit.verify(app_store)
    assert not result.ok and result.first_broken_seq == 5 and "prev_hash" in result.message


def test_deleted_last_row_fails_verify_against_the_head(app_store: sa.Engine) -> None:
    _fill(app_store, 10)
    _drop_guards(app_store)
    _sql(app_store, "DELETE FROM audit_events WHERE seq >= 9")
    result = audit.verify(app_store)
    assert not result.ok and result.first_broken_seq == 9 and result.checked == 8
    assert "tail deleted" in result.message


def test_swapped_rows_fail_verify(app_store: sa.Engine) -> None:
    _fill(app_store, 8)
    _drop_guards(app_store)
    table = tables.audit_events
    with app_store.begin() as conn:
        first, second = (dict(conn.execute(sa.select(table).where(table.c.seq == s)).mappings().one())
                         for s in (3, 6))
        for row, other in ((first, second), (second, first)):
            content = {k: v for k, v in other.items() if k != "seq"}
            conn.execute(table.update().where(table.c.seq == row["seq"]).values(**content))
    result = audit.verify(app_store)
    assert not result.ok and result.first_broken_seq == 3


def test_appends_after_a_deleted_tail_leave_a_visible_gap(app_store: sa.Engine) -> None:
    _fill(app_store, 5)
    _drop_guards(app_store)
    _sql(app_store, "DELETE FROM audit_events WHERE seq = 5")
    assert audit.record(app_store, _read(6)) == 6
    result = audit.verify(app_store)
    assert not result.ok and result.first_broken_seq == 6


def test_keyed_chain_verifies_only_with_its_key(app_store: sa.Engine) -> None:
    key = b"kept-away-from-the-database"
    for i in range(3):
        audit.record(app_store, _read(i), key=key)
    assert audit.verify(app_store, key=key).ok
    unkeyed = audit.verify(app_store)
    assert not unkeyed.ok and unkeyed.first_broken_seq == 1 and "key" in unkeyed.message


def test_keyed_chain_detects_a_rewrite_with_recomputed_hashes(app_store: sa.Engine) -> None:
    key = b"kept-away-from-the-database"
    for i in range(3):
        audit.record(app_store, _read(i), key=key)
    _drop_guards(app_store)
    table = tables.audit_events
    with app_store.begin() as conn:  # the attacker rewrites entry 2 and recomputes the rest, keyless
        prev = conn.execute(sa.select(table.c.entry_hash).where(table.c.seq == 1)).scalar_one()
        for seq in (2, 3):
            row = dict(conn.execute(sa.select(table).where(table.c.seq == seq)).mappings().one())
            row.update(username="nobody", prev_hash=prev)
            prev = audit.entry_hash(prev, row)
            conn.execute(table.update().where(table.c.seq == seq).values(username="nobody",
                                                                          prev_hash=row["prev_hash"],
                                                                          entry_hash=prev))
        conn.execute(tables.audit_head.update().values(entry_hash=prev))
    result = audit.verify(app_store, key=key)
    assert not result.ok and result.first_broken_seq == 2


@pytest.mark.parametrize("statement", [
    "UPDATE audit_events SET username = 'x'",
    "DELETE FROM audit_events",
    "DELETE FROM audit_head",
    "UPDATE audit_head SET seq = 0",
])
def test_triggers_refuse_changes_to_the_trail(app_store: sa.Engine, statement: str) -> None:
    _fill(app_store, 2)
    with pytest.raises(sa.exc.DBAPIError, match="append-only|only moves forward"):
        _sql(app_store, statement)
    assert audit.verify(app_store).ok


def test_record_refuses_without_a_head_row(app_store: sa.Engine) -> None:
    _fill(app_store, 1)
    _drop_guards(app_store)
    _sql(app_store, "DELETE FROM audit_head")
    assert "audit_head row is missing" in audit.verify(app_store).message
    with pytest.raises(RuntimeError, match="no head row"):
        audit.record(app_store, _read(2))


WORKER = """
import sys
from appstore import audit
from appstore import tables
engine = tables.app_engine(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
for i in range(int(sys.argv[2])):
    audit.record(engine, audit.AuditEvent(action="record_read", outcome="allowed", resource="child",
                                          username=sys.argv[3], child_ids=(i,)))
"""


def test_concurrent_appends_from_two_processes_make_one_valid_chain(app_store: sa.Engine,
                                                                    app_store_url: str) -> None:
    per_worker = 200 if app_store.dialect.name == "sqlite" else 100
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, app_store_url, str(per_worker), f"worker{n}"],
                                cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for n in range(2)]
    for worker in workers:  # start both only once both are ready, so the appends overlap
        assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.flush()
    for worker in workers:
        _, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err  # no "database is locked", no duplicate seq
    by_worker = [len(audit.query_events(app_store, username=f"worker{n}", limit=1000)) for n in range(2)]
    assert by_worker == [per_worker, per_worker]
    if app_store.dialect.name != "sqlite":
        assert audit.verify(app_store).ok
        return
    # The command-line check, as an operator would run it (once: a process start costs seconds).
    done = subprocess.run([sys.executable, "-m", "appstore.audit", "verify", "--url", app_store_url],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith(f"OK: {2 * per_worker} entries verified")


def test_events_hold_ids_and_field_names_not_values() -> None:
    names = {f.name for f in dataclasses.fields(AuditEvent)}
    assert names == {"action", "outcome", "username", "user_id", "purpose", "lawful_basis", "resource",
                     "child_ids", "fields", "pseudonyms", "reason", "client", "detail"}
    columns = set(tables.audit_events.c.keys())
    assert columns == names | {"seq", "occurred_at", "prev_hash", "entry_hash"}


@pytest.mark.parametrize(("overrides", "error"), [
    ({"child_ids": ("Jane Smith",)}, TypeError),
    ({"child_ids": (True,)}, TypeError),
    ({"fields": ("Jane Smith",)}, ValueError),
    ({"pseudonyms": ("Jane Smith",)}, ValueError),
    ({"detail": {"name": "Jane Smith"}}, ValueError),
    ({"detail": {"upn": "A123"}}, ValueError),
    ({"detail": {"rows": {"nested": 1}}}, TypeError),
    ({"detail": {"note": "x" * 201}}, ValueError),
    ({"outcome": "maybe"}, ValueError),
    ({"action": "peek"}, ValueError),
    ({"user_id": "7"}, TypeError),
])
def test_events_refuse_values_in_structured_fields(overrides: dict[str, object], error: type) -> None:
    with pytest.raises(error):
        _read(1, **overrides)


def test_free_text_is_cleaned_not_refused(app_store: sa.Engine) -> None:
    event = AuditEvent(action=AuditAction.LOGIN_FAILED, outcome="failure",
                       username="evil\n2025-01-01 admin logged in" + "x" * 100)
    assert event.resource == "session" and "\n" not in (event.username or "")
    assert len(event.username or "") == 64
    audit.record(app_store, event)
    assert audit.verify(app_store).ok


def test_query_events_filters_newest_first(app_store: sa.Engine) -> None:
    _fill(app_store, 3)
    audit.record(app_store, AuditEvent(action=AuditAction.EXPORT, outcome="allowed", resource="records",
                                       username="analyst1", fields=("age_band",)))
    newest = audit.query_events(app_store, limit=2)
    assert [e["seq"] for e in newest] == [4, 3]
    exports = audit.query_events(app_store, action=AuditAction.EXPORT)
    assert len(exports) == 1 and exports[0]["fields"] == ("age_band",) and "entry_hash" not in exports[0]
    assert [e["seq"] for e in audit.query_events(app_store, username="cw1")] == [3, 2, 1]
    assert audit.query_events(app_store, since=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)) == []
    assert len(audit.query_events(app_store, since=dt.datetime(2000, 1, 1))) == 4
    assert audit.query_events(app_store, until=dt.datetime(2000, 1, 1)) == []


def test_cli_verify_exits_1_naming_the_broken_entry(app_store: sa.Engine, app_store_url: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    _fill(app_store, 4)
    assert audit.main(["verify", "--url", app_store_url]) == 0
    assert "OK: 4 entries" in capsys.readouterr().out
    _drop_guards(app_store)
    _sql(app_store, "UPDATE audit_events SET fields = '[]' WHERE seq = 2")
    assert audit.main(["verify", "--url", app_store_url]) == 1
    out = capsys.readouterr().out
    occurred = audit.query_events(app_store, limit=10)[-2]["occurred_at"]
    assert "seq 2" in out and occurred in out and "record_read" in out


def test_cli_verify_exits_2_without_creating_a_missing_store(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "typo.sqlite"
    assert audit.main(["verify", "--url", f"sqlite:///{missing}"]) == 2
    assert "no app store" in capsys.readouterr().err and not missing.exists()
