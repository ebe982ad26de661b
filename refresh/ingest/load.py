"""A load: validate source files, merge them into the ledger and rebuild the analytics store, all or nothing.

Everything happens inside one ledger transaction: the batches are merged, the analytics store is
built from the merged ledger and swapped in (``database.build_store``: a new DuckDB file
``os.replace``-d over the served one, or a new PostgreSQL schema swapped in one transaction), and
only then is the ledger committed. A refusal or a crash at any point before that leaves the ledger
and the served store exactly as they were. By default a file with any error is refused whole;
with ``allow_partial`` its valid children load and the rest go to a quarantine report.
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
from tqdm import tqdm

from model.csvcells import safe_row
from refresh import database
from refresh.ingest import landing, sources
from refresh.ingest.batch import Batch, Known
from refresh.ingest.cin import read_cin
from refresh.ingest.findings import Finding, Severity, write_csv
from refresh.ingest.interventions import read_interventions, read_population
from refresh.ingest.sen2 import read_sen2
from refresh.ingest.sources import IngestConfig, SourceSpec
from refresh.ingest.ssda903 import Stored, read_903


class IngestError(RuntimeError):
    """A load could not run at all (ledger busy, file missing): nothing was changed."""


@dataclass
class SourceResult:
    """What happened to one source file (or SEN2 export)."""

    kind: str
    name: str
    status: str  # "loaded" | "partial" (valid children loaded, the rest quarantined) | "refused"
    children: int
    loaded: int
    quarantined: int
    findings: list[Finding]
    reports: list[Path] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.ERROR)

    @property
    def queries(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.QUERY)


@dataclass
class LoadReport:
    """The outcome of a load or refresh: per-source results and the analytics store's row counts."""

    results: list[SourceResult]
    refused: bool
    counts: dict[str, int]
    seconds: float

    @property
    def ok(self) -> bool:
        return not self.refused

    @property
    def findings(self) -> list[Finding]:
        return [f for r in self.results for f in r.findings]


def _known(con: duckdb.DuckDBPyConnection) -> Known:
    def column(sql: str) -> list[object]:
        return [r[0] for r in con.execute(sql).fetchall()]

    return Known(
        children=frozenset(map(str, column("SELECT la_child_id FROM l_children"))),
        by_upn={str(u): str(c) for u, c in con.execute(
            "SELECT upper(upn), la_child_id FROM l_children WHERE upn IS NOT NULL").fetchall()},
        plans_with_need=frozenset((str(c), d) for c, d in con.execute(
            "SELECT la_child_id, received_date FROM l_sen_needs WHERE rank = 1").fetchall()),
        teams=frozenset(map(str, column("SELECT team_id FROM l_teams"))),
        workers=frozenset(map(str, column("SELECT worker_id FROM l_workers"))),
    )


