"""Engines for the two stores, bulk loading, and the build-then-swap refresh of the analytics store.

The analytics store is DuckDB by default (embedded, columnar; see bench/engines.py for the measured
choice) or PostgreSQL; every query goes through SQLAlchemy so both work. The web app opens it
read-only. A refresh builds a complete new store and only then swaps it in: for DuckDB a new file
``os.replace``-d over the served one; for PostgreSQL a new schema renamed in one transaction.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from data_access import schema


def analytics_engine(url: str, *, read_only: bool = True) -> sa.Engine:
    """An engine on the analytics store; DuckDB files are opened read-only unless building."""
    if url.startswith("duckdb"):
        args = {"read_only": True} if read_only else {}
        return sa.create_engine(url, connect_args=args, poolclass=sa.pool.QueuePool, pool_size=4)
    return sa.create_engine(url, pool_pre_ping=True)


def is_duckdb(engine: sa.Engine) -> bool:
    return engine.dialect.name == "duckdb"


def bulk_insert(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> None:
    """Append ``frame`` (columns named as the table's) to ``table`` within the caller's transaction."""
    if frame.empty:
        return
    frame = frame[[c.name for c in table.columns]]
    dialect = conn.dialect.name
    if dialect == "duckdb":
        raw = conn.connection.driver_connection
        raw.register("_bulk_frame", frame)
        try:
            raw.execute(f'INSERT INTO "{table.name}" SELECT * FROM _bulk_frame')
        finally:
            raw.unregister("_bulk_frame")
    elif dialect == "postgresql":
        _copy_postgres(conn, table, frame)
    else:
        records = frame.astype(object).where(frame.notna(), None).to_dict("records")
        conn.execute(table.insert(), records)


def _copy_postgres(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> None:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=False, na_rep="\\N")
    buffer.seek(0)
    cols = ", ".join(f'"{c}"' for c in frame.columns)
    schema_name = conn.execute(sa.text("select current_schema()")).scalar()
    cursor = conn.connection.driver_connection.cursor()
    statement = f'COPY "{schema_name}"."{table.name}" ({cols}) FROM STDIN WITH (FORMAT csv, NULL \'\\N\')'
    with cursor.copy(statement) as copy:
        while chunk := buffer.read(1 << 20):
            copy.write(chunk)


def create_indexes(conn: sa.Connection) -> None:
    for table, column in schema.INDEXES:
        conn.execute(sa.text(f'CREATE INDEX IF NOT EXISTS ix_{table}_{column} ON "{table}" ("{column}")'))


TableFrames = Mapping[str, pd.DataFrame]


def build_store(url: str, frames: Callable[[], Iterator[tuple[str, pd.DataFrame]]]) -> None:
    """Build a complete analytics store from ``frames`` (table name, frame) and swap it in.

    Nothing is visible to readers until the whole build has succeeded; a failure leaves the store
    being served exactly as it was.
    """
    if url.startswith("duckdb:///"):
        _build_duckdb(Path(url[len("duckdb:///"):]), frames)
    elif url.startswith("postgresql"):
        _build_postgres(url, frames)
    else:
        _build_in_place(url, frames)


def _load_all(conn: sa.Connection, frames: Callable[[], Iterator[tuple[str, pd.DataFrame]]]) -> None:
    schema.metadata.create_all(conn)
    tables = schema.metadata.tables
    for name, frame in frames():
        bulk_insert(conn, tables[name], frame)
    create_indexes(conn)


def _build_duckdb(path: Path, frames: Callable[[], Iterator[tuple[str, pd.DataFrame]]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(path.name + ".building")
    for leftover in (staging, staging.with_name(staging.name + ".wal")):
        leftover.unlink(missing_ok=True)
    engine = sa.create_engine(f"duckdb:///{staging}")
    try:
        with engine.begin() as conn:
            _load_all(conn, frames)
        with engine.connect() as conn:
            conn.execute(sa.text("CHECKPOINT"))  # fold the WAL into the file before it is swapped in
    except BaseException:
        engine.dispose()
        staging.unlink(missing_ok=True)
        raise
    engine.dispose()
    os.replace(staging, path)


def _build_postgres(url: str, frames: Callable[[], Iterator[tuple[str, pd.DataFrame]]]) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA IF EXISTS analytics_building CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA analytics_building"))
            conn.execute(sa.text("SET LOCAL search_path TO analytics_building"))
            _load_all(conn, frames)
            # The swap: readers see the old tables until this transaction commits.
            for table in schema.ALL_TABLES:
                conn.execute(sa.text(f'DROP TABLE IF EXISTS public."{table.name}" CASCADE'))
                conn.execute(sa.text(f'ALTER TABLE analytics_building."{table.name}" SET SCHEMA public'))
            conn.execute(sa.text("DROP SCHEMA analytics_building CASCADE"))
    finally:
        engine.dispose()


def _build_in_place(url: str, frames: Callable[[], Iterator[tuple[str, pd.DataFrame]]]) -> None:
    """SQLite (benchmarks only): drop and reload in one transaction."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            schema.metadata.drop_all(conn)
            _load_all(conn, frames)
    finally:
        engine.dispose()


@contextmanager
def connect(engine: sa.Engine) -> Iterator[sa.Connection]:
    with engine.connect() as conn:
        yield conn
