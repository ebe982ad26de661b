"""k-anonymity of analysts' pseudonymised rows: the smallest number of children sharing one
combination of visible quasi-identifiers (birth year, sex, locality, lawful basis), as served.

    python bench/kanon.py --url duckdb:////tmp/k1.duckdb        # a store built by refresh.demo
    python bench/kanon.py --url duckdb:////tmp/k20.duckdb --k 5

Prints, for the whole analyst result and for a few filtered results (two localities, two age
bands, one sex): rows listed, rows generalised or withheld, combinations, k achieved; and, for
comparison, how many children were unique on the old birth month + sex + postcode sector.
Side effects: none (reads the store).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

from data_access.filters import Filters  # noqa: E402
from data_access.records import kanon, listing  # noqa: E402
from data_access.records.scope import check_access, scope_subquery  # noqa: E402
from model import schema  # noqa: E402

QI = list(kanon.QUASI_IDENTIFIERS)


@dataclass(frozen=True)
class _Analyst:
    user_id: int = 0
    username: str = "bench-analyst"
    role: str = "analyst"
    team_ids: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    worker_id: str | None = None


ANALYST = _Analyst()


def as_of(conn: sa.Connection) -> dt.date:
    meta = schema.store_metadata.c
    return dt.date.fromisoformat(conn.execute(sa.select(meta.value).where(meta.key == "as_of")).scalar_one())


def measure(conn: sa.Connection, filters: Filters, k: int) -> dict[str, object]:
    """Every row an analyst may list under ``filters`` (one page holding all), and the k it achieves."""
    access = check_access(ANALYST, "statutory_return", day=as_of(conn), grace_days=28)
    page = listing.pseudonymised_page(conn, access, filters, key=b"bench", page=0, page_size=10**8, k=k)
    rows = page.rows[QI].astype(str).itertuples(index=False)
    achieved, combos = kanon.k_achieved(rows)
    generalised = int((page.rows["locality"] == kanon.WITHHELD).sum())
    return {"rows": page.total, "generalised_or_withheld": generalised, "combinations": combos, "k": achieved}


def old_uniqueness(conn: sa.Connection) -> float:
    """Share of the analyst's children unique on birth month + sex + postcode sector (what they saw before)."""
    ch = schema.children.c
    scoped = scope_subquery(check_access(ANALYST, "statutory_return", day=as_of(conn), grace_days=28))
    month = sa.func.substr(sa.cast(ch.birth_date, sa.String), 1, 7)
    groups = (sa.select(sa.func.count().label("n")).select_from(schema.children)
              .join(scoped, scoped.c.child_id == ch.child_id)
              .group_by(month, ch.sex, ch.postcode_sector).subquery())
    unique, total = conn.execute(sa.select(sa.func.sum(sa.case((groups.c.n == 1, 1), else_=0)),
                                           sa.func.sum(groups.c.n))).one()
    return float(unique or 0) / float(total or 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="analytics store, e.g. duckdb:////tmp/k1.duckdb")
    parser.add_argument("--k", type=int, default=5)
    args = parser.parse_args(argv)
    engine = sa.create_engine(args.url)
    with engine.connect() as conn:
        print(f"store {args.url}; as of {as_of(conn)}; k required {args.k}")
        print(f"before: {old_uniqueness(conn):.1%} of the analyst's children unique on birth month + sex + "
              "postcode sector")
        localities = sorted(conn.execute(sa.select(schema.children.c.locality).distinct()
                                         .where(schema.children.c.locality.is_not(None))).scalars())
        cases = {"all": Filters()} | {f"locality={loc}": Filters(locality=loc) for loc in localities[:2]}
        cases |= {"age_band=16-17": Filters(age_band="16-17"), "age_band=unborn": Filters(age_band="unborn"),
                  "sex=F": Filters(sex="F")}
        worst = None
        for name, filters in cases.items():
            found = measure(conn, filters, args.k)
            print(f"{name:>24}: " + ", ".join(f"{key} {value}" for key, value in found.items()))
            worst = found["k"] if worst is None else min(worst, found["k"])  # type: ignore[call-overload]  # ints
        print(f"k = {worst}")
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
