"""How long does an IG officer wait for the access log, the break-glass review and chain verification
on a large audit trail?

    .venv/bin/python bench/access_log.py                     # 200,000 entries, scale-1 demo store
    .venv/bin/python bench/access_log.py --entries 1000000 --repeat 3

Builds a scale-1 demo analytics store (under /tmp/csi-bench unless --url names one) and a fresh SQLite
app store in a temporary directory, then appends ``--entries`` audit entries with valid keyed hashes
in one transaction (what the app would have written over 90 days: single-record reads, list reads of
50 children, pseudonymised analyst reads, logins, refusals, by 40 users). Times, as the demo IG
officer through ``data_access`` (each call audited, as served): a search by child over the 366 days
the search allows, by user over 30 days, by action over 30 days, the CSV export of a child's entries,
the break-glass review list, and chain verification (every entry's HMAC and the checkpoints).
Prints the median and worst of ``--repeat`` runs and the matching entries. Side effects: none
outside the temporary directory and the store it builds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

import data_access  # noqa: E402
from appstore import audit, tables, users  # noqa: E402
from appstore.chain import canonical_json, entry_hash  # noqa: E402
from data_access.records.listing import pseudonym  # noqa: E402
from model import schema  # noqa: E402
from model.settings import Settings  # noqa: E402


def _store(url: str | None) -> str:
    if url:
        return url
    from refresh import demo

    path = Path("/tmp/csi-bench/scale1.duckdb")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        demo.build(f"duckdb:///{path}", seed=20250331, scale=1.0, progress=False)
    return f"duckdb:///{path}"


def _fill(stores: data_access.Stores, entries: int, children: list[tuple[int, str]]) -> None:
    """Append ``entries`` entries chained under the audit key, in one transaction."""
    rng = random.Random(7)
    key, engine = stores.settings.audit_key, stores.app
    names = [f"user{i:02d}" for i in range(40)]
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=90)
    with tables.write_transaction(engine) as conn:
        seq, prev = conn.execute(sa.select(tables.audit_head.c.seq, tables.audit_head.c.entry_hash)).one()
        batch: list[dict[str, object]] = []
        for i in range(entries):
            kind = rng.random()
            ids: list[int] = []
            pseudos: list[str] = []
            action, resource = "record_read", "child"
            purpose: str | None = "direct_work"
            if kind < 0.45:
                ids = [rng.choice(children)[0]]
            elif kind < 0.70:
                ids, resource = sorted(c for c, _ in rng.sample(children, 50)), "records"
            elif kind < 0.80:
                pseudos, purpose, resource = [pseudonym(stores.settings.pseudonym_key, la)
                                              for _, la in rng.sample(children, 50)], "service_planning", "records"
            elif kind < 0.85:
                action, ids = "access_refused", [rng.choice(children)[0]]
            else:
                action, purpose, resource = "login", None, "session"
            seq += 1
            when = start + dt.timedelta(seconds=90 * 86400 * i / entries)
            row = {"seq": seq, "occurred_at": tables.iso_utc(when), "action": action,
                   "outcome": "refused" if action == "access_refused" else "allowed",
                   "username": rng.choice(names), "user_id": None, "purpose": purpose, "lawful_basis": "public_task",
                   "resource": resource, "child_ids": canonical_json(ids), "fields": canonical_json(["surname"]),
                   "reason": None, "client": None, "detail": "{}",
                   "pseudonyms": canonical_json(pseudos) if pseudos else None, "prev_hash": prev}
            row["entry_hash"] = prev = entry_hash(prev, row, key)
            batch.append(row)
            if len(batch) == 5000 or i == entries - 1:
                conn.execute(tables.audit_events.insert(), batch)
                # the head moves one entry at a time (its trigger), as the writer moves it
                conn.execute(sa.update(tables.audit_head).values(seq=sa.bindparam("s"), entry_hash=sa.bindparam("h"),
                                                                  updated_at=sa.bindparam("u")),
                             [{"s": r["seq"], "h": r["entry_hash"], "u": r["occurred_at"]} for r in batch])
                batch.clear()
    stores.trail.checkpoint()


def _time(repeat: int, call: Callable[[], object]) -> tuple[float, float, object]:
    seconds, result = [], None
    for _ in range(repeat):
        begin = time.perf_counter()
        result = call()
        seconds.append(time.perf_counter() - begin)
    return statistics.median(seconds), max(seconds), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="analytics store (default: a scale-1 demo store under /tmp/csi-bench)")
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    url = _store(args.url)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_env({}, data_dir=Path(tmp), analytics_url=url, demo=True, audit_checkpoint_every=0,
                                     app_db_url=f"sqlite:///{tmp}/app.sqlite")
        stores = data_access.open_stores(settings)
        with data_access.bound(stores):
            data_access.ensure_demo_accounts(password_hash=lambda: "$argon2id$v=19$m=8,t=1,p=1$x$y")
            with stores.analytics.connect() as conn:
                children = [(int(c), str(la)) for c, la in conn.execute(
                    sa.select(schema.children.c.child_id, schema.children.c.la_child_id))]
            began = time.perf_counter()
            _fill(stores, args.entries, children)
            print(f"trail: {args.entries:,} entries written in {time.perf_counter() - began:.1f} s; "
                  f"{len(children):,} children in {url}")
            ig = users.find_login(stores.app, "demo-ig")[0]  # type: ignore[index]  # made just above
            today = dt.date.today()
            wide = {"since": (today - dt.timedelta(days=365)).isoformat(), "until": today.isoformat()}
            child = children[len(children) // 2][1]
            log = data_access.access_log
            cases: dict[str, Callable[[], object]] = {
                "search by child, 366 days": lambda: log.search(user=ig, criteria={**wide, "child": child}),
                "search by user, 30 days": lambda: log.search(user=ig, criteria={"username": "user07"}),
                "search by action, 30 days": lambda: log.search(user=ig, criteria={"action": "access_refused"}),
                "export by child, 366 days": lambda: log.export_csv(user=ig, criteria={**wide, "child": child}),
                "break-glass review list": lambda: data_access.records.break_glass_review_list(user=ig),
                "verify the chain": lambda: data_access.access_log.verify_chain(user=ig),
            }
            for name, call in cases.items():
                median, worst, result = _time(args.repeat, call)
                found = getattr(result, "total", getattr(result, "checked", None))
                extra = f"; {found:,} entries" if isinstance(found, int) else ""
                print(f"{name:>28}: median {median * 1000:8.1f} ms, worst {worst * 1000:8.1f} ms{extra}")
            print(f"audit entries now {audit.chain_head(stores.app)[0]:,}; {json.dumps({'repeat': args.repeat})}")
        stores.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
