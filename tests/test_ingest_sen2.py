"""SEN2 person-level export: modules linked by table ids, mapped to EHC tables, validated per person."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from refresh import ingest
from refresh.ingest.batch import Known
from refresh.ingest.sen2 import read_sen2

SEN2 = Path(__file__).parent / "fixtures" / "ingest" / "sen2"
CIN = SEN2.parent / "cin_2025.xml"
KNOWN_B2 = Known(by_upn={"A332987654321": "CHILDB2"})


def export_with(tmp_path: Path, module: str, change: dict[tuple[int, str], str] | None = None,
                drop: bool = False) -> Path:
    """A copy of the fixture export with one module's cells changed (row, column) -> value, or the file gone."""
    target = tmp_path / "export"
    shutil.copytree(SEN2, target)
    path = next(target.glob(f"*_{module}.csv"))
    if drop:
        path.unlink()
        return target
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for (row, column), value in (change or {}).items():
        frame.loc[row, column] = value
    frame.to_csv(path, index=False)
    return target


def test_the_fixture_export_is_clean_and_mapped() -> None:
    batch = read_sen2([SEN2], KNOWN_B2)
    assert batch.findings == [] and batch.children == 2 and str(batch.reference_date) == "2025-01-16"
    rows = batch.rows
    assert set(rows["l_children"]["la_child_id"]) == {"CHILDB2", rows["l_children"]["la_child_id"].iloc[1]}
    assert rows["l_ehc_requests"]["outcome"].tolist() == ["A", "N"]  # SEN2 Y -> agreed to assess
    assert rows["l_ehc_plans"]["start_date"].tolist() == [pd.Timestamp("2024-06-10")]
    assert rows["l_sen_placements"][["urn", "setting"]].values.tolist() == [["123456", "MS"]]


@pytest.mark.parametrize(("module", "change", "column", "child"), [
    ("senneed", {(0, "sentyperank"): "2"}, "sentyperank", "CHILDB2"),  # two rank-2 needs: no primary need
    ("senneed", {(0, "sentype"): "XYZ"}, "sentype", "CHILDB2"),
    ("requests", {(0, "requestoutcome"): "Q"}, "requestoutcome", "CHILDB2"),
    ("requests", {(1, "receiveddate"): "2024-02-01", (1, "persontableid"): "P1"}, "receiveddate", "CHILDB2"),
    ("requests", {(0, "requestoutcomedate"): "2024-01-01"}, "requestoutcomedate", "CHILDB2"),
    ("namedplan", {(0, "ceasedate"): "2024-12-01"}, "ceasereason", "CHILDB2"),
    ("namedplan", {(0, "ceasedate"): "2024-01-01", (0, "ceasereason"): "2"}, "ceasedate", "CHILDB2"),
    ("placementdetail", {(0, "entrydate"): ""}, "entrydate", "CHILDB2"),
    ("placementdetail", {(0, "sensetting"): "ZZZ"}, "sensetting", "CHILDB2"),
    ("person", {(0, "sex"): ""}, "sex", "CHILDB2"),
    ("person", {(0, "upn"): "A332987654322"}, "upn", "A332987654322"),
    ("person", {(1, "personbirthdate"): "31/02/2010"}, "personbirthdate", None),
])
def test_each_check_names_the_person_and_column(tmp_path: Path, module: str, change: dict, column: str,
                                                child: str | None) -> None:
    findings = read_sen2([export_with(tmp_path, module, change)], KNOWN_B2).findings
    hits = [f for f in findings if f.element == column and f.is_error]
    assert hits, findings
    if child:
        assert {f.la_child_id for f in hits} == {child}


def test_an_orphan_row_or_a_missing_module_is_a_problem_with_the_whole_export(tmp_path: Path) -> None:
    orphan = read_sen2([export_with(tmp_path, "assessment", {(0, "requeststableid"): "R99"})], KNOWN_B2)
    assert orphan.refused_whole
    missing = read_sen2([export_with(tmp_path / "m", "person", drop=True)], KNOWN_B2)
    assert missing.refused_whole


