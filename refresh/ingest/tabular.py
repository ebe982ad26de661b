"""Reading council spreadsheets (CSV, XLSX): header matching and typed values with findings.

Column headers are matched ignoring case, spaces, underscores and hyphens ("Person Table ID",
``person_table_id`` and ``persontableid`` are the same column). Dates may be ISO (2024-09-28),
British (28/09/2024) or the COLLECT Blade export form (2024-Sep-28 00:00:00).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Container, Mapping
from pathlib import Path

import pandas as pd

from refresh.ingest.findings import Finding, error

_NOT_ALNUM = re.compile(r"[^0-9a-z]")
_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                        "nov", "dec"), start=1)}
TRUE = frozenset({"1", "true", "t", "yes", "y"})
FALSE = frozenset({"0", "false", "f", "no", "n"})


def normalise(header: str) -> str:
    return _NOT_ALNUM.sub("", str(header).lower())


def read_table(path: Path, *, sheet: str | None = None) -> pd.DataFrame:
    """All cells as stripped strings ('' when empty), headers normalised."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        raw = pd.read_excel(path, sheet_name=sheet or 0, dtype=str, keep_default_na=False)
    else:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    raw.columns = [normalise(c) for c in raw.columns]
    return raw.apply(lambda col: col.astype(str).str.strip()).fillna("")


def rename(frame: pd.DataFrame, aliases: Mapping[str, str]) -> pd.DataFrame:
    """Rename normalised headers to canonical names through ``aliases`` (normalised alias -> name)."""
    return frame.rename(columns={c: aliases[c] for c in frame.columns if c in aliases})


def parse_date(text: str) -> dt.date:
    """A date from ISO, DD/MM/YYYY or YYYY-Mon-DD (time of day ignored); ValueError otherwise."""
    day = text.strip().split(" ")[0].split("T")[0]
    if "/" in day:
        d, m, y = day.split("/")
        return dt.date(int(y), int(m), int(d))
    parts = day.split("-")
    if len(parts) == 3 and parts[1][:3].lower() in _MONTHS:
        return dt.date(int(parts[0]), _MONTHS[parts[1][:3].lower()], int(parts[2]))
    return dt.date.fromisoformat(day)


class Cells:
    """Typed access to one row's cells, recording a finding for each unreadable value."""

    def __init__(self, row: Mapping[str, str], *, file: str, child: str, findings: list[Finding]) -> None:
        self.row, self.file, self.child, self.findings = row, file, child, findings
        self.ok = True

    def text(self, column: str, *, required: bool = False, codes: Container[str] | None = None, rule: str = "",
             what: str | None = None) -> str | None:
        value = self.row.get(column, "") or ""
        if not value:
            if required:
                self._bad(column, rule, f"{what or column} is missing")
            return None
        if codes is not None and value not in codes:
            self._bad(column, rule, f"{what or column} '{value}' is not a valid code")
            return None
        return value

    def date(self, column: str, *, required: bool = False, rule: str = "", what: str | None = None) -> dt.date | None:
        value = self.text(column, required=required, rule=rule, what=what)
        if value is None:
            return None
        try:
            return parse_date(value)
        except (ValueError, TypeError):
            self._bad(column, rule, f"{what or column} '{value}' is not a date (YYYY-MM-DD or DD/MM/YYYY)")
            return None

    def flag(self, column: str, *, default: bool | None = None, what: str | None = None) -> bool | None:
        value = (self.row.get(column, "") or "").lower()
        if not value:
            return default
        if value in TRUE or value in FALSE:
            return value in TRUE
        self._bad(column, "", f"{what or column} '{value}' is not yes/no (1/0, true/false, Y/N)")
        return default

    def integer(self, column: str, *, required: bool = False, what: str | None = None) -> int | None:
        value = self.text(column, required=required, what=what)
        if value is None:
            return None
        try:
            return int(float(value))
        except ValueError:
            self._bad(column, "", f"{what or column} '{value}' is not a whole number")
            return None

    def _bad(self, column: str, rule: str, message: str) -> None:
        self.ok = False
        self.findings.append(error(self.file, self.child, column, rule, message))
