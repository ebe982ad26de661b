"""England comparisons on the same basis whatever the slicer period; definitions that follow the period;
"last N months" as N whole months; the financial-year, census-year and calendar-year presets."""

from __future__ import annotations

import datetime as dt

import pytest

import data_access
from data_access.aggregates import leadership, periods
from data_access.aggregates.kpi import Kpi
from data_access.aggregates.scope import Period
from data_access.filters import Filters

try:
    from _users import FakeUser  # type: ignore[import-not-found]
except ImportError:
    from ._users import FakeUser  # type: ignore[no-redef]


LEADER = FakeUser("leadership", username="leader")


def cards(filters: dict[str, object] | None = None) -> dict[str, Kpi]:
    return {k.key: k for k in data_access.overview_page(user=LEADER, filters=filters).cards}


ENDING_NOW = [{"period_months": 3}, {"period_months": 6}, {"period_months": 24}, {"period_months": 60},
              {"period": "this_census_year"}, {"period": "this_financial_year"}]


@pytest.mark.parametrize("filters", ENDING_NOW, ids=lambda f: str(next(iter(f.values()))))
def test_england_comparisons_do_not_depend_on_the_slicer_period(configured, filters) -> None:  # type: ignore[no-untyped-def]
    """Every period ending on the data date is compared with England on the same 12-month window (flows,
    percentages), at the data date (stocks) or as growth over a year (EHC plans): the same figures as the
    default 12 months give, although the cards' own values differ."""
    year, other = cards(), cards(filters)
    for key, card in year.items():
        if card.england is None:
            continue
        assert other[key].local_comparable == card.local_comparable, key
        assert other[key].england_basis == card.england_basis and card.england_basis, key
    assert other["referrals"].value != year["referrals"].value  # the card itself follows the period


def test_a_short_period_is_not_compared_with_englands_year_as_it_stands(configured) -> None:  # type: ignore[no-untyped-def]
    quarter = cards({"period_months": 3})["referrals"]
    assert isinstance(quarter.value, int) and isinstance(quarter.local_comparable, float)
    year = cards()["referrals"]  # the 12-month card: its rate is the comparison
    assert year.local_comparable == quarter.local_comparable
    assert quarter.value < year.value  # type: ignore[operator]
    assert "12-month window" in (quarter.england_basis or "")


def test_definitions_follow_the_chosen_period(configured) -> None:  # type: ignore[no-untyped-def]
    as_of = data_access.as_of()
    quarter = periods.resolve(Filters(period_months=3), as_of)
    first = quarter.start + dt.timedelta(days=1)
    shown = cards({"period_months": 3})
    stated = f"{first.day} {first:%b %Y} to {as_of.day} {as_of:%b %Y}"
    for key in ("referrals", "rereferral_rate", "assessments_45"):
        assert stated in shown[key].definition, key
        assert "12 months to the data date" not in shown[key].definition
    assert f"{as_of.day} {as_of:%b %Y}" in shown["cin_now"].definition


@pytest.mark.parametrize("as_of", [dt.date(2025, 3, 31), dt.date(2025, 2, 28), dt.date(2024, 2, 29),
                                   dt.date(2025, 10, 15), dt.date(2025, 1, 1)])
@pytest.mark.parametrize("months", [3, 6, 12, 24, 36, 60])
def test_last_n_months_is_n_whole_months_ending_with_the_data_dates_month(as_of: dt.date, months: int) -> None:
    period = periods.resolve(Filters(period_months=months), as_of)
    first = period.start + dt.timedelta(days=1)
    assert first.day == 1 and period.end == as_of
    assert len(periods.month_starts(period)) == months
    assert periods.month_starts(period)[-1] == as_of.replace(day=1)


@pytest.mark.parametrize(("preset", "first", "last"), [
    ("this_census_year", dt.date(2025, 4, 1), dt.date(2025, 10, 15)),
    ("this_financial_year", dt.date(2025, 4, 1), dt.date(2025, 10, 15)),
    ("last_census_year", dt.date(2024, 4, 1), dt.date(2025, 3, 31)),
    ("last_financial_year", dt.date(2024, 4, 1), dt.date(2025, 3, 31)),
    ("last_calendar_year", dt.date(2024, 1, 1), dt.date(2024, 12, 31)),
])
def test_year_presets_and_their_previous_year(preset: str, first: dt.date, last: dt.date) -> None:
    filters = Filters(period=preset)
    period = periods.resolve(filters, dt.date(2025, 10, 15))
    assert (period.start + dt.timedelta(days=1), period.end) == (first, last)
    before = periods.previous(filters, period)
    assert (before.start + dt.timedelta(days=1), before.end) == (first.replace(year=first.year - 1),
                                                                 last.replace(year=last.year - 1))


def test_year_presets_are_accepted_from_the_url_and_refused_when_forged() -> None:
    for preset in ("this_financial_year", "last_financial_year", "last_calendar_year"):
        assert Filters.parse({"period": preset}).period == preset
    with pytest.raises(data_access.InvalidFilter):
        Filters.parse({"period": "last_lunar_year"})


def test_englands_basis_is_stated_for_each_kind_of_measure() -> None:
    period = Period(dt.date(2024, 12, 31), dt.date(2025, 3, 31))
    assert leadership.england_basis("referrals", period) == \
        "Compared over the same 12-month window (1 Apr 2024 to 31 Mar 2025)"
    assert leadership.england_basis("cin_now", period) == "Compared at 31 Mar 2025, as England's at 31 March"
    assert "growth over the 12 months" in leadership.england_basis("ehc_active", period)
