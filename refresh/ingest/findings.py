"""Validation findings: one row per rule breach, shown as a terminal table and written as CSV.

A finding names the file, the child (LAchildID, or the key the loader matched the child on), the
element or column, the DfE rule code where there is one, whether it is an *error* (the record cannot
be loaded) or a *query* (worth checking; does not stop a load), and a message written for a data
officer rather than a developer.
"""

from __future__ import annotations

import csv
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass, fields
from enum import StrEnum
from pathlib import Path

from model.csvcells import plain_cell, safe_row


class Severity(StrEnum):
    ERROR = "error"
    QUERY = "query"


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule breach. ``la_child_id`` is empty for a problem with the whole file."""

    file: str
    la_child_id: str
    element: str
    rule: str
    severity: Severity
    message: str

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


COLUMNS = tuple(f.name for f in fields(Finding))


def error(file: str, child: str | None, element: str, rule: str, message: str) -> Finding:
    return Finding(file, child or "", element, rule, Severity.ERROR, message)


def query(file: str, child: str | None, element: str, rule: str, message: str) -> Finding:
    return Finding(file, child or "", element, rule, Severity.QUERY, message)


def severity_of(rule: str) -> Severity:
    """DfE codes ending in Q are queries; every other code is an error."""
    return Severity.QUERY if rule.endswith("Q") else Severity.ERROR


def children_with_errors(findings: Iterable[Finding]) -> set[str]:
    """LAchildIDs (or matching keys) with at least one error."""
    return {f.la_child_id for f in findings if f.is_error and f.la_child_id}


def file_errors(findings: Iterable[Finding]) -> list[Finding]:
    """Errors about the file as a whole (no child): nothing in such a file can be loaded."""
    return [f for f in findings if f.is_error and not f.la_child_id]


def sort_key(finding: Finding) -> tuple[str, str, int, str, str]:
    return (finding.file, finding.la_child_id, 0 if finding.is_error else 1, finding.rule, finding.element)


def write_csv(findings: Sequence[Finding], path: Path) -> Path:
    """Write every finding to ``path`` (created 0600: it names children). Text from the council's files
    is written so a spreadsheet shows it as text, never runs it as a formula (``model.csvcells``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for finding in sorted(findings, key=sort_key):
            writer.writerow(safe_row(astuple(finding)))
    return path


def read_csv(path: Path) -> list[Finding]:
    """Findings written by ``write_csv`` (for tests and re-display)."""
    with path.open(newline="", encoding="utf-8") as fh:
        rows = [{k: plain_cell(v) for k, v in r.items()} for r in csv.DictReader(fh)]
    return [Finding(r["file"], r["la_child_id"], r["element"], r["rule"], Severity(r["severity"]), r["message"])
            for r in rows]


def format_table(rows: Sequence[Sequence[str]], headers: Sequence[str], *, max_width: int = 90) -> str:
    """An aligned plain-text table; cells longer than ``max_width`` are cut with an ellipsis."""
    def cell(value: str) -> str:
        value = value.replace("\n", " ")
        return value if len(value) <= max_width else value[: max_width - 1] + "…"

    body = [[cell(str(v)) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in body]) for i, h in enumerate(headers)]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)), line]
    out += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in body]
    return "\n".join(out)


def findings_table(findings: Sequence[Finding], *, limit: int | None = 200) -> str:
    """Child-by-child table of findings (errors first within each child), cut at ``limit`` rows."""
    ordered = sorted(findings, key=sort_key)
    shown = ordered if limit is None else ordered[:limit]
    files = {f.file for f in ordered}
    headers = ["la_child_id", "element", "rule", "severity", "message"]
    rows = [[f.la_child_id or "(file)", f.element, f.rule or "-", str(f.severity), f.message] for f in shown]
    if len(files) > 1:
        headers.insert(0, "file")
        for row, finding in zip(rows, shown, strict=True):
            row.insert(0, finding.file)
    text = format_table(rows, headers)
    if len(shown) < len(ordered):
        text += f"\n… and {len(ordered) - len(shown):,} more (all of them are in the CSV report)"
    return text


def summary_table(findings: Sequence[Finding]) -> str:
    """Count of findings per rule, with the first message seen for each."""
    counts = Counter((f.rule or "-", f.severity, f.element) for f in findings)
    children: dict[tuple[str, str, str], set[str]] = {}
    message: dict[tuple[str, str, str], str] = {}
    for f in findings:
        key = (f.rule or "-", f.severity, f.element)
        children.setdefault(key, set()).add(f.la_child_id)
        message.setdefault(key, f.message)
    order = sorted(counts, key=lambda k: (k[1] != Severity.ERROR, -counts[k], k[0], k[2]))
    rows = [[rule, str(sev), element, f"{counts[(rule, sev, element)]:,}",
             f"{len(children[(rule, sev, element)]):,}", message[(rule, sev, element)]]
            for rule, sev, element in order]
    return format_table(rows, ["rule", "severity", "element", "findings", "children", "example"], max_width=70)