def test_sen2_joins_census_children_by_upn_and_loads_plans(tmp_path: Path) -> None:
    config = ingest.IngestConfig(analytics_url=f"duckdb:///{tmp_path / 'a.duckdb'}",
                                 landing_path=tmp_path / "l.duckdb", report_dir=tmp_path / "r")
    report = ingest.run(config, [ingest.SourceSpec("cin", (CIN,)), ingest.SourceSpec("sen2", (SEN2,))])
    assert report.ok, report.findings
    counts = report.counts
    assert (counts["children"], counts["ehc_requests"], counts["ehc_plans"], counts["sen_needs"]) == (4, 2, 1, 2)
    import duckdb

    con = duckdb.connect(str(tmp_path / "a.duckdb"), read_only=True)
    try:
        child = con.execute("SELECT forename, sex, ethnicity, postcode_sector, upn FROM children "
                            "WHERE la_child_id = 'CHILDB2'").fetchall()
        plan = con.execute("SELECT primary_need, last_review_date FROM ehc_plans").fetchall()
        send = con.execute("SELECT count(*), count(ehc_plan_id) FROM involvements WHERE service = 'SEND'").fetchall()
        assessed = con.execute("SELECT weeks_from_request, within_20_weeks FROM ehc_assessments").fetchall()
    finally:
        con.close()
    assert child == [("Quibo", "M", "APKN", "ZZ1 4", "A332987654321")]  # names from SEN2; census fields kept
    assert plan[0][0] == "ASD" and str(plan[0][1]) == "2024-12-02"
    assert send == [(2, 1)]
    assert assessed[0][0] == pytest.approx(18.57, abs=0.01) and assessed[0][1] is True


def with_second_placement(tmp_path: Path, rank: str) -> Path:
    """The fixture export with a second placement on the same plan, starting the same day as the first."""
    target = export_with(tmp_path, "placementdetail")
    path = next(target.glob("*_placementdetail.csv"))
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    second = frame.iloc[0].copy()
    second["placementdetailtableid"], second["urn"], second["placementrank"] = "PD2", "654321", rank
    pd.concat([frame, second.to_frame().T], ignore_index=True).to_csv(path, index=False)
    return target


def test_a_dual_placement_starting_the_same_day_is_kept_beside_the_main_one(tmp_path: Path) -> None:
    export = with_second_placement(tmp_path, "2")
    batch = read_sen2([export], KNOWN_B2)
    assert batch.findings == []
    placed = batch.rows["l_sen_placements"].sort_values("rank")
    assert placed[["urn", "setting", "rank"]].values.tolist() == [["123456", "MS", 1], ["654321", "MS", 2]]
    config = ingest.IngestConfig(analytics_url=f"duckdb:///{tmp_path / 'a.duckdb'}",
                                 landing_path=tmp_path / "l.duckdb", report_dir=tmp_path / "r")
    report = ingest.run(config, [ingest.SourceSpec("cin", (CIN,)), ingest.SourceSpec("sen2", (export,))])
    assert report.ok and report.counts["sen_placements"] == 2
    again = ingest.run(config, [ingest.SourceSpec("sen2", (export,))])  # a reload changes nothing
    assert again.ok and again.counts["sen_placements"] == 2


def test_two_placements_of_the_same_rank_starting_the_same_day_are_reported(tmp_path: Path) -> None:
    findings = read_sen2([with_second_placement(tmp_path, "1")], KNOWN_B2).findings
    assert [(f.la_child_id, f.element, f.is_error) for f in findings] == [("CHILDB2", "placementrank", True)]
    assert "rank 1" in findings[0].message


def test_a_ledger_from_before_ranks_were_kept_gets_rank_1_for_its_placements(tmp_path: Path) -> None:
    import duckdb

    from refresh.ingest import landing

    old = duckdb.connect(str(tmp_path / "l.duckdb"))
    old.execute('CREATE TABLE l_sen_placements (la_child_id VARCHAR, received_date DATE, urn VARCHAR, '
                'setting VARCHAR, start_date DATE, end_date DATE, source_id INTEGER)')
    old.execute("INSERT INTO l_sen_placements VALUES ('CHILDB2', '2024-02-01', '123456', 'MS', '2024-09-01', NULL, 1)")
    old.close()
    con = landing.open_ledger(tmp_path / "l.duckdb")
    try:
        assert landing.read_table(con, "l_sen_placements")["rank"].tolist() == [1]
        con.execute("INSERT INTO l_sen_placements (la_child_id, rank) VALUES ('X', NULL)")  # no default left
        assert con.execute("SELECT rank FROM l_sen_placements WHERE la_child_id = 'X'").fetchall() == [(None,)]
    finally:
        con.close()
