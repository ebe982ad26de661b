"""Bulk loading and the build-then-swap refresh of the analytics store.

The analytics store is DuckDB by default (embedded, columnar; see bench/engines.py for the measured
choice) or PostgreSQL; every query goes through SQLAlchemy so both work. The web app opens it
read-only. A refresh builds a complete new store and only then swaps it in: for DuckDB a new file
``os.replace``-d over the served one; for PostgreSQL a new schema renamed in one transaction.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from model import schema
from model.recordkeys import SYNTHETIC_SECRET, record_keys


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
        raw: Any = conn.connection.driver_connection  # the duckdb connection
        raw.register("_bulk_frame", frame)
        try:
            raw.execute(f'INSERT INTO "{table.name}" SELECT * FROM _bulk_frame')
        finally:
            raw.unregister("_bulk_frame")
    elif dialect == "postgresql":
        _copy_postgres(conn, table, frame)
    else:
        records = frame.astype(object).where(frame.notna(), None).to_dict("records")
        conn.execute(table.insert(), records)  # type: ignore[arg-type]  # pandas-stubs: to_dict() keys are Hashable


def _copy_postgres(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> None:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=False, na_rep="\\N")
    buffer.seek(0)
    cols = ", ".join(f'"{c}"' for c in frame.columns)
    schema_name = conn.execute(sa.text("select current_schema()")).scalar()
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]  # a live psycopg connection
    statement = f'COPY "{schema_name}"."{table.name}" ({cols}) FROM STDIN WITH (FORMAT csv, NULL \'\\N\')'
    with cursor.copy(statement) as copy:
        while chunk := buffer.read(1 << 20):
            copy.write(chunk)


def create_indexes(conn: sa.Connection) -> None:
    for table, column in schema.INDEXES:
        conn.execute(sa.text(f'CREATE INDEX IF NOT EXISTS ix_{table}_{column} ON "{table}" ("{column}")'))


TableFrames = Mapping[str, pd.DataFrame]


def build_store(url: str, frames: Callable[[], Iterator[tuple[str, pd.DataFrame]]], *,
                record_secret: bytes = SYNTHETIC_SECRET) -> None:
    """Build a complete analytics store from ``frames`` (table name, frame) and swap it in.

    Every row gets its record key under ``record_secret`` (a council's refresh passes its own, kept
    outside the store; the default is for synthetic data only). Nothing is visible to readers until
    the whole build has succeeded; a failure leaves the store being served exactly as it was.
    """
    load = functools.partial(_load_all, frames=frames, record_secret=record_secret)
    if url.startswith("duckdb:///"):
        _build_duckdb(Path(url[len("duckdb:///"):]), load)
    elif url.startswith("postgresql"):
        _build_postgres(url, load)
    else:
        _build_in_place(url, load)


class Copies:
    """Copies columns of a parent frame onto child frames by key: ``copies(frame)`` adds them.

    ``mapping`` is {copy column: parent column} (schema.CHILD_COPIES, schema.EPISODE_COPIES). Prepared
    once per refresh from the parent (``children``, ``cin_episodes``); a key not in the parent gets
    NULLs, as the semi-join the copies replace would have excluded the row."""

    def __init__(self, parent: pd.DataFrame, table: sa.Table, key: str, mapping: Mapping[str, str]) -> None:
        self.key = key
        ids = parent[key].to_numpy(dtype=np.int64)
        dense = len(ids) == 0 or (ids.min() >= 0 and ids.max() <= 4 * len(ids) + 1024)
        if dense:  # surrogate ids 1..n: a position array beats hashing
            self._position = np.full(int(ids.max(initial=-1)) + 2, -1, dtype=np.int64)
            self._position[ids] = np.arange(len(ids))
        self._index = None if dense else pd.Index(ids)
        self._columns: dict[str, np.ndarray | tuple[np.ndarray, pd.Index]] = {}
        for copy, source in mapping.items():
            if source not in parent:  # e.g. rkey before the build gives it: copied at the build
                continue
            values = parent[source]
            if isinstance(table.c[source].type, sa.Date):
                self._columns[copy] = pd.to_datetime(values).to_numpy(dtype="datetime64[s]")
            elif isinstance(table.c[source].type, sa.Integer):  # record keys: whole numbers, never NULL
                self._columns[copy] = values.to_numpy(dtype=np.int64)
            else:  # codes: take small ints, not strings
                self._columns[copy] = pd.factorize(values)

    def _at(self, ids: np.ndarray) -> np.ndarray:
        if self._index is not None:
            return self._index.get_indexer(ids)
        inside = (ids >= 0) & (ids < len(self._position))
        return np.where(inside, self._position[np.where(inside, ids, 0)], -1)

    def __call__(self, frame: pd.DataFrame) -> pd.DataFrame:
        at = self._at(frame[self.key].to_numpy(dtype=np.int64))
        unknown = at < 0
        copies: dict[str, np.ndarray | pd.Series] = {}
        for copy, column in self._columns.items():
            if isinstance(column, np.ndarray) and column.dtype == np.int64:  # record keys: NULL if unknown
                keys = pd.Series(column[np.where(unknown, 0, at)] if len(column) else np.zeros(len(at), np.int64),
                                 index=frame.index, dtype="Int64")
                copies[copy] = keys.mask(unknown)
                continue
            if isinstance(column, np.ndarray):
                taken = column[at]
                taken[unknown] = np.datetime64("NaT")
            else:
                codes: np.ndarray = column[0]
                uniques: pd.Index = column[1]
                picked = codes[at]
                picked[unknown] = -1
                taken = pd.Series(uniques.take(picked, allow_fill=True), index=frame.index, dtype="str")
            copies[copy] = taken
        return frame.assign(**copies)


def child_copies(children: pd.DataFrame) -> Copies:
    """The child's slicer attributes, for the tables in schema.CHILD_SLICED."""
    return Copies(children, schema.children, "child_id", schema.CHILD_COPIES)


