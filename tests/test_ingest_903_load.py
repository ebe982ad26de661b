"""Loading an SSDA903 return: the store's 903 tables, LAC involvements, reloads, next year's return,
partial loads with quarantine, bad input refused whole, and ``load status``."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import _ssda903 as sample  # type: ignore[import-not-found]
import pandas as pd
import pytest
from test_ingest_load import make_config, store_counts, store_rows  # type: ignore[import-not-found]

from refresh import ingest
from refresh.ingest import __main__ as cli
from refresh.ingest import landing
from refresh.ingest.load import open_ledger

CIN_2025 = Path(__file__).parent / "fixtures" / "ingest" / "cin_2025.xml"
PUBLIC_SAMPLE = os.environ.get("CSI_903_SAMPLE_DIR", "")  # csc-validator-be-903 tests/fake_data (MIT licence)


@pytest.fixture
def config(tmp_path: Path) -> ingest.IngestConfig:
    return make_config(tmp_path / "data")


def ledger(config: ingest.IngestConfig) -> dict[str, pd.DataFrame]:
    con = open_ledger(config)
    try:
        return {t: landing.read_table(con, t) for t in landing.TABLES if t.startswith("l_cla") or t == "l_children"}
    finally:
        con.close()


def load(config: ingest.IngestConfig, data: sample.Return, where: Path, **kwargs: object) -> ingest.LoadReport:
    return ingest.load_903([sample.write(where, data)], config=config, **kwargs)  # type: ignore[arg-type]


def test_a_clean_return_fills_the_903_tables_and_one_lac_involvement_per_period(config: ingest.IngestConfig,
                                                                                 tmp_path: Path) -> None:
    report = load(config, sample.base(), tmp_path / "r", year=2024)
    assert report.ok and report.results[0].status == "loaded" and report.results[0].loaded == 6
    url = config.analytics_url
    counts = store_counts(url)
    assert {k: counts[k] for k in ("children", "cla_episodes", "cla_periods", "cla_reviews", "cla_missing", "cla_oc2",
                                   "cla_oc3", "cla_adoptions", "cla_uasc", "cla_header")} == {
        "children": 6, "cla_episodes": 7, "cla_periods": 5, "cla_reviews": 4, "cla_missing": 2, "cla_oc2": 3,
        "cla_oc3": 1, "cla_adoptions": 1, "cla_uasc": 1, "cla_header": 6}
    periods = store_rows(url, "cla_periods", "cla_period_id")
    a1 = periods[periods["start_date"] == pd.Timestamp("2021-03-01")].iloc[0]
    assert a1["episodes"] == 2 and a1["placements"] == 2 and pd.isna(a1["end_date"])
    inv = store_rows(url, "involvements", "involvement_id")
    lac = inv[inv["intervention_type"] == "LAC"]
    assert len(lac) == 5 and set(lac["lawful_basis"]) == {"legal_obligation"}
    assert set(lac["art9_condition"]) == {"social_protection"} and set(lac["cla_period_id"]) == set(
        periods["cla_period_id"])
    c3 = lac[lac["start_date"] == pd.Timestamp("2021-02-01")].iloc[0]
    assert c3["outcome"] == "ACH" and c3["end_date"] == pd.Timestamp("2023-11-20")  # adopted (E11)
    episodes = store_rows(url, "cla_episodes", "cla_episode_id")
    assert episodes["is_new_placement"].all()  # every episode here starts a placement (RNE S, P or T)
    children = store_rows(url, "children", "child_id")
    assert children.set_index("la_child_id").loc["B2", "sex"] == "F"  # 903 SEX 2 -> F


def test_the_903_child_is_the_census_child(config: ingest.IngestConfig, tmp_path: Path) -> None:
    assert ingest.load_cin(CIN_2025, config=config).ok
    before = store_rows(config.analytics_url, "children", "child_id").set_index("la_child_id")["child_id"]
    data = sample.base()
    for module in data:
        for row in data[module]:
            row["CHILD"] = {"A1": "CHILDA1"}.get(row["CHILD"], row["CHILD"])
    data["header"][0].update(SEX="2", DOB="01/06/2015")  # as the census has her
    for module in ("oc2", "reviews", "missing"):
        for row in sample.rows_of(data, module, "CHILDA1"):
            row["DOB"] = "01/06/2015"
    data["oc2"][0]["CONVICTED"] = ""  # under 10 at 31 March
    assert load(config, data, tmp_path / "r", year=2024).ok
    after = store_rows(config.analytics_url, "children", "child_id").set_index("la_child_id")["child_id"]
    assert after["CHILDA1"] == before["CHILDA1"]
    episodes = store_rows(config.analytics_url, "cla_episodes", "cla_episode_id")
    assert (episodes["child_id"] == before["CHILDA1"]).sum() == 2


def test_reloading_the_same_return_changes_nothing(config: ingest.IngestConfig, tmp_path: Path) -> None:
    assert load(config, sample.base(), tmp_path / "r", year=2024).ok
    first_ledger, first_store = ledger(config), store_counts(config.analytics_url)
    episodes = store_rows(config.analytics_url, "cla_episodes", "cla_episode_id")
    assert load(config, sample.base(), tmp_path / "r", year=2024).ok
    for table, frame in ledger(config).items():
        pd.testing.assert_frame_equal(frame, first_ledger[table], obj=table)
    assert store_counts(config.analytics_url) == first_store
    pd.testing.assert_frame_equal(store_rows(config.analytics_url, "cla_episodes", "cla_episode_id"), episodes)


def next_year() -> sample.Return:
    """2024-25: A1's open placement (from 10/09/2023) continues, then moves on 01/02/2025; the rest are gone."""
    data = sample.base()
    a1 = sample.rows_of(data, "episodes", "A1")
    a1[1].update(DEC="01/02/2025", REC="X1", REASON_PLACE_CHANGE="CHILD")
    a1.append(dict(a1[1], DECOM="01/02/2025", RNE="P", PLACE="U6", PLACE_PROVIDER="PR1", DEC="", REC="",
                   REASON_PLACE_CHANGE=""))
    keep = {"A1"}
    out = {m: [r for r in rows if r["CHILD"] in keep] for m, rows in data.items()}
    out["episodes"] = [a1[1], a1[2]]
    out["header"][0]["SEX"] = "M"  # 2024-25 codes
    out["reviews"] = [dict(out["reviews"][0], REVIEW="01/06/2024")]
    out["missing"] = []
    return out


