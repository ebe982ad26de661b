"""A small valid SSDA903 return (2023-24) for the 903 loader tests, and a writer for module CSVs.

Children: A1 looked after all year (a placement change, OC2, reviews, a missing period); B2 starts and
returns home in the year (previous permanence); C3 adopted in the year (AD1, placed for adoption);
D4 a care leaver only (header and OC3); E5 an unaccompanied asylum-seeking child; F6 a young mother.
"""

from __future__ import annotations

import copy
import csv
from pathlib import Path

from refresh.ingest.ssda903_files import MODULES

YEAR = 2024
Return = dict[str, list[dict[str, str]]]

_BASE: Return = {
    "header": [
        {"CHILD": "A1", "SEX": "1", "DOB": "01/06/2011", "ETHNIC": "WBRI", "UPN": "A123456789012", "MOTHER": "",
         "MC_DOB": ""},
        {"CHILD": "B2", "SEX": "2", "DOB": "15/02/2016", "ETHNIC": "MWBC", "UPN": "UN2", "MOTHER": "", "MC_DOB": ""},
        {"CHILD": "C3", "SEX": "1", "DOB": "05/05/2019", "ETHNIC": "BAFR", "UPN": "UN1", "MOTHER": "", "MC_DOB": ""},
        {"CHILD": "D4", "SEX": "2", "DOB": "01/07/2004", "ETHNIC": "WBRI", "UPN": "UN5", "MOTHER": "", "MC_DOB": ""},
        {"CHILD": "E5", "SEX": "1", "DOB": "10/10/2007", "ETHNIC": "AOTH", "UPN": "UN4", "MOTHER": "", "MC_DOB": ""},
        {"CHILD": "F6", "SEX": "2", "DOB": "20/01/2008", "ETHNIC": "WIRI", "UPN": "B123456789012", "MOTHER": "1",
         "MC_DOB": "03/09/2023"},
    ],
    "episodes": [
        {"CHILD": "A1", "DECOM": "01/03/2021", "RNE": "S", "LS": "C2", "CIN": "N1", "PLACE": "U4",
         "PLACE_PROVIDER": "PR1", "DEC": "10/09/2023", "REC": "X1", "REASON_PLACE_CHANGE": "CARPL",
         "HOME_POST": "DY1 1", "PL_POST": "DY2 3", "URN": "SC123456"},
        {"CHILD": "A1", "DECOM": "10/09/2023", "RNE": "P", "LS": "C2", "CIN": "N1", "PLACE": "K2",
         "PLACE_PROVIDER": "PR4", "DEC": "", "REC": "", "REASON_PLACE_CHANGE": "", "HOME_POST": "DY1 1",
         "PL_POST": "B15 2", "URN": "SC654321"},
        {"CHILD": "B2", "DECOM": "10/06/2023", "RNE": "S", "LS": "V2", "CIN": "N4", "PLACE": "U6",
         "PLACE_PROVIDER": "PR1", "DEC": "01/12/2023", "REC": "E4A", "REASON_PLACE_CHANGE": "", "HOME_POST": "DY3 1",
         "PL_POST": "DY3 4", "URN": "XXXXXXX"},
        {"CHILD": "C3", "DECOM": "01/02/2021", "RNE": "S", "LS": "C2", "CIN": "N1", "PLACE": "U4",
         "PLACE_PROVIDER": "PR1", "DEC": "01/08/2022", "REC": "X1", "REASON_PLACE_CHANGE": "PLACE",
         "HOME_POST": "DY1 2", "PL_POST": "DY1 5", "URN": "XXXXXXX"},
        {"CHILD": "C3", "DECOM": "01/08/2022", "RNE": "U", "LS": "E1", "CIN": "N1", "PLACE": "A5",
         "PLACE_PROVIDER": "PR1", "DEC": "20/11/2023", "REC": "E11", "REASON_PLACE_CHANGE": "", "HOME_POST": "DY1 2",
         "PL_POST": "DY1 5", "URN": "XXXXXXX"},
        {"CHILD": "E5", "DECOM": "05/01/2022", "RNE": "S", "LS": "V2", "CIN": "N8", "PLACE": "K2",
         "PLACE_PROVIDER": "PR4", "DEC": "", "REC": "", "REASON_PLACE_CHANGE": "", "HOME_POST": "",
         "PL_POST": "WV1 1", "URN": "SC111111"},
        {"CHILD": "F6", "DECOM": "01/01/2022", "RNE": "S", "LS": "C2", "CIN": "N5", "PLACE": "U6",
         "PLACE_PROVIDER": "PR1", "DEC": "", "REC": "", "REASON_PLACE_CHANGE": "", "HOME_POST": "DY4 1",
         "PL_POST": "DY4 2", "URN": "XXXXXXX"},
    ],
    "reviews": [
        {"CHILD": "A1", "DOB": "01/06/2011", "REVIEW": "01/05/2023", "REVIEW_CODE": "PN1"},
        {"CHILD": "A1", "DOB": "01/06/2011", "REVIEW": "01/11/2023", "REVIEW_CODE": "PN1"},
        {"CHILD": "B2", "DOB": "15/02/2016", "REVIEW": "01/07/2023", "REVIEW_CODE": "PN4"},
        {"CHILD": "C3", "DOB": "05/05/2019", "REVIEW": "01/04/2023", "REVIEW_CODE": "PN0"},
    ],
    "uasc": [{"CHILD": "E5", "SEX": "1", "DOB": "10/10/2007", "DUC": "10/10/2025"}],
    "missing": [
        {"CHILD": "A1", "DOB": "01/06/2011", "MISSING": "M", "MIS_START": "02/10/2023", "MIS_END": "04/10/2023"},
        {"CHILD": "A1", "DOB": "01/06/2011", "MISSING": "A", "MIS_START": "10/12/2023", "MIS_END": "10/12/2023"},
    ],
    "oc2": [
        {"CHILD": cid, "DOB": dob, "SDQ_SCORE": "14", "SDQ_REASON": "", "CONVICTED": "0", "HEALTH_CHECK": "",
         "IMMUNISATIONS": "1", "TEETH_CHECK": "1", "HEALTH_ASSESSMENT": "1", "SUBSTANCE_MISUSE": "0",
         "INTERVENTION_RECEIVED": "", "INTERVENTION_OFFERED": ""}
        for cid, dob in (("A1", "01/06/2011"), ("E5", "10/10/2007"), ("F6", "20/01/2008"))
    ],
    "oc3": [{"CHILD": "D4", "DOB": "01/07/2004", "IN_TOUCH": "YES", "ACTIV": "F4", "ACCOM": "U1"}],
    "ad1": [{"CHILD": "C3", "DOB": "05/05/2019", "DATE_INT": "01/06/2022", "DATE_MATCH": "20/07/2022",
             "FOSTER_CARE": "1", "NB_ADOPTR": "2", "SEX_ADOPTR": "MF", "LS_ADOPTR": "L11"}],
    "placed_for_adoption": [{"CHILD": "C3", "DOB": "05/05/2019", "DATE_PLACED": "01/06/2022",
                             "DATE_PLACED_CEASED": "", "REASON_PLACED_CEASED": ""}],
    "prev_perm": [{"CHILD": "B2", "DOB": "15/02/2016", "PREV_PERM": "Z1", "LA_PERM": "", "DATE_PERM": ""}],
}


def base() -> Return:
    """A fresh copy of the valid return."""
    return copy.deepcopy(_BASE)


def write(directory: Path, data: Return, *, names: dict[str, str] | None = None) -> Path:
    """Write ``data`` as one CSV per module (DfE column order) in ``directory``; returns it."""
    directory.mkdir(parents=True, exist_ok=True)
    for module, rows in data.items():
        columns = list(MODULES[module]) + [c for c in (rows[0] if rows else {}) if c not in MODULES[module]]
        with (directory / (names or {}).get(module, f"{module}.csv")).open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
    return directory


def rows_of(data: Return, module: str, child: str) -> list[dict[str, str]]:
    return [r for r in data[module] if r["CHILD"] == child]
