"""The demo's SSDA903 tables written back as one year's return (module CSVs with DfE's column names),
so the 903 loader's rules can judge the demo data (tests/test_demo_data_903.py)."""

from __future__ import annotations

import collections
import csv
from pathlib import Path

import pandas as pd

from refresh.ingest.ssda903_files import MODULES


def write_return(f: dict[str, pd.DataFrame], year: int, folder: Path) -> Path:  # noqa: C901
    """Module CSVs of collection ``year`` (1 April to 31 March) in ``folder``; returns the folder."""
    Y = year
    YS, YE = pd.Timestamp(f"{Y-1}-04-01"), pd.Timestamp(f"{Y}-03-31")
    kids = f["children"].set_index("child_id")
    def d(x): return "" if pd.isna(x) else pd.Timestamp(x).strftime("%d/%m/%Y")
    def s(x): return "" if x is None or (isinstance(x, float) and pd.isna(x)) or x is pd.NA else str(x)
    def b(x): return "" if x is None or x is pd.NA or (isinstance(x, float) and pd.isna(x)) else ("1" if x else "0")
    out = collections.defaultdict(list)
    ep = f["cla_episodes"]
    ep = ep[(ep.start_date <= YE) & (ep.end_date.isna() | (ep.end_date >= YS))]
    for r in ep.itertuples():
        k = kids.loc[r.child_id]
        after = pd.notna(r.end_date) and r.end_date > YE
        out["episodes"].append({"CHILD": k.la_child_id, "DECOM": d(r.start_date), "RNE": s(r.rne), "LS": s(r.legal_status),
            "CIN": s(r.category_of_need), "PLACE": s(r.placement_type), "PLACE_PROVIDER": s(r.placement_provider),
            "DEC": "" if after else d(r.end_date), "REC": "" if after else s(r.reason_ceased),
            "REASON_PLACE_CHANGE": s(r.reason_place_change), "HOME_POST": s(r.home_postcode), "PL_POST": s(r.placement_postcode),
            "URN": s(r.urn)})
    def dob(cid): return d(kids.loc[cid].birth_date)
    for r in f["cla_reviews"][f["cla_reviews"].review_date.between(YS, YE)].itertuples():
        out["reviews"].append({"CHILD": kids.loc[r.child_id].la_child_id, "DOB": dob(r.child_id), "REVIEW": d(r.review_date), "REVIEW_CODE": s(r.participation)})
    m = f["cla_missing"]
    m = m[(m.start_date <= YE) & (m.end_date.isna() | (m.end_date >= YS))]
    for r in m.itertuples():
        out["missing"].append({"CHILD": kids.loc[r.child_id].la_child_id, "DOB": dob(r.child_id), "MISSING": r.missing_type, "MIS_START": d(r.start_date), "MIS_END": "" if pd.notna(r.end_date) and r.end_date > YE else d(r.end_date)})
    for r in f["cla_oc2"][f["cla_oc2"].year == Y].itertuples():
        out["oc2"].append({"CHILD": kids.loc[r.child_id].la_child_id, "DOB": dob(r.child_id), "SDQ_SCORE": s(r.sdq_score), "SDQ_REASON": s(r.sdq_reason),
            "CONVICTED": b(r.convicted), "HEALTH_CHECK": b(r.health_check), "IMMUNISATIONS": b(r.immunisations), "TEETH_CHECK": b(r.teeth_check),
            "HEALTH_ASSESSMENT": b(r.health_assessment), "SUBSTANCE_MISUSE": b(r.substance_misuse), "INTERVENTION_RECEIVED": b(r.intervention_received), "INTERVENTION_OFFERED": b(r.intervention_offered)})
    for r in f["cla_oc3"][f["cla_oc3"].year == Y].itertuples():
        out["oc3"].append({"CHILD": kids.loc[r.child_id].la_child_id, "DOB": dob(r.child_id), "IN_TOUCH": s(r.in_touch), "ACTIV": s(r.activity), "ACCOM": s(r.accommodation)})
    per = f["cla_periods"]
    ad = f["cla_adoptions"].merge(per[["child_id", "end_date", "reason_ceased"]], on="child_id")
    ad = ad[ad.reason_ceased.isin(["E11", "E12"]) & ad.end_date.between(YS, YE)].drop_duplicates("cla_adoption_id")
    for r in ad.itertuples():
        out["ad1"].append({"CHILD": kids.loc[r.child_id].la_child_id, "DOB": dob(r.child_id), "DATE_INT": d(r.decision_date), "DATE_MATCH": d(r.match_date),
            "FOSTER_CARE": b(r.foster_care), "NB_ADOPTR": s(r.number_adopters), "SEX_ADOPTR": s(r.sex_adopters), "LS_ADOPTR": s(r.legal_status_adopters)})
    pa = f["cla_placed_for_adoption"]
    for r in pa[(pa.decision_date <= YE) & (pa.ceased_date.isna() | (pa.ceased_date >= YS))].itertuples():
        out["placed_for_adoption"].append({"CHILD": kids.loc[r.child_id].la_child_id, "DOB": dob(r.child_id), "DATE_PLACED": d(r.decision_date),
            "DATE_PLACED_CEASED": "" if pd.notna(r.ceased_date) and r.ceased_date > YE else d(r.ceased_date), "REASON_PLACED_CEASED": "" if pd.notna(r.ceased_date) and r.ceased_date > YE else s(r.reason_ceased)})
    for r in f["cla_previous_permanence"][f["cla_previous_permanence"].year == Y].itertuples():
        out["prev_perm"].append({"CHILD": kids.loc[r.child_id].la_child_id, "DOB": dob(r.child_id), "PREV_PERM": s(r.previous_permanence), "LA_PERM": s(r.la_perm), "DATE_PERM": s(r.date_perm)})
    ids = {row["CHILD"] for rows in out.values() for row in rows}
    epkids = set(f["cla_episodes"]["child_id"][f["cla_episodes"].child_id.isin(kids.index[kids.la_child_id.isin({r["CHILD"] for r in out["episodes"]})])])
    for r in f["cla_uasc"][f["cla_uasc"].child_id.isin(epkids)].itertuples():
        k = kids.loc[r.child_id]
        if k.la_child_id in ids:
            out["uasc"].append({"CHILD": k.la_child_id, "SEX": k.sex, "DOB": dob(r.child_id), "DUC": d(r.uasc_ceased_date)})
    hdr = f["cla_header"][f["cla_header"].year == Y].set_index("child_id")
    by_la = {kids.loc[c].la_child_id: c for c in kids.index[kids.la_child_id.isin(ids)]}
    for la, cid in by_la.items():
        k = kids.loc[cid]
        h = hdr.loc[cid] if cid in hdr.index else None
        out["header"].append({"CHILD": la, "SEX": k.sex, "DOB": d(k.birth_date), "ETHNIC": s(k.ethnicity), "UPN": s(k.upn) or s(k.upn_unknown) or "UN1",
            "MOTHER": b(h.mother) if h is not None else "", "MC_DOB": d(h.mc_dob) if h is not None else ""})

    folder.mkdir(parents=True, exist_ok=True)
    for module, rows in out.items():
        with open(folder / f"{module}.csv", "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=MODULES[module])
            writer.writeheader()
            writer.writerows(rows)
    return folder