def test_next_years_return_merges_with_the_episode_history(config: ingest.IngestConfig, tmp_path: Path) -> None:
    assert load(config, sample.base(), tmp_path / "y1", year=2024).ok
    report = load(config, next_year(), tmp_path / "y2", year=2025)
    assert report.ok, report.findings
    held = ledger(config)["l_cla_episodes"]
    a1 = held[held["la_child_id"] == "A1"].sort_values("start_date")
    assert a1["start_date"].dt.strftime("%Y-%m-%d").tolist() == ["2021-03-01", "2023-09-10", "2025-02-01"]
    assert a1["end_date"].iloc[1] == pd.Timestamp("2025-02-01")  # the spanning episode, updated, not duplicated
    assert len(held) == 8  # the other children's 2023-24 episodes are kept
    periods = store_rows(config.analytics_url, "cla_periods", "cla_period_id")
    assert len(periods) == 5 and sorted(periods["placements"].tolist())[-1] == 3
    reviews = ledger(config)["l_cla_reviews"]
    assert (reviews["la_child_id"] == "A1").sum() == 3  # 2023-24's two kept, 2024-25's added


def test_a_corrected_start_date_replaces_the_episode_within_the_year(config: ingest.IngestConfig,
                                                                     tmp_path: Path) -> None:
    assert load(config, sample.base(), tmp_path / "a", year=2024).ok
    data = sample.base()
    sample.rows_of(data, "episodes", "B2")[0]["DECOM"] = "12/06/2023"
    assert load(config, data, tmp_path / "b", year=2024).ok
    held = ledger(config)["l_cla_episodes"]
    assert held[held["la_child_id"] == "B2"]["start_date"].tolist() == [pd.Timestamp("2023-06-12")]


def test_errors_refuse_the_return_unless_partial_then_the_child_is_quarantined(config: ingest.IngestConfig,
                                                                                tmp_path: Path) -> None:
    data = sample.base()
    sample.rows_of(data, "episodes", "B2")[0]["LS"] = "C9"
    refused = load(config, data, tmp_path / "r", year=2024)
    assert refused.refused and refused.results[0].status == "refused"
    assert {f.rule for f in refused.findings} == {"144"} and refused.findings[0].la_child_id == "B2"
    assert all(frame.empty for frame in ledger(config).values())
    assert not Path(config.analytics_url.removeprefix("duckdb:///")).exists()
    partial = load(config, data, tmp_path / "r", year=2024, allow_partial=True)
    assert partial.ok and partial.results[0].status == "partial"
    assert (partial.results[0].loaded, partial.results[0].quarantined) == (5, 1)
    assert "B2" not in set(ledger(config)["l_children"]["la_child_id"])
    reports = {p.name: p for p in partial.results[0].reports}
    with reports["ssda903_2023-24.episodes.quarantine.csv"].open() as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["CHILD"], r["LS"], r["line"]) for r in rows] == [("B2", "C9", "4")]
    assert "ssda903_2023-24.quarantine.csv" in reports and "ssda903_2023-24.findings.csv" in reports


