"""Child-level rows: identifiable lists for caseworkers and team managers, pseudonymised for analysts.

Paging, sorting and filtering run in the database. Special category fields are masked in SQL
(the value is never fetched) unless the role permits them and an Art 9 condition is recorded on a
qualifying involvement. Pseudonymised rows carry a keyed-hash id, birth year, sex, locality and
lawful basis only (no name, UPN, LA child ID, date of birth, postcode or postcode sector), and are
k-anonymous (``kanon``).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd
import sqlalchemy as sa

from data_access.aggregates.scope import child_conditions
from data_access.errors import InvalidRequest
from data_access.filters import Filters
from data_access.records.kanon import QUASI_IDENTIFIERS, WITHHELD, k_anonymous, visible
from data_access.records.scope import Access, scope_subquery
from model import schema

if TYPE_CHECKING:
    from data_access.records.through import DrillCounts

CH = schema.children.c
MAX_PAGE_SIZE = 200
MAX_OFFSET = 2**31 - 1  # rows to skip: far beyond any store, and well inside every engine's LIMIT/OFFSET

# What the list shows and no more (data minimisation): the postcode is on the child's own record.
IDENTIFIABLE_FIELDS = ("child_id", "la_child_id", "upn", "forename", "surname", "birth_date", "sex",
                       "locality", "ethnicity", "religion", "lawful_basis")
PSEUDONYMISED_FIELDS = ("pseudo_id", *QUASI_IDENTIFIERS)  # birth year, sex, locality, lawful basis
SORTABLE = {"surname": CH.surname, "forename": CH.forename, "birth_date": CH.birth_date, "sex": CH.sex,
            "locality": CH.locality, "la_child_id": CH.la_child_id}


@dataclass(frozen=True)
class Page:
    rows: pd.DataFrame
    total: int  # rows in scope matching the filters
    page: int
    page_size: int
    fields: tuple[str, ...]
    lawful_bases: tuple[str, ...]
    drill: DrillCounts | None = None  # when the list is a drill-through
    drill_title: str | None = None


MAX_SEARCH = 40


def parse_search(search: object) -> dict[str, str]:
    """``{"name": text, "la_child_id": text}`` (either may be absent): the grid's text filters."""
    if search in (None, {}):
        return {}
    if not isinstance(search, dict) or set(search) - {"name", "la_child_id"}:
        raise InvalidRequest("Field 'search' may only hold 'name' and 'la_child_id'.")
    out = {}
    for field, value in search.items():
        if not isinstance(value, str) or not 1 <= len(value.strip()) <= MAX_SEARCH or not value.isprintable():
            raise InvalidRequest(f"Field 'search.{field}' must be 1 to {MAX_SEARCH} printable characters.")
        out[field] = value.strip()
    return out


def _search_conditions(search: dict[str, str]) -> list[sa.ColumnElement[bool]]:
    """Name (forename or surname, starting with; case-insensitive) and LA child ID (starting with)."""
    conds = []
    if "name" in search:
        words = search["name"].lower().split()
        for word in words:  # "jo smi" finds Jo Smith: every word starts the forename or the surname
            pattern = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            conds.append(sa.or_(sa.func.lower(CH.forename).like(pattern, escape="\\"),
                                sa.func.lower(CH.surname).like(pattern, escape="\\")))
    if "la_child_id" in search:
        conds.append(sa.func.substr(CH.la_child_id, 1, len(search["la_child_id"])) == search["la_child_id"])
    return conds


def parse_paging(page: object, page_size: object, sort: object, descending: object) -> tuple[int, int, str, bool]:
    if isinstance(page, bool) or not isinstance(page, int) or page < 0:
        raise InvalidRequest("Field 'page' must be a whole number from 0.")
    if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidRequest(f"Field 'page_size' must be from 1 to {MAX_PAGE_SIZE}.")
    if page * page_size > MAX_OFFSET:  # a forged page number past int64 crashes the database driver
        raise InvalidRequest("Field 'page' is beyond the last row.")
    if not isinstance(sort, str) or sort not in SORTABLE:
        raise InvalidRequest("Field 'sort' must name a sortable column.")
    if not isinstance(descending, bool):
        raise InvalidRequest("Field 'descending' must be true or false.")
    return page, page_size, str(sort), descending


