"""LA codes come from DfE's list (model/la_codes.csv): UPNs issued by 942 Cumberland and 943 Westmorland
and Furness (councils since April 2023) are valid; numbers that are no LA's are refused (CIN rule 1530)."""

from __future__ import annotations

from pathlib import Path

import pytest

from model import la_codes
from model.upn import check_letter, problems
from refresh import ingest
from refresh.ingest.cin import read_cin

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
CIN_2025 = FIXTURES / "cin_2025.xml"
# DfE CIN validation rule 1530 (2024-25): "a valid post April 1998 LA code or a recognised 'pseudo LA' code".
RULE_1530_RANGES = ((1, 5), (201, 213), (301, 320), (330, 336), (340, 344), (350, 359), (370, 373), (380, 384),
                    (390, 394), (420, 420), (660, 681), (701, 708), (800, 803), (805, 808), (810, 813), (815, 816),
                    (820, 823), (825, 826), (830, 831), (835, 841), (845, 846), (850, 852), (855, 857), (860, 861),
                    (865, 896), (908, 909), (916, 916), (919, 919), (921, 921), (925, 926), (928, 929), (931, 931),
                    (933, 933), (935, 938), (940, 941))


def upn_from(la: str, serial: str = "12345678") -> str:
    body = f"{la}{serial}9"
    return check_letter("X" + body) + body  # type: ignore[operator]


@pytest.mark.parametrize("la", ["942", "943", "332", "875", "909"])  # new councils, a current one, abolished ones
def test_upns_issued_by_an_la_in_dfes_list_are_valid(la: str) -> None:
    assert problems(upn_from(la)) == []


@pytest.mark.parametrize("la", ["944", "999", "000", "901", "600"])  # never an LA, GIAS placeholders, pre-1998
def test_upns_from_a_number_that_is_no_las_are_refused_with_1530(la: str) -> None:
    assert [rule for rule, _ in problems(upn_from(la))] == ["1530"]


def test_the_list_is_dfes_rule_1530_list_plus_the_councils_created_since() -> None:
    rule = {f"{n:03d}" for lo, hi in RULE_1530_RANGES for n in range(lo, hi + 1)}
    assert la_codes.UPN_LA_CODES - rule == {"942", "943"} and rule <= la_codes.UPN_LA_CODES
    assert (la_codes.name_of("942"), la_codes.name_of("943")) == ("Cumberland", "Westmorland and Furness")
    assert {"942", "943", "838", "839"} <= la_codes.CURRENT_CODES and not {"909", "820", "702"} & la_codes.CURRENT_CODES
    header = la_codes.SOURCE.read_text(encoding="utf-8").splitlines()[:8]
    assert any("get-information-schools.service.gov.uk" in line for line in header)
    assert any("2025-12-09" in line for line in header)


def census_with(tmp_path: Path, upns: dict[str, str], lea: str = "332") -> Path:
    text = CIN_2025.read_text(encoding="utf-8").replace("<LEA>332</LEA>", f"<LEA>{lea}</LEA>")
    for old, new in upns.items():
        assert old in text
        text = text.replace(f"<UPN>{old}</UPN>", f"<UPN>{new}</UPN>")
    path = tmp_path / "census.xml"
    path.write_text(text, encoding="utf-8")
    return path


def fixture_upns() -> list[str]:
    text = CIN_2025.read_text(encoding="utf-8")
    return [part.split("</UPN>")[0] for part in text.split("<UPN>")[1:]]


def test_a_census_from_cumberland_or_westmorland_and_furness_loads(tmp_path: Path) -> None:
    first, second = fixture_upns()[:2]
    path = census_with(tmp_path, {first: upn_from("942"), second: upn_from("943", "87654321")}, lea="943")
    config = ingest.IngestConfig(analytics_url=f"duckdb:///{tmp_path / 'a.duckdb'}",
                                 landing_path=tmp_path / "l.duckdb", report_dir=tmp_path / "r")
    report = ingest.load_cin(path, config=config)
    assert report.ok and [f for f in report.findings if f.is_error] == [], report.findings
    assert not [f for f in report.findings if f.rule == "1530" or f.element == "Header/Source/LEA"]


def test_a_upn_from_a_non_existent_la_is_refused_with_1530(tmp_path: Path) -> None:
    first = fixture_upns()[0]
    batch = read_cin(census_with(tmp_path, {first: upn_from("944")}))
    assert [(f.rule, f.element) for f in batch.findings if f.is_error] == [("1530", "ChildIdentifiers/UPN")]


def test_a_header_lea_that_is_no_current_council_is_a_query(tmp_path: Path) -> None:
    batch = read_cin(census_with(tmp_path, {}, lea="909"))  # Cumbria, abolished in 2023
    found = [f for f in batch.findings if f.element == "Header/Source/LEA"]
    assert [(f.severity, f.la_child_id) for f in found] == [("query", "")] and "Cumbria" in found[0].message
    assert not batch.refused_whole


def test_the_configured_council_must_be_a_current_council_in_dfes_list(tmp_path: Path) -> None:
    from model.settings import Settings

    assert Settings.from_env({"CSI_LA_CODE": "943"}, data_dir=tmp_path).la_code == "943"
    assert Settings.from_env({}, data_dir=tmp_path).la_code == ""
    for code in ("944", "909"):  # no LA; Cumbria, abolished in 2023
        with pytest.raises(ValueError, match=f"CSI_LA_CODE '{code}'"):
            Settings.from_env({"CSI_LA_CODE": code}, data_dir=tmp_path)
