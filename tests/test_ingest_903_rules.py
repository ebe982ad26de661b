"""Each SSDA903 rule the loader implements: a child that breaks it gets the rule's code, the valid
return (tests/_ssda903.py) gets no finding at all. Every implemented code has a case here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import _ssda903 as sample  # type: ignore[import-not-found]
import pandas as pd
import pytest

from refresh.ingest.ssda903 import Stored, read_903
from refresh.ingest.ssda903_rules import IMPLEMENTED

Op = tuple[Any, ...]


def S(module: str, child: str, n: int = 0, **values: str) -> Op:  # noqa: N802  (set cells of a child's n-th row)
    return ("set", module, child, n, values)


def ADD(module: str, child: str, **values: str) -> Op:  # noqa: N802  (add a row: blank cells but the given ones)
    return ("add", module, child, values)


def DROP(module: str, child: str) -> Op:  # noqa: N802
    return ("drop", module, child)


def COPY(module: str, child: str, **values: str) -> Op:  # noqa: N802  (duplicate the child's first row)
    return ("copy", module, child, values)


A1_TO_TODDLER = [S("header", "A1", DOB="01/06/2020"), S("oc2", "A1", DOB="01/06/2020"),
                 *(S("reviews", "A1", n, DOB="01/06/2020") for n in (0, 1)),
                 *(S("missing", "A1", n, DOB="01/06/2020") for n in (0, 1))]

CASES: list[tuple[str, str, list[Op]]] = [
    ("101", "A1", [S("header", "A1", SEX="M")]),  # M/F/U only from 2024-25
    ("102", "A1", [S("header", "A1", DOB="31/02/2011")]),
    ("103", "A1", [S("header", "A1", ETHNIC="XXXX")]),
    ("165", "F6", [S("header", "F6", MOTHER="2")]),
    ("168", "A1", [S("header", "A1", UPN="I123456789012")]),
    ("171", "F6", [S("header", "F6", MC_DOB="2023-13-01")]),
    ("104", "E5", [S("uasc", "E5", DUC="99/99/2025")]),
    ("141", "B2", [S("episodes", "B2", DECOM="")]),
    ("143", "B2", [S("episodes", "B2", RNE="Z")]),
    ("144", "B2", [S("episodes", "B2", LS="C9")]),
    ("145", "B2", [S("episodes", "B2", CIN="N9")]),
    ("146", "B2", [S("episodes", "B2", PLACE="K3")]),  # supported accommodation only from 2024-25
    ("147", "B2", [S("episodes", "B2", DEC="1/13/2023")]),
    ("149", "B2", [S("episodes", "B2", REC="E43")]),  # replaced by E45-E48
    ("178", "B2", [S("episodes", "B2", PLACE_PROVIDER="PR9")]),
    ("1009", "A1", [S("episodes", "A1", 0, REASON_PLACE_CHANGE="MOVED")]),
    ("166", "A1", [S("reviews", "A1", REVIEW="")]),
    ("167", "A1", [S("reviews", "A1", REVIEW_CODE="PN9")]),
    ("1004", "A1", [S("missing", "A1", MIS_START="32/10/2023")]),
    ("1005", "A1", [S("missing", "A1", MIS_END="xx")]),
    ("1006", "A1", [S("missing", "A1", MISSING="X")]),
    ("180", "A1", [S("oc2", "A1", SDQ_SCORE="41")]),
    ("196", "A1", [S("oc2", "A1", SDQ_SCORE="", SDQ_REASON="SDQ9")]),
    ("181", "A1", [S("oc2", "A1", IMMUNISATIONS="2")]),
    ("131", "D4", [S("oc3", "D4", IN_TOUCH="MAYBE")]),
    ("132", "D4", [S("oc3", "D4", ACTIV="F3")]),  # replaced by F4/F5 from 2021-22
    ("133", "D4", [S("oc3", "D4", ACCOM="S1")]),
    ("112", "C3", [S("ad1", "C3", DATE_INT="bad")]),
    ("113", "C3", [S("ad1", "C3", DATE_MATCH="bad")]),
    ("114", "C3", [S("ad1", "C3", FOSTER_CARE="2")]),
    ("175", "C3", [S("ad1", "C3", NB_ADOPTR="3")]),
    ("176", "C3", [S("ad1", "C3", SEX_ADOPTR="XX")]),
    ("177", "C3", [S("ad1", "C3", LS_ADOPTR="L9")]),
    ("115", "C3", [S("placed_for_adoption", "C3", DATE_PLACED="bad")]),
    ("116", "C3", [S("placed_for_adoption", "C3", DATE_PLACED_CEASED="bad", REASON_PLACED_CEASED="RD4")]),
    ("120", "C3", [S("placed_for_adoption", "C3", DATE_PLACED_CEASED="01/09/2023", REASON_PLACED_CEASED="RD9")]),
    ("631", "B2", [S("prev_perm", "B2", PREV_PERM="P9")]),
    ("632", "B2", [S("prev_perm", "B2", PREV_PERM="P2", LA_PERM="332", DATE_PERM="zz/13/2010")]),
    ("213", "A1", [S("episodes", "A1", 1, PLACE="Z1")]),
    ("142", "A1", [S("episodes", "A1", 0, DEC="", REC="")]),
    ("501", "A1", [S("episodes", "A1", 1, DECOM="01/09/2023")]),
    ("148", "B2", [S("episodes", "B2", REC="")]),
    ("388", "A1", [S("episodes", "A1", 0, REC="E4A")]),
    ("433", "A1", [S("episodes", "A1", 1, DECOM="12/09/2023")]),
    ("357", "B2", [S("episodes", "B2", RNE="P")]),
    ("354", "B2", [S("episodes", "B2", DECOM="01/04/2024", DEC="", REC="")]),
    ("385", "B2", [S("episodes", "B2", DEC="05/04/2024")]),
    ("356", "B2", [S("episodes", "B2", DEC="01/05/2023")]),
    ("353", "C3", [S("episodes", "C3", 0, DECOM="01/01/1990")]),
    ("302", "C3", [S("episodes", "C3", 0, DECOM="01/01/2019")]),
    ("301", "B2", [S("header", "B2", DOB="01/04/2024")]),
    ("351", "D4", [S("header", "D4", DOB="01/01/1997")]),
    ("358", "B2", [S("episodes", "B2", LS="J1")]),
    ("372", "B2", [S("episodes", "B2", PLACE="R5", PLACE_PROVIDER="PR4")]),
    ("373", "C3", [S("episodes", "C3", 1, PLACE="S1")]),
    ("374", "B2", [S("episodes", "B2", PLACE="P3", PLACE_PROVIDER="PR4")]),
    ("386", "C3", [S("header", "C3", DOB="01/01/2005")]),
    ("387", "B2", [S("episodes", "B2", REC="E5")]),
    ("389", "B2", [S("episodes", "B2", REC="E7")]),
    ("407", "B2", [S("header", "B2", DOB="01/01/2005"), S("episodes", "B2", REC="E45")]),
    ("460", "B2", [S("episodes", "B2", REC="E17")]),
    ("352", "B2", [S("header", "B2", DOB="01/01/2004")]),
    ("380", "B2", [S("episodes", "B2", PLACE="T1", PLACE_PROVIDER="")]),
    ("437", "A1", [S("episodes", "A1", 0, REC="E2")]),
    ("225", "A1", [S("episodes", "A1", 0, REASON_PLACE_CHANGE="")]),
    ("226", "A1", [S("episodes", "A1", 1, PLACE="T2", PLACE_PROVIDER="")]),
    ("214", "B2", [S("episodes", "B2", LS="V3")]),
    ("527", "A1", [S("episodes", "A1", 0, PLACE="R2")]),
    ("528", "A1", [S("episodes", "A1", 0, PLACE="R5", PLACE_PROVIDER="PR2")]),
    ("529", "A1", [S("episodes", "A1", 0, PLACE_PROVIDER="PR3")]),
    ("530", "A1", [S("episodes", "A1", 1, PLACE="P1")]),
    ("531", "A1", [S("episodes", "A1", 1, PLACE="P1", PLACE_PROVIDER="PR5")]),
    ("550", "A1", [S("episodes", "A1", 0, PLACE_PROVIDER="PR0")]),
    ("567", "A1", [S("missing", "A1", 0, MIS_END="01/10/2023")]),
    ("574", "A1", [S("missing", "A1", 0, MIS_END="")]),
    ("570", "A1", [S("missing", "A1", 1, MIS_START="10/04/2024", MIS_END="")]),
    ("586", "A1", [S("missing", "A1", 0, MIS_START="01/01/2010")]),
    ("564", "A1", [S("missing", "A1", 0, MIS_START="")]),
    ("565", "A1", [S("missing", "A1", 0, MISSING="")]),
    ("577", "B2", [ADD("missing", "B2", DOB="15/02/2016", MISSING="M", MIS_START="01/11/2023")]),
    ("578", "B2", [ADD("missing", "B2", DOB="15/02/2016", MISSING="M", MIS_START="05/12/2023",
                       MIS_END="06/12/2023")]),
    ("304", "E5", [S("uasc", "E5", DUC="11/10/2025")]),
    ("191", "A1", [S("oc2", "A1", TEETH_CHECK="")]),
    ("191", "A1", [DROP("oc2", "A1")]),
    ("190", "B2", [ADD("oc2", "B2", DOB="15/02/2016", IMMUNISATIONS="1")]),
    ("185", "B2", [ADD("oc2", "B2", DOB="15/02/2016", SDQ_SCORE="10")]),
    ("198", "B2", [ADD("oc2", "B2", DOB="15/02/2016", SDQ_REASON="SDQ1")]),
    ("542", "B2", [ADD("oc2", "B2", DOB="15/02/2016", CONVICTED="0")]),
    ("543", "A1", [S("oc2", "A1", CONVICTED="")]),
    ("545", "A1", [*A1_TO_TODDLER, S("oc2", "A1", CONVICTED="")]),
    ("546", "A1", [S("oc2", "A1", HEALTH_CHECK="1")]),
    ("158", "A1", [S("oc2", "A1", SUBSTANCE_MISUSE="1", INTERVENTION_RECEIVED="1", INTERVENTION_OFFERED="0")]),
    ("159", "A1", [S("oc2", "A1", SUBSTANCE_MISUSE="1", INTERVENTION_RECEIVED="0")]),
    ("192", "A1", [S("oc2", "A1", SUBSTANCE_MISUSE="1")]),
    ("193", "A1", [S("oc2", "A1", INTERVENTION_RECEIVED="1")]),
    ("197a", "A1", [S("oc2", "A1", SDQ_REASON="SDQ4")]),
    ("153", "D4", [S("oc3", "D4", ACCOM="")]),
    ("345", "D4", [S("oc3", "D4", ACTIV="0")]),
    ("1012", "D4", [ADD("reviews", "D4", DOB="01/07/2004", REVIEW="01/06/2023", REVIEW_CODE="PN1")]),
    ("1014", "D4", [ADD("uasc", "D4", SEX="2", DOB="01/07/2004")]),
    ("174", "A1", [S("header", "A1", MC_DOB="01/01/2023")]),
    ("611", "F6", [S("header", "F6", MC_DOB="")]),
    ("612", "F6", [S("header", "F6", MOTHER="0")]),
    ("620", "F6", [S("header", "F6", DOB="01/01/2014")]),
    ("621", "F6", [S("header", "F6", MC_DOB="01/01/2007")]),
    ("399", "B2", [S("episodes", "B2", LS="V3", PL_POST="", URN="")]),
    ("184", "C3", [S("placed_for_adoption", "C3", DATE_PLACED="01/01/2019")]),
    ("119", "C3", [S("placed_for_adoption", "C3", DATE_PLACED_CEASED="01/09/2022")]),
    ("522", "C3", [S("placed_for_adoption", "C3", DATE_PLACED_CEASED="01/01/2022", REASON_PLACED_CEASED="RD4")]),
    ("151", "C3", [S("ad1", "C3", FOSTER_CARE="")]),
    ("333", "C3", [S("ad1", "C3", DATE_MATCH="01/05/2022")]),
    ("511", "C3", [S("ad1", "C3", SEX_ADOPTR="M1")]),
    ("514", "C3", [S("ad1", "C3", LS_ADOPTR="L0", NB_ADOPTR="1")]),
    ("517", "C3", [S("ad1", "C3", LS_ADOPTR="L3", SEX_ADOPTR="MM")]),
    ("518", "C3", [S("ad1", "C3", LS_ADOPTR="L4")]),
    ("519", "C3", [S("ad1", "C3", LS_ADOPTR="L2", NB_ADOPTR="1", SEX_ADOPTR="M1")]),
    ("520", "C3", [S("ad1", "C3", SEX_ADOPTR="FF")]),
    ("524", "C3", [S("ad1", "C3", LS_ADOPTR="L12")]),
    ("601", "C3", [DROP("ad1", "C3")]),
    ("602", "A1", [ADD("ad1", "A1", DOB="01/06/2011")]),
    ("630", "B2", [DROP("prev_perm", "B2")]),
    ("630", "B2", [S("prev_perm", "B2", PREV_PERM="P2")]),
    ("635", "B2", [S("prev_perm", "B2", LA_PERM="332")]),
    *((code, "Z9", [ADD(module, "Z9", DOB="01/01/2012")]) for code, module in (
        ("INT01", "ad1"), ("INT02", "placed_for_adoption"), ("INT03", "episodes"), ("INT04", "missing"),
        ("INT05", "oc2"), ("INT06", "oc3"), ("INT07", "prev_perm"), ("INT08", "reviews"), ("INT09", "uasc"))),
    *((code, child, [S(module, child, DOB="02/02/2002")]) for code, module, child in (
        ("INT11", "ad1", "C3"), ("INT12", "placed_for_adoption", "C3"), ("INT13", "missing", "A1"),
        ("INT14", "oc2", "A1"), ("INT15", "oc3", "D4"), ("INT16", "prev_perm", "B2"), ("INT17", "reviews", "A1"),
        ("INT18", "uasc", "E5"))),
    ("INT21", "E5", [S("uasc", "E5", SEX="2")]),
    *((code, child, [COPY(module, child)]) for code, module, child in (
        ("INT31", "ad1", "C3"), ("INT32", "header", "A1"), ("INT33", "oc2", "A1"), ("INT34", "oc3", "D4"),
        ("INT35", "prev_perm", "B2"), ("INT36", "uasc", "E5"))),
    # ssda903_more
    *((code, "B2", [S("episodes", "B2", LS=ls)]) for code, ls in (("361", "L1"), ("362", "L2"), ("363", "L3"))),
    ("365", "B2", [S("episodes", "B2", LS="V3", HOME_POST="", PL_POST="", URN="")]),
    *((code, "B2", [S("episodes", "B2", PLACE=place, PLACE_PROVIDER="")]) for code, place in (
        ("375", "T1"), ("376", "T3"), ("379", "T4"), ("381", "T0"))),
    ("355", "B2", [S("episodes", "B2", DEC="10/06/2023")]),
    ("382", "B2", [S("episodes", "B2", LS="V3", PLACE="T0", PLACE_PROVIDER="")]),
    ("384", "B2", [S("episodes", "B2", LS="V4", PLACE="U4")]),
    ("398", "B2", [S("episodes", "B2", LS="V4")]),
    ("378", "B2", [S("episodes", "B2", PLACE="P1", PLACE_PROVIDER="PR0")]),
    ("217", "C3", [S("episodes", "C3", 1, RNE="P")]),
    ("371", "B2", [S("episodes", "B2", PLACE="H5", PLACE_PROVIDER="PR4")]),
    ("526", "A1", [S("episodes", "A1", 0, PLACE_PROVIDER="")]),
    ("377", "A1", [ADD("episodes", "A1", DECOM=f"0{d}/11/2023", RNE="T", LS="C2", CIN="N1", PLACE="T3",
                       DEC=f"0{d + 1}/11/2023", REC="X1") for d in (1, 3, 5)]),
    ("431", "B2", [ADD("episodes", "B2", DECOM="01/12/2023", RNE="S", LS="V2", CIN="N4", PLACE="U6",
                       PLACE_PROVIDER="PR1")]),
    ("432", "B2", [ADD("episodes", "B2", DECOM="05/12/2023", RNE="P", LS="V2", CIN="N4", PLACE="U6",
                       PLACE_PROVIDER="PR1")]),
    ("504", "A1", [S("episodes", "A1", 1, CIN="N2")]),
    ("516", "B2", [S("episodes", "B2", PLACE="K2", PLACE_PROVIDER="PR4", REC="E45")]),
    ("440", "C3", [S("reviews", "C3", REVIEW="01/06/2023")]),
    ("441", "C3", [S("reviews", "C3", REVIEW_CODE="PN1")]),
    ("442", "A1", [S("header", "A1", UPN="")]),
    ("1000", "D4", [ADD("episodes", "D4", DECOM="01/01/2020", RNE="S", LS="C2", CIN="N1", PLACE="U4",
                        PLACE_PROVIDER="PR1", DEC="01/02/2021", REC="E2")]),
    ("1011", "D4", [ADD("episodes", "D4", DECOM="01/01/2020", RNE="S", LS="C2", CIN="N1", PLACE="U4",
                        PLACE_PROVIDER="PR1", DEC="01/02/2021", REC="E3")]),
    ("1007", "D4", [S("header", "D4", DOB="01/01/2007"), ADD("episodes", "D4", DECOM="01/01/2022", RNE="S",
                                                             LS="C2", CIN="N1", PLACE="U4", PLACE_PROVIDER="PR1")]),
    ("391", "D4", [S("header", "D4", DOB="01/01/2010")]),
    ("3001", "D4", [S("header", "D4", DOB="01/07/2006"), S("oc3", "D4", ACCOM="Z1")]),
    ("344", "D4", [S("oc3", "D4", IN_TOUCH="DIED")]),
    ("134", "D4", [ADD("ad1", "D4", DOB="01/07/2004")]),
    ("544", "A1", [S("oc2", "A1", TEETH_CHECK="")]),
    ("547", "A1", [S("oc2", "A1", HEALTH_CHECK="1", IMMUNISATIONS="")]),
    ("182", "A1", [S("oc2", "A1", IMMUNISATIONS="")]),
    ("189", "E5", [S("header", "E5", DOB="01/01/2006")]),
    ("571", "A1", [S("missing", "A1", 0, MIS_END="01/04/2024")]),
    ("581", "B2", [ADD("missing", "B2", DOB="15/02/2016", MISSING="M", MIS_START="01/05/2023", MIS_END="02/05/2023")]),
    ("580", "B2", [ADD("missing", "B2", DOB="15/02/2016", MISSING="M", MIS_START="25/11/2023", MIS_END="03/12/2023")]),
    ("117", "C3", [S("placed_for_adoption", "C3", DATE_PLACED_CEASED="01/05/2024", REASON_PLACED_CEASED="RD4")]),
    ("118", "C3", [S("placed_for_adoption", "C3", DATE_PLACED_CEASED="01/01/2023", REASON_PLACED_CEASED="RD4")]),
    ("563", "C3", [S("placed_for_adoption", "C3", DATE_PLACED="", REASON_PLACED_CEASED="RD1")]),
    ("551", "C3", [DROP("placed_for_adoption", "C3")]),
    ("553", "C3", [DROP("placed_for_adoption", "C3")]),
    ("552", "C3", [S("placed_for_adoption", "C3", DATE_PLACED="02/08/2022")]),
    ("554", "C3", [S("placed_for_adoption", "C3", DATE_PLACED="02/08/2022")]),
    ("521", "C3", [S("ad1", "C3", DATE_INT="02/08/2022")]),
    ("523", "C3", [S("ad1", "C3", DATE_INT="02/06/2022")]),
    ("525", "C3", [S("placed_for_adoption", "C3", DATE_PLACED_CEASED="01/09/2023", REASON_PLACED_CEASED="RD1")]),
    ("558", "C3", [S("placed_for_adoption", "C3", DATE_PLACED_CEASED="01/09/2023", REASON_PLACED_CEASED="RD1")]),
    ("557", "B2", [ADD("placed_for_adoption", "B2", DOB="15/02/2016", DATE_PLACED="01/07/2023")]),
    ("579", "C3", [S("placed_for_adoption", "C3", DATE_PLACED_CEASED="01/03/2023", REASON_PLACED_CEASED="RD2"),
                   ADD("placed_for_adoption", "C3", DOB="05/05/2019", DATE_PLACED="01/02/2023")]),
    ("583", "C3", [ADD("placed_for_adoption", "C3", DOB="05/05/2019", DATE_PLACED="01/07/2022")]),
    ("634", "E5", [S("episodes", "E5", DECOM="05/01/2016"), ADD("prev_perm", "E5", DOB="10/10/2007",
                                                                PREV_PERM="Z1")]),
    # ssda903_extra
    ("434", "A1", [S("episodes", "A1", 1, RNE="L")]),
    ("435", "C3", [S("episodes", "C3", 1, RNE="T")]),  # the legal status changed too
    ("436", "A1", [S("episodes", "A1", 1, RNE="U")]),  # the legal status did not change
    ("383", "A1", [S("episodes", "A1", 1, PLACE="T4", PLACE_PROVIDER="", DEC="12/09/2023", REC="X1",
                     REASON_PLACE_CHANGE=""),
                   ADD("episodes", "A1", DECOM="12/09/2023", RNE="P", LS="C2", CIN="N1", PLACE="K2",
                       PLACE_PROVIDER="PR4", URN="SC654321")]),
    ("390", "B2", [S("episodes", "B2", REC="E11")]),
    ("408", "C3", [S("episodes", "C3", 1, LS="C2")]),
    ("446", "C3", [S("episodes", "C3", 1, DECOM="01/08/2005"), S("episodes", "C3", 0, DECOM="01/02/2005",
                                                                   DEC="01/08/2005")]),
    ("367", "B2", [S("episodes", "B2", LS="V3", HOME_POST="", PL_POST="", URN="")]),
    ("426", "B2", [S("episodes", "B2", LS="V3", DEC="20/06/2023", REC="X1", HOME_POST="", PL_POST="", URN=""),
                   ADD("episodes", "B2", DECOM="20/06/2023", RNE="L", LS="V4", CIN="N4", PLACE="U6",
                       PLACE_PROVIDER="PR1")]),
    ("566", "A1", [S("missing", "A1", 0, MISSING="")]),
    ("575", "B2", [ADD("missing", "B2", DOB="15/02/2016", MISSING="M", MIS_START="01/11/2023")]),
    ("582", "C3", [S("ad1", "C3", DATE_MATCH="20/11/2023")]),
    ("625", "F6", [S("header", "F6", MC_DOB="03/09/2024")]),
    ("215", "D4", [ADD("oc2", "D4", DOB="01/07/2004", IMMUNISATIONS="1")]),
    ("628", "D4", [S("header", "D4", MOTHER="0")]),
]


def apply(data: sample.Return, ops: list[Op]) -> sample.Return:
    for op in ops:
        kind, module, child = op[0], op[1], op[2]
        if kind == "set":
            sample.rows_of(data, module, child)[op[3]].update(op[4])
        elif kind == "add":
            row = dict.fromkeys(data[module][0], "") | {"CHILD": child}
            row |= {k: v for k, v in op[3].items() if k in row}
            data[module].append(row)
        elif kind == "copy":
            data[module].append(dict(sample.rows_of(data, module, child)[0]) | op[3])
        else:
            data[module] = [r for r in data[module] if r["CHILD"] != child]
    return data


def rules_for(tmp: Path, data: sample.Return, child: str, *, year: int = sample.YEAR,
              stored: Stored | None = None) -> set[str]:
    batch = read_903([sample.write(tmp, data)], year=year, stored=stored)
    assert not batch.refused_whole, batch.findings
    return {f.rule for f in batch.findings if f.la_child_id == child}


def test_the_valid_return_has_no_findings(tmp_path: Path) -> None:
    batch = read_903([sample.write(tmp_path, sample.base())], year=sample.YEAR)
    assert batch.findings == []
    assert batch.children == 6 and batch.name == "ssda903_2023-24"


@pytest.mark.parametrize(("code", "child", "ops"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_a_child_breaking_the_rule_gets_its_code(tmp_path: Path, code: str, child: str, ops: list[Op]) -> None:
    found = rules_for(tmp_path, apply(sample.base(), ops), child)
    assert code in found, found


def test_every_implemented_rule_has_a_failing_case() -> None:
    from test_ingest_903_ledger import CASES as LAST_YEAR  # type: ignore[import-not-found]

    covered = {code for code, _child, _ops in CASES + LAST_YEAR} | {"393"}  # 393: the year test below
    assert set(IMPLEMENTED) - covered == set()
    assert len(IMPLEMENTED) >= 228


def test_502_checks_the_open_episode_already_in_the_ledger(tmp_path: Path) -> None:
    held = pd.DataFrame({"la_child_id": ["A1"], "start_date": [pd.Timestamp("2021-03-01")],
                         "end_date": [pd.NaT]})
    empty = held.iloc[0:0]
    assert "502" not in rules_for(tmp_path / "a", sample.base(), "A1", stored=Stored(held, empty, empty))
    moved = held.assign(start_date=pd.Timestamp("2020-01-01"))
    assert "502" in rules_for(tmp_path / "b", sample.base(), "A1", stored=Stored(moved, empty, empty))


@pytest.mark.parametrize(("year", "ops", "code", "expected"), [
    (2025, [S("header", "A1", SEX="M")], "101", False), (2025, [], "101", True),  # 1/2 until 2023-24 only
    (2025, [S("episodes", "B2", PLACE="K3", PLACE_PROVIDER="PR4")], "146", False),
    (2026, [S("episodes", "A1", 1, PLACE="Z1", PLACE_PROVIDER="")], "146", True),
    (2026, [S("episodes", "A1", 1, PLACE="Z12", PLACE_PROVIDER="")], "146", False),
    (2018, [S("episodes", "B2", REC="E43")], "149", False),
    (2021, [S("oc3", "D4", ACTIV="F3")], "132", False),
    (2018, [S("episodes", "A1", 0, REASON_PLACE_CHANGE="CUSTOD")], "1009", True),
    (2025, [S("header", "F6", SEX="F", MOTHER="", MC_DOB="")], "393", True),  # from 2024-25: every girl
    (2024, [S("header", "F6", MOTHER="", MC_DOB="")], "393", False),
])
def test_code_lists_follow_the_collection_year(tmp_path: Path, year: int, ops: list[Op], code: str,
                                               expected: bool) -> None:
    data = apply(sample.base(), ops)
    children = {op[2] for op in ops} or {"A1"}
    found = set().union(*(rules_for(tmp_path / c, data, c, year=year) for c in children))
    assert (code in found) is expected, found
