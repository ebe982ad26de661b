"""Finding and reading the SSDA903 CSVs: each file recognised by its column set, rows kept with their line.

Nobody standardises 903 file names, so, as data-to-insight's csc-validator-be-903 does, a CSV is
matched to a module by its exact set of DfE column names (case ignored). A few derived columns
that liia-tools adds to episodes (PL_DISTANCE, PL_LA, PL_LOCATION) are tolerated. The file name is
used only to catch a module saved under another module's name. Problems with a file as a whole
(wrong columns, a truncated or damaged file, a CIN census XML or SEN2 export given as 903, two
files of one module) are returned as messages naming the file, row and column: the caller refuses
the whole load on any of them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from model.codes_903 import FIRST_YEAR, LAST_YEAR

MODULES: dict[str, tuple[str, ...]] = {
    "header": ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"),
    "episodes": ("CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
                 "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN"),
    "reviews": ("CHILD", "DOB", "REVIEW", "REVIEW_CODE"),
    "uasc": ("CHILD", "SEX", "DOB", "DUC"),
    "missing": ("CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"),
    "oc2": ("CHILD", "DOB", "SDQ_SCORE", "SDQ_REASON", "CONVICTED", "HEALTH_CHECK", "IMMUNISATIONS", "TEETH_CHECK",
            "HEALTH_ASSESSMENT", "SUBSTANCE_MISUSE", "INTERVENTION_RECEIVED", "INTERVENTION_OFFERED"),
    "oc3": ("CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"),
    "ad1": ("CHILD", "DOB", "DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR"),
    "placed_for_adoption": ("CHILD", "DOB", "DATE_PLACED", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED"),
    "prev_perm": ("CHILD", "DOB", "PREV_PERM", "LA_PERM", "DATE_PERM"),
    # Recognised but not stored: social worker episodes (2023-24 only) and DoLO (from 2026-27).
    "sw_episodes": ("CHILD", "DOB", "SW_ID", "SW_DECOM", "SW_DEC", "SW_REASON"),
    "dolo": ("CHILD", "DOB", "DOLO_START", "DOLO_END"),
}
NOT_STORED = ("sw_episodes", "dolo")
TOLERATED = {"episodes": frozenset({"PL_DISTANCE", "PL_LA", "PL_LOCATION"})}
# Words in a file name that say which module it should hold (to catch one saved under another's name).
NAME_HINTS = {"header": ("header",), "episodes": ("episode",), "reviews": ("review",), "uasc": ("uasc",),
              "missing": ("missing",), "oc2": ("oc2",), "oc3": ("oc3",), "ad1": ("ad1",),
              "placed_for_adoption": ("placed", "sbpfa"), "prev_perm": ("prev_perm", "previous_perm", "prevperm"),
              "sw_episodes": ("sw_episode", "social_worker"), "dolo": ("dolo",)}
SEN2_COLUMNS = frozenset({"PERSONTABLEID", "REQUESTSTABLEID", "ACTIVEPLANSTABLEID", "UPN", "PERSONBIRTHDATE"})


@dataclass
class Row:
    """One data row: its line in the file (header is line 1) and its cells by upper-case column name."""

    line: int
    cells: dict[str, str]

    def get(self, column: str) -> str:
        return self.cells.get(column, "")


@dataclass
class ModuleFile:
    module: str
    path: Path
    rows: list[Row] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.name


@dataclass
class FileSet:
    """The recognised module files, problems with files as a whole (file name, message), and the year."""

    files: dict[str, ModuleFile]
    problems: list[tuple[str, str]]
    year: int | None = None

    def rows(self, module: str) -> list[Row]:
        return self.files[module].rows if module in self.files else []

    def name(self, module: str) -> str:
        return self.files[module].name if module in self.files else f"{module}.csv"


def expand(paths: Sequence[Path]) -> list[Path]:
    """A folder stands for the files in it (not hidden ones)."""
    out: list[Path] = []
    for path in paths:
        out += sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")) if path.is_dir() \
            else [path]
    return out


def _hinted(name: str) -> str | None:
    low = re.sub(r"[\s-]+", "_", name.lower())
    hits = [m for m, words in NAME_HINTS.items() if any(w in low for w in words)]
    if "sw_episodes" in hits:
        hits.remove("episodes")
    return hits[0] if len(hits) == 1 else None


def _describe(columns: list[str]) -> str:
    found = set(columns)
    best = min(MODULES, key=lambda m: len(found ^ set(MODULES[m])))
    missing = [c for c in MODULES[best] if c not in found]
    extra = [c for c in columns if c not in MODULES[best]]
    return (f"its columns match no 903 module; nearest is {best}: missing {', '.join(missing) or 'none'}"
            f"; not expected {', '.join(extra) or 'none'}")


def _read_csv(path: Path) -> tuple[list[str], list[Row], str | None]:
    """(upper-cased header, rows, problem). Every row must have as many cells as the header."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return [], [], f"cannot be read: {exc.strerror}"
    if raw.lstrip()[:1] == b"<":
        return [], [], "is an XML file (a CIN census or 903 XML?), not a 903 module CSV"
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError as exc:
            return [], [], f"is not a text CSV (byte {exc.start} cannot be read)"
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        records = [(reader.line_num, record) for record in reader]
    except csv.Error as exc:
        return [], [], f"is damaged at row {reader.line_num}: {exc} (the file looks truncated or badly quoted)"
    if not records or not any(records[0][1]):
        return [], [], "is empty (no header row)"
    header = [h.strip().upper() for h in records[0][1]]
    rows: list[Row] = []
    for number, record in records[1:]:
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(header):
            where = "is cut short (truncated file)" if number == records[-1][0] else "is damaged"
            gap = f"{header[len(record)]} onwards missing" if len(record) < len(header) else "extra cells"
            return header, rows, f"row {number} {where}: {gap}"
        rows.append(Row(number, {h: cell.strip() for h, cell in zip(header, record, strict=True)}))
    if rows and not raw.endswith((b"\n", b"\r")) and _looks_cut(records[-1][1]):
        return header, rows, f"row {records[-1][0]} ends mid-value (the file looks truncated)"
    return header, rows, None


