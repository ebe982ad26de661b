"""SQL building blocks shared by aggregate queries: the period, and child-level slicer conditions.

All conditions are SQLAlchemy expressions, so scoping happens in the database, never in pandas.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from data_access.filters import Filters
from model import schema

C = schema.children.c

AGE_BOUNDS = {"0-4": (0, 5), "5-9": (5, 10), "10-15": (10, 16), "16-17": (16, 18), "18+": (18, 200)}


def years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` earlier (clamped to the month's end)."""
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    m += 1
    last = (dt.date(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(y, m, min(day.day, last))


@dataclass(frozen=True)
class Period:
    """The reporting window (start, end], ending on the store's as_of date."""

    start: dt.date  # exclusive
    end: dt.date  # inclusive

    @classmethod
    def trailing(cls, as_of: dt.date, months: int) -> Period:
        """The last ``months`` whole calendar months, ending with ``as_of``'s month (which runs to
        ``as_of``, the last day with data): never a part month at the start."""
        first = months_before(as_of.replace(day=1), months - 1)
        return cls(first - dt.timedelta(days=1), as_of)

    def contains(self, column: sa.ColumnElement) -> sa.ColumnElement[bool]:
        return sa.and_(column > self.start, column <= self.end)


def child_conditions(filters: Filters, as_of: dt.date, *, sex: sa.ColumnElement = C.sex,
                     locality: sa.ColumnElement = C.locality,
                     birth_date: sa.ColumnElement = C.birth_date) -> list[sa.ColumnElement[bool]]:
    """Conditions for the locality, sex and age-band slicers (age on ``as_of``), on ``children`` by
    default, or on the given columns (a fact table's copies of them)."""
    conds: list[sa.ColumnElement[bool]] = []
    if filters.locality:
        conds.append(locality == filters.locality)
    if filters.sex:
        conds.append(sex == filters.sex)
    if filters.age_band == "unborn":
        conds.append(sa.or_(birth_date.is_(None), birth_date > as_of))
    elif filters.age_band:
        low, high = AGE_BOUNDS[filters.age_band]
        # Age in whole years on as_of is in [low, high) <=> born in (as_of - high y, as_of - low y].
        conds.append(birth_date > years_before(as_of, high))
        conds.append(birth_date <= years_before(as_of, low))
    return conds


def restrict_children(table: sa.Table, filters: Filters, as_of: dt.date) -> list[sa.ColumnElement[bool]]:
    """Conditions limiting rows of a child-level ``table`` to children matching the slicers.

    On a table carrying copies of the child's attributes (schema.CHILD_COPIES, filled at refresh)
    the conditions are on its own rows; otherwise a semi-join on ``children``."""
    if "child_sex" in table.c:
        t = table.c
        conds = child_conditions(filters, as_of, sex=t.child_sex, locality=t.child_locality,
                                 birth_date=t.child_birth_date)
        if filters.age_band == "unborn":  # a NULL birth date of a child that exists (sex is never NULL)
            conds.append(t.child_sex.is_not(None))
        return conds
    conds = child_conditions(filters, as_of)
    if not conds:
        return []
    matching = sa.select(C.child_id).where(*conds)
    return [table.c.child_id.in_(matching)]


def open_on(start: sa.ColumnElement, end: sa.ColumnElement, day: dt.date) -> sa.ColumnElement[bool]:
    """Open on ``day``: started on or before it and not ended by it."""
    return sa.and_(start <= day, sa.or_(end.is_(None), end > day))


def population_on(conn: sa.Connection, day: dt.date) -> int | None:
    """ONS mid-year 0-17 estimate used for rates on ``day``: the latest mid-year before it (as DfE)."""
    pop = schema.population.c
    latest_mid_year = day.year if day >= dt.date(day.year, 7, 1) else day.year - 1
    row = conn.execute(
        sa.select(pop.children_0_17).where(pop.year <= latest_mid_year).order_by(pop.year.desc()).limit(1)
    ).first()
    if row is None:
        row = conn.execute(sa.select(pop.children_0_17).order_by(pop.year).limit(1)).first()
    return int(row[0]) if row else None


def age_band_of(birth_date: sa.ColumnElement, day: dt.date) -> sa.ColumnElement[str]:
    """The AGE_BAND code of a child on ``day`` (as ``child_conditions`` slices it), in SQL."""
    whens = [(sa.or_(birth_date.is_(None), birth_date > day), "unborn")]
    for band, (_low, high) in AGE_BOUNDS.items():
        if band != "18+":
            whens.append((birth_date > years_before(day, high), band))
    return sa.case(*whens, else_="18+")
