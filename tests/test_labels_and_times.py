"""Labels everywhere instead of codes, and times in UK time (Europe/London, summer time included)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dashboards import _components as ui
from dashboards import _grid as records_page


@pytest.mark.parametrize(("moment", "shown"), [
    ("2026-07-01T12:00:00Z", "1 Jul 2026 13:00 (UK time)"),  # British Summer Time: UTC+1
    ("2026-12-06T12:00:00.123456Z", "6 Dec 2026 12:00 (UK time)"),
    ("2026-03-29T00:30:00", "29 Mar 2026 00:30 (UK time)"),  # naive: UTC, before the clocks go forward
    ("2026-03-29T01:30:00", "29 Mar 2026 02:30 (UK time)"),
    (dt.datetime(2026, 10, 25, 0, 59, tzinfo=dt.UTC), "25 Oct 2026 01:59 (UK time)"),
    (None, "-"), ("", "-"),
])
def test_times_are_shown_in_uk_time(moment: object, shown: str) -> None:
    assert ui.uk_time(moment) == shown


def test_the_records_grid_shows_labels_not_codes() -> None:
    rows = pd.DataFrame({"pseudo_id": ["p1", "p2"], "birth_year": [2012, 2015], "sex": ["F", "M"],
                         "locality": ["NORTH", "withheld"], "lawful_basis": ["legal_obligation", "consent"]})
    shown = records_page.grid_rows(rows)
    assert [r["sex"] for r in shown] == ["Female", "Male"]
    assert [r["locality"] for r in shown] == ["North", "withheld"]  # anything not a code stays as it is
    assert [r["lawful_basis"] for r in shown] == ["Art 6(1)(c) legal obligation", "Art 6(1)(a) consent"]


@pytest.mark.parametrize(("column", "typed", "code"), [
    ("sex", "female", "F"), ("sex", "F", "F"), ("sex", " m ", "M"), ("locality", "North", "NORTH"),
    ("locality", "north", "NORTH"), ("locality", "Atlantis", "Atlantis"), ("sex", 3, 3),
])
def test_a_typed_filter_may_be_the_label_or_the_code(column: str, typed: object, code: object) -> None:
    assert records_page.code_of(column, typed) == code


def test_the_adopters_legal_status_labels_say_what_the_loader_checks() -> None:
    """LS_ADOPTR's labels agree with the rules the 903 loader applies to SEX_ADOPTR (514, 517-520, 524):
    L0 was labelled "Married couple" although the rules (and the loader) treat it as a single adopter."""
    from model.codes_903 import LEGAL_STATUS_OF_ADOPTERS as labels
    from refresh.ingest.ssda903_family import ADOPTER_SEXES

    assert set(labels) == set(ADOPTER_SEXES)
    for code, (_rule, sexes, words) in ADOPTER_SEXES.items():
        label = labels[code].lower()
        assert ("single" in label) == (set(sexes) <= {"M1", "F1"}), code
        assert ("unmarried" in label) == ("unmarried" in words), code
        assert ("married" in label) == ("married" in words), code
        assert ("civil" in label) == ("civil" in words), code
        assert ("different sex" in label) == ("different-sex" in words), code
        assert ("same sex" in label) == ("same-sex" in words), code
