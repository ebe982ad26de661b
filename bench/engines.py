"""Which engine for the analytics store? Times the served Overview on DuckDB, SQLite and PostgreSQL.

The three stores are loaded with the same generated data, in the same run.

    .venv/bin/python bench/engines.py --scale 17 --repeat 5     # ~1M involvement rows
    .venv/bin/python bench/engines.py --scale 1 --skip-postgres

One Overview refresh is what a user's request costs the server: ``data_access.overview_page`` for a
leadership user with no slicers (the KPI cards for this period and the one before, and the referrals
trend, with the store facts, teams and population it reads), through the stores the app would open,
with the page cache cleared before each refresh so every one runs its SQL. PostgreSQL is started on
127.0.0.1 in a temporary directory (as the test suite does) unless --pg-url names one. Prints the
rows generated, build time per engine, the statements one refresh runs, and the median / p95 time
of a refresh, cold (the first after opening the stores) and warm.
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

import pandas as pd
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import data_access  # noqa: E402
from model.settings import Settings  # noqa: E402
from refresh import database, demo  # noqa: E402


class Leader:
    role, user_id, username, team_ids, services, worker_id = "leadership", 0, "bench", (), (), None


class Statements:
    """Counts the statements the analytics engine runs (the page's SQL round trips)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.count = 0
        sa.event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: Any) -> None:
        self.count += 1


def one_refresh() -> tuple[float, int]:
    """Seconds for one served Overview (page cache cleared first), and the statements it ran."""
    stores = data_access.current()
    stores.pages.clear()
    counter = Statements(stores.analytics)
    start = time.perf_counter()
    data = data_access.overview_page(user=Leader(), filters=None)
    elapsed = time.perf_counter() - start
    sa.event.remove(stores.analytics, "before_cursor_execute", counter._seen)
    if not data.cards or not data.visuals["trend"].available:
        raise RuntimeError("the Overview came back without its KPIs or trend")
    return elapsed, counter.count


def measure(name: str, url: str, frames: dict[str, pd.DataFrame], repeat: int, tmp: Path) -> dict[str, Any]:
    t0 = time.perf_counter()
    database.build_store(url, lambda: iter(frames.items()))
    build = time.perf_counter() - t0
    settings = Settings.from_env({}, data_dir=tmp / f"{name}-app", analytics_url=url,
                                 app_db_url=f"sqlite:///{tmp / f'{name}-app.sqlite'}")
    stores = data_access.open_stores(settings)
    try:
        with data_access.bound(stores):
            cold, _ = one_refresh()
            runs = [one_refresh() for _ in range(repeat)]
    finally:
        stores.close()
    warm = sorted(seconds for seconds, _ in runs)
    p95 = warm[min(len(warm) - 1, int(round(0.95 * (len(warm) - 1))))]
    return {"engine": name, "build_s": build, "statements": runs[-1][1], "cold_s": cold,
            "median_s": statistics.median(warm), "p95_s": p95}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=20.0)
    parser.add_argument("--repeat", type=int, default=5, help="warm refreshes per engine")
    parser.add_argument("--seed", type=int, default=20250331)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--pg-url", default=None, help="an existing PostgreSQL database (its tables are replaced)")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    as_of = dt.date(2025, 10, 31)
    t0 = time.perf_counter()
    frames = demo.generate(seed=args.seed, scale=args.scale, as_of=as_of)
    print(f"generated scale {args.scale} in {time.perf_counter() - t0:.1f} s: "
          f"{len(frames['involvements']):,} involvements, {len(frames['children']):,} children, "
          f"{sum(len(f) for f in frames.values()):,} rows in all", flush=True)

    results = []
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        results.append(measure("duckdb", f"duckdb:///{tmp}/a.duckdb", frames, args.repeat, tmp))
        print(results[-1], flush=True)
        if not args.skip_sqlite:
            results.append(measure("sqlite", f"sqlite:///{tmp}/a.sqlite", frames, args.repeat, tmp))
            print(results[-1], flush=True)
        if not args.skip_postgres:
            server = None
            url = args.pg_url
            if url is None:
                import _pg

                server = _pg.start_server()
                url = server.url()
            try:
                results.append(measure("postgresql", url, frames, args.repeat, tmp))
                print(results[-1], flush=True)
            finally:
                if server is not None:
                    server.stop()

    base = results[0]["median_s"]
    print(f"\none served Overview refresh (data_access.overview_page, page cache cleared), {args.repeat} warm runs")
    print("engine       build s  statements   cold ms  median ms   p95 ms   x DuckDB (median)")
    for r in results:
        print(f"{r['engine']:<12} {r['build_s']:>7.1f} {r['statements']:>11} {1000 * r['cold_s']:>9.1f}"
              f" {1000 * r['median_s']:>10.1f} {1000 * r['p95_s']:>8.1f} {r['median_s'] / base:>10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
