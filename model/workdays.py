"""England and Wales working days: weekends and bank holidays excluded.

The statutory timescales (45 working days for an assessment, 15 for S47 to ICPC) count working
days. The DfE validator ships a bank-holiday calendar refreshed yearly; this module computes the
regular rules (with substitute days) and lists the one-off holidays since 2011.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np

FIRST_YEAR, LAST_YEAR = 2000, 2040

# One-off bank holidays and moved ones (England and Wales).
_SPECIAL_ADDED = {
    dt.date(2011, 4, 29), dt.date(2012, 6, 5), dt.date(2022, 6, 3), dt.date(2022, 9, 19), dt.date(2023, 5, 8),
}
_MOVED = {  # regular date -> replacement date
    dt.date(2012, 5, 28): dt.date(2012, 6, 4),
    dt.date(2020, 5, 4): dt.date(2020, 5, 8),
    dt.date(2022, 5, 30): dt.date(2022, 6, 2),
}


def _easter(year: int) -> dt.date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 (the algorithm's own name)
    m = (a + 11 * h + 22 * l) // 451
    month = (h + l - 7 * m + 114) // 31
    day = (h + l - 7 * m + 114) % 31 + 1
    return dt.date(year, month, day)


def _nth_monday(year: int, month: int, last: bool = False) -> dt.date:
    if last:
        day = dt.date(year, month + 1, 1) - dt.timedelta(days=1)
        return day - dt.timedelta(days=day.weekday())
    day = dt.date(year, month, 1)
    return day + dt.timedelta(days=(7 - day.weekday()) % 7)


def _substitute(day: dt.date, taken: set[dt.date]) -> dt.date:
    while day.weekday() >= 5 or day in taken:
        day += dt.timedelta(days=1)
    return day


def bank_holidays(year: int) -> list[dt.date]:
    """England and Wales bank holidays in ``year``, substitute days applied."""
    easter = _easter(year)
    days: set[dt.date] = set()
    for fixed in (dt.date(year, 1, 1), dt.date(year, 12, 25), dt.date(year, 12, 26)):
        days.add(_substitute(fixed, days))
    days |= {easter - dt.timedelta(days=2), easter + dt.timedelta(days=1)}
    for regular in (_nth_monday(year, 5), _nth_monday(year, 5, last=True), _nth_monday(year, 8, last=True)):
        days.add(_MOVED.get(regular, regular))
    days |= {d for d in _SPECIAL_ADDED if d.year == year}
    return sorted(days)


@lru_cache(maxsize=1)
def _holiday_array() -> np.ndarray:
    days = [d for y in range(FIRST_YEAR, LAST_YEAR + 1) for d in bank_holidays(y)]
    return np.array(days, dtype="datetime64[D]")


def working_days_between(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Working days after ``start`` up to and including ``end`` (0 when the same day), vectorised.

    Both are arrays of datetime64[D]; NaT in either gives -1 (callers treat negatives as missing).
    """
    start = np.asarray(start, dtype="datetime64[D]")
    end = np.asarray(end, dtype="datetime64[D]")
    ok = ~(np.isnat(start) | np.isnat(end))
    out = np.full(start.shape, -1, dtype=np.int64)
    if ok.any():
        # busday_count counts [a, b); shifting both by a day counts (start, end].
        one = np.timedelta64(1, "D")
        out[ok] = np.busday_count(start[ok] + one, end[ok] + one, holidays=_holiday_array())
    return out


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date ``days`` working days after ``start``."""
    result = np.busday_offset(np.datetime64(start, "D"), days, roll="forward", holidays=_holiday_array())
    return result.astype(dt.date)
