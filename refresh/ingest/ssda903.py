"""An SSDA903 return (children looked after, care leavers, adoption) as a batch for the ledger.

The module CSVs are recognised by their columns (``ssda903_files``), validated child by child
against DfE's 903 rules (``ssda903_rules``), and mapped to the ledger's ``l_cla_*`` tables; header
SEX, DOB, ETHNIC and UPN update ``l_children`` (the 903 CHILD is the LA child ID, so the same child
as in the CIN census). Keys are natural: an episode is child + DECOM, so next year's return,
which repeats the episodes open on 1 April, replaces them rather than adding copies. For each
child in the return, the ledger's episodes, reviews and missing periods that fall in the return's
year are replaced by the return's (so a corrected DECOM does not leave the old episode behind);
earlier history is kept. The column mapping is in docs/ingest.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from model import codes_903
from model.csvcells import safe_row
from refresh.ingest import ssda903_files as files
from refresh.ingest.batch import Batch, Rows, sha256_of
from refresh.ingest.findings import Finding, Severity, error
from refresh.ingest.ssda903_base import Ctx, Year, date_or_none
from refresh.ingest.ssda903_files import FileSet, Row
from refresh.ingest.ssda903_rules import check_child, ledger_problems

CLA_TABLES = ("l_children", "l_cla_header", "l_cla_episodes", "l_cla_reviews", "l_cla_uasc", "l_cla_missing",
              "l_cla_oc2", "l_cla_oc3", "l_cla_adoptions", "l_cla_placed_for_adoption", "l_cla_previous_permanence")
CHILD_COLUMNS = ("la_child_id", "upn", "upn_unknown", "birth_date", "sex", "ethnicity")
OC2_FLAGS = ("CONVICTED", "HEALTH_CHECK", "IMMUNISATIONS", "TEETH_CHECK", "HEALTH_ASSESSMENT", "SUBSTANCE_MISUSE",
             "INTERVENTION_RECEIVED", "INTERVENTION_OFFERED")
DATED = ("l_cla_episodes", "l_cla_reviews", "l_cla_missing")  # replaced within the year for the return's children


EPISODE_FIELDS = ("rne", "legal_status", "category_of_need", "placement_type", "placement_provider", "urn",
                  "placement_distance", "placement_la")
HEADER_FIELDS = ("year", "sex", "birth_date", "ethnicity", "upn", "mother")


def _no_headers() -> pd.DataFrame:
    return pd.DataFrame(columns=["la_child_id", *HEADER_FIELDS])


@dataclass(frozen=True)
class Stored:
    """The ledger's 903 rows a new return is merged with and checked against: dated rows (child, start,
    end; episodes with their items and the reference date of the load that wrote them) and each
    year's header."""

    episodes: pd.DataFrame
    reviews: pd.DataFrame
    missing: pd.DataFrame
    headers: pd.DataFrame = field(default_factory=_no_headers)

    @classmethod
    def empty(cls) -> Stored:
        cols = ["la_child_id", "start_date", "end_date"]
        return cls(*(pd.DataFrame(columns=cols) for _ in range(3)))

    @classmethod
    def from_ledger(cls, con: duckdb.DuckDBPyConnection) -> Stored:
        def read(sql: str) -> pd.DataFrame:
            out = con.execute(sql).df()
            return out.assign(start_date=pd.to_datetime(out["start_date"]), end_date=pd.to_datetime(out["end_date"]))
        fields = ", ".join(f"e.{c}" for c in EPISODE_FIELDS)
        headers = con.execute(f"SELECT la_child_id, {', '.join(HEADER_FIELDS)} FROM l_cla_header").df()
        return cls(read(f"SELECT e.la_child_id, e.start_date, e.end_date, {fields}, s.reference_date "
                        "FROM l_cla_episodes e LEFT JOIN sources s ON s.source_id = e.source_id"),
                   read("SELECT la_child_id, review_date AS start_date, review_date AS end_date FROM l_cla_reviews"),
                   read("SELECT la_child_id, start_date, end_date FROM l_cla_missing"),
                   headers.assign(birth_date=pd.to_datetime(headers["birth_date"]).dt.date))


