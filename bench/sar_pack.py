"""Subject access packs and consent withdrawals, timed on a demo store.

    python bench/sar_pack.py                       # builds a scale-1 demo store in a temporary folder
    python bench/sar_pack.py --url duckdb:////tmp/k20.duckdb --repeat 5

Prints: the time to build the pack (PDF and ZIP) of the demo child with the most records, the pack's
size and rows; and a caseworker's records read (one page of the caseload, and one child's record)
with no consent withdrawals recorded and with 200 recorded, since every read now looks them up in
the app store (``data_access.consent.withdrawn_involvements``). Side effects: a temporary app store.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

import data_access  # noqa: E402
from appstore import tables, users  # noqa: E402
from appstore.subject_rights import consent_withdrawals  # noqa: E402
from data_access import records, sar, sar_pack  # noqa: E402
from model.settings import Settings  # noqa: E402


def median_ms(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="an analytics store built by refresh.demo (default: build scale 1)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-sar-"))
    url = args.url
    if not url:
        from refresh import demo

        url = f"duckdb:///{folder / 'analytics.duckdb'}"
        demo.build(url, seed=20250331, scale=1.0, as_of=dt.date(2025, 10, 31), progress=False)
    import app as app_module

    settings = Settings.from_env({}, data_dir=folder, analytics_url=url,
                                 app_db_url=f"sqlite:///{folder / 'app.sqlite'}", demo=True)
    stores = app_module.prepare_stores(settings)
    with data_access.bound(stores):
        ig, worker = (users.find_login(stores.app, n)[0] for n in ("demo-ig", "demo-caseworker"))  # type: ignore[index]  # the demo accounts exist
        with stores.analytics.connect() as conn:
            child = conn.execute(sa.text(
                "SELECT child_id FROM involvements GROUP BY child_id ORDER BY count(*) DESC, child_id LIMIT 1"
            )).scalar_one()
            la_id = conn.execute(sa.text("SELECT la_child_id FROM children WHERE child_id = :c"), {"c": child}).scalar()
            consented = conn.execute(sa.text("SELECT involvement_id, child_id, service, intervention_type, start_date "
                                             "FROM involvements WHERE lawful_basis = 'consent' LIMIT 200")).all()
        number = sar.register_request(user=ig, case_ref="BENCH-1", requester="Bench", relationship="self",
                                      received=dt.date.today().isoformat(), child=la_id, identity_verified=True,
                                      identity_evidence="photo_id")
        for fmt in ("pdf", "zip"):
            pack = sar_pack.build_pack(user=ig, sar_id=number, fmt=fmt)
            took = median_ms(functools.partial(sar_pack.build_pack, user=ig, sar_id=number, fmt=fmt), args.repeat)
            rows = sum(len(v) for v in pack.sections.values())
            print(f"pack {fmt}: median {took:,.0f} ms over {args.repeat}; {len(pack.content):,} bytes; {rows} rows")
        mine = records.child_records(user=worker, purpose="direct_work", page_size=50)
        first = int(mine.rows["child_id"].iloc[0])

        def reads() -> tuple[float, float]:
            listing = median_ms(lambda: records.child_records(user=worker, purpose="direct_work", page_size=50),
                                args.repeat * 4)
            record = median_ms(lambda: records.child_record(user=worker, purpose="direct_work", child_id=first),
                               args.repeat * 4)
            return listing, record

        before = reads()
        with tables.write_transaction(stores.app) as conn:
            for inv, kid, service, kind, start in consented:
                conn.execute(consent_withdrawals.insert().values(
                    involvement_id=inv, child_id=kid, service=service, intervention_type=kind,
                    start_date=str(start)[:10], purpose="all", withdrawn_date="2025-01-01",
                    recorded_by=ig.user_id, recorded_at=tables.iso_utc()))
        after = reads()
        print(f"caseworker list page (50): {before[0]:.1f} ms with 0 withdrawals, {after[0]:.1f} ms with "
              f"{len(consented)}")
        print(f"caseworker child record: {before[1]:.1f} ms with 0 withdrawals, {after[1]:.1f} ms with "
              f"{len(consented)}")
    stores.close()


if __name__ == "__main__":
    main()