def _header_without_ethnic(d: Path) -> None:
    text = (d / "header.csv").read_text().splitlines()
    rows = [r.split(",") for r in text]
    (d / "header.csv").write_text("\n".join(",".join(r[:3] + r[4:]) for r in rows) + "\n")


def _truncated(d: Path) -> None:
    text = (d / "episodes.csv").read_text()
    (d / "episodes.csv").write_text(text[: text.rindex(",DY4 1")])


def _reviews_named_episodes(d: Path) -> None:
    (d / "episodes.csv").unlink()
    (d / "reviews.csv").rename(d / "episodes.csv")


def _cin_xml(d: Path) -> None:
    (d / "oc3.csv").write_bytes(CIN_2025.read_bytes())


def _sen2(d: Path) -> None:
    (d / "Blade-Export_2025-01-16_person.csv").write_text("persontableid,upn,personbirthdate,sex\nP1,,2010-01-01,M\n")


def _blank_child(d: Path) -> None:
    with (d / "reviews.csv").open("a") as fh:
        fh.write(",01/06/2011,01/05/2023,PN1\n")


@pytest.mark.parametrize(("spoil", "names"), [
    (_header_without_ethnic, ["header.csv", "missing ETHNIC"]),
    (_truncated, ["episodes.csv row 8 is cut short (truncated file): HOME_POST onwards missing"]),
    (_reviews_named_episodes, ["episodes.csv", "named as the episodes module", "reviews module"]),
    (_cin_xml, ["oc3.csv", "XML"]),
    (_sen2, ["Blade-Export_2025-01-16_person.csv", "SEN2"]),
    (_blank_child, ["Row 6 has no CHILD"]),
])
def test_bad_input_is_refused_whole_with_a_message_naming_file_row_and_column(
        config: ingest.IngestConfig, tmp_path: Path, spoil: object, names: list[str]) -> None:
    assert load(config, sample.base(), tmp_path / "good", year=2024).ok
    before, counts = ledger(config), store_counts(config.analytics_url)
    directory = sample.write(tmp_path / "bad", sample.base())
    spoil(directory)  # type: ignore[operator]
    out = io.StringIO()
    code = cli.main(["903", str(directory), "--year", "2024", "--allow-partial", "--quiet",
                     "--landing", str(config.landing_path), "--url", config.analytics_url,
                     "--report-dir", str(tmp_path / "reports")], out=out)
    text = out.getvalue()
    assert code == 1 and "REFUSED" in text and "Nothing was loaded" in text
    for name in names:
        assert name in text, text
    for table, frame in ledger(config).items():
        pd.testing.assert_frame_equal(frame, before[table], obj=table)
    assert store_counts(config.analytics_url) == counts


@pytest.mark.parametrize(("argv", "message"), [
    (["--year", "2030"], "outside the years"),
    ([], "2023-24"),  # no year given: told from the latest episode date (loads)
])
def test_the_collection_year(config: ingest.IngestConfig, tmp_path: Path, argv: list[str], message: str) -> None:
    directory = sample.write(tmp_path / "r", sample.base())
    out = io.StringIO()
    cli.main(["903", str(directory), *argv, "--quiet", "--landing", str(config.landing_path),
              "--url", config.analytics_url, "--report-dir", str(tmp_path / "reports")], out=out)
    assert message in out.getvalue()


def test_status_lists_the_903_loads(config: ingest.IngestConfig, tmp_path: Path) -> None:
    assert load(config, sample.base(), tmp_path / "r", year=2024).ok
    out = io.StringIO()
    assert cli.main(["status", "--landing", str(config.landing_path), "--url", config.analytics_url], out=out) == 0
    text = out.getvalue()
    assert "903" in text and "ssda903_2023-24" in text and "2024-03-31" in text and "loaded" in text
    assert "l_cla_episodes" in text
    out = io.StringIO()
    assert cli.main(["status", "--landing", str(tmp_path / "none.duckdb"), "--url", config.analytics_url], out=out) == 0
    assert "No loads yet" in out.getvalue()


@pytest.mark.skipif(not PUBLIC_SAMPLE, reason="CSI_903_SAMPLE_DIR (csc-validator-be-903 tests/fake_data) not set")
def test_the_public_fake_903_is_read_and_checked(config: ingest.IngestConfig) -> None:
    report = ingest.load_903([Path(PUBLIC_SAMPLE)], config=config, year=2018, allow_partial=True)
    result = report.results[0]
    assert result.children == 2675 and result.errors > 0
    assert {"148", "501", "388"} <= {f.rule for f in result.findings}
