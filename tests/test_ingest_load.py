"""Loading census files: all or nothing, idempotent, year on year, crash-safe, swapped in under readers."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

import data_access
from data_access import protection
from model import schema, workdays
from refresh import database, ingest
from refresh.ingest import __main__ as cli
from refresh.ingest import landing
from refresh.ingest.findings import Finding, read_csv

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
Y2025, Y2026 = FIXTURES / "cin_2025.xml", FIXTURES / "cin_2026.xml"
REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "cin_census"
needs_reference = pytest.mark.skipif(
    not REFERENCE.is_dir(), reason="../shared/reference/cin_census not present (reference files live outside the repo)")


def make_config(root: Path, url: str | None = None) -> ingest.IngestConfig:
    return ingest.IngestConfig(analytics_url=url or f"duckdb:///{root / 'analytics.duckdb'}",
                               landing_path=root / "landing.duckdb", report_dir=root / "reports",
                               sources_file=root / "sources.toml")


@pytest.fixture
def config(tmp_path: Path) -> ingest.IngestConfig:
    return make_config(tmp_path)


def store_rows(url: str, table: str, order: str) -> pd.DataFrame:
    engine = database.analytics_engine(url)
    try:
        with engine.connect() as conn:
            frame = pd.read_sql(sa.text(f'SELECT * FROM "{table}" ORDER BY {order}'), conn)
        return frame.assign(**{c: pd.to_datetime(frame[c]) for c in frame.columns if c.endswith("_date")})
    finally:
        engine.dispose()


def store_counts(url: str) -> dict[str, int]:
    engine = database.analytics_engine(url)
    try:
        with engine.connect() as conn:
            return {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                    for t in schema.ALL_TABLES if t.name != "store_metadata"}
    finally:
        engine.dispose()


@dataclass
class TwoYears:
    config: ingest.IngestConfig
    first: ingest.LoadReport
    again: ingest.LoadReport
    after_first: dict[str, int]
    ledger_after_first: dict[str, int]
    ids_after_first: dict[str, int]
    second: ingest.LoadReport


@pytest.fixture(scope="module")
def two_years(tmp_path_factory: pytest.TempPathFactory) -> TwoYears:
    """2024-25 loaded twice, then 2025-26."""
    config = make_config(tmp_path_factory.mktemp("two-years"))
    first = ingest.load_cin(Y2025, config=config)
    again = ingest.load_cin(Y2025, config=config)
    after_first = store_counts(config.analytics_url)
    ledger = ingest.ledger_counts(config)
    ids = store_rows(config.analytics_url, "children", "child_id").set_index("la_child_id")["child_id"].to_dict()
    second = ingest.load_cin(Y2026, config=config)
    return TwoYears(config, first, again, after_first, ledger, ids, second)


def test_a_clean_census_loads_into_every_table(two_years: TwoYears) -> None:
    assert two_years.first.ok and [r.status for r in two_years.first.results] == ["loaded"]
    counts = two_years.first.counts
    assert (counts["children"], counts["cin_episodes"], counts["assessments"], counts["assessment_factors"]) == (3, 4, 3, 3)
    assert (counts["section47"], counts["cin_plans"], counts["cp_plans"], counts["cp_reviews"]) == (1, 1, 1, 1)
    assert counts["involvements"] == 4 and counts["child_disabilities"] == 3


def test_loading_the_same_file_twice_leaves_identical_counts(two_years: TwoYears) -> None:
    assert two_years.again.ok
    assert two_years.again.counts == two_years.first.counts
    assert two_years.after_first == {k: v for k, v in two_years.first.counts.items() if k != "store_metadata"}
    assert two_years.ledger_after_first["l_episodes"] == 4 and two_years.ledger_after_first["child_keys"] == 3


def test_next_years_file_updates_its_children_and_keeps_history(two_years: TwoYears) -> None:
    url = two_years.config.analytics_url
    children = store_rows(url, "children", "child_id").set_index("la_child_id")
    assert set(children.index) == {"CHILDA1", "CHILDB2", "CHILDC3", "CHILDD4"}
    # Child ids never change for a child already loaded.
    assert {k: children.loc[k, "child_id"] for k in two_years.ids_after_first} == two_years.ids_after_first
    episodes = store_rows(url, "cin_episodes", "episode_id").merge(
        children.reset_index()[["child_id", "la_child_id"]], on="child_id")
    assert len(episodes) == 5  # CHILDA1 and CHILDC3 kept from last year; CHILDD4's added
    b2 = episodes[(episodes["la_child_id"] == "CHILDB2")].set_index("referral_date")
    assert b2.loc[pd.Timestamp("2025-01-06"), "closure_reason"] == "RC7"
    assert bool(b2.loc[pd.Timestamp("2025-01-06"), "is_rereferral"]) is True
    assessments = store_rows(url, "assessments", "assessment_id")
    updated = assessments[assessments["start_date"] == pd.Timestamp("2025-01-08")].iloc[0]
    expected = workdays.working_days_between(np.array(["2025-01-08"], dtype="datetime64[D]"),
                                              np.array(["2025-04-10"], dtype="datetime64[D]"))[0]
    assert updated["authorisation_date"] == pd.Timestamp("2025-04-10") and updated["working_days"] == expected
    assert bool(updated["within_45_days"]) is False
    disabilities = store_rows(url, "child_disabilities", "child_id, disability")
    assert sorted(disabilities[disabilities["child_id"] == children.loc["CHILDB2", "child_id"]]["disability"]) == ["AUT"]
    meta = store_rows(url, "store_metadata", "key").set_index("key")["value"]
    assert meta["as_of"] == "2026-03-31" and meta["source"] == "ingest"


def test_a_refused_file_changes_nothing_and_writes_its_findings(config: ingest.IngestConfig, tmp_path: Path) -> None:
    assert ingest.load_cin(Y2025, config=config).ok
    before, ledger = store_counts(config.analytics_url), ingest.ledger_counts(config)
    broken = tmp_path / "broken.xml"
    broken.write_text(Y2026.read_text().replace("<ReferralSource>1A</ReferralSource>",
                                                "<ReferralSource>99</ReferralSource>"))
    report = ingest.load_cin(broken, config=config)
    assert report.refused and report.results[0].status == "refused"
    assert store_counts(config.analytics_url) == before and ingest.ledger_counts(config) == ledger
    written = read_csv(config.report_dir / "broken.findings.csv")
    assert [(f.la_child_id, f.rule) for f in written if f.is_error] == [("CHILDD4", "8866")]
    assert {(f.la_child_id, f.rule) for f in written if not f.is_error} == {("", "2887Q"), ("", "2888Q")}  # kept


def test_allow_partial_loads_the_valid_children_and_quarantines_the_rest(config: ingest.IngestConfig,
                                                                         tmp_path: Path) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_text(Y2025.read_text().replace("<ReferralSource>6</ReferralSource>",
                                                "<ReferralSource>99</ReferralSource>"))
    report = ingest.load_cin(broken, config=config, allow_partial=True)
    result = report.results[0]
    assert report.ok and result.status == "partial" and (result.loaded, result.quarantined) == (2, 1)
    assert set(store_rows(config.analytics_url, "children", "child_id")["la_child_id"]) == {"CHILDA1", "CHILDC3"}
    quarantine = pd.read_csv(config.report_dir / "broken.quarantine.csv", dtype=str)
    assert quarantine["la_child_id"].tolist() == ["CHILDB2"] and quarantine["rules"].tolist() == ["8866"]
    held = ingest.load_cin(config.report_dir / "broken.quarantine.xml", config=make_config(tmp_path / "q"))
    assert held.refused and {f.la_child_id for f in held.findings if f.is_error} == {"CHILDB2"}


def test_a_crash_mid_load_leaves_the_ledger_and_the_served_store_as_they_were(
        config: ingest.IngestConfig, monkeypatch: pytest.MonkeyPatch) -> None:
    assert ingest.load_cin(Y2025, config=config).ok
    before, ledger = store_counts(config.analytics_url), ingest.ledger_counts(config)
    real_insert, calls = database.bulk_insert, []

    def failing_insert(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> None:
        calls.append(table.name)
        if len(calls) > 6:
            raise OSError("disk full (simulated)")
        real_insert(conn, table, frame)

    monkeypatch.setattr(database, "bulk_insert", failing_insert)
    with pytest.raises(OSError, match="simulated"):
        ingest.load_cin(Y2026, config=config)
    monkeypatch.setattr(database, "bulk_insert", real_insert)
    real_merge = landing.merge

    def failing_merge(con: duckdb.DuckDBPyConnection, table: str, *args: object, **kwargs: object) -> None:
        if table == "l_assessments":
            raise RuntimeError("crash while merging (simulated)")
        real_merge(con, table, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(landing, "merge", failing_merge)
    with pytest.raises(RuntimeError, match="simulated"):
        ingest.load_cin(Y2026, config=config)
    assert store_counts(config.analytics_url) == before
    assert ingest.ledger_counts(config) == ledger
    assert not list(config.landing_path.parent.glob("*.building"))  # the half-built store was removed


def test_a_reader_keeps_the_old_store_until_it_reopens(config: ingest.IngestConfig) -> None:
    assert ingest.load_cin(Y2025, config=config).ok
    path = config.analytics_url[len("duckdb:///"):]
    reader = duckdb.connect(path, read_only=True)
    try:
        assert ingest.load_cin(Y2026, config=config).ok
        assert reader.execute("SELECT count(*) FROM children").fetchall() == [(3,)]
    finally:
        reader.close()
    reopened = duckdb.connect(path, read_only=True)
    try:
        assert reopened.execute("SELECT count(*) FROM children").fetchall() == [(4,)]
    finally:
        reopened.close()


def test_postgresql_as_the_analytics_store(fresh_pg_url: str, tmp_path: Path) -> None:
    config = make_config(tmp_path, url=fresh_pg_url)
    assert ingest.load_cin(Y2025, config=config).ok
    assert store_counts(fresh_pg_url)["cin_episodes"] == 4
    report = ingest.load_cin(Y2026, config=config)
    assert report.ok and store_counts(fresh_pg_url) == {k: v for k, v in report.counts.items() if k != "store_metadata"}
    assert store_rows(fresh_pg_url, "children", "child_id")["la_child_id"].tolist()[-1] == "CHILDD4"


@dataclass(frozen=True)
class Leader:
    role: str = "leadership"
    user_id: int = 1
    username: str = "leader"
    team_ids: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    worker_id: str | None = None


def test_the_overview_shows_the_loaded_data_after_a_refresh(config: ingest.IngestConfig, tmp_path: Path) -> None:
    report = ingest.run(config, [ingest.SourceSpec("cin", (Y2025,)),
                                 ingest.SourceSpec("population", (FIXTURES / "population.csv",))])
    assert report.ok
    settings = data_access.Settings.from_env({}, data_dir=tmp_path / "app", analytics_url=config.analytics_url,
                                             app_db_url=f"sqlite:///{tmp_path / 'app.sqlite'}",
                                             suppression_threshold=0)
    def published(sql: str) -> object:  # the true count and key sum of its rows, through the p-table
        with data_access.current().analytics.connect() as conn:
            n, keysum = conn.execute(sa.text(sql)).one()
        return protection.shown(protection.Count(int(n), int(keysum or 0)), threshold=0)

    open_children = ("select count(*), sum(rkey) from children where child_id in (select child_id from cin_episodes "
                     "where referral_date <= '{d}' and (closure_date is null or closure_date > '{d}'))")
    referrals = "select count(*), sum(rkey) from cin_episodes where referral_date > '{s}' and referral_date <= '{d}'"
    with data_access.bound(data_access.open_stores(settings)) as stores:
        kpis = {k.key: k for k in data_access.overview_page(user=Leader(), filters=None).cards}
        assert data_access.store_facts()["as_of"] == "2025-03-31"
        true = (1, 4, 0)  # the file's children in need, referrals and CP plans
        assert (kpis["cin_now"].value, kpis["referrals"].value, kpis["cp_open"].value) == (
            published(open_children.format(d="2025-03-31")),
            published(referrals.format(s="2024-03-31", d="2025-03-31")), 0)  # protected: as the p-table says
        assert all(abs(int(v) - t) <= 2 for v, t in zip((kpis["cin_now"].value, kpis["referrals"].value), true,
                                                       strict=False) if v != "c")
        assert ingest.load_cin(Y2026, config=config).ok
        data_access.reopen_analytics()
        kpis = {k.key: k for k in data_access.overview_page(user=Leader(), filters=None).cards}
        assert data_access.store_facts()["as_of"] == "2026-03-31"
        assert (kpis["cin_now"].value, kpis["referrals"].value) == (
            published(open_children.format(d="2026-03-31")), published(referrals.format(s="2025-03-31", d="2026-03-31")))
    stores.close()


def test_child_ids_start_above_the_served_store_and_its_reference_data_is_kept(config: ingest.IngestConfig) -> None:
    import _tiny_store  # type: ignore[import-not-found]

    frames = _tiny_store.frames()
    database.build_store(config.analytics_url, lambda: iter(frames.items()))
    assert ingest.load_cin(Y2025, config=config).ok
    children = store_rows(config.analytics_url, "children", "child_id")
    assert children["child_id"].min() > frames["children"]["child_id"].max()
    assert store_rows(config.analytics_url, "population", "year")["children_0_17"].tolist() == [70_000]
    assert {"T1", "T2", "CSC-UNALLOCATED"} <= set(store_rows(config.analytics_url, "teams", "team_id")["team_id"])


def test_refresh_reloads_the_configured_sources_then_rebuilds(config: ingest.IngestConfig) -> None:
    config.sources_file.write_text(f"""
