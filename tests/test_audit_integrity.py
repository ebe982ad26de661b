"""An audit trail that needs more than database access to forge (issue 13, item 4).

- Entries are chained with HMAC-SHA256 under a key kept outside the app store: a deleted, an edited
  and a re-chained-without-the-key entry are each named by ``verify-audit``.
- Signed checkpoints of the chain head, in a file outside the database: a truncated tail (head moved
  back), a truncation papered over by new entries and a whole-trail rewrite are caught against them;
  a forged or damaged checkpoint line is caught by its signature. Trails from before the key are
  pinned by the first checkpoint.
- On PostgreSQL the app's role may only SELECT and INSERT on ``audit_events``: the app runs as it,
  and its UPDATE, DELETE and TRUNCATE fail.
- Every refused or failed request of a signed-in user is audited exactly once (sent == audited).
- Pseudonymised reads record the pseudonyms they showed.
"""

from __future__ import annotations

import logging
import os
import socket
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import data_access
from appstore import audit, checkpoints, dbroles, tables
from appstore.audit import AuditAction, AuditEvent
from appstore.checkpoints import CheckpointLog, verify_all
from appstore.trail import Trail
from model.settings import Settings

try:
    import _attack as attack  # type: ignore[import-not-found]
    from _stores import Login  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover
    from . import _attack as attack  # type: ignore[no-redef]
    from ._stores import Login  # type: ignore[no-redef]

KEY = b"the-audit-key-kept-outside-the-app-store"


def _event(i: int) -> AuditEvent:
    return AuditEvent(action=AuditAction.RECORD_READ, outcome="allowed", resource="records", username=f"cw{i}",
                      user_id=i, purpose="direct_work", child_ids=(i,), fields=("surname",))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[sa.Engine]:
    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    tables.migrate(url)
    engine = tables.app_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def log(tmp_path: Path) -> CheckpointLog:
    return CheckpointLog(tmp_path / "audit-checkpoints.log", KEY)


def _trail(store: sa.Engine, log: CheckpointLog, *, every: int = 5, entries: int = 12) -> Trail:
    """The app's writer: a first checkpoint at start (seq 0), then ``entries`` keyed entries."""
    trail = Trail(store, KEY, log, every)
    assert trail.checkpoint() is not None
    for i in range(1, entries + 1):
        assert trail.record(_event(i)) == i
    return trail