def episode_copies(episodes: pd.DataFrame) -> Copies:
    """The CIN episode's team, need, referral source and closure reason, for schema.EPISODE_SLICED."""
    return Copies(episodes, schema.cin_episodes, "episode_id", schema.EPISODE_COPIES)


def add_copies(name: str, frame: pd.DataFrame, parents: dict[str, Copies]) -> pd.DataFrame:
    """``frame`` of table ``name`` with every copy it carries (its parents must be in ``parents``)."""
    for parent, sliced in ((schema.children.name, schema.CHILD_SLICED), (schema.cin_episodes.name,
                                                                        schema.EPISODE_SLICED)):
        if name in {t.name for t in sliced} and not frame.empty:
            if parent not in parents:
                raise ValueError(f"{name} was loaded before {parent}, whose attributes it copies")
            frame = parents[parent](frame)
    return frame


def with_record_keys(table: sa.Table, frame: pd.DataFrame, secret: bytes) -> pd.DataFrame:
    """``frame`` with its rows' record keys (``rkey``): the keyed hash of the table and the primary key,
    so a row keeps its key at every refresh while its ids stay the same (model.recordkeys)."""
    if "rkey" not in table.c:
        return frame
    key = [c.name for c in table.primary_key.columns]
    if frame.empty:
        return frame.assign(rkey=np.zeros(0, dtype=np.int16))
    ids = frame[key[0]].astype(str)
    if len(key) > 1:  # a composite key, e.g. (assessment, factor): its parts joined
        ids = ids.str.cat([frame[k].astype(str) for k in key[1:]], sep="|")  # type: ignore[misc]  # pandas-stubs: str.cat takes Series too
    return frame.assign(rkey=np.asarray(record_keys(secret, table.name, ids.tolist()), dtype=np.int16))


def _load_all(conn: sa.Connection, frames: Callable[[], Iterator[tuple[str, pd.DataFrame]]],
              record_secret: bytes) -> None:
    """Create the tables and load ``frames``; ``children`` must come before the tables that copy from it."""
    schema.metadata.create_all(conn)
    tables = schema.metadata.tables
    parents: dict[str, Copies] = {}
    for name, frame in frames():
        frame = with_record_keys(tables[name], frame, record_secret)
        frame = add_copies(name, frame, parents)
        if name == schema.children.name:
            parents[name] = child_copies(frame)
        elif name == schema.cin_episodes.name:
            parents[name] = episode_copies(frame)
        if name in schema.ROW_ORDER:  # stored in this order: DuckDB's zone maps skip row groups outside a range
            frame = frame.sort_values(list(schema.ROW_ORDER[name]), na_position="last", kind="stable")
        bulk_insert(conn, tables[name], frame)
    derive_open_spells(conn)
    meta = schema.store_metadata
    conn.execute(meta.delete().where(meta.c.key == "layout"))
    conn.execute(meta.insert().values(key="layout", value=schema.STORE_LAYOUT))
    create_indexes(conn)