[[source]]
kind = "cin"
path = "{Y2025}"
[[source]]
kind = "sen2"
path = "{FIXTURES / 'sen2'}"
[[source]]
kind = "interventions"
path = "{FIXTURES / 'interventions.csv'}"
[[source]]
kind = "population"
path = "{FIXTURES / 'population.csv'}"
""")  # type: ignore[union-attr]
    report = ingest.refresh(config=config)
    assert report.ok and [r.kind for r in report.results] == ["cin", "sen2", "interventions", "population"]
    assert (report.counts["ehc_plans"], report.counts["allocations"], report.counts["population"]) == (1, 2, 3)
    rebuilt = ingest.refresh(config=config, use_sources_file=False)
    assert rebuilt.results == [] and rebuilt.counts == report.counts


@needs_reference
def test_fake_census_is_refused_child_by_child_and_loads_nothing(config: ingest.IngestConfig) -> None:
    report = ingest.load_cin(REFERENCE / "fake_CIN_data.xml", config=config)
    result = report.results[0]
    assert report.refused and result.children == 332 and result.quarantined > 300
    assert {"1510", "1530", "8620"} <= {f.rule for f in result.findings}
    assert all(f.la_child_id.startswith("RND") for f in result.findings if f.la_child_id)
    assert [f.severity for f in result.findings if f.element == "Header/Source/LEA"] == ["query"]  # LEA 975
    # a mid-year extract (ReferenceDate 2022-07-21) is not a census return: rule 100 refuses it whole
    assert ("", "100") in {(f.la_child_id, f.rule) for f in result.findings if f.is_error}
    assert not Path(config.analytics_url[len("duckdb:///"):]).exists()


@needs_reference
def test_fake_census_with_allow_partial_loads_the_valid_children(config: ingest.IngestConfig) -> None:
    census = config.report_dir.parent / "fake_CIN_data.xml"  # with the census ReferenceDate (rule 100)
    census.write_text((REFERENCE / "fake_CIN_data.xml").read_text().replace(
        "<ReferenceDate>2022-07-21</ReferenceDate>", "<ReferenceDate>2022-03-31</ReferenceDate>"))
    report = ingest.load_cin(census, config=config, allow_partial=True)
    result = report.results[0]
    assert report.ok and result.loaded == result.children - result.quarantined == report.counts["children"]
    assert result.loaded > 0
    quarantined = pd.read_csv(config.report_dir / "fake_CIN_data.quarantine.csv")
    assert len(quarantined) == result.quarantined
    assert (config.report_dir / "fake_CIN_data.quarantine.xml").stat().st_size > 0
    assert (config.report_dir / "fake_CIN_data.findings.csv").stat().st_mode & 0o077 == 0


@needs_reference
def test_2024_sample_with_errors_is_refused_with_its_rules(config: ingest.IngestConfig) -> None:
    report = ingest.load_cin(REFERENCE / "CIN_Census_2024_with_errors.xml", config=config, allow_partial=True)
    rules = {f.rule for f in report.findings}
    assert {"4180", "8608", "8617", "1570", "1580", "1103"} <= rules
    assert report.results[0].loaded == 0


def test_the_command_line_prints_the_findings_table_and_exits_1_when_refused(tmp_path: Path,
                                                                             capsys: pytest.CaptureFixture) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_text(Y2025.read_text().replace("<Ethnicity>WBRI</Ethnicity>", "<Ethnicity>ZZZZ</Ethnicity>"))
    args = ["--data-dir", str(tmp_path / "data"), "--quiet"]
    assert cli.main(["cin", str(broken), *args]) == 1
    out = capsys.readouterr().out
    assert "REFUSED" in out and "CHILDA1" in out and "4220" in out and "Nothing was loaded" in out
    assert cli.main(["cin", str(tmp_path / "missing.xml"), *args]) == 2
    assert cli.main(["status", *args]) == 0


def test_reports_and_ledger_can_live_elsewhere(tmp_path: Path) -> None:
    shutil.copy(Y2025, tmp_path / "c.xml")
    config = ingest.IngestConfig.from_settings(
        data_access.Settings.from_env({}, data_dir=tmp_path / "d"), report_dir=tmp_path / "elsewhere",
        as_of=dt.date(2025, 1, 31))
    assert config.landing_path == tmp_path / "d" / "landing.duckdb"
    report = ingest.load_cin(tmp_path / "c.xml", config=config)
    assert report.ok and store_rows(config.analytics_url, "store_metadata", "key").set_index("key").loc[
        "as_of", "value"] == "2025-01-31"


def test_status_on_an_empty_data_dir_says_nothing_is_loaded(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    import cli as app_cli

    assert app_cli.main(["load", "status", "--data-dir", str(tmp_path / "empty")]) == 0
    out = capsys.readouterr().out
    assert "No loads yet" in out and "Traceback" not in out
    assert not (tmp_path / "empty" / "landing.duckdb").exists()  # looking creates no ledger
    config = make_config(tmp_path / "busy")
    held = landing.open_ledger(config.landing_path)  # a load in progress holds the ledger
    try:
        assert cli.main(["status", "--landing", str(config.landing_path), "--data-dir", str(tmp_path)]) == 2
    finally:
        held.close()
    assert "cannot be read" in capsys.readouterr().err


class _CountedFindings(list[Finding]):
    """A findings list that counts how often it is read through."""

    passes = 0

    def __iter__(self) -> Iterator[Finding]:
        self.passes += 1
        return super().__iter__()


def test_the_quarantine_report_reads_the_findings_once_however_many_children(tmp_path: Path) -> None:
    from refresh.ingest.batch import Batch
    from refresh.ingest.findings import error, query
    from refresh.ingest.load import _quarantine_csv

    children = [f"C{i:05d}" for i in range(2_000)]
    findings = _CountedFindings([error("f.xml", c, "Sex", "4180", f"bad sex {c}") for c in children]
                                + [error("f.xml", c, "UPN", "1510", "bad UPN") for c in children[::2]]
                                + [query("f.xml", c, "PersonBirthDate", "8775Q", "old") for c in children[::3]])
    batch = Batch(kind="cin", name="f.xml", rows={}, findings=findings, children=len(children))
    path = _quarantine_csv(batch, set(children), tmp_path)
    assert findings.passes <= 2  # was one pass per quarantined child: quadratic in a mostly broken file
    written = pd.read_csv(path, dtype=str).set_index("la_child_id")
    assert len(written) == 2_000 and written.loc["C00000", "rules"] == "1510 4180"
    assert written.loc["C00001", "rules"] == "4180" and written.loc["C00000", "errors"] == "2"
