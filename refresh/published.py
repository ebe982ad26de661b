"""Published figures for benchmarking: DfE's statistical neighbours and every council's statutory KPIs.

Converts DfE's files into the two small CSVs the app ships in ``model/published/`` (the app reads
only those):

- ``statistical_neighbours.csv``: each council's ten statistical neighbours, nearest first, from
  DfE's "Children's services statistical neighbour benchmarking tool" groups (``sn_*.xlsx``, sheet
  "LA SN Groups": LA number, then SN1..SN10 with a closeness word after each).
- ``la_figures.csv``: the latest year of each statutory KPI in ``MEASURES`` for every council and
  England, from the Local Authority Interactive Tool's long data (``bds_long*.parquet`` or ``.csv``:
  columns "Short Desc", "Years", "LA and Regions", "Values", "LA Number").

Both files come from DfE's LAIT repository (dfe-analytical-services/local-authority-interactive-tool,
``01_data/02_prod/``); ``SOURCES`` records which files and when. Next year: download the new files and
run ``python app.py published --neighbours sn_FILE.xlsx --figures bds_FILE.parquet``.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import pandas as pd

OUT = Path(__file__).resolve().parent.parent / "model" / "published"
NEIGHBOURS = 10
# Our KPI key -> LAIT's "Short Desc" (each the DfE published measure with the same definition).
MEASURES = {
    "cin_rate": "CIN",                        # children in need per 10,000 at 31 March (CIN census)
    "referral_rate": "CPP_Total_Rateper10,000",  # referrals per 10,000 in the year
    "rereferral_rate": "ReReferral",          # % of referrals within 12 months of a previous one
    "nfa_rate": "CIN_Refferals_NFA",          # % of referrals with no further action
    "icpc_15": "CP_conf_15days",              # % of ICPCs within 15 working days of the strategy discussion
    "cp_rate": "CPP_rate",                    # children on a CP plan per 10,000 at 31 March
    "ehc_20_weeks": "SEN_EHC_Excpt_20wks",    # % of new EHC plans within 20 weeks, excluding exceptions
    "ehc_20_weeks_all": "SEN_EHC_All_20wks",  # % of all new EHC plans within 20 weeks
    "cla_rate": "LAC",                        # children looked after per 10,000 at 31 March (SSDA903)
    "cla_distance_20": "LACDistance",         # % placed over 20 miles from home, outside the LA
    "cla_missing": "Children_missing",        # % of children looked after who went missing
    "care_leavers_eet_19_21": "CareLeaverEET",  # % of care leavers aged 19-21 in education, employment, training
    "care_leavers_accommodation_19_21": "CareLeaverAcc",  # % in suitable accommodation
}
ENGLAND_CODE = "970"


class PublishedFileError(ValueError):
    """A DfE file that is not what it should be; the message names the file and what is wrong."""


def neighbours_from_xlsx(path: Path) -> pd.DataFrame:
    """(la_code, la_name, rank, neighbour_code) rows from DfE's SN groups workbook."""
    try:
        sheet = pd.read_excel(path, sheet_name="LA SN Groups", header=None, dtype=str)
    except (ValueError, OSError) as exc:
        raise PublishedFileError(f"{path}: not a DfE statistical neighbours workbook ({exc})") from exc
    header_row = next((i for i in range(len(sheet)) if str(sheet.iloc[i, 0]).strip() == "LA num"), None)
    if header_row is None:
        raise PublishedFileError(f"{path}: sheet 'LA SN Groups' has no 'LA num' header row")
    header = [str(v).strip() for v in sheet.iloc[header_row]]
    sn_cols = [header.index(f"SN{i}") if f"SN{i}" in header else -1 for i in range(1, NEIGHBOURS + 1)]
    if -1 in sn_cols:
        raise PublishedFileError(f"{path}: header lacks columns SN1..SN{NEIGHBOURS}")
    rows = []
    for n in range(header_row + 1, len(sheet)):
        row = sheet.iloc[n]
        code = str(row.iloc[0]).strip()
        if not re.fullmatch(r"\d{3}", code):
            continue
        for rank, col in enumerate(sn_cols, start=1):
            neighbour = str(row.iloc[col]).strip()
            if not re.fullmatch(r"\d{3}", neighbour):
                raise PublishedFileError(f"{path}: row {n + 1} (LA {code}) SN{rank} is {neighbour!r}, "
                                         "not a 3-digit LA number")
            rows.append({"la_code": code, "la_name": str(row.iloc[1]).strip(), "rank": rank,
                         "neighbour_code": neighbour})
    if not rows:
        raise PublishedFileError(f"{path}: no councils found under the header")
    return pd.DataFrame(rows)


def figures_from_lait(path: Path) -> pd.DataFrame:
    """(measure, year, la_code, la_name, value) for the latest year of each measure in ``MEASURES``."""
    read = pd.read_parquet if path.suffix == ".parquet" else pd.read_csv
    try:
        data = read(path)
    except (ValueError, OSError) as exc:
        raise PublishedFileError(f"{path}: not readable as LAIT long data ({exc})") from exc
    needed = {"Short Desc", "Years", "LA and Regions", "Values", "LA Number"}
    if missing := needed - set(data.columns):
        raise PublishedFileError(f"{path}: missing columns {sorted(missing)}")
    out = []
    for key, short in MEASURES.items():
        rows = data[(data["Short Desc"] == short) & data["LA Number"].notna()]
        if rows.empty:
            raise PublishedFileError(f"{path}: no rows for measure {short!r} ({key})")
        latest = max(rows["Years"].astype(str))
        for _, r in rows[rows["Years"].astype(str) == latest].iterrows():
            value = pd.to_numeric(r["Values"], errors="coerce")
            if pd.isna(value):
                continue  # suppressed or not published for that council
            out.append({"measure": key, "year": latest, "la_code": f"{int(r['LA Number']):03d}",
                        "la_name": str(r["LA and Regions"]), "value": round(float(value), 1)})
    return pd.DataFrame(out)


def convert(neighbours: Path, figures: Path, out: Path = OUT) -> dict[str, int]:
    """Write the two shipped CSVs and SOURCES.txt into ``out`` (all or nothing); returns row counts."""
    sn, figs = neighbours_from_xlsx(neighbours), figures_from_lait(figures)
    out.mkdir(parents=True, exist_ok=True)
    staged = {name: out / f".{name}.tmp" for name in ("statistical_neighbours.csv", "la_figures.csv", "SOURCES.txt")}
    sn.to_csv(staged["statistical_neighbours.csv"], index=False, quoting=csv.QUOTE_MINIMAL)
    figs.to_csv(staged["la_figures.csv"], index=False)
    staged["SOURCES.txt"].write_text(
        f"statistical_neighbours.csv: from {neighbours.name} (DfE statistical neighbour groups)\n"
        f"la_figures.csv: from {figures.name} (DfE Local Authority Interactive Tool long data; "
        f"latest year of each measure: {', '.join(sorted(set(figs['year'])))})\n"
        "Source: github.com/dfe-analytical-services/local-authority-interactive-tool, 01_data/02_prod/\n"
        f"Converted: {dt.date.today().isoformat()} by refresh/published.py\n", encoding="utf-8")
    for name, path in staged.items():
        path.replace(out / name)
    return {"neighbour_rows": len(sn), "councils": sn["la_code"].nunique(), "figure_rows": len(figs)}
