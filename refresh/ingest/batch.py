"""A batch: what one source file (or set of files) contributes to the landing ledger, and its findings."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from refresh.ingest import landing
from refresh.ingest.findings import Finding, children_with_errors, file_errors


@dataclass
class Batch:
    """Rows per ledger table (every child-level frame has ``la_child_id``), with replace scopes.

    ``scopes[table]`` lists the keys whose stored rows the batch replaces when they differ from the
    rows' own keys (e.g. every census child's disabilities are replaced, even by none).
    ``quarantine(excluded, directory)`` writes the excluded children's records for correction.
    """

    kind: str
    name: str
    rows: dict[str, pd.DataFrame]
    findings: list[Finding]
    children: int
    reference_date: dt.date | None = None
    sha256: str | None = None
    scopes: dict[str, pd.DataFrame] = field(default_factory=dict)
    quarantine: Callable[[set[str], Path], list[Path]] | None = None

    @property
    def refused_whole(self) -> bool:
        """A problem with the file itself: nothing in it can be loaded, with or without --allow-partial."""
        return bool(file_errors(self.findings))

    @property
    def children_with_errors(self) -> set[str]:
        return children_with_errors(self.findings)

    def without(self, excluded: set[str]) -> Batch:
        """The batch less every row and scope of the ``excluded`` children."""
        if not excluded:
            return self
        keep = {name: frame[~frame["la_child_id"].isin(excluded)] if "la_child_id" in frame else frame
                for name, frame in self.rows.items()}
        scopes = {name: frame[~frame["la_child_id"].isin(excluded)] for name, frame in self.scopes.items()}
        return replace(self, rows=keep, scopes=scopes)

    def child_ids(self) -> set[str]:
        """Every child (LAchildID or matching key) with a row in this batch."""
        return {str(v) for name in landing.CHILD_LEVEL if name in self.rows
                for v in self.rows[name]["la_child_id"].dropna().unique()}


class Rows:
    """Row tuples collected per ledger table, turned into typed frames at the end."""

    def __init__(self) -> None:
        self._rows: dict[str, list[tuple[object, ...]]] = {}

    def add(self, table: str, *values: object) -> None:
        self._rows.setdefault(table, []).append(values)

    def frames(self, tables: Iterable[str],
               columns: dict[str, tuple[str, ...]] | None = None) -> dict[str, pd.DataFrame]:
        """Frames for ``tables``; ``columns[table]`` names the columns supplied when not all of them."""
        out = {}
        for table in tables:
            names = (columns or {}).get(table) or landing.TABLES[table].names
            raw = pd.DataFrame(self._rows.get(table, []), columns=list(names), dtype=object)
            out[table] = landing.typed(raw, landing.TABLES[table])
        return out


def sha256_of(paths: Iterable[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class Known:
    """What the ledger already holds that a new batch is matched and checked against."""

    children: frozenset[str] = frozenset()
    by_upn: dict[str, str] = field(default_factory=dict)  # UPN -> la_child_id
    plans_with_need: frozenset[tuple[str, dt.date]] = frozenset()  # (la_child_id, request received date)
    teams: frozenset[str] = frozenset()
    workers: frozenset[str] = frozenset()
