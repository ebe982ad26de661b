"""What every CIN rule module shares: the census period, problem tuples and small date helpers.

The census period runs from the day after ``ReferenceDate`` a year earlier to ``ReferenceDate`` (as
the DfE validator's ``make_census_period``). Working days exclude weekends and England and Wales
bank holidays (``model.workdays``), as the DfE rules' "working days" do.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from model.workdays import bank_holidays
from refresh.ingest.cin_xml import INVALID

Problem = tuple[str, str, str]  # (element, rule, message)
Data = dict[str, Any]


def _year(year: int) -> int:
    """``year`` held within the years a date can have (an absurd header date must not crash the rules)."""
    return min(max(year, dt.MINYEAR), dt.MAXYEAR)


def years_after(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later (negative: earlier); 29 February falls back to the 28th."""
    try:
        return day.replace(year=_year(day.year + years))
    except ValueError:  # 29 February
        return day.replace(year=_year(day.year + years), day=28)


def _years_before(day: dt.date, years: int) -> dt.date:
    return years_after(day, -years)


def _months_after(day: dt.date, months: int) -> dt.date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    if year > dt.MAXYEAR:
        return dt.date.max
    for last in (31, 30, 29):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    return dt.date(year, month, min(day.day, 28))


def working_days_before(day: dt.date, days: int) -> dt.date:
    """The ``days``-th working day before ``day`` (``day`` itself not counted, whether or not it is one)."""
    holidays = [h for y in range(max(day.year - 2, 1900), max(day.year + 1, 1900)) for h in bank_holidays(y)]
    back = np.busday_offset(np.datetime64(day, "D"), -days, roll="forward",
                            holidays=np.array(holidays, dtype="datetime64[D]"))
    return back.astype(dt.date)


@dataclass(frozen=True)
class Period:
    """The census year and the cut-off dates rules compare against, computed once per file."""

    start: dt.date
    end: dt.date  # ReferenceDate
    start_less_1wd: dt.date = field(compare=False)  # 8569Q
    end_less_45wd: dt.date = field(compare=False)  # 8670Q
    end_less_15wd: dt.date = field(compare=False)  # 8675Q
    born_25y: dt.date = field(compare=False)  # 8775Q: born before this is over 25 at ReferenceDate
    school_age_born_by: dt.date = field(compare=False)  # 8770Q: born on or before this is of school age
    expected_from: dt.date = field(compare=False)  # 8530Q: expected birth on or after ...
    expected_to: dt.date = field(compare=False)  # ... and on or before this

    @classmethod
    def ending(cls, reference_date: dt.date) -> Period:
        start = _years_before(reference_date, 1) + dt.timedelta(days=1)
        return cls(start, reference_date, working_days_before(start, 1), working_days_before(reference_date, 45),
                   working_days_before(reference_date, 15), _years_before(reference_date, 25),
                   _years_before(reference_date, 4), reference_date - dt.timedelta(days=30),
                   _months_after(reference_date, 9))

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def present(block: Data, tag: str) -> bool:
    """True when ``tag`` was given in ``block``, valid or not (an invalid value is reported by its own rule)."""
    return tag in block or tag in block.get(INVALID, ())


class Label:
    """An episode's name in messages ("Episode referred 2024-05-01"), made only when a message is."""

    __slots__ = ("_episode",)

    def __init__(self, episode: Data) -> None:
        self._episode = episode

    def __str__(self) -> str:
        ref = self._episode.get("CINreferralDate")
        return f"Episode referred {ref}" if ref else "Episode with no referral date"

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


def label(episode: Data) -> Label:
    return Label(episode)


def overlaps(spans: list[tuple[dt.date, dt.date | None]], period_end: dt.date) -> bool:
    """True when any two (start, end-or-open) spans overlap; touching ends are allowed."""
    ordered = sorted(spans, key=lambda s: s[0])
    for (_, end), (next_start, _) in zip(ordered, ordered[1:], strict=False):
        if (end or period_end) > next_start or end is None:
            return True
    return False


def episodes_of(child: Data) -> list[Data]:
    return child.get("CINdetails", [])


def ids_of(child: Data) -> Data:
    return child.get("ChildIdentifiers", {})
