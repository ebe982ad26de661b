"""Command line: build a demo store.

    python -m refresh.demo --url duckdb:///path/analytics.duckdb [--seed N] [--scale X] [--as-of YYYY-MM-DD]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time

from refresh.demo import DEFAULT_SEED, build, last_day_of_previous_month


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m refresh.demo",
                                     description="Build the analytics store from synthetic demo data.")
    parser.add_argument("--url", required=True,
                        help="analytics store URL, e.g. duckdb:///var/analytics.duckdb")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--scale", type=float, default=1.0,
                        help="volume multiplier (1.0 = a borough like Dudley; 20 gives over 1M involvements)")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None,
                        help="the date the data runs to (default: last day of the previous month)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if args.scale <= 0:
        parser.error("--scale must be positive")
    as_of = args.as_of or last_day_of_previous_month()
    started = time.perf_counter()
    counts = build(args.url, seed=args.seed, scale=args.scale, as_of=as_of, progress=not args.quiet)
    width = max(len(name) for name in counts)
    print(f"Built {args.url} (seed {args.seed}, scale {args.scale:g}, as_of {as_of}) "
          f"in {time.perf_counter() - started:.1f} s")
    for name, rows in counts.items():
        print(f"  {name:<{width}}  {rows:>10,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
