"""k-anonymous pseudonymised rows: every combination of quasi-identifiers an analyst sees covers >= k children.

The quasi-identifiers an analyst's row shows are birth year, sex, locality and lawful basis (no birth
month, postcode or postcode sector: at birth month + sex + postcode sector 54% of demo children
were unique). The guarantee is enforced in the query, over the analyst's whole result (their scope
and filters), with window counts, before paging:

1. A row whose (birth year, sex, locality, lawful basis) is shared by at least k children in the
   result is shown as it is.
2. The others are generalised: birth year becomes a five-year band ("2010-2014") and locality is
   withheld; shown if at least k of these generalised rows share (band, sex, lawful basis).
3. What is left has every quasi-identifier withheld; shown only if at least k rows are left, and
   otherwise not listed at all (the page's total counts listed rows only).

So each distinct combination of visible values (a level-1 tuple, a level-2 tuple, or "all withheld")
is shared by at least k rows of the result, one row per child. ``k_achieved`` measures it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import sqlalchemy as sa

from model import schema

CH = schema.children.c
WITHHELD = "withheld"
BAND_YEARS = 5
QUASI_IDENTIFIERS = ("birth_year", "sex", "locality", "lawful_basis")


def k_anonymous(base: sa.Select, k: int) -> sa.Subquery:
    """``base`` (child_id, la_child_id, birth_year, sex, locality, lawful_basis; one row per child),
    with a ``level`` column (1, 2 or 3, as in the module docstring) and without rows that cannot be
    shown. Window counts only: runs on DuckDB, SQLite and PostgreSQL alike."""
    rows = base.subquery("qi")
    band = rows.c.birth_year - rows.c.birth_year % BAND_YEARS
    n1 = sa.func.count().over(partition_by=[rows.c.birth_year, rows.c.sex, rows.c.locality, rows.c.lawful_basis])
    first = sa.select(rows, band.label("band"), n1.label("n1")).subquery("k1")
    small = sa.case((first.c.n1 < k, 1), else_=0)
    n2 = sa.func.sum(small).over(partition_by=[first.c.band, first.c.sex, first.c.lawful_basis])
    second = sa.select(first, n2.label("n2")).subquery("k2")
    rest = sa.case((sa.and_(second.c.n1 < k, second.c.n2 < k), 1), else_=0)
    third = sa.select(second, sa.func.sum(rest).over().label("n3")).subquery("k3")
    level = sa.case((third.c.n1 >= k, 1), (third.c.n2 >= k, 2), else_=3)
    shown = sa.select(third.c.child_id, third.c.la_child_id, third.c.birth_year, third.c.band, third.c.sex,
                      third.c.locality, third.c.lawful_basis, level.label("level"))
    return shown.where(sa.or_(third.c.n1 >= k, third.c.n2 >= k, third.c.n3 >= k)).subquery("kanon")


def visible(level: int, birth_year: int | None, band: int | None, sex: str | None, locality: str | None,
            lawful_basis: str | None) -> dict[str, str | None]:
    """What the analyst sees of one row at its generalisation level."""
    if level == 1:
        return {"birth_year": None if birth_year is None else str(int(birth_year)), "sex": sex,
                "locality": locality, "lawful_basis": lawful_basis}
    if level == 2:
        years = None if band is None else f"{int(band)}-{int(band) + BAND_YEARS - 1}"
        return {"birth_year": years, "sex": sex, "locality": WITHHELD, "lawful_basis": lawful_basis}
    return dict.fromkeys(QUASI_IDENTIFIERS, WITHHELD)


def k_achieved(rows: Iterable[tuple[object, ...]]) -> tuple[int, int]:
    """(smallest number of rows sharing one combination of visible quasi-identifiers, combinations);
    (0, 0) for no rows."""
    counts = Counter(tuple(row) for row in rows)
    return (min(counts.values()), len(counts)) if counts else (0, 0)
