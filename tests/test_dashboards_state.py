"""View state (slicers, selection, drill) as the URL carries it, periods and time buckets: pure functions."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboards import _state as st
from data_access.aggregates import periods
from data_access.filters import Filters, InvalidFilter, Selection

AS_OF = dt.date(2025, 10, 31)


def test_a_click_selects_and_a_second_click_clears() -> None:
    state = st.clicked({"sex": "F"}, visual="by_source", dim="referral_source", code="6", level=None, drill=None,
                       mode="filter")
    assert state == {"sex": "F", "selection": "by_source:referral_source:6"}
    assert st.clicked(state, visual="by_source", dim="referral_source", code="6", level=None, drill=None,
                      mode="filter") == {"sex": "F"}


def test_drill_mode_goes_down_and_up_one_level() -> None:
    year = "2024-04-01_2025-03-31"
    state = st.clicked({}, visual="trend", dim="time", code=year, level="year", drill="time", mode="drill")
    assert state == {"drill_time": year}
    quarter = "2024-07-01_2024-09-30"
    state = st.clicked(state, visual="trend", dim="time", code=quarter, level="quarter", drill="time", mode="drill")
    assert state == {"drill_time": quarter}
    assert st.drilled_up(state, drill="time", up=year) == {"drill_time": year}
    assert st.drilled_up({"drill_time": year}, drill="time", up="") == {}
    org = st.clicked({}, visual="by_service", dim="service", code="EH", level="service", drill="org", mode="drill")
    assert org == {"drill_org": "EH"} and st.drilled_up(org, drill="org", up=None) == {}


def test_months_cannot_be_drilled_so_a_click_selects() -> None:
    month = "2025-03-01_2025-03-31"
    state = st.clicked({}, visual="trend", dim="time", code=month, level="month", drill="time", mode="drill")
    assert state == {"selection": f"trend:time:{month}"}


def test_period_dropdown_round_trips() -> None:
    assert st.with_period({"sex": "F"}, "m24") == {"sex": "F", "period_months": 24}
    assert st.with_period({"period_months": 24}, "m12") == {}
    assert st.with_period({}, "last_census_year") == {"period": "last_census_year"}
    custom = st.with_period({}, "custom", "2025-01-01", "2025-02-01")
    assert custom == {"period": "custom", "start": "2025-01-01", "end": "2025-02-01"}
    assert [st.period_value(s) for s in ({}, {"period_months": 24}, custom)] == ["m12", "m24", "custom"]


def test_changing_service_clears_its_team() -> None:
    assert st.with_value({"service": "CSC", "team": "CSC-SGA"}, "service", "EH") == {"service": "EH"}


def test_query_string_round_trip_is_validated_by_filters() -> None:
    state = {"period_months": 24, "selection": "by_source:referral_source:6", "drill_time": "2024-04-01_2025-03-31"}
    query = st.to_query(state)
    assert query.startswith("?drill_time=") and "selection=by_source%3Areferral_source%3A6" in query
    parsed = Filters.from_query(st.from_query(query))
    assert parsed.to_dict() == state
    assert parsed.selection == Selection("by_source", "referral_source", "6")


@pytest.mark.parametrize(("query", "field"), [
    ("?period_months=abc", "period_months"), ("?grain=week", "grain"), ("?year_type=lunar", "year_type"),
    ("?selection=x:team:NOPE", "selection"), ("?selection=x:time:2025-01-01_2024-01-01", "selection"),
    ("?period=custom&start=2025-01-01", "period"), ("?start=2025-01-01&end=2025-02-01", "start"),
    ("?child_id=12", "child_id"), ("?drill_time=2025-13-01_2025-12-31", "drill_time"),
])
def test_forged_query_strings_are_refused_naming_the_field(query: str, field: str) -> None:
    with pytest.raises(InvalidFilter, match=field):
        Filters.from_query(st.from_query(query), teams=["CSC-SGA"])


def test_census_year_periods_and_the_previous_period() -> None:
    this = periods.resolve(Filters(period="this_census_year"), AS_OF)
    assert (this.start, this.end) == (dt.date(2025, 3, 31), AS_OF)
    last = periods.resolve(Filters(period="last_census_year"), AS_OF)
    assert (last.start, last.end) == (dt.date(2024, 3, 31), dt.date(2025, 3, 31))
    before = periods.previous(Filters(period="last_census_year"), last)
    assert (before.start, before.end) == (dt.date(2023, 3, 31), dt.date(2024, 3, 31))
    trailing = periods.resolve(Filters(period_months=6), AS_OF)
    assert periods.previous(Filters(period_months=6), trailing).end == trailing.start


@pytest.mark.parametrize(("year_type", "label", "first"), [
    ("census", "CY 2024-25", dt.date(2024, 4, 1)), ("financial", "FY 2024-25", dt.date(2024, 4, 1)),
    ("calendar", "2025", dt.date(2025, 1, 1)),
])
def test_year_buckets_by_type(year_type: str, label: str, first: dt.date) -> None:
    bucket = periods.bucket_of(dt.date(2025, 2, 1), "year", year_type)
    assert (bucket.label, bucket.first) == (label, first)


def test_quarters_of_an_april_year_are_numbered_from_april() -> None:
    assert periods.bucket_of(dt.date(2024, 5, 1), "quarter", "census").label == "Q1 CY 2024-25"
    assert periods.bucket_of(dt.date(2025, 2, 1), "quarter", "census").label == "Q4 CY 2024-25"
    assert periods.bucket_of(dt.date(2025, 2, 1), "quarter", "calendar").label == "2025 Q1"