def _looks_cut(record: list[str]) -> bool:
    """A last row without a line ending whose final cell is a date cut short (e.g. '12/0')."""
    last = record[-1].strip() if record else ""
    return bool(re.fullmatch(r"\d{1,2}/(\d{0,2}|\d\d/\d{0,3})", last))


def recognise(paths: Sequence[Path]) -> FileSet:
    """Read every file and match it to its module; problems with whole files are collected, not raised."""
    files: dict[str, ModuleFile] = {}
    problems: list[tuple[str, str]] = []
    for path in expand(paths):
        header, rows, problem = _read_csv(path)
        if problem:
            problems.append((path.name, f"{path.name} {problem}"))
            continue
        found = set(header)
        if len(found) != len(header):
            dupes = sorted({c for c in header if header.count(c) > 1})
            problems.append((path.name, f"{path.name} repeats the column(s) {', '.join(dupes)}"))
            continue
        module = next((m for m, cols in MODULES.items() if found - TOLERATED.get(m, frozenset()) == set(cols)), None)
        if module is None:
            if found & SEN2_COLUMNS >= {"PERSONTABLEID"} or "blade" in path.name.lower():
                problems.append((path.name, f"{path.name} is a SEN2 export, not a 903 module (load it with "
                                            "`load sen2`)"))
            else:
                problems.append((path.name, f"{path.name}: {_describe(header)}"))
            continue
        hinted = _hinted(path.stem)
        if hinted is not None and hinted != module:
            problems.append((path.name, f"{path.name} is named as the {hinted} module but holds the columns of "
                                        f"the {module} module"))
            continue
        if module in files:
            problems.append((path.name, f"{path.name} and {files[module].name} are both the {module} module"))
            continue
        files[module] = ModuleFile(module, path, rows)
    if not files and not problems:
        problems.append(("903", "no files were given"))
    elif files and "header" not in files and not problems:
        problems.append(("903", "there is no header module (CHILD, SEX, DOB, ETHNIC, UPN, MOTHER, MC_DOB): every "
                                "child in the return needs a header row"))
    return FileSet(files, problems)


_YEAR_SPAN = re.compile(r"(20\d\d)[-_ ]?(\d\d)(?!\d)")
_YEAR = re.compile(r"(?<!\d)(20\d\d)(?!\d)")


def year_from_names(paths: Sequence[Path]) -> int | None:
    """A collection year in the file or folder names: 2023-24 / 202324 -> 2024; a lone 2024 -> 2024."""
    for path in paths:
        for part in (path.name, path.parent.name):
            span = _YEAR_SPAN.search(part)
            if span and int(span.group(2)) == (int(span.group(1)) + 1) % 100:
                return int(span.group(1)) + 1
            lone = _YEAR.search(part)
            if lone:
                return int(lone.group(1))
    return None


def year_from_dates(latest: dt.date | None) -> int | None:
    """The collection year holding ``latest`` (years end on 31 March)."""
    if latest is None:
        return None
    return latest.year + (1 if latest.month >= 4 else 0)


def check_year(year: int | None) -> str | None:
    if year is None:
        return "the collection year cannot be told from the file names or dates: give --year"
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return (f"collection year {year - 1}-{year % 100:02d} is outside the years this loader knows "
                f"({FIRST_YEAR - 1}-{FIRST_YEAR % 100:02d} to {LAST_YEAR - 1}-{LAST_YEAR % 100:02d})")
    return None
