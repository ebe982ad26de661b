"""Analysts' pseudonymised rows are k-anonymous (k >= 5) on the demo data, enforced in the query."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from data_access.filters import Filters
from data_access.records import kanon, listing
from data_access.records.scope import check_access
from model import schema

K = 5
QI = list(kanon.QUASI_IDENTIFIERS)


@dataclass(frozen=True)
class _Analyst:
    user_id: int = 1
    username: str = "analyst"
    role: str = "analyst"
    team_ids: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    worker_id: str | None = None


@pytest.fixture(scope="module")
def demo_conn(demo_store):  # type: ignore[no-untyped-def]
    engine = sa.create_engine(f"duckdb:///{demo_store}", connect_args={"read_only": True})
    with engine.connect() as conn:
        yield conn
    engine.dispose()


def _all_rows(conn: sa.Connection, filters: Filters) -> listing.Page:
    access = check_access(_Analyst(), "statutory_return", day=dt.date(2025, 10, 31), grace_days=28)
    return listing.pseudonymised_page(conn, access, filters, key=b"test", page=0, page_size=10**7, k=K)


@pytest.mark.parametrize("filters", [Filters(), Filters(locality="CENTRAL"), Filters(age_band="16-17"),
                                     Filters(age_band="unborn"), Filters(sex="F"), Filters(sex="U")],
                         ids=["all", "central", "16-17", "unborn", "female", "sex-unknown"])
def test_every_visible_combination_covers_at_least_k_children(demo_conn, filters: Filters) -> None:  # type: ignore[no-untyped-def]
    page = _all_rows(demo_conn, filters)
    achieved, combinations = kanon.k_achieved(page.rows[QI].astype(str).itertuples(index=False))
    assert page.total == len(page.rows) and page.rows["pseudo_id"].is_unique
    assert page.total == 0 or achieved >= K
    print(f"{filters}: {page.total} rows, {combinations} combinations, k = {achieved}")


def test_almost_every_row_keeps_its_birth_year_and_locality(demo_conn) -> None:  # type: ignore[no-untyped-def]
    page = _all_rows(demo_conn, Filters())
    assert page.total > 20_000
    assert kanon.k_achieved(page.rows[QI].astype(str).itertuples(index=False))[0] >= K
    generalised = (page.rows["locality"] == kanon.WITHHELD).mean()
    assert generalised < 0.01  # coarsening, not blanket suppression
    years = page.rows["birth_year"].dropna()  # None: unborn children
    assert years.str.fullmatch(r"\d{4}|\d{4}-\d{4}|withheld").all()


def test_the_old_columns_singled_children_out(demo_conn) -> None:  # type: ignore[no-untyped-def]
    """Why: birth month + sex + postcode sector made most analyst-visible children unique."""
    ch = schema.children.c
    month = sa.func.substr(sa.cast(ch.birth_date, sa.String), 1, 7)
    sizes = demo_conn.execute(sa.select(sa.func.count()).select_from(schema.children).group_by(month, ch.sex, ch.postcode_sector)).scalars().all()
    unique = sum(n for n in sizes if n == 1) / sum(sizes)
    assert unique > 0.3


def test_pages_of_the_result_are_the_same_rows(demo_conn) -> None:  # type: ignore[no-untyped-def]
    access = check_access(_Analyst(), "service_planning", day=dt.date(2025, 10, 31), grace_days=28)
    whole = listing.pseudonymised_page(demo_conn, access, Filters(locality="EAST"), key=b"t", page=0, page_size=600,
                                       k=K)
    halves = [listing.pseudonymised_page(demo_conn, access, Filters(locality="EAST"), key=b"t", page=p,
                                         page_size=300, k=K) for p in (0, 1)]
    assert list(whole.rows["pseudo_id"]) == [*halves[0].rows["pseudo_id"], *halves[1].rows["pseudo_id"]]
    assert whole.total == halves[0].total
