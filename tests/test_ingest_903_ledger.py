"""The 903 rules that need last year's return, checked against what the 2023-24 return put in the ledger:
502 and 503A-503H (last year's open episode begins this year's record, unchanged) and 202-208 (the
header agrees with last year's)."""

from __future__ import annotations

from pathlib import Path

import _ssda903 as sample  # type: ignore[import-not-found]
import pytest
from test_ingest_903_load import next_year  # type: ignore[import-not-found]
from test_ingest_903_rules import Op, S, apply  # type: ignore[import-not-found]
from test_ingest_load import make_config  # type: ignore[import-not-found]

from refresh import ingest
from refresh.ingest.load import open_ledger
from refresh.ingest.ssda903 import Stored, read_903


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Stored:
    root = tmp_path_factory.mktemp("ledger")
    config = make_config(root / "data")
    assert ingest.load_903([sample.write(root / "y1", sample.base())], config=config, year=2024).ok
    con = open_ledger(config)
    try:
        return Stored.from_ledger(con)
    finally:
        con.close()


def with_f6() -> sample.Return:
    """Next year's return with F6 (a mother last year) still looked after."""
    data, last = next_year(), sample.base()
    for module in ("header", "episodes", "oc2"):
        data[module] += sample.rows_of(last, module, "F6")
    data["header"][-1]["SEX"] = "F"
    return data


def found(tmp: Path, data: sample.Return, stored: Stored) -> set[tuple[str, str]]:
    batch = read_903([sample.write(tmp, data)], year=2025, stored=stored)
    return {(f.la_child_id, f.rule) for f in batch.findings}


def test_next_year_agreeing_with_the_ledger_has_no_findings(tmp_path: Path, stored: Stored) -> None:
    assert found(tmp_path, with_f6(), stored) == set()


FIRST = 0  # A1's first 2024-25 episode: the one open at the end of 2023-24
CASES: list[tuple[str, str, list[Op]]] = [
    ("502", "A1", [S("episodes", "A1", FIRST, DECOM="11/09/2023")]),
    ("503A", "A1", [S("episodes", "A1", FIRST, RNE="T")]),
    ("503B", "A1", [S("episodes", "A1", FIRST, LS="C1"), S("episodes", "A1", 1, LS="C1")]),
    ("503C", "A1", [S("episodes", "A1", FIRST, CIN="N2"), S("episodes", "A1", 1, CIN="N2")]),
    ("503D", "A1", [S("episodes", "A1", FIRST, PLACE="K1")]),
    ("503E", "A1", [S("episodes", "A1", FIRST, PLACE_PROVIDER="PR5")]),
    ("503F", "A1", [S("episodes", "A1", FIRST, URN="SC999999")]),
    ("503G", "A1", [S("episodes", "A1", n, PL_DISTANCE="5.0") for n in (0, 1)]),
    ("503H", "A1", [S("episodes", "A1", n, PL_LA="E08000027") for n in (0, 1)]),
    ("202", "A1", [S("header", "A1", SEX="F")]),
    ("203", "A1", [S("header", "A1", DOB="02/06/2011")]),
    ("204", "A1", [S("header", "A1", ETHNIC="WIRI")]),
    ("208", "A1", [S("header", "A1", UPN="A123456789013")]),
    ("207", "F6", [S("header", "F6", MOTHER="0", MC_DOB="")]),
]


@pytest.mark.parametrize(("code", "child", "ops"), CASES, ids=[c[0] for c in CASES])
def test_a_child_disagreeing_with_last_year_gets_the_code(tmp_path: Path, stored: Stored, code: str, child: str,
                                                          ops: list[Op]) -> None:
    data = apply(with_f6(), ops)
    assert (child, code) in found(tmp_path, data, stored)


def test_an_unknown_upn_last_year_may_become_known(tmp_path: Path, stored: Stored) -> None:
    data = with_f6()
    data["header"][0]["UPN"] = "UN1"
    assert ("A1", "208") not in found(tmp_path / "a", data, stored)


def test_a_reload_of_the_same_year_is_not_checked_against_itself(tmp_path: Path, stored: Stored) -> None:
    data = apply(sample.base(), [S("episodes", "E5", LS="C2"), S("header", "A1", ETHNIC="WIRI")])
    batch = read_903([sample.write(tmp_path, data)], year=2024, stored=stored)
    assert batch.findings == []
