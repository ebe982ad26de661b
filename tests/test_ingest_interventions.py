"""Interventions from CSV or XLSX (with a column mapping), and population estimates."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from refresh import ingest
from refresh.ingest.batch import Known
from refresh.ingest.interventions import read_interventions, read_population

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
CSV = FIXTURES / "interventions.csv"
KNOWN = Known(children=frozenset({"CHILDB2"}))


def with_cells(tmp_path: Path, changes: dict[tuple[int, str], str]) -> Path:
    frame = pd.read_csv(CSV, dtype=str, keep_default_na=False)
    for (row, column), value in changes.items():
        frame.loc[row, column] = value
    path = tmp_path / "interventions.csv"
    frame.to_csv(path, index=False)
    return path


def test_the_fixture_is_clean_and_creates_allocations_and_an_unknown_child() -> None:
    batch = read_interventions(CSV, KNOWN)
    assert [f for f in batch.findings if f.is_error] == []
    assert len(batch.rows["l_involvements"]) == 3 and len(batch.rows["l_allocations"]) == 2
    assert batch.rows["l_children"]["la_child_id"].tolist() == ["EHONLY9"]
    assert {f.message for f in batch.findings} >= {"Team 'EH-NORTH' was not known: added as 'EH-NORTH'"}


@pytest.mark.parametrize(("changes", "column", "child"), [
    ({(0, "Service"): "XX"}, "service", "CHILDB2"),
    ({(0, "Intervention"): "VIG"}, "intervention_type", "CHILDB2"),  # an EPS type under early help
    ({(1, "Service"): "CSC", (1, "Intervention"): "CIN"}, "intervention_type", "CHILDB2"),
    ({(0, "End"): "2024-06-01"}, "end_date", "CHILDB2"),
    ({(0, "Consent given"): ""}, "consent_given_date", "CHILDB2"),
    ({(0, "Consent withdrawn"): "2024-01-01"}, "consent_withdrawn_date", "CHILDB2"),
    ({(0, "Lawful basis"): "because"}, "lawful_basis", "CHILDB2"),
    ({(2, "Sex"): ""}, "la_child_id", "EHONLY9"),
    ({(1, "Start"): "01/13/2025"}, "start_date", "CHILDB2"),
])
def test_each_check_names_the_child_and_column(tmp_path: Path, changes: dict, column: str, child: str) -> None:
    findings = read_interventions(with_cells(tmp_path, changes), KNOWN).findings
    hits = [f for f in findings if f.is_error and f.element == column]
    assert hits and {f.la_child_id for f in hits} == {child}, findings


def test_a_missing_required_column_refuses_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    pd.read_csv(CSV, dtype=str).drop(columns=["Lawful basis"]).to_csv(path, index=False)
    assert read_interventions(path, KNOWN).refused_whole


def test_xlsx_with_the_councils_own_column_names_loads(tmp_path: Path) -> None:
    frame = pd.read_csv(CSV, dtype=str, keep_default_na=False).rename(
        columns={"LAchildID": "Child Ref", "Intervention": "Programme"})
    path = tmp_path / "eh.xlsx"
    frame.to_excel(path, sheet_name="Involvements", index=False)
    config = ingest.IngestConfig(analytics_url=f"duckdb:///{tmp_path / 'a.duckdb'}",
                                 landing_path=tmp_path / "l.duckdb", report_dir=tmp_path / "r")
    report = ingest.run(config, [
        ingest.SourceSpec("cin", (FIXTURES / "cin_2025.xml",)),
        ingest.SourceSpec("interventions", (path,), options={
            "columns": {"Child Ref": "la_child_id", "Programme": "intervention_type"}, "sheet": "Involvements"}),
        ingest.SourceSpec("population", (FIXTURES / "population.csv",)),
    ])
    assert report.ok, report.findings
    con = duckdb.connect(str(tmp_path / "a.duckdb"), read_only=True)
    try:
        eh = con.execute("SELECT i.intervention_type, i.team_id, a.worker_id, i.lawful_basis, i.consent_purpose "
                         "FROM involvements i LEFT JOIN allocations a USING (involvement_id) "
                         "WHERE i.service <> 'CSC' ORDER BY i.start_date").fetchall()
        workers = con.execute("SELECT worker_id, team_id FROM workers ORDER BY worker_id").fetchall()
        population = con.execute("SELECT year, children_0_17 FROM population ORDER BY year").fetchall()
    finally:
        con.close()
    assert eh == [("EHA", "EH-NORTH", "W9001", "consent", "Early help support"),
                  ("FSW", "FS-EAST", None, "consent", "Family support"),
                  ("EPC", "EPS-TEAM", "W9002", "public_task", None)]
    assert workers == [("W9001", "EH-NORTH"), ("W9002", "EPS-TEAM")]
    assert population == [(2023, 71000), (2024, 71124), (2025, 71300)]


def test_population_needs_year_and_count(tmp_path: Path) -> None:
    assert read_population(FIXTURES / "population.csv").findings == []
    bad = tmp_path / "p.csv"
    bad.write_text("year,people\n2024,5\n")
    assert read_population(bad).refused_whole
