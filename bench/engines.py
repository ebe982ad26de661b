"""Which engine for the analytics store? Times the Overview's aggregate queries on DuckDB, SQLite
and PostgreSQL, loaded with the same generated data, in the same run.

    .venv/bin/python bench/engines.py --scale 20 --repeat 5     # >= 1M involvement rows
    .venv/bin/python bench/engines.py --scale 1 --skip-postgres

PostgreSQL is started on 127.0.0.1 in a temporary directory (as the test suite does) unless
--pg-url names one. Prints rows per table, build time per engine and the median / p95 time of one
Overview refresh (six KPI aggregates + the monthly trend), cold (first run after opening) and warm.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from data_access.aggregates import overview  # noqa: E402
from data_access.filters import Filters  # noqa: E402
from refresh import database, demo  # noqa: E402


class Leader:
    role, user_id, username, team_ids, services, worker_id = "leadership", 0, "bench", (), (), None


def one_refresh(engine: sa.Engine, as_of: dt.date) -> float:
    start = time.perf_counter()
    with engine.connect() as conn:
        overview.overview_kpis(conn, user=Leader(), filters=Filters(), as_of=as_of, threshold=5)
        overview.referrals_by_month(conn, user=Leader(), filters=Filters(), as_of=as_of, threshold=5)
    return time.perf_counter() - start


def measure(name: str, url: str, frames: dict, as_of: dt.date, repeat: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    database.build_store(url, lambda: iter(frames.items()))
    build = time.perf_counter() - t0
    engine = database.analytics_engine(url)
    cold = one_refresh(engine, as_of)
    warm = sorted(one_refresh(engine, as_of) for _ in range(repeat))
    engine.dispose()
    p95 = warm[min(len(warm) - 1, int(round(0.95 * (len(warm) - 1))))]
    return {"engine": name, "build_s": build, "cold_s": cold, "median_s": statistics.median(warm), "p95_s": p95}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=20.0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20250331)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--pg-url", default=None)
    args = parser.parse_args()

    as_of = dt.date(2025, 10, 31)
    t0 = time.perf_counter()
    frames = demo.generate(seed=args.seed, scale=args.scale, as_of=as_of)
    print(f"generated scale {args.scale} in {time.perf_counter() - t0:.1f} s: "
          f"{len(frames['involvements']):,} involvements, {len(frames['children']):,} children, "
          f"{sum(len(f) for f in frames.values()):,} rows in all", flush=True)

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        results.append(measure("duckdb", f"duckdb:///{tmp}/a.duckdb", frames, as_of, args.repeat))
        print(results[-1], flush=True)
        if not args.skip_sqlite:
            results.append(measure("sqlite", f"sqlite:///{tmp}/a.sqlite", frames, as_of, args.repeat))
            print(results[-1], flush=True)
        if not args.skip_postgres:
            server = None
            url = args.pg_url
            if url is None:
                import _pg

                server = _pg.start_server()
                url = server.url()
            try:
                results.append(measure("postgresql", url, frames, as_of, args.repeat))
                print(results[-1], flush=True)
            finally:
                if server is not None:
                    server.stop()

    base = results[0]["median_s"]
    print("\nengine       build s   cold ms  median ms   p95 ms   x DuckDB (median)")
    for r in results:
        print(f"{r['engine']:<12} {r['build_s']:>7.1f} {1000 * r['cold_s']:>9.1f} {1000 * r['median_s']:>10.1f}"
              f" {1000 * r['p95_s']:>8.1f} {r['median_s'] / base:>10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
