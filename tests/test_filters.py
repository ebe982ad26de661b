from __future__ import annotations

import pytest

from data_access.filters import Filters, InvalidFilter


def test_empty_filters_mean_all() -> None:
    assert Filters.parse(None) == Filters()
    assert Filters.parse({"locality": None, "sex": ""}) == Filters()


def test_valid_values_parse() -> None:
    parsed = Filters.parse({"period_months": 24, "locality": "NORTH", "sex": "F", "age_band": "10-15",
                            "team": "CSC-SGA", "service": "CSC"}, teams=["CSC-SGA"])
    assert (parsed.period_months, parsed.locality, parsed.sex, parsed.team) == (24, "NORTH", "F", "CSC-SGA")
    assert parsed.to_dict()["age_band"] == "10-15"


@pytest.mark.parametrize(("raw", "field"), [
    ({"sex": "X"}, "sex"),
    ({"locality": "'; drop table children; --"}, "locality"),
    ({"team": "CSC-ZZZ"}, "team"),
    ({"service": ["CSC"]}, "service"),
    ({"period_months": 13}, "period_months"),
    ({"period_months": "12"}, "period_months"),
    ({"period_months": True}, "period_months"),
    ({"child_id": 1}, "child_id"),
])
def test_unknown_values_are_refused_naming_the_field(raw: dict, field: str) -> None:
    with pytest.raises(InvalidFilter, match=field):
        Filters.parse(raw, teams=["CSC-SGA"])


def test_non_mapping_is_refused() -> None:
    with pytest.raises(InvalidFilter):
        Filters.parse(["sex", "M"])  # type: ignore[arg-type]
