"""The attack suite's figures: how many small counts each attack class recovers, per role.

    .venv/bin/python bench/attacks.py                                   # a scale-1 demo store in a temp dir
    .venv/bin/python bench/attacks.py --url duckdb:////tmp/csi/analytics.duckdb
    .venv/bin/python bench/attacks.py --class slicer_partition --role leadership

For each attack class (tests/_attacks.py: slicer partition, period differencing, time hierarchy,
drill-through, rate cards, export vs chart, card vs chart) and each role with aggregates, then again
for each page attacked in runs of its own (Care leavers: ``attacks.OWN_RUNS``), prints:
views read, attempts (derivations), small targets (record sets with a true count of 1-5), usable
derivations of them (every input shown as a number), hits (usable derivations equal to the truth)
and their rate, the chance rate under ±2 cell-key noise (simulated on the same derivations), exact
(small targets recovered at least once), indep (small targets with two usable derivations sharing
no noisy input), certain (recovered by two such derivations, none disagreeing), and the bounds the
tests assert (h.max, c.max). Then the consistency check: how many published values each followed
cell has across views that count exactly its records. ``--emulate`` shows what the same attacks get
from consistent cell-key perturbation of the same counts (data_access.cellkey on the true counts).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import _attacks as attacks  # type: ignore[import-not-found]  # noqa: E402  (tests/, put on sys.path above)

import data_access  # noqa: E402
from model.settings import Settings  # noqa: E402

AS_OF = dt.date(2025, 10, 31)  # as tests/_stores.py builds the demo store
SEED = 20250331


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="analytics store URL (default: build a scale-1 demo store in a temp dir)")
    parser.add_argument("--class", dest="klass", action="append", choices=attacks.CLASSES,
                        help="attack class (repeatable; default: all)")
    parser.add_argument("--role", action="append", choices=attacks.ROLES, help="role (repeatable; default: all)")
    parser.add_argument("--examples", action="store_true", help="print up to three recoveries per line")
    parser.add_argument("--emulate", action="store_true",
                        help="read every count as consistent cell-key perturbation would publish it "
                             "(data_access.cellkey on the true counts): the figures the tests expect after the fix")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="csi-attacks-") as tmp:
        url = args.url
        if url is None:
            from refresh import demo

            url = f"duckdb:///{Path(tmp) / 'analytics.duckdb'}"
            started = time.perf_counter()
            demo.build(url, seed=SEED, scale=1.0, as_of=AS_OF, progress=False)
            print(f"built a scale-1 demo store in {time.perf_counter() - started:.1f} s: {url}")
        settings = Settings.from_env({}, data_dir=Path(tmp), analytics_url=url,
                                     app_db_url=f"sqlite:///{Path(tmp) / 'app.sqlite'}", demo=True)
        stores = data_access.open_stores(settings)
        with data_access.bound(stores), attacks.store_runner() as run:
            report(attacks.Truth(run), settings.suppression_threshold, args.klass or list(attacks.CLASSES),
                   args.role or list(attacks.ROLES), args.examples, args.emulate)
        stores.close()
    return 0


def report(truth: object, threshold: int, classes: list[str], roles: list[str], examples: bool,
           emulate: bool = False) -> None:
    print(f"threshold: counts 1-{threshold}; chance under ±2 noise simulated {attacks.SIMULATIONS} times"
          f"{'; EMULATED cell-key perturbation of every count read' if emulate else ''}")
    print(attacks.HEADER)
    failing = 0
    started = time.perf_counter()
    attackers = {role: attacks.Attacker(role, truth, threshold=threshold, emulate=emulate) for role in roles}
    for klass in classes:
        for role in roles:
            result = attacks.run(klass, attackers[role])
            failing += bool(result.problems())
            print(result.line() + ("   FAILS" if result.problems() else ""), flush=True)
            if examples:
                for example in result.examples:
                    print(f"    {example}")
    runs = len(classes) * len(roles)
    for page in attacks.OWN_RUNS:  # pages attacked in runs of their own (tests/_attacks.py)
        print(f"{page}, attacked alone:")
        for klass in [c for c in classes if c not in attacks.OWN_RUN_SKIPS.get(page, ())]:
            for role in roles:
                alone = attacks.Attacker(role, truth, threshold=threshold, emulate=emulate, pages=(page,))
                if not alone.probes() and not alone.card_probes():
                    print(f"{klass:<20} {role:<22} (the page shows this role no figures)")
                    continue
                result = attacks.run(klass, alone)
                failing += bool(result.problems())
                runs += 1
                print(result.line() + ("   FAILS" if result.problems() else ""), flush=True)
    print(f"{failing} of {runs} class x role results above chance ({time.perf_counter() - started:.1f} s)")
    leader = attacks.Attacker("leadership", truth, threshold=threshold, emulate=emulate)
    for month, locality, source in attacks.consistency_cells(leader):
        cells = attacks.consistency_views(leader, month, locality, source)
        values = sorted({str(c.shown) for c in cells})
        sets = {c.records for c in cells}
        print(f"consistency: referrals {month:%b %Y} {locality} source {source or 'any'}: {len(cells)} views, "
              f"{len(sets)} record set(s), true {cells[0].n if cells else '?'}, published {', '.join(values)}"
              f"{'' if len(values) == 1 else '   INCONSISTENT'}")


if __name__ == "__main__":
    raise SystemExit(main())
