"""Statistical neighbours and their published figures: the shipped files, the yearly converter, the
Overview's cards, the Benchmarks page (refused to roles without dashboards) and its accessible tables."""

from __future__ import annotations

import csv
import statistics
from pathlib import Path

import pandas as pd
import pytest

import data_access
from data_access import benchmarks
from data_access.aggregates.national import ENGLAND
from refresh import published

try:
    from _users import FakeUser  # type: ignore[import-not-found]
except ImportError:
    from ._users import FakeUser  # type: ignore[no-redef]


def test_every_council_has_ten_distinct_neighbours_that_are_councils() -> None:
    with (published.OUT / "statistical_neighbours.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    groups: dict[str, list[str]] = {}
    for row in rows:
        groups.setdefault(row["la_code"], []).append(row["neighbour_code"])
    assert len(groups) >= 150
    for code, neighbours in groups.items():
        assert len(neighbours) == 10 and len(set(neighbours)) == 10 and code not in neighbours, code
    assert {"942", "943"} <= set(groups)  # Cumberland and Westmorland and Furness (2023)


def test_englands_figures_in_the_shipped_file_match_the_cards_england_figures() -> None:
    for key in ("cin_rate", "referral_rate", "rereferral_rate", "cp_rate", "icpc_15", "ehc_20_weeks"):
        found = benchmarks.benchmark(key, "942")
        assert found is not None and found.england == ENGLAND[key][0], key


def test_a_benchmark_lists_the_neighbours_nearest_first_with_their_average() -> None:
    found = benchmarks.benchmark("cin_rate", "942")
    assert found is not None and found.year == "2024-25"
    assert found.neighbours[0][0] == "Westmorland and Furness"  # Cumberland's nearest neighbour
    values = [v for _, v in found.neighbours if v is not None]
    assert found.average == round(statistics.fmean(values), 1)
    assert "average of 10, 2024-25, DfE" in found.note
    assert benchmarks.benchmark("no_such_measure", "942") is None
    assert benchmarks.benchmark("cin_rate", "999") is None


def test_the_overview_cards_carry_the_neighbours_average(configured) -> None:  # type: ignore[no-untyped-def]
    cards = {k.key: k for k in data_access.overview_page(user=FakeUser("leadership"), filters=None).cards}
    expected = benchmarks.benchmark("cin_rate", benchmarks.DEMO_LA_CODE)
    assert expected is not None
    assert cards["cin_now"].neighbours == expected.average and cards["cin_now"].neighbours_note == expected.note
    assert cards["assessments_45"].neighbours is None  # DfE's LAIT data has no 45-day figure


@pytest.mark.parametrize("role", ["ig_officer", "admin"])
def test_roles_without_dashboards_are_refused_and_audited(configured, role: str) -> None:  # type: ignore[no-untyped-def]
    from appstore import audit

    with pytest.raises(data_access.AccessDenied):
        benchmarks.benchmarks(user=FakeUser(role, username=f"u-{role}"))
    assert [e["action"] for e in audit.query_events(data_access.current().app, username=f"u-{role}")] == \
        ["access_refused"]


def test_an_unset_council_shows_no_neighbours(settings) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    stores = data_access.open_stores(replace(settings, demo=False, la_code=""))
    try:
        with data_access.bound(stores):
            assert benchmarks.benchmarks(user=FakeUser("leadership")) == (None, [])
    finally:
        stores.close()


def _workbook(path: Path, rows: list[list[object]]) -> Path:
    header = ["LA num", "LA Name", "LA number", "GOInd", "GOReg"]
    for i in range(1, 11):
        header += [f"SN{i}", "SNP"]
    pd.DataFrame([list(range(1, len(header) + 1)), header, *rows]).to_excel(
        path, sheet_name="LA SN Groups", header=False, index=False)
    return path


def _row(code: int, name: str, neighbours: list[object]) -> list[object]:
    row: list[object] = [code, name, code, 1, "Region"]
    for n in neighbours:
        row += [n, "Close"]
    return row


def _lait(path: Path) -> Path:
    rows = []
    for key, short in published.MEASURES.items():
        for code, name in ((301, "Alpha"), (302, "Beta"), (970, "England")):
            rows += [{"Short Desc": short, "Data item": key, "Years": "2025", "LA and Regions": name,
                      "Values": str(code / 10), "LA Number": float(code), "Region": "R"},
                     {"Short Desc": short, "Data item": key, "Years": "2024", "LA and Regions": name,
                      "Values": "1", "LA Number": float(code), "Region": "R"}]
    rows.append({"Short Desc": "CIN", "Data item": "", "Years": "2025", "LA and Regions": "Gamma", "Values": "c",
                 "LA Number": 303.0, "Region": "R"})  # suppressed: left out
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_next_years_files_convert_into_the_shipped_format(tmp_path: Path) -> None:
    sn = _workbook(tmp_path / "sn.xlsx", [_row(301, "Alpha", list(range(302, 312))),
                                          _row(302, "Beta", [301, *range(303, 312)])])
    counts = published.convert(sn, _lait(tmp_path / "bds.csv"), tmp_path / "out")
    assert counts == {"neighbour_rows": 20, "councils": 2, "figure_rows": 3 * len(published.MEASURES)}
    figures = pd.read_csv(tmp_path / "out" / "la_figures.csv", dtype={"la_code": str, "year": str})
    assert set(figures["year"]) == {"2025"} and "303" not in set(figures["la_code"])
    assert "bds.csv" in (tmp_path / "out" / "SOURCES.txt").read_text()


def test_a_bad_neighbour_file_names_the_file_row_and_column_and_writes_nothing(tmp_path: Path) -> None:
    sn = _workbook(tmp_path / "sn.xlsx", [_row(301, "Alpha", [302, 303, "x", *range(304, 311)])])
    with pytest.raises(published.PublishedFileError, match=r"sn\.xlsx: row \d+ \(LA 301\) SN3 is 'x'"):
        published.convert(sn, _lait(tmp_path / "bds.csv"), tmp_path / "out")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_figures_file_without_a_measure_is_refused(tmp_path: Path) -> None:
    sn = _workbook(tmp_path / "sn.xlsx", [_row(301, "Alpha", list(range(302, 312)))])
    bds = _lait(tmp_path / "bds.csv")
    data = pd.read_csv(bds)
    data[data["Short Desc"] != "LAC"].to_csv(bds, index=False)
    with pytest.raises(published.PublishedFileError, match="no rows for measure 'LAC'"):
        published.convert(sn, bds, tmp_path / "out")


def test_the_command_line_converts_and_reports_bad_files(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from cli import main

    sn = _workbook(tmp_path / "sn.xlsx", [_row(301, "Alpha", list(range(302, 312)))])
    assert main(["published", "--neighbours", str(sn), "--figures", str(_lait(tmp_path / "bds.csv")),
                 "--out", str(tmp_path / "out")]) == 0
    assert "1 councils' neighbours" in capsys.readouterr().out
    assert main(["published", "--neighbours", str(tmp_path / "bds.csv"), "--figures", str(tmp_path / "bds.csv"),
                 "--out", str(tmp_path / "out2")]) == 2
    assert "bds.csv" in capsys.readouterr().err


def test_the_benchmarks_page_in_chromium_is_accessible_tables(dash_app, live_server, page, demo_store) -> None:  # type: ignore[no-untyped-def]
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect

    from app import DEMO_PASSWORD

    base = live_server(dash_app)
    page.goto(base + "/login")
    page.fill("#username", "demo-leader")
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
    page.locator("#shell-nav a[href='/benchmarks']").click()
    summary = page.locator("#bm-summary")
    expect(summary).to_be_visible()
    expect(summary.locator("caption")).to_contain_text("Cambridgeshire, its statistical neighbours and England")
    expect(summary.locator("tbody tr")).to_have_count(len(benchmarks.LABELS))
    cin = benchmarks.benchmark("cin_rate", benchmarks.DEMO_LA_CODE)
    assert cin is not None
    row = summary.locator("tbody tr", has_text="Children in need per 10,000")
    expect(row).to_contain_text(f"{cin.average:,.1f}")
    expect(row).to_contain_text("330.3")
    page.select_option("#bm-pick", "cla_rate")
    each = page.locator("#bm-each")
    expect(each.locator("caption")).to_contain_text("Children looked after per 10,000")
    expect(each.locator("tbody tr")).to_have_count(12)  # the council, ten neighbours and England
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa"]}})
    assert [v["id"] for v in results.response["violations"] if v["impact"] in ("serious", "critical")] == []
