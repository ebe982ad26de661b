"""What does retention state cost a records read, and how long do the retention steps take?

    .venv/bin/python bench/retention.py            # scale-1 demo store built under a temporary directory

Builds the scale-1 demo store (as of 2025-10-31), copies it with the data date moved to 2030-03-31 and
archives there (dry run, run), and to 2050-03-31 and destroys there, timing each step. Then it times
``withheld_children`` and an analyst's first page of pseudonymised rows
(``records.child_records``) with that app store and with a fresh one, at 2030-03-31 (the normal case:
the archived are past their retention date, so the date rule in SQL already leaves them out and the
list of exceptions is empty) and at the store's own date 2025-10-31 (the worst case: a store built
at an earlier date, so every archived child is an exception carried in the query). Prints medians
of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from _moved import opened, store_at, user  # type: ignore[import-not-found]  # noqa: E402  # tests/ helper, on sys.path above

import data_access  # noqa: E402
from data_access import records, retention  # noqa: E402
from data_access.retention_state import withheld_children  # noqa: E402
from refresh import demo  # noqa: E402


def median_ms(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="csi-bench-retention-"))
    store = folder / "analytics.duckdb"
    demo.build(f"duckdb:///{store}", scale=1.0, as_of=dt.date(2025, 10, 31), progress=False)
    state, fresh = folder / "state", folder / "fresh"
    state.mkdir()
    fresh.mkdir()
    for day, step in ((dt.date(2030, 3, 31), "archive"), (dt.date(2050, 3, 31), "destroy")):
        with opened(state, store_at(store, folder, day)):
            ig = user("demo-ig")
            start = time.perf_counter()
            plan = retention.dry_run(user=ig, step=step)
            planned = time.perf_counter() - start
            start = time.perf_counter()
            done = retention.run(user=ig, step=step, token=plan.token)
            ran = time.perf_counter() - start
        print(f"{step} at {day}: dry run {plan.records:,} records in {planned * 1000:.0f} ms; "
              f"run {done.records:,} records in {ran * 1000:.0f} ms")
    at_2030 = store_at(store, folder, dt.date(2030, 3, 31))
    cases = (("2025-10-31, no retention state", fresh, store), ("2025-10-31, state set at 2030/2050", state, store),
             ("2030-03-31, no retention state", fresh, at_2030), ("2030-03-31, state set at 2030/2050", state, at_2030))
    for label, folder_, analytics in cases:
        with opened(folder_, analytics):
            analyst = user("demo-analyst")
            day = data_access.as_of()
            withheld = withheld_children("statutory_return", day)
            held = median_ms(partial(withheld_children, "statutory_return", day), args.repeat)
            read = median_ms(partial(records.child_records, user=analyst, purpose="statutory_return"), args.repeat)
        print(f"{label}: {len(withheld):,} children withheld at query time; withheld_children {held:.1f} ms; "
              f"analyst first page {read:.1f} ms (median of {args.repeat})")


if __name__ == "__main__":
    main()