def _special(access: Access, column: sa.ColumnElement, art9: sa.ColumnElement) -> sa.ColumnElement:
    if not access.role.special_category_rows:
        return sa.literal(WITHHELD)
    return sa.case((art9 == 1, column), else_=sa.literal(WITHHELD))


def identifiable_page(conn: sa.Connection, access: Access, filters: Filters, *, page: int, page_size: int,
                      sort: str, descending: bool, members: sa.Select | None = None,
                      search: dict[str, str] | None = None, art9_only: bool = False) -> Page:
    """One page of the children in scope with the fields the user may see (special category masked);
    ``members``: only these children (a drill-through's counted children), still within scope;
    ``art9_only``: only children whose special category fields the user may see (a list drawn by
    special category data: which children it holds tells their category)."""
    scoped = scope_subquery(access)
    where = child_conditions(filters, access.day)
    if members is not None:
        where.append(CH.child_id.in_(members))
    if art9_only:
        where.append(scoped.c.art9 == 1 if access.role.special_category_rows else sa.false())
    where += _search_conditions(search or {})
    base = sa.select(CH.child_id).join(scoped, scoped.c.child_id == CH.child_id).where(*where)
    total = conn.execute(sa.select(sa.func.count()).select_from(base.subquery())).scalar_one()
    # Blanks (an unborn child's name or date of birth) last either way, on every engine alike.
    order = (SORTABLE[sort].desc() if descending else SORTABLE[sort].asc()).nulls_last()
    query = (sa.select(CH.child_id, CH.la_child_id, CH.upn, CH.forename, CH.surname, CH.birth_date, CH.sex,
                       CH.locality,
                       _special(access, CH.ethnicity, scoped.c.art9).label("ethnicity"),
                       _special(access, CH.religion, scoped.c.art9).label("religion"),
                       scoped.c.lawful_basis)
             .join(scoped, scoped.c.child_id == CH.child_id).where(*where)
             .order_by(order, CH.child_id).limit(page_size).offset(page * page_size))
    rows = pd.DataFrame(conn.execute(query).all(), columns=list(IDENTIFIABLE_FIELDS))
    return Page(rows, int(total), page, page_size, IDENTIFIABLE_FIELDS,
                tuple(sorted(set(rows["lawful_basis"]))))


def pseudonym(key: bytes, la_child_id: str) -> str:
    """A keyed hash (HMAC-SHA-256) of the LA child ID: stable per key, not reversible without it."""
    return hmac.new(key, la_child_id.encode(), hashlib.sha256).hexdigest()[:20]


def pseudonymised_page(conn: sa.Connection, access: Access, filters: Filters, *, key: bytes, page: int,
                       page_size: int, k: int = 5) -> Page:
    """One page of pseudonymised rows for statistical purposes (no direct identifiers), k-anonymous
    over the whole result: every combination of birth year, sex, locality and lawful basis shown is
    shared by at least ``k`` children, generalised or withheld in SQL where it would not be (``kanon``)."""
    scoped = scope_subquery(access)
    where = child_conditions(filters, access.day)
    year = sa.cast(sa.extract("year", CH.birth_date), sa.Integer)
    base = (sa.select(CH.child_id, CH.la_child_id, year.label("birth_year"), CH.sex, CH.locality,
                      scoped.c.lawful_basis)
            .join(scoped, scoped.c.child_id == CH.child_id).where(*where))
    shown = k_anonymous(base, k)
    total = conn.execute(sa.select(sa.func.count()).select_from(shown)).scalar_one()
    query = sa.select(shown).order_by(shown.c.child_id).limit(page_size).offset(page * page_size)
    fetched = conn.execute(query).all()
    seen = [visible(r.level, r.birth_year, r.band, r.sex, r.locality, r.lawful_basis) for r in fetched]
    rows = pd.DataFrame({"pseudo_id": [pseudonym(key, r.la_child_id) for r in fetched],
                         **{f: [v[f] for v in seen] for f in QUASI_IDENTIFIERS}},
                        columns=list(PSEUDONYMISED_FIELDS))
    return Page(rows, int(total), page, page_size, PSEUDONYMISED_FIELDS,
                tuple(sorted(b for b in set(rows["lawful_basis"]) if b != WITHHELD)))


