"""Load a council's own data (CIN census XML, SEN2 CSV, SSDA903 CSV, interventions CSV/XLSX) into the analytics store.

    load_cin(path, config=..., allow_partial=False) -> LoadReport
    load_sen2(paths, config=..., allow_partial=False, reference_date=None) -> LoadReport
    load_903(paths, config=..., allow_partial=False, year=None) -> LoadReport
    load_interventions(path, config=..., allow_partial=False, column_map=None, sheet=None) -> LoadReport
    load_population(path, config=...) -> LoadReport
    refresh(config=..., use_sources_file=True) -> LoadReport
    python -m refresh.ingest --help

Each call validates, merges into the landing ledger and rebuilds the analytics store (new copy
swapped in) in one transaction: refused or crashed, nothing changes. These are operator commands
(no user, no access check): they must not be reachable from the web app without an admin check.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path

from refresh.ingest.findings import Finding, Severity
from refresh.ingest.load import IngestError, LoadReport, SourceResult, ledger_counts, load_history, run
from refresh.ingest.sources import IngestConfig, SourceSpec, read_sources_file

__all__ = [
    "Finding", "IngestConfig", "IngestError", "LoadReport", "Severity", "SourceResult", "SourceSpec",
    "ledger_counts", "load_903", "load_cin", "load_history", "load_interventions", "load_population", "load_sen2",
    "refresh", "run",
]


def load_cin(path: Path, *, config: IngestConfig, allow_partial: bool = False, progress: bool = False) -> LoadReport:
    """Validate and load a CIN census XML file (2022-2026 shapes)."""
    return run(config, [SourceSpec("cin", (Path(path),), allow_partial)], progress=progress)


def load_sen2(paths: Sequence[Path], *, config: IngestConfig, allow_partial: bool = False,
              reference_date: dt.date | None = None, progress: bool = False) -> LoadReport:
    """Validate and load a SEN2 person-level export: a directory of module CSVs, or the files."""
    options: dict[str, object] = {"reference_date": reference_date.isoformat()} if reference_date else {}
    return run(config, [SourceSpec("sen2", tuple(map(Path, paths)), allow_partial, options)], progress=progress)


def load_903(paths: Sequence[Path], *, config: IngestConfig, allow_partial: bool = False, year: int | None = None,
             progress: bool = False) -> LoadReport:
    """Validate and load an SSDA903 return: a directory of module CSVs, or the files (``year``: the
    collection year named by its end, e.g. 2024 for 2023-24; default from the file names or dates)."""
    options: dict[str, object] = {"year": year} if year else {}
    return run(config, [SourceSpec("903", tuple(map(Path, paths)), allow_partial, options)], progress=progress)


def load_interventions(path: Path, *, config: IngestConfig, allow_partial: bool = False,
                       column_map: Mapping[str, str] | None = None, sheet: str | None = None,
                       progress: bool = False) -> LoadReport:
    """Validate and load an interventions CSV or XLSX (``column_map``: their header -> our column)."""
    options: dict[str, object] = {"columns": dict(column_map or {}), "sheet": sheet}
    return run(config, [SourceSpec("interventions", (Path(path),), allow_partial, options)], progress=progress)


def load_population(path: Path, *, config: IngestConfig) -> LoadReport:
    """Load ONS mid-year population estimates (columns year, children_0_17)."""
    return run(config, [SourceSpec("population", (Path(path),))])


def refresh(*, config: IngestConfig, use_sources_file: bool = True, progress: bool = False) -> LoadReport:
    """Reload the configured sources (``config.sources_file``, when present) and rebuild the analytics store.

    With no sources file this rebuilds the store from the ledger alone (e.g. after changing the
    default team or population). The served store is replaced only once the new one is complete.
    """
    specs: list[SourceSpec] = []
    if use_sources_file and config.sources_file is not None and config.sources_file.exists():
        specs = read_sources_file(config.sources_file)
    return run(config, specs, progress=progress)