def _drop_guards(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            for name in ("audit_events_no_update", "audit_events_no_delete", "audit_head_no_delete",
                         "audit_head_forward"):
                conn.exec_driver_sql(f"DROP TRIGGER {name}")
        else:
            conn.exec_driver_sql("DROP TRIGGER audit_events_no_change ON audit_events")
            conn.exec_driver_sql("DROP TRIGGER audit_head_forward ON audit_head")


def _rechain_without_key(engine: sa.Engine, first: int, **changes: object) -> None:
    """An attacker with the database: change entry ``first`` and recompute every hash after it and
    the head, with plain SHA-256 (they have no key)."""
    table = tables.audit_events
    with engine.begin() as conn:
        prev = conn.execute(sa.select(table.c.entry_hash).where(table.c.seq == first - 1)).scalar() or "0" * 64
        rows = [dict(r) for r in conn.execute(sa.select(table).where(table.c.seq >= first)
                                              .order_by(table.c.seq)).mappings()]
        for row in rows:
            if row["seq"] == first:
                row.update(changes)
            row["prev_hash"] = prev
            prev = row["entry_hash"] = audit.entry_hash(prev, row)
            conn.execute(table.update().where(table.c.seq == row["seq"]).values(
                **{k: row[k] for k in ("prev_hash", "entry_hash", *changes)}))
        conn.execute(tables.audit_head.update().values(entry_hash=prev))


def _text(report: checkpoints.Report) -> str:
    return "\n".join(report.lines)


# --- the keyed chain -----------------------------------------------------------------------------

def test_an_intact_keyed_trail_verifies_with_its_checkpoints(store: sa.Engine, log: CheckpointLog) -> None:
    _trail(store, log)
    report = verify_all(store, KEY, log)
    assert report.ok, _text(report)
    assert report.lines[0] == "OK: 12 entries verified; head at seq 12"
    assert report.latest is not None and report.latest.seq == 10  # start (0), then every 5 entries
    assert "checkpoints: 3 signed lines match" in _text(report)
    assert not audit.verify(store).ok  # the entries are keyed: plain SHA-256 does not verify them


def test_a_deleted_entry_is_detected(store: sa.Engine, log: CheckpointLog) -> None:
    _trail(store, log)
    _drop_guards(store)
    with store.begin() as conn:
        conn.exec_driver_sql("DELETE FROM audit_events WHERE seq = 4")
    report = verify_all(store, KEY, log)
    assert not report.ok and report.chain.first_broken_seq == 5
    assert "entry 4 is missing before it (deleted)" in report.lines[0]


def test_an_edited_entry_is_detected(store: sa.Engine, log: CheckpointLog) -> None:
    _trail(store, log)
    _drop_guards(store)
    with store.begin() as conn:
        conn.exec_driver_sql("UPDATE audit_events SET purpose = 'supervision' WHERE seq = 7")
    report = verify_all(store, KEY, log)
    assert not report.ok and report.chain.first_broken_seq == 7
    assert "entry edited" in report.lines[0]


def test_a_rechain_without_the_key_is_detected(store: sa.Engine, log: CheckpointLog) -> None:
    _trail(store, log)
    _drop_guards(store)
    _rechain_without_key(store, 7, username="someone-else")
    report = verify_all(store, KEY, log)
    assert not report.ok and report.chain.first_broken_seq == 7
    assert "hashed without the audit key" in report.lines[0]
    assert any("entry 10 has another hash" in line for line in report.lines)  # and the checkpoint says so


def test_a_whole_trail_rewritten_without_the_key_is_detected(store: sa.Engine, log: CheckpointLog) -> None:
    """All entries plain SHA-256 would look like a trail from before the key; the first checkpoint
    (seq 0, signed at start) says keyed hashing began with the very first entry."""
    _trail(store, log, every=0, entries=4)
    _drop_guards(store)
    _rechain_without_key(store, 1, username="someone-else")
    report = verify_all(store, KEY, log)
    assert not report.ok and report.chain.first_broken_seq == 1
    assert "after the first signed checkpoint (seq 0)" in report.lines[0]


# --- checkpoints outside the database -----------------------------------------------------------

def test_a_truncated_trail_is_detected_against_the_latest_checkpoint(store: sa.Engine, log: CheckpointLog) -> None:
    """Entries 9-12 deleted and the head moved back to entry 8: the chain itself is consistent."""
    _trail(store, log)
    _drop_guards(store)
    with store.begin() as conn:
        eight = conn.execute(sa.text("SELECT entry_hash FROM audit_events WHERE seq = 8")).scalar_one()
        conn.exec_driver_sql("DELETE FROM audit_events WHERE seq > 8")
        conn.execute(sa.text("UPDATE audit_head SET seq = 8, entry_hash = :h"), {"h": eight})
    assert audit.verify(store, key=KEY).ok  # nothing in the database shows it ...
    report = verify_all(store, KEY, log)
    assert not report.ok  # ... the checkpoint of seq 10 does
    assert any("entry 10 is missing" in line and "truncated" in line for line in report.lines), _text(report)


def test_a_truncation_papered_over_by_new_entries_is_detected(store: sa.Engine, log: CheckpointLog) -> None:
    trail = _trail(store, log, every=0)
    trail.checkpoint()  # signs seq 12
    _drop_guards(store)
    with store.begin() as conn:
        nine = conn.execute(sa.text("SELECT entry_hash FROM audit_events WHERE seq = 9")).scalar_one()
        conn.exec_driver_sql("DELETE FROM audit_events WHERE seq > 9")
        conn.execute(sa.text("UPDATE audit_head SET seq = 9, entry_hash = :h"), {"h": nine})
    for i in range(3):  # the app carries on, keyed, from the moved-back head
        trail.record(_event(100 + i))
    assert audit.verify(store, key=KEY).ok
    report = verify_all(store, KEY, log)
    assert not report.ok and any("entry 12 has another hash" in line for line in report.lines), _text(report)


@pytest.mark.parametrize("forged", ["signature", "damaged"])
def test_a_forged_checkpoint_line_is_detected(store: sa.Engine, log: CheckpointLog, forged: str) -> None:
    _trail(store, log)
    points, problems = log.read()
    assert problems == [] and len(points) == 3
    if forged == "signature":  # a checkpoint of the current head, signed with a guessed key
        head = audit.chain_head(store)
        CheckpointLog(log.path, b"not-the-key").append(*head)
    else:
        with log.path.open("a") as fh:
            fh.write("v1 12 not-a-hash\n")
    report = verify_all(store, KEY, log)
    assert not report.ok
    expected = "signature does not match" if forged == "signature" else "not a checkpoint line"
    assert any("checkpoint line 4" in line and expected in line for line in report.lines), _text(report)


def test_the_checkpoint_file_is_append_only_and_private(store: sa.Engine, log: CheckpointLog) -> None:
    _trail(store, log, entries=5)
    assert stat.S_IMODE(log.path.stat().st_mode) == 0o600
    assert [p.seq for p in log.read()[0]] == [0, 5]


def test_a_deleted_checkpoint_file_is_detected_once_entries_are_keyed(store: sa.Engine, log: CheckpointLog) -> None:
    _trail(store, log, entries=3)
    log.path.unlink()
    report = verify_all(store, KEY, log)
    assert not report.ok and "no checkpoint file" in report.lines[-1]


def test_a_trail_from_before_the_key_is_pinned_by_the_first_checkpoint(store: sa.Engine, log: CheckpointLog) -> None:
    for i in range(1, 4):  # written by the previous version: plain SHA-256, no checkpoints
        audit.record(store, _event(i))
    before = verify_all(store, KEY, log)
    assert before.ok and before.chain.legacy_entries == 3 and "no checkpoints yet" in before.lines[-1]
    trail = Trail(store, KEY, log, 0)
    first = trail.checkpoint()  # the new version's first start pins entries 1-3
    assert first is not None and first.seq == 3
    trail.record(_event(4))
    report = verify_all(store, KEY, log)
    assert report.ok, _text(report)
    assert "entries 1-3 predate the audit key" in report.lines[0]
    assert trail.checkpoint() is not None  # a later checkpoint signs the keyed head
    _drop_guards(store)  # a pinned unkeyed entry rewritten, and the rest re-chained without the key
    _rechain_without_key(store, 2, username="someone-else")
    broken = verify_all(store, KEY, log)
    assert not broken.ok and broken.chain.first_broken_seq == 4, _text(broken)
    assert any("entry 3 has another hash" in line for line in broken.lines)


def test_a_head_that_does_not_check_out_is_not_signed(store: sa.Engine, log: CheckpointLog) -> None:
    trail = _trail(store, log, every=0, entries=3)
    _drop_guards(store)
    _rechain_without_key(store, 3, username="someone-else")
    assert trail.checkpoint() is None
    assert [p.seq for p in log.read()[0]] == [0]


def test_checkpoints_go_to_syslog_when_asked(log: CheckpointLog) -> None:
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(5)
    try:
        checkpoints.enable_syslog(receiver.getsockname())
        point = log.append(7, "a" * 64)
        message = receiver.recv(4096).decode()
    finally:
        for handler in list(checkpoints.LOGGER.handlers):
            if isinstance(handler, logging.handlers.SysLogHandler):
                checkpoints.LOGGER.removeHandler(handler)
                handler.close()
        receiver.close()
    assert f"v1 7 {'a' * 64} {point.at}" in message and "csi-insight" in message


def test_the_audit_key_is_kept_outside_the_store(tmp_path: Path) -> None:
    settings = Settings.from_env({}, data_dir=tmp_path)
    kept = tmp_path / "audit_key"
    assert settings.audit_key == kept.read_text().encode() and len(settings.audit_key) >= 48
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert Settings.from_env({}, data_dir=tmp_path).audit_key == settings.audit_key  # kept, not replaced
    given = Settings.from_env({"CSI_AUDIT_KEY": "from-a-secrets-manager", "CSI_AUDIT_CHECKPOINTS": "/x/cp.log"},
                              data_dir=tmp_path)
    assert given.audit_key == b"from-a-secrets-manager" and given.audit_checkpoints == Path("/x/cp.log")
    assert settings.audit_checkpoints == tmp_path / "audit-checkpoints.log"
    assert settings.audit_key.decode() not in repr(settings)


def test_verify_audit_signs_the_head_it_verified(store: sa.Engine, log: CheckpointLog, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    _trail(store, log, every=0, entries=3)
    key_file = tmp_path / "key"
    key_file.write_bytes(KEY)
    args = ["verify", "--url", str(store.url), "--key-file", str(key_file), "--checkpoints", str(log.path)]
    assert audit.main([*args, "--checkpoint"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("OK: 3 entries verified") and "signed a checkpoint at seq 3" in out
    assert [p.seq for p in log.read()[0]] == [0, 3]
    with log.path.open("a") as fh:
        fh.write("v1 3 " + "0" * 64 + " 2025-01-01T00:00:00+00:00 " + "0" * 64 + "\n")
    assert audit.main(args) == 1


# --- PostgreSQL: the app's role may only append to the trail --------------------------------------

def test_the_app_role_may_only_insert_and_select_on_the_audit_trail(fresh_pg_url: str, tmp_path: Path,
                                                                     demo_store: Path) -> None:
    owner = sa.create_engine(fresh_pg_url)
    role = f"csi_app_{uuid.uuid4().hex[:8]}"
    tables.migrate(fresh_pg_url)  # as the owner
    with owner.begin() as conn:
        conn.exec_driver_sql(f'CREATE ROLE "{role}" LOGIN')
    statements = dbroles.grant_app_role(owner, role)
    assert "GRANT SELECT, INSERT ON \"public\".audit_events" in " ".join(statements)
    as_app = sa.engine.make_url(fresh_pg_url).set(username=role).render_as_string(hide_password=False)
    settings = Settings.from_env({}, data_dir=tmp_path, analytics_url=f"duckdb:///{demo_store}", app_db_url=as_app)
    stores = data_access.open_stores(settings)  # start-up as the app role: migrations at head, a checkpoint
    engine = stores.app
    try:
        with data_access.bound(stores):  # the app's writes work: a user, sessions, audit entries
            data_access.create_account(username="grant-check", role="analyst")  # with a set-password link
            for i in range(3):
                data_access.stores.record_event(_event(i + 1))
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM audit_events")).scalar_one() == 5  # the account, its set-password link, three events
            assert conn.execute(sa.text("SELECT current_user")).scalar_one() == role
        report = verify_all(engine, settings.audit_key, stores.trail.checkpoints)  # type: ignore[arg-type]
        assert report.ok, _text(report)
        for statement in ("UPDATE audit_events SET username = 'x' WHERE seq = 1",
                          "DELETE FROM audit_events WHERE seq = 4", "TRUNCATE audit_events",
                          "DELETE FROM audit_head", "DROP TRIGGER audit_events_no_change ON audit_events",
                          "ALTER TABLE audit_events DISABLE TRIGGER ALL"):
            with pytest.raises(sa.exc.ProgrammingError, match="permission denied|must be owner"), \
                    engine.begin() as conn:
                conn.exec_driver_sql(statement)
        with pytest.raises(sa.exc.DatabaseError, match="only moves forward"), engine.begin() as conn:
            conn.exec_driver_sql("UPDATE audit_head SET seq = 1")  # allowed column, refused by the trigger
        assert verify_all(engine, settings.audit_key, stores.trail.checkpoints).ok  # type: ignore[arg-type]
    finally:
        stores.close()
        with owner.begin() as conn:
            conn.exec_driver_sql(f'DROP OWNED BY "{role}"')
            conn.exec_driver_sql(f'DROP ROLE "{role}"')
        owner.dispose()


def test_grant_app_role_prints_the_statements(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import cli

    monkeypatch.setenv("CSI_DATA_DIR", str(tmp_path))
    assert cli.main(["grant-app-role", "csi_app"]) == 0
    out = capsys.readouterr().out
    assert 'GRANT SELECT, INSERT ON "public".audit_events TO "csi_app";' in out
    assert "UPDATE (seq, entry_hash, updated_at) ON \"public\".audit_head" in out
    assert "DELETE" not in out.split("audit_events")[-1]
    assert cli.main(["grant-app-role", "x; DROP TABLE users"]) == 2
    monkeypatch.setenv("CSI_APP_DB_URL", f"sqlite:///{tmp_path / 'app.sqlite'}")
    assert cli.main(["migrate"]) == 0 and (tmp_path / "app.sqlite").exists()


# --- every refused or failed request of a signed-in user is audited, once -----------------------

def _audited(engine: sa.Engine) -> list[dict[str, Any]]:
    return audit.query_events(engine, limit=10_000)


def test_every_refused_or_failed_request_is_audited_once(settings: Settings) -> None:
    import app as app_module

    application = app_module.create_app(settings)
    from dashboards import child as child_page  # page modules register themselves: after the app exists

    server = application.server
    server.add_url_rule("/_test-crash", "test_crash", lambda: 1 / 0)  # a route that fails: 500
    server.config.update(TESTING=False, PROPAGATE_EXCEPTIONS=False)  # production: a crash answers 500
    stores = app_module.stores_of(application)
    client = server.test_client()
    try:
        with data_access.bound(stores):
            assert Login(client).login("demo-caseworker").status_code == 302
            callbacks = attack.server_callbacks(client.get("/_dash-dependencies").get_json())
            show = attack.find_callback(callbacks, output_id=child_page.BODY, input_id=child_page.URL)
            headers = attack.renderer_headers(client)
            sends = [  # (what, request) of several kinds, each refused or failed
                ("body not an object", lambda: attack.post(client, ["not", "an", "object"]).status),
                ("unknown output", lambda: attack.post(client, {"output": "nope.children", "inputs": []}).status),
                ("inputs that do not match", lambda: attack.post(
                    client, {**attack.forged_body(show, ["?ref=x"], []), "inputs": []}).status),
                ("forged record reference", lambda: attack.call(client, show, ["?ref=forged.reference"]).status),
                ("raw child id as reference", lambda: attack.call(client, show, ["?ref=12"]).status),
                ("no CSRF header", lambda: client.post(attack.UPDATE, json={}).status_code),
                ("callback not JSON", lambda: client.post(attack.UPDATE, data="x", headers=headers).status_code),
                ("wrong method", lambda: client.get(attack.UPDATE).status_code),
                ("missing static file", lambda: client.get("/assets/no-such-file.css").status_code),
                ("missing Dash file", lambda: client.get("/_dash-component-suites/dash/nope.js").status_code),
                ("crash", lambda: client.get("/_test-crash").status_code),
            ]
            before = len(_audited(stores.app))
            answers: list[tuple[str, int, list[str]]] = []
            for what, send in sends:
                seen = len(_audited(stores.app))
                status = send()
                new = _audited(stores.app)[: len(_audited(stores.app)) - seen]
                answers.append((what, status, [e["action"] for e in new]))
            after = len(_audited(stores.app))
    finally:
        stores.close()
    problems = [a for a in answers if len(a[2]) != 1 or a[2][0] not in ("access_refused", "request_failed")]
    assert problems == [], answers  # each request: exactly one audit entry, a refusal or a failure
    assert after - before == len(sends)  # sent == audited: 100%
    statuses = {what: status for what, status, _ in answers}
    assert statuses["crash"] == 500 and statuses["missing static file"] == 404
    assert statuses["body not an object"] == 400 and statuses["no CSRF header"] == 403
    failed = [e for e in _audited(stores.app) if e["action"] == "request_failed"]
    assert {e["username"] for e in failed} == {"demo-caseworker"}
    assert {e["detail"]["status"] for e in failed} >= {400, 404, 500}
    assert audit.verify(stores.app, key=settings.audit_key).ok


def test_anonymous_failures_are_not_recorded(client: Any, dash_app: Any) -> None:
    stores = data_access.current()
    before = len(_audited(stores.app))
    assert client.get("/assets/no-such-file.css").status_code == 404
    assert client.post(attack.UPDATE, json={}).status_code in (401, 403)
    assert len(_audited(stores.app)) == before


# --- pseudonymised reads name the pseudonyms shown ----------------------------------------------

def test_pseudonymised_reads_record_the_pseudonyms_shown(configured: Settings) -> None:
    from appstore import users

    engine = data_access.current().app
    analyst = users.create_user(engine, username="analyst1", role="analyst")
    page = data_access.records.child_records(user=analyst, purpose="statutory_return", page_size=25)
    shown = tuple(page.rows["pseudo_id"])
    assert len(shown) == 25 and "child_id" not in page.rows
    event = audit.query_events(engine, limit=1)[0]
    assert event["action"] == "record_read" and event["username"] == "analyst1"
    assert event["pseudonyms"] == shown and event["child_ids"] == ()
    assert audit.verify(engine, key=configured.audit_key).ok
    assert os.path.exists(configured.audit_checkpoints)
