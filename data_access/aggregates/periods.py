"""Reporting periods, the previous period, and time buckets (month, quarter, year of three kinds).

Pure date arithmetic, no SQL: queries count per calendar month (portable ``date_trunc``) and the
months are rolled up here into quarters or years, so every engine gives the same buckets.
The CIN census year and the financial year both run 1 April to 31 March; they differ in label only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from data_access.aggregates.scope import Period, months_before
from data_access.filters import YEAR_PRESETS, Filters

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Bucket:
    """One bar of a time chart: inclusive dates, a label, and its URL key."""

    first: dt.date
    last: dt.date
    label: str

    @property
    def key(self) -> str:
        return f"{self.first.isoformat()}_{self.last.isoformat()}"


def census_year_start(day: dt.date) -> dt.date:
    """1 April of the census (or financial) year containing ``day``."""
    return dt.date(day.year if day.month >= 4 else day.year - 1, 4, 1)


def resolve(filters: Filters, as_of: dt.date) -> Period:
    """The reporting window the slicers ask for, ending no later than ``as_of``."""
    if filters.period in ("this_census_year", "this_financial_year"):
        return Period(census_year_start(as_of) - ONE_DAY, as_of)
    if filters.period in ("last_census_year", "last_financial_year"):
        first = census_year_start(as_of)
        return Period(first.replace(year=first.year - 1) - ONE_DAY, first - ONE_DAY)
    if filters.period == "last_calendar_year":
        return Period(dt.date(as_of.year - 2, 12, 31), dt.date(as_of.year - 1, 12, 31))
    if filters.period == "custom" and filters.start and filters.end:
        end = min(filters.end, as_of)
        return Period(filters.start - ONE_DAY, max(end, filters.start - ONE_DAY))
    return Period.trailing(as_of, filters.period_months)


def previous(filters: Filters, period: Period) -> Period:
    """The period before ``period``, of the same length (the previous census year for census presets)."""
    if filters.period in YEAR_PRESETS:
        return Period(years_back(period.start, 1), years_back(period.end, 1))
    if filters.period == "custom" and filters.start and filters.end:  # whole months: the same number before
        months = (filters.end.year - filters.start.year) * 12 + filters.end.month - filters.start.month + 1
        return Period(months_before(period.start + ONE_DAY, months) - ONE_DAY, period.start)
    return Period(months_before(period.start + ONE_DAY, filters.period_months) - ONE_DAY, period.start)


def years_back(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def narrow(period: Period, first: dt.date, last: dt.date) -> Period:
    """``period`` intersected with the inclusive range first..last (may be empty)."""
    start, end = max(period.start, first - ONE_DAY), min(period.end, last)
    return Period(start, max(start, end))


def month_starts(period: Period) -> list[dt.date]:
    """First days of the calendar months that overlap ``period``."""
    first = (period.start + ONE_DAY).replace(day=1)
    out = []
    while first <= period.end:
        out.append(first)
        first = (first + dt.timedelta(days=32)).replace(day=1)
    return out


def month_end(first: dt.date) -> dt.date:
    return (first + dt.timedelta(days=32)).replace(day=1) - ONE_DAY


def _year_start_month(year_type: str) -> int:
    return 1 if year_type == "calendar" else 4


def bucket_of(month: dt.date, grain: str, year_type: str) -> Bucket:
    """The month, quarter or year containing the month starting ``month``."""
    if grain == "month":
        return Bucket(month, month_end(month), f"{month:%b %Y}")
    start_month = _year_start_month(year_type)
    if grain == "quarter":
        q_first = month.replace(month=(month.month - 1) // 3 * 3 + 1)
        last = month_end(q_first.replace(month=q_first.month + 2))
        offset = (q_first.month - start_month) % 12 // 3 + 1
        year = year_bucket(q_first, year_type)
        label = f"Q{offset} {year.label}" if year_type != "calendar" else f"{q_first.year} Q{offset}"
        return Bucket(q_first, last, label)
    return year_bucket(month, year_type)


def year_bucket(day: dt.date, year_type: str) -> Bucket:
    start_month = _year_start_month(year_type)
    year = day.year if day.month >= start_month else day.year - 1
    first = dt.date(year, start_month, 1)
    last = dt.date(year + (start_month != 1), (start_month - 2) % 12 + 1, 1)
    last = month_end(last)
    if year_type == "calendar":
        label = str(year)
    else:
        label = f"{'FY' if year_type == 'financial' else 'CY'} {year}-{(year + 1) % 100:02d}"
    return Bucket(first, last, label)


def time_level(filters: Filters) -> str:
    """The grain a time chart shows: the drill level if drilled into, else the chosen grain."""
    if filters.drill_time is None:
        return filters.grain
    first, last = filters.drill_time
    return "quarter" if (last - first).days > 100 else "month"


def drill_period(filters: Filters, period: Period) -> Period:
    """The period a time chart covers: the drilled year or quarter within the slicer period."""
    return period if filters.drill_time is None else narrow(period, *filters.drill_time)


def drill_parent(filters: Filters) -> Bucket | None:
    """The level above the current drill (None: back to the top)."""
    if filters.drill_time is None:
        return None
    first, last = filters.drill_time
    if (last - first).days > 100:
        return None
    return year_bucket(first, filters.year_type)