def _by_child(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """One row per child as {child: {column: value}}."""
    return {str(r["la_child_id"]): r for r in frame.to_dict("records")}  # type: ignore[misc]  # pandas-stubs: Hashable keys


def _flag(value: str) -> bool | None:
    return {"1": True, "0": False}.get(value)


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() else None


def _float(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _add_rows(rows: Rows, child: str, fs: FileSet, by_module: dict[str, list[Row]], year: int) -> None:
    for r in by_module.get("header", [])[:1]:
        upn = r.get("UPN")
        unknown = upn if upn in codes_903.UPN_UNKNOWN_903 else None
        rows.add("l_children", child, None if unknown or not upn else upn.upper(), unknown,
                 date_or_none(r.get("DOB")), codes_903.SEX_903_TO_SEX.get(r.get("SEX"), "U"), r.get("ETHNIC") or None)
        rows.add("l_cla_header", child, year, _flag(r.get("MOTHER")), date_or_none(r.get("MC_DOB")),
                 codes_903.SEX_903_TO_SEX.get(r.get("SEX")), date_or_none(r.get("DOB")), r.get("ETHNIC") or None,
                 upn or None)
    for r in by_module.get("episodes", []):
        if (start := date_or_none(r.get("DECOM"))) is not None:
            g = r.get
            rows.add("l_cla_episodes", child, start, g("RNE") or None, g("LS") or None, g("CIN") or None,
                     g("PLACE") or None, g("PLACE_PROVIDER") or None, date_or_none(g("DEC")), g("REC") or None,
                     g("REASON_PLACE_CHANGE") or None, g("HOME_POST") or None, g("PL_POST") or None, g("URN") or None,
                     _float(g("PL_DISTANCE")), g("PL_LA") or None)
    for r in by_module.get("reviews", []):
        if (day := date_or_none(r.get("REVIEW"))) is not None:
            rows.add("l_cla_reviews", child, day, r.get("REVIEW_CODE") or None)
    for r in by_module.get("uasc", [])[:1]:
        rows.add("l_cla_uasc", child, date_or_none(r.get("DUC")))
    for r in by_module.get("missing", []):
        if (start := date_or_none(r.get("MIS_START"))) is not None:
            rows.add("l_cla_missing", child, start, r.get("MISSING") or "M", date_or_none(r.get("MIS_END")))
    for r in by_module.get("oc2", [])[:1]:
        rows.add("l_cla_oc2", child, year, _int(r.get("SDQ_SCORE")), r.get("SDQ_REASON") or None,
                 *(_flag(r.get(c)) for c in OC2_FLAGS))
    for r in by_module.get("oc3", [])[:1]:
        rows.add("l_cla_oc3", child, year, r.get("IN_TOUCH") or None, r.get("ACTIV") or None, r.get("ACCOM") or None)
    for r in by_module.get("ad1", [])[:1]:
        rows.add("l_cla_adoptions", child, year, date_or_none(r.get("DATE_INT")), date_or_none(r.get("DATE_MATCH")),
                 _flag(r.get("FOSTER_CARE")), _int(r.get("NB_ADOPTR")), r.get("SEX_ADOPTR") or None,
                 r.get("LS_ADOPTR") or None)
    for r in by_module.get("placed_for_adoption", []):
        if (decided := date_or_none(r.get("DATE_PLACED"))) is not None:
            rows.add("l_cla_placed_for_adoption", child, decided, date_or_none(r.get("DATE_PLACED_CEASED")),
                     r.get("REASON_PLACED_CEASED") or None)
    for r in by_module.get("prev_perm", [])[:1]:
        rows.add("l_cla_previous_permanence", child, year, r.get("PREV_PERM") or None, r.get("LA_PERM") or None,
                 r.get("DATE_PERM") or None)


def _year(fs: FileSet, paths: Sequence[Path], given: int | None) -> int | None:
    if given is not None:
        return given
    named = files.year_from_names(files.expand(paths))
    if named is not None:
        return named
    dates = [date_or_none(r.get(c)) for r in fs.rows("episodes") for c in ("DECOM", "DEC")]
    return files.year_from_dates(max((d for d in dates if d is not None), default=None))


def _scopes(frames: dict[str, pd.DataFrame], stored: Stored, year: Year) -> dict[str, pd.DataFrame]:
    """For each dated table: the stored rows of the return's children that fall in its year, plus its own keys."""
    start, end = pd.Timestamp(year.start), pd.Timestamp(year.end)
    children = set(frames["l_children"]["la_child_id"])
    out = {}
    for table, held, key in (("l_cla_episodes", stored.episodes, "start_date"),
                             ("l_cla_reviews", stored.reviews, "review_date"),
                             ("l_cla_missing", stored.missing, "start_date")):
        mine = held[held["la_child_id"].isin(children) & (held["start_date"] <= end)
                    & (held["end_date"].isna() | (held["end_date"] >= start))]
        old = mine[["la_child_id", "start_date"]].rename(columns={"start_date": key})
        new = frames[table][["la_child_id", key]]
        both = pd.concat([old.astype({key: "datetime64[s]"}), new], ignore_index=True)
        out[table] = both.drop_duplicates(ignore_index=True)
    return out


def read_903(paths: Sequence[Path], *, stored: Stored | None = None, year: int | None = None) -> Batch:
    """Read and validate a 903 return: a folder of module CSVs, or the files. Nothing is written."""
    stored = stored or Stored.empty()
    fs = files.recognise(paths)
    findings: list[Finding] = [error(name, None, "(file)", "", message) for name, message in fs.problems]
    collection = None if findings else _year(fs, paths, year)
    if not findings and (problem := files.check_year(collection)):
        findings.append(error("903", None, "(year)", "", problem))
    name = f"ssda903_{collection - 1}-{collection % 100:02d}" if collection else "ssda903"
    if findings or collection is None:
        return Batch(kind="903", name=name, rows={t: Rows().frames([t])[t] for t in CLA_TABLES}, findings=findings,
                     children=0)
    by_child: dict[str, dict[str, list[Row]]] = {}
    for module, mf in fs.files.items():
        for row in mf.rows:
            child = row.get("CHILD")
            if not child:
                findings.append(error(mf.name, None, "CHILD", "",
                                      f"Row {row.line} has no CHILD: it cannot be matched to a child"))
                continue
            by_child.setdefault(child, {}).setdefault(module, []).append(row)
    y = Year(collection)
    held = stored.episodes
    stored_first = held.groupby("la_child_id")["start_date"].min().to_dict()
    earlier = held[pd.to_datetime(held["reference_date"]) < pd.Timestamp(y.start)] if "reference_date" in held \
        else held  # written by an earlier year's return
    last_open = _by_child(earlier[earlier["end_date"].isna()].sort_values("start_date").groupby("la_child_id").tail(1))
    last_header = _by_child(stored.headers[stored.headers["year"] == collection - 1])
    rows = Rows()
    for child, modules in by_child.items():
        ctx = Ctx(child, y, modules)
        first = ctx.episodes[0].decom if ctx.episodes else None
        earliest = stored_first.get(child)
        ctx.earlier_episodes = earliest is not None and first is not None and earliest.date() < first
        problems = check_child(ctx) + ledger_problems(ctx, last_open.get(child), last_header.get(child))
        if len(child) > 10 or not child.isalnum():
            findings.append(error(fs.name("header"), child, "CHILD", "", f"CHILD '{child}' is not up to 10 letters and "
                                                                         "digits (the LA child identifier)"))
        findings += [Finding(fs.name(p.module), child, p.column, p.rule, Severity.ERROR,
                             f"Row {p.line}: {p.message}" if p.line else p.message) for p in problems]
        _add_rows(rows, child, fs, modules, collection)
    frames = rows.frames(CLA_TABLES, {"l_children": CHILD_COLUMNS})

    def quarantine(excluded: set[str], directory: Path) -> list[Path]:
        return [_quarantine(mf, excluded, directory / f"{name}.{mf.module}.quarantine.csv")
                for mf in fs.files.values() if any(r.get("CHILD") in excluded for r in mf.rows)]

    return Batch(kind="903", name=name, rows=frames, findings=findings, children=len(by_child),
                 reference_date=y.end, sha256=sha256_of(f.path for f in fs.files.values()),
                 scopes=_scopes(frames, stored, y), quarantine=quarantine)


def _quarantine(mf: files.ModuleFile, excluded: set[str], path: Path) -> Path:
    """The excluded children's rows of one module, with the module's own columns, for correction."""
    columns = list(mf.rows[0].cells) if mf.rows else list(files.MODULES[mf.module])
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["line", *columns])
        for row in mf.rows:
            if row.get("CHILD") in excluded:
                writer.writerow(safe_row([str(row.line), *(row.cells[c] for c in columns)]))
    return path


def collection_year(day: dt.date) -> int:
    """The collection year (named by its end) holding ``day``."""
    return day.year + (1 if day.month >= 4 else 0)
