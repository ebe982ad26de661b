"""The app store's Alembic migrations: run from code, idempotent, and matching the Core tables."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from appstore import tables

PG_SKIP = "CSI_TEST_PG_URL not set (the ./test script starts PostgreSQL)"
TABLES = {"users", "user_teams", "user_services", "sessions", "break_glass_grants", "audit_events",
          "access_requests", "set_password_tokens", "saved_views",
          "sar_requests", "consent_withdrawals", "rectification_requests",
          "retention_runs", "retention_records", "extracts", "extract_requests",
          "audit_head", "alembic_version"}


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
def engine(app_store_url: str) -> Iterator[sa.Engine]:
    engine = tables.app_engine(app_store_url)
    yield engine
    engine.dispose()


def _head_revision() -> str:
    config = Config()
    config.set_main_option("script_location", str(tables.MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def _schema_snapshot(engine: sa.Engine) -> dict[str, object]:
    """Tables, columns, indexes and triggers, as plain comparable values."""
    inspector = sa.inspect(engine)
    snapshot: dict[str, object] = {
        t: ([(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(t)],
            sorted(i["name"] or "" for i in inspector.get_indexes(t)))
        for t in sorted(inspector.get_table_names())}
    query = ("SELECT name FROM sqlite_master WHERE type = 'trigger'" if engine.dialect.name == "sqlite" else
             "SELECT trigger_name FROM information_schema.triggers WHERE trigger_schema = current_schema()")
    with engine.connect() as conn:
        snapshot["triggers"] = sorted(conn.exec_driver_sql(query).scalars())
    return snapshot


def _current_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def test_migrate_creates_every_table_at_head(app_store_url: str, engine: sa.Engine) -> None:
    tables.migrate(app_store_url)
    assert set(sa.inspect(engine).get_table_names()) == TABLES
    assert _current_revision(engine) == _head_revision()
    with engine.connect() as conn:
        head = conn.execute(sa.select(tables.audit_head)).one()
    assert (head.id, head.seq, head.entry_hash) == (1, 0, tables.GENESIS_HASH)


def test_migrate_twice_is_a_no_op(app_store_url: str, engine: sa.Engine) -> None:
    tables.migrate(app_store_url)
    with engine.begin() as conn:
        conn.execute(tables.users.insert().values(
            username="kept", display_name="Kept", role="analyst", active=True, session_version=0,
            created_at=tables.iso_utc(), updated_at=tables.iso_utc()))
    before = _schema_snapshot(engine)
    tables.migrate(app_store_url)
    assert _schema_snapshot(engine) == before
    assert _current_revision(engine) == _head_revision()
    with engine.connect() as conn:
        assert conn.execute(sa.select(tables.users.c.username)).scalars().all() == ["kept"]
        assert conn.execute(sa.select(sa.func.count()).select_from(tables.audit_head)).scalar() == 1


def test_migration_matches_the_core_tables(app_store_url: str, engine: sa.Engine) -> None:
    tables.migrate(app_store_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), tables.metadata)
    assert diff == []


def test_concurrent_migrations_all_succeed(app_store_url: str, engine: sa.Engine) -> None:
    """Workers starting together on a new store all succeed (SQLite: the WAL switch is retried)."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            tables.migrate(app_store_url)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert _current_revision(engine) == _head_revision()


def test_new_sqlite_stores_opened_together_all_reach_wal(tmp_path: Path) -> None:
    """Fresh files opened by four connections at once: none fails with "database is locked"."""
    errors: list[BaseException] = []
    for round_ in range(25):
        url = f"sqlite:///{tmp_path / f'race{round_}.sqlite'}"
        engines = [tables.app_engine(url) for _ in range(4)]
        barrier = threading.Barrier(len(engines))

        def open_one(engine: sa.Engine, barrier: threading.Barrier = barrier) -> None:
            try:
                barrier.wait()
                with engine.connect() as conn:
                    assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

        threads = [threading.Thread(target=open_one, args=(e,)) for e in engines]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        for engine in engines:
            engine.dispose()
    assert errors == []


def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    tables.migrate(url)
    engine = tables.app_engine(url)
    try:
        with engine.connect() as conn:
            pragma = {p: conn.exec_driver_sql(f"PRAGMA {p}").scalar()
                      for p in ("journal_mode", "busy_timeout", "foreign_keys")}
            assert pragma == {"journal_mode": "wal", "busy_timeout": 10000, "foreign_keys": 1}
            with pytest.raises(sa.exc.IntegrityError):
                conn.execute(tables.user_teams.insert().values(user_id=42, team_id="T01"))
    finally:
        engine.dispose()


def test_sqlite_write_transactions_take_the_write_lock_up_front(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    tables.migrate(url)
    engine = tables.app_engine(url)
    try:
        with tables.write_transaction(engine):
            # A second writer cannot even begin while the first holds the lock.
            other = sa.create_engine(url, connect_args={"timeout": 0.05})
            with other.connect() as conn, pytest.raises(sa.exc.OperationalError, match="locked"):
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            other.dispose()
    finally:
        engine.dispose()