def derive_open_spells(conn: sa.Connection) -> None:
    """Fill ``open_spells`` from ``involvements`` (gaps and islands, in SQL on every engine): per child
    and service, and per child across services, involvements that overlap or touch are merged, so the
    spells of one (child, service) are disjoint and a day is inside at most one of them. Each spell
    also gets the end of the child's previous spell of that service (``prev_end``), and rows go in by
    service and then latest end first: the spells open on a day, or overlapping a period that ends
    with the data, are the first rows of their service (DuckDB skips the row groups after them)."""
    inv = schema.involvements.c
    far = sa.literal(dt.date(9999, 12, 31), sa.Date)  # "not ended", comparable and orderable (a bound date)
    ends = sa.func.coalesce(inv.end_date, far)
    copies = [inv.child_sex, inv.child_locality, inv.child_birth_date, inv.child_rkey]
    for service in (inv.service, sa.literal(schema.ANY_SERVICE, sa.String)):
        keys = [inv.child_id] if service is not inv.service else [inv.child_id, inv.service]
        order = [inv.start_date, ends, inv.involvement_id]  # a total order: both windows must agree on it
        reach = sa.func.max(ends).over(partition_by=keys, order_by=order, rows=(None, -1))  # furthest end so far
        marked = sa.select(inv.involvement_id, inv.child_id, service.label("service"), inv.start_date,
                           ends.label("end_date"), *copies,
                           sa.case((reach.is_(None), 1), (inv.start_date > reach, 1), else_=0).label("opens"),
                           ).subquery("marked")
        m = marked.c
        spell = sa.func.sum(m.opens).over(partition_by=[m.child_id, m.service],
                                          order_by=[m.start_date, m.end_date, m.involvement_id], rows=(None, 0))
        numbered = sa.select(marked, spell.label("spell")).subquery("numbered")
        n = numbered.c
        names = ["child_id", "service", "start_date", "end_date", *(c.name for c in copies)]
        merged = sa.select(n.child_id, n.service, sa.func.min(n.start_date).label("start_date"),
                           sa.func.max(n.end_date).label("end_date"),
                           *(sa.func.max(n[c.name]).label(c.name) for c in copies)
                           ).group_by(n.child_id, n.service, n.spell).subquery("merged")
        s = merged.c
        prev_end = sa.func.lag(s.end_date).over(partition_by=[s.child_id, s.service], order_by=s.start_date)
        spells = sa.select(s.child_id, s.service, s.start_date, sa.case((s.end_date == far, None), else_=s.end_date),
                           *(s[c.name] for c in copies), prev_end).order_by(s.service, s.end_date.desc(), s.start_date)
        conn.execute(schema.open_spells.insert().from_select([*names, "prev_end"], spells))


def _build_duckdb(path: Path, load: Callable[[sa.Connection], None]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(path.name + ".building")
    for leftover in (staging, staging.with_name(staging.name + ".wal")):
        leftover.unlink(missing_ok=True)
    engine = sa.create_engine(f"duckdb:///{staging}")
    try:
        with engine.begin() as conn:
            load(conn)
        with engine.connect() as conn:
            conn.execute(sa.text("CHECKPOINT"))  # fold the WAL into the file before it is swapped in
    except BaseException:
        engine.dispose()
        staging.unlink(missing_ok=True)
        raise
    engine.dispose()
    os.replace(staging, path)


def _build_postgres(url: str, load: Callable[[sa.Connection], None]) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA IF EXISTS analytics_building CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA analytics_building"))
            conn.execute(sa.text("SET LOCAL search_path TO analytics_building"))
            load(conn)
            # The swap: readers see the old tables until this transaction commits.
            for table in schema.ALL_TABLES + schema.DERIVED_TABLES:
                conn.execute(sa.text(f'DROP TABLE IF EXISTS public."{table.name}" CASCADE'))
                conn.execute(sa.text(f'ALTER TABLE analytics_building."{table.name}" SET SCHEMA public'))
            conn.execute(sa.text("DROP SCHEMA analytics_building CASCADE"))
    finally:
        engine.dispose()


def _build_in_place(url: str, load: Callable[[sa.Connection], None]) -> None:
    """SQLite (benchmarks only): drop and reload in one transaction."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            schema.metadata.drop_all(conn)
            load(conn)
    finally:
        engine.dispose()


@contextmanager
def connect(engine: sa.Engine) -> Iterator[sa.Connection]:
    with engine.connect() as conn:
        yield conn
