"""The store bench/records.py measures: a demo build, and a copy in which one caseworker has a big
caseload (DuckDB), optionally loaded into PostgreSQL."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from pathlib import Path

import sqlalchemy as sa

BENCH_DIR = Path("/tmp/csi-bench")
AS_OF = dt.date(2025, 10, 31)


def source_store(url: str | None, scale: float) -> str:
    """The store to copy: ``url``, or a demo build under /tmp/csi-bench (built once per scale).

    A cached build of an older store layout is not reused (the schema moves while others work): a
    fresh one is built beside it instead."""
    if url is not None:
        return url
    for path in (BENCH_DIR / f"scale{scale:g}.duckdb", BENCH_DIR / f"records-source-scale{scale:g}.duckdb"):
        if path.exists() and current_layout(f"duckdb:///{path}"):
            return f"duckdb:///{path}"
    from refresh import demo

    start = time.perf_counter()
    counts = demo.build(f"duckdb:///{path}", scale=scale, as_of=AS_OF, progress=False)
    print(f"built scale {scale:g} in {time.perf_counter() - start:.0f} s: {counts['involvements']:,} involvements")
    return f"duckdb:///{path}"


def current_layout(url: str) -> bool:
    """Whether the store at ``url`` was built with this version's layout (schema.STORE_LAYOUT)."""
    from model import schema

    engine = sa.create_engine(url, connect_args={"read_only": True})
    try:
        with engine.connect() as conn:
            meta = schema.store_metadata.c
            found = conn.execute(sa.select(meta.value).where(meta.key == "layout")).scalar()
    finally:
        engine.dispose()
    return found == schema.STORE_LAYOUT


def caseload_store(source: str, worker: str, caseload: int, grace_days: int) -> str:
    """A copy of ``source`` in which ``worker`` has ``caseload`` children in scope for direct work."""
    import duckdb

    from model import schema

    src = Path(source.removeprefix("duckdb:///"))
    path = BENCH_DIR / f"records-{src.stem.removeprefix('records-source-')}-{worker}-{caseload}.duckdb"
    if path.exists() and path.stat().st_mtime >= src.stat().st_mtime:
        return f"duckdb:///{path}"
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(path.name + ".building")
    shutil.copyfile(src, staging)
    con = duckdb.connect(str(staging))
    try:
        day = dt.date.fromisoformat(con.execute("select value from store_metadata where key = 'as_of'").fetchone()[0])  # type: ignore[index]  # the store always has an as_of row
        found = con.execute("select team_id from workers where worker_id = ?", [worker]).fetchone()
        if found is None:
            raise SystemExit(f"no worker {worker} in {source}")
        since = day - dt.timedelta(days=grace_days)
        # The scope's conditions (records/scope.py), for the allocations already there ...
        covers = ("(i.lawful_basis in ('legal_obligation', 'public_task', 'vital_interests') or "
                  "(i.lawful_basis = 'consent' and i.consent_given_date <= $day and "
                  "(i.consent_withdrawn_date is null or i.consent_withdrawn_date > $day)))")
        visible = (f"select distinct i.child_id from involvements i join allocations a using (involvement_id) "
                   f"where a.worker_id = $worker and a.start_date <= $day and "
                   f"(a.end_date is null or a.end_date >= $since) and {covers}")
        have = con.execute(f"select count(*) from ({visible}) v join children c using (child_id) "  # type: ignore[index]  # count(*) returns a row
                           "where c.retention_date is null or c.retention_date > $day",
                           {"worker": worker, "day": day, "since": since}).fetchone()[0]
        # ... and for the new ones: one qualifying involvement per child not yet on the caseload,
        # children's social care first, otherwise in a fixed pseudo-random order.
        # Refresh-time copies of the child's attributes, where the allocations table carries them.
        columns = {r[0] for r in con.execute("select column_name from information_schema.columns "
                                             "where table_name = 'allocations'").fetchall()}
        copies = {k: v for k, v in schema.CHILD_COPIES.items() if k in columns}
        into = ", ".join(["allocation_id", "child_id", "involvement_id", "worker_id", "team_id", "start_date",
                          "end_date", *copies])
        extra = "".join(f", ch.{source}" for source in copies.values())
        con.execute(f"""
            insert into allocations ({into})
            with candidates as (
                select i.child_id, min(i.involvement_id) as involvement_id,
                       max(case when i.service = 'CSC' then 1 else 0 end) as csc
                from involvements i join children c using (child_id)
                where {covers} and (c.retention_date is null or c.retention_date > $day)
                  and i.child_id not in ({visible})
                group by i.child_id
                order by csc desc, hash(i.child_id) limit $need)
            select (select max(allocation_id) from allocations) + row_number() over (order by child_id),
                   child_id, involvement_id, $worker, $team, $day - cast(hash(child_id) % 700 as integer),
                   null{extra}
            from candidates join children ch using (child_id)""",
                    {"worker": worker, "team": found[0], "day": day, "since": since,
                     "need": max(caseload - have, 0)})
        con.execute("checkpoint")
    finally:
        con.close()
    os.replace(staging, path)
    return f"duckdb:///{path}"


def copy_to_postgres(duck_url: str, pg_url: str) -> None:
    """Load the caseload store into PostgreSQL (refresh-time derived columns are recomputed by the load)."""
    import pandas as pd

    from model import schema
    from refresh import database

    derived = set(schema.CHILD_COPIES)
    source = sa.create_engine(duck_url, connect_args={"read_only": True})
    with source.connect() as conn:
        frames = []
        for table in schema.ALL_TABLES:
            frame = pd.read_sql(sa.text(f'select * from "{table.name}"'), conn)
            keep = [c for c in table.columns if c.name in frame and c.name not in derived]
            frame = frame[[c.name for c in keep]].copy()
            for column in keep:  # integers with NULLs come back as floats: "12.0" is no integer to COPY
                if isinstance(column.type, sa.Integer) and frame[column.name].dtype.kind == "f":
                    frame[column.name] = frame[column.name].astype("Int64")
            frames.append((table.name, frame))
    source.dispose()
    database.build_store(pg_url, lambda: iter(frames))
