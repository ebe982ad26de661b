"""England and Wales bank holidays and working-day arithmetic (the 45- and 15-working-day clocks)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from model import workdays

D = dt.date

# gov.uk/bank-holidays, England and Wales.
PUBLISHED = {
    2024: [D(2024, 1, 1), D(2024, 3, 29), D(2024, 4, 1), D(2024, 5, 6), D(2024, 5, 27), D(2024, 8, 26),
           D(2024, 12, 25), D(2024, 12, 26)],
    2025: [D(2025, 1, 1), D(2025, 4, 18), D(2025, 4, 21), D(2025, 5, 5), D(2025, 5, 26), D(2025, 8, 25),
           D(2025, 12, 25), D(2025, 12, 26)],
}


@pytest.mark.parametrize("year", sorted(PUBLISHED))
def test_bank_holidays_match_the_published_list(year: int) -> None:
    assert workdays.bank_holidays(year) == PUBLISHED[year]


def test_one_off_and_moved_holidays_and_substitute_days() -> None:
    assert D(2023, 5, 8) in workdays.bank_holidays(2023)  # coronation
    holidays_2022 = workdays.bank_holidays(2022)
    assert {D(2022, 6, 2), D(2022, 6, 3), D(2022, 9, 19)} <= set(holidays_2022)  # jubilee, state funeral
    assert D(2022, 5, 30) not in holidays_2022  # spring bank holiday moved to 2 June
    assert D(2020, 5, 8) in workdays.bank_holidays(2020) and D(2020, 5, 4) not in workdays.bank_holidays(2020)
    # Christmas 2021 fell on a Saturday: substitute days on Monday 27 and Tuesday 28 December.
    assert {D(2021, 12, 27), D(2021, 12, 28)} <= set(workdays.bank_holidays(2021))
    # New Year's Day 2022 was a Saturday: Monday 3 January instead.
    assert D(2022, 1, 3) in holidays_2022 and D(2022, 1, 1) not in holidays_2022
    assert all(len(workdays.bank_holidays(y)) >= 8 for y in range(2000, 2041))


def _between(start: dt.date, end: dt.date) -> int:
    return int(workdays.working_days_between(np.array([start], dtype="datetime64[D]"),
                                             np.array([end], dtype="datetime64[D]"))[0])


@pytest.mark.parametrize(("start", "end", "expected"), [
    (D(2025, 1, 10), D(2025, 1, 13), 1),  # Friday -> Monday
    (D(2025, 1, 13), D(2025, 1, 13), 0),  # same day
    (D(2025, 1, 13), D(2025, 1, 20), 5),  # a week
    (D(2024, 12, 24), D(2024, 12, 27), 1),  # across Christmas and Boxing Day
    (D(2024, 12, 20), D(2025, 1, 2), 6),  # 23, 24, 27, 30, 31 Dec, 2 Jan
    (D(2025, 4, 17), D(2025, 4, 22), 1),  # across Good Friday and Easter Monday
    (D(2025, 5, 31), D(2025, 6, 2), 1),  # Saturday -> Monday
    (D(2025, 3, 3), D(2025, 5, 2), 42),  # nine weeks less Good Friday and Easter Monday
])
def test_working_days_between_examples(start: dt.date, end: dt.date, expected: int) -> None:
    assert _between(start, end) == expected


def test_working_days_between_is_vectorised_and_flags_missing_dates() -> None:
    start = np.array(["2025-01-10", "NaT", "2024-12-24"], dtype="datetime64[D]")
    end = np.array(["2025-01-13", "2025-01-13", "NaT"], dtype="datetime64[D]")
    assert workdays.working_days_between(start, end).tolist() == [1, -1, -1]


def test_add_working_days_skips_weekends_and_holidays() -> None:
    assert workdays.add_working_days(D(2024, 12, 20), 3) == D(2024, 12, 27)
    assert workdays.add_working_days(D(2025, 4, 17), 1) == D(2025, 4, 22)
    assert workdays.add_working_days(D(2025, 1, 10), 15) == D(2025, 1, 31)
    start = D(2025, 3, 3)
    assert _between(start, workdays.add_working_days(start, 45)) == 45
