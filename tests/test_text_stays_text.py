"""Text from the council's files stays text: in the Records grid, in charts and in the loaders' CSVs.

A forename like ``[x](https://evil)`` or ``<img src=x onerror=...>`` must not become a link or HTML in
the grid; a team called ``<a href="https://evil">x</a>`` must not become a link in a Plotly chart;
an LA child ID or message starting ``=`` must not become a spreadsheet formula in a findings or
quarantine report.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from dashboards import _charts
from data_access import Visual
from model.csvcells import plain_cell, safe_cell, safe_row
from refresh import ingest
from refresh.ingest.findings import Finding, Severity, read_csv, write_csv

HOSTILE = ["[x](https://evil.example)", "<img src=x onerror=alert(1)>", '<a href="https://evil.example">x</a>',
           "=HYPERLINK(\"https://evil.example\")", "**bold** & <b>"]
FIXTURES = Path(__file__).parent / "fixtures" / "ingest"


# --- (a) the Records grid --------------------------------------------------------------------------

def test_grid_rows_carry_the_name_as_text_and_the_link_apart(dash_app, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from dashboards import _grid
    from dashboards import records as page

    monkeypatch.setattr(_grid.records, "record_ref", lambda c: f"REF{c}")
    rows = pd.DataFrame({"child_id": [1, 2, 3], "forename": [HOSTILE[0], HOSTILE[1], None],
                         "surname": ["Smith", "Jones", None], "birth_date": [None, None, None]})
    out = _grid.grid_rows(rows)
    assert [r["name"] for r in out] == [f"{HOSTILE[0]} Smith", f"{HOSTILE[1]} Jones", ""]
    assert [r["href"] for r in out] == ["/child?ref=REF1", "/child?ref=REF2", "/child?ref=REF3"]
    name = next(c for c in page.IDENTIFIABLE_COLUMNS if c["field"] == "name")
    assert name["cellRenderer"] == "ChildLink"  # text in a link made by React: no markdown, no HTML
    assert not any("markdown" in json.dumps(c) or "dangerously" in json.dumps(c) for c in page.IDENTIFIABLE_COLUMNS)


def test_the_child_link_renderer_puts_the_name_in_as_text() -> None:
    script = (Path(__file__).parents[1] / "assets" / "csi.js").read_text()
    renderer = script[script.index("csiGridCells.ChildLink"):]
    assert 'createElement("a", {href: href}, text)' in renderer and "innerHTML" not in renderer
    assert 'href.indexOf("/child?ref=") !== 0' in renderer  # only links to a record


# --- (b) charts ------------------------------------------------------------------------------------

@pytest.mark.parametrize("label", HOSTILE)
def test_chart_labels_and_hover_text_are_escaped(label: str) -> None:
    visual = Visual("by_team", "Children by team", frame={"code": ["T1", "T2"], "label": [label, "Plain team"],
                                                           "children": [12, "c"]},
                    values={"children": '<a href="https://evil.example">Children</a>'}, kind="hbar")
    fig = _charts.figure(visual)
    text = json.dumps(fig["data"])
    assert "<a" not in text.replace("<extra>", "").replace("</extra>", "") and "<img" not in text and "<b>" not in text
    trace = fig["data"][0]
    assert trace["y"][0] == label.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert trace["hovertemplate"].startswith("%{customdata[1]}<extra>&lt;a href=")
    assert trace["customdata"][0][0] == "T1"  # the code a click selects is untouched


def test_empty_chart_message_is_escaped() -> None:
    assert _charts.empty("<b>none</b>")["layout"]["annotations"][0]["text"] == "&lt;b&gt;none&lt;/b&gt;"


# --- (c) CSVs the loaders write --------------------------------------------------------------------

@pytest.mark.parametrize("value", ["=1+1", "+44", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_formula_cells_become_text_and_read_back(value: str) -> None:
    assert safe_cell(value) == "'" + value and plain_cell(str(safe_cell(value))) == value
    assert safe_cell("Smith") == "Smith" and safe_cell(3) == 3 and plain_cell("'quoted") == "'quoted"
    assert safe_row([value, 1]) == ["'" + value, 1]


def test_findings_csv_is_safe_and_reads_back(tmp_path: Path) -> None:
    findings = [Finding("f.xml", '=HYPERLINK("https://evil.example","x")', "LAchildID", "8500", Severity.ERROR,
                        "@SUM(1) is not a valid value"),
                Finding("f.xml", "CHILD1", "-x", "", Severity.QUERY, "+44 is odd")]
    path = write_csv(findings, tmp_path / "f.findings.csv")
    with path.open(newline="", encoding="utf-8") as fh:
        cells = [c for row in csv.reader(fh) for c in row]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@"))]
    assert sorted(read_csv(path), key=lambda f: f.la_child_id) == sorted(findings, key=lambda f: f.la_child_id)


def test_quarantine_csv_is_safe(tmp_path: Path) -> None:
    """A child whose LA child ID starts with ``=`` is quarantined; the report shows it as text."""
    config = ingest.IngestConfig(analytics_url=f"duckdb:///{tmp_path / 'analytics.duckdb'}",
                                 landing_path=tmp_path / "landing.duckdb", report_dir=tmp_path / "reports",
                                 sources_file=tmp_path / "sources.toml")
    broken = tmp_path / "broken.xml"
    broken.write_text((FIXTURES / "cin_2025.xml").read_text()
                      .replace("<LAchildID>CHILDB2</LAchildID>", "<LAchildID>=cmd|' /C calc'!A0</LAchildID>")
                      .replace("<ReferralSource>6</ReferralSource>", "<ReferralSource>99</ReferralSource>"))
    report = ingest.load_cin(broken, config=config, allow_partial=True)
    assert report.results[0].quarantined >= 1
    reports = sorted((tmp_path / "reports").glob("broken.*.csv"))
    assert {p.name for p in reports} >= {"broken.quarantine.csv", "broken.findings.csv"}
    for path in reports:
        with path.open(newline="", encoding="utf-8") as fh:
            cells = [c for row in csv.reader(fh) for c in row]
        assert "'=cmd|' /C calc'!A0" in cells, path.name
        assert not [c for c in cells if c.startswith(("=", "+", "-", "@"))], path.name
