"""A hand-made analytics store with one child per access rule, for the role x purpose x record matrix."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from model import schema

DAY = dt.date(2025, 10, 31)
D = dt.date


def empty_frames() -> dict[str, pd.DataFrame]:
    return {t.name: pd.DataFrame({c.name: pd.Series([], dtype=object) for c in t.columns})
            for t in schema.ALL_TABLES}


# child_id: (worker, team, allocation start, allocation end, lawful basis, art9, consent given, consent
#            withdrawn, birth date, what it tests)
CHILDREN = {
    1: ("W1", "T1", D(2025, 1, 1), None, "legal_obligation", "social_protection", None, None, D(2015, 5, 1), "own caseload, statutory"),
    2: ("W1", "T1", D(2025, 1, 1), None, "consent", "explicit_consent", D(2025, 1, 1), D(2025, 6, 1), D(2016, 2, 1), "consent withdrawn"),
    3: ("W1", "T1", D(2025, 1, 1), None, "consent", None, D(2025, 1, 1), None, D(2017, 3, 1), "consent live, no Art 9"),
    4: ("W2", "T1", D(2025, 2, 1), None, "public_task", "substantial_public_interest", None, None, D(2012, 7, 1), "colleague's caseload, same team"),
    5: ("W1", "T1", D(2024, 1, 1), DAY - dt.timedelta(days=10), "legal_obligation", None, None, None, D(2011, 1, 1), "ended 10 days ago (in grace)"),
    6: ("W1", "T1", D(2024, 1, 1), DAY - dt.timedelta(days=60), "legal_obligation", None, None, None, D(2010, 1, 1), "ended 60 days ago"),
    7: ("W1", "T1", D(2024, 1, 1), None, "legal_obligation", "social_protection", None, None, D(1999, 1, 1), "past retention (26)"),
    8: ("W3", "T2", D(2025, 1, 1), None, "legal_obligation", "social_protection", None, None, D(2013, 1, 1), "other team"),
    9: ("W1", "T1", D(2025, 1, 1), None, "vital_interests", None, None, None, D(2018, 1, 1), "vital interests basis"),
    10: ("W1", "T1", D(2026, 1, 1), None, "legal_obligation", None, None, None, D(2019, 1, 1), "allocation starts after the day"),
}


def frames() -> dict[str, pd.DataFrame]:
    out = empty_frames()
    out["store_metadata"] = pd.DataFrame({"key": ["as_of", "source"], "value": [DAY.isoformat(), "test"]})
    out["population"] = pd.DataFrame({"year": [2024], "children_0_17": [70_000]})
    out["teams"] = pd.DataFrame({"team_id": ["T1", "T2"], "name": ["Team one", "Team two"], "service": ["CSC", "CSC"],
                                 "locality": ["NORTH", "SOUTH"]})
    out["workers"] = pd.DataFrame({"worker_id": ["W1", "W2", "W3"], "name": ["Wun", "Tu", "Thri"],
                                   "team_id": ["T1", "T1", "T2"], "job_title": ["Social worker"] * 3,
                                   "username": ["cw1", "cw2", "cw3"]})
    kids, invs, allocs = [], [], []
    for cid, (worker, team, start, end, basis, art9, given, withdrawn, born, _) in CHILDREN.items():
        kids.append({"child_id": cid, "la_child_id": f"LA{cid:04d}", "upn": f"A33200000{cid:04d}",
                     "former_upn": None, "upn_unknown": None, "forename": f"Testy{cid}", "surname": f"ZZ-Child{cid}",
                     "birth_date": born, "expected_birth_date": None, "sex": "F" if cid % 2 else "M",
                     "ethnicity": "WBRI", "religion": "NONE", "postcode": "ZZ1 4AB", "postcode_sector": "ZZ1 4",
                     "locality": "NORTH", "death_date": None, "retention_date": born.replace(year=born.year + 25)})
        invs.append({"involvement_id": cid, "child_id": cid, "service": "CSC", "intervention_type": "CIN",
                     "team_id": team, "worker_id": worker, "start_date": start, "end_date": end, "outcome": "OPEN",
                     "episode_id": None, "ehc_plan_id": None, "lawful_basis": basis, "art9_condition": art9,
                     "consent_purpose": "Direct work" if basis == "consent" else None,
                     "consent_given_date": given, "consent_withdrawn_date": withdrawn})
        allocs.append({"allocation_id": cid, "child_id": cid, "involvement_id": cid, "worker_id": worker,
                       "team_id": team, "start_date": start, "end_date": end})
    out["children"] = pd.DataFrame(kids)
    out["involvements"] = pd.DataFrame(invs)
    out["allocations"] = pd.DataFrame(allocs)
    for name, frame in out.items():
        table = schema.metadata.tables[name]
        for column in table.columns:
            if column.name not in frame:
                frame[column.name] = None
        out[name] = frame[[c.name for c in table.columns]]
    return out