def _progress(bar: tqdm) -> Callable[[bytes], None]:
    def advance(chunk: bytes) -> None:
        bar.update(len(chunk))
    return advance


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """No cyclic garbage collection while a census file is read: reading makes millions of small objects
    (kept: rows and findings) and no cycles, and each collection would walk all of them again (about a
    fifth of the reading time at 100,000 children). Collection is back on, as it was, afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _read(spec: SourceSpec, con: duckdb.DuckDBPyConnection, progress: bool) -> Iterator[Batch]:
    for path in spec.paths:
        if not path.exists():
            raise IngestError(f"{path}: no such file or directory")
    if spec.kind == "cin":
        for path in spec.paths:
            with tqdm(total=path.stat().st_size, unit="B", unit_scale=True, desc=f"reading {path.name}",
                      disable=not progress, leave=False) as bar, _no_cycle_collection():
                batch = read_cin(path, on_chunk=_progress(bar))
            yield batch
    elif spec.kind == "sen2":
        when = spec.options.get("reference_date")
        yield read_sen2(spec.paths, _known(con), reference_date=dt.date.fromisoformat(str(when)) if when else None)
    elif spec.kind == "903":
        year = spec.options.get("year")
        yield read_903(spec.paths, stored=Stored.from_ledger(con), year=int(str(year)) if year else None)
    elif spec.kind == "interventions":
        for path in spec.paths:
            columns = spec.options.get("columns")
            yield read_interventions(path, _known(con), column_map=columns if isinstance(columns, dict) else None,
                                     sheet=str(spec.options["sheet"]) if spec.options.get("sheet") else None)
    elif spec.kind == "population":
        for path in spec.paths:
            yield read_population(path)
    else:
        raise IngestError(f"Unknown source kind '{spec.kind}' (one of {', '.join(sources.KINDS)})")


def _stem(name: str) -> str:
    return Path(name).stem or name


def _quarantine_csv(batch: Batch, excluded: set[str], directory: Path) -> Path:
    """One row per excluded child with its errors (created 0600). One pass over the findings: linear time."""
    path = directory / f"{_stem(batch.name)}.quarantine.csv"
    by_child: dict[str, list[Finding]] = {}
    for finding in batch.findings:
        if finding.severity is Severity.ERROR and finding.la_child_id in excluded:
            by_child.setdefault(finding.la_child_id, []).append(finding)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["file", "la_child_id", "errors", "rules", "messages"])
        for child in sorted(excluded):
            errors = by_child.get(child, [])
            rules = " ".join(sorted({f.rule for f in errors if f.rule}))
            writer.writerow(safe_row([batch.name, child, len(errors), rules, " | ".join(f.message for f in errors)]))
    return path


def _apply(con: duckdb.DuckDBPyConnection, batch: Batch, spec: SourceSpec, report_dir: Path) -> SourceResult:
    """Merge ``batch`` into the ledger (or refuse it); write its findings and quarantine reports."""
    report_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    reports = [write_csv(batch.findings, report_dir / f"{_stem(batch.name)}.findings.csv")] if batch.findings else []
    excluded = batch.children_with_errors
    if batch.refused_whole or (excluded and not spec.allow_partial):
        return SourceResult(batch.kind, batch.name, "refused", batch.children, 0, len(excluded), batch.findings,
                            reports)
    if excluded:
        reports.append(_quarantine_csv(batch, excluded, report_dir))
        reports += batch.quarantine(excluded, report_dir) if batch.quarantine else []
        batch = batch.without(excluded)
    loaded = len(batch.child_ids())
    source_id = landing.register_source(
        con, kind=batch.kind, name=batch.name, sha256=batch.sha256, reference_date=batch.reference_date,
        children=batch.children, loaded=loaded, quarantined=len(excluded), status="partial" if excluded else "loaded")
    for table in landing.TABLES:
        if table in batch.rows:
            landing.merge(con, table, batch.rows[table], source_id=source_id, scope=batch.scopes.get(table))
    return SourceResult(batch.kind, batch.name, "partial" if excluded else "loaded", batch.children, loaded,
                        len(excluded), batch.findings, reports)


def open_ledger(config: IngestConfig) -> duckdb.DuckDBPyConnection:
    try:
        return landing.open_ledger(config.landing_path)
    except duckdb.IOException as exc:
        raise IngestError(f"The ledger {config.landing_path} is in use by another load: {exc}") from exc


def _seed_if_new(con: duckdb.DuckDBPyConnection, config: IngestConfig) -> None:
    """First use: carry population, teams and workers over from the store being served; ids above its ids."""
    if landing.is_new(con):
        top, reference = sources.served_reference(config.analytics_url)
        landing.seed(con, next_child_id=top + 1, reference=reference)


def run(config: IngestConfig, specs: Sequence[SourceSpec], *, progress: bool = False) -> LoadReport:
    """Load ``specs`` (none: just rebuild) and rebuild the analytics store, in one transaction.

    Side effects: findings / quarantine reports in ``config.report_dir``; on success the ledger and
    a freshly swapped-in analytics store. Refused: nothing changes (``LoadReport.refused``).
    """
    started = time.perf_counter()
    con = open_ledger(config)
    try:
        con.begin()
        _seed_if_new(con, config)
        results = []
        for spec in specs:
            for batch in _read(spec, con, progress):
                results.append(_apply(con, batch, spec, config.report_dir))
        if any(r.status == "refused" for r in results):
            con.rollback()
            return LoadReport(results, True, {}, time.perf_counter() - started)
        landing.assign_child_ids(con)
        counts = _rebuild(con, config, progress)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    finally:
        con.close()
    return LoadReport(results, False, counts, time.perf_counter() - started)


def _rebuild(con: duckdb.DuckDBPyConnection, config: IngestConfig, progress: bool) -> dict[str, int]:
    frames = sources.build_frames(con, config)

    def tables() -> Iterator[tuple[str, pd.DataFrame]]:
        with tqdm(total=len(frames), desc="building analytics store", unit="table", disable=not progress,
                  leave=False) as bar:
            for name, frame in frames.items():
                bar.set_postfix_str(name)
                yield name, frame
                bar.update()

    database.build_store(config.analytics_url, tables, record_secret=config.record_secret)
    return {name: len(frame) for name, frame in frames.items()}


def _read_only(config: IngestConfig) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(config.landing_path), read_only=True)
    except duckdb.Error as exc:
        raise IngestError(f"The ledger {config.landing_path} cannot be read: {exc}") from exc


def load_history(config: IngestConfig) -> list[tuple[object, ...]]:
    """Every load recorded in the ledger (id, kind, name, reference date, when, children, loaded,
    quarantined, status), oldest first (read-only look; ``load status``). IngestError when unreadable."""
    con = _read_only(config)
    try:
        return [tuple(r) for r in con.execute(
            "SELECT source_id, kind, name, reference_date, loaded_at, children, loaded, quarantined, status "
            "FROM sources WHERE source_id > 0 ORDER BY source_id").fetchall()]
    finally:
        con.close()


def ledger_counts(config: IngestConfig) -> dict[str, int]:
    """Rows per ledger table (read-only look; for reports and tests): all 0 before the first load.

    Raises IngestError when the ledger cannot be read (e.g. a load holds it). Creates nothing.
    """
    if not config.landing_path.exists():
        return dict.fromkeys((*landing.TABLES, "child_keys", "sources"), 0)
    con = _read_only(config)
    try:
        return landing.counts(con)
    finally:
        con.close()
