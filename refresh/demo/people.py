"""The children table and child_disabilities: identifiers, synthetic names, demographics.

Ethnicity follows Dudley's school-age mix (about three quarters White British); religion is drawn by
ethnic group. Disability is recorded for about 12% of children in need: every child whose episode had
primary need N2, most EHC plan holders with a physical, sensory, learning or autism need, a few others.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from refresh.demo import names
from refresh.demo._core import NAT, NONE, YEAR_DAYS, Calendar, as_dates, choose, strings

LOCALITY = {"NORTH": 22, "SOUTH": 22, "EAST": 20, "WEST": 20, "CENTRAL": 16}
ETHNICITY = {
    "WBRI": 74.5, "WIRI": 0.3, "WIRT": 0.1, "WOTH": 3.0, "WROM": 0.3, "MWBC": 3.0, "MWBA": 0.5, "MWAS": 1.2,
    "MOTH": 1.5, "AIND": 2.5, "APKN": 5.0, "ABAN": 0.8, "AOTH": 1.0, "BCRB": 1.2, "BAFR": 1.2, "BOTH": 0.4,
    "CHNE": 0.3, "OOTH": 1.0, "REFU": 0.5, "NOBT": 1.4,
}
RELIGION_BY_GROUP = {
    "W": {"NONE": 52, "CHR": 38, "OTH": 1, "REFU": 2, "NOBT": 7},
    "M": {"NONE": 45, "CHR": 35, "MUS": 8, "OTH": 2, "REFU": 2, "NOBT": 8},
    "APKN": {"MUS": 92, "NONE": 2, "NOBT": 6}, "ABAN": {"MUS": 92, "NONE": 2, "NOBT": 6},
    "AIND": {"SIK": 55, "HIN": 30, "MUS": 5, "NONE": 4, "NOBT": 6},
    "B": {"CHR": 65, "MUS": 15, "NONE": 12, "NOBT": 8},
    "other": {"NONE": 30, "CHR": 20, "MUS": 15, "BUD": 10, "OTH": 10, "NOBT": 15},
}
DISABILITY_BY_NEED = {
    "ASD": ("AUT", "COMM"), "SLCN": ("COMM",), "SLD": ("LD", "COMM"), "PMLD": ("LD", "PC", "MOB"),
    "MLD": ("LD",), "PD": ("MOB", "HAND"), "HI": ("HEAR",), "VI": ("VIS",), "MSI": ("HEAR", "VIS"), "SEMH": ("BEH",),
}
OTHER_DISABILITY = {"LD": 30, "BEH": 20, "COMM": 15, "AUT": 15, "MOB": 8, "DDA": 12}


def children_frame(rng: np.random.Generator, cal: Calendar, births: np.ndarray, males: np.ndarray,
                   locality: np.ndarray, child_id: np.ndarray) -> pd.DataFrame:
    """One row per child known to a service; ``births`` etc. are per row, ``child_id`` the ids.

    postcode_sector and retention_date are derived later (refresh.derive)."""
    n = len(births)
    unborn = births > cal.end
    age = np.where(unborn, -1.0, (cal.end - births).astype(np.int64) / YEAR_DAYS)
    sex = np.where(unborn, "U", np.where(males, "M", "F")).astype(object)
    # UPNs for children who have started school; reasons for the rest.
    school = age >= 4.5
    has_upn = school & (rng.random(n) < 0.95)
    entry_year = births.astype("datetime64[Y]").astype(np.int64) + 1970 + 5
    upn = np.full(n, None, dtype=object)
    upn[has_upn] = names.upns(rng, entry_year[has_upn])
    former = has_upn & (rng.random(n) < 0.01)
    former_upn = np.full(n, None, dtype=object)
    former_upn[former] = names.upns(rng, entry_year[former] - 1)
    reason = choose(rng, {"UN2": 40, "UN3": 20, "UN5": 25, "UN6": 15}, n)
    unknown = np.where(has_upn, NONE, np.where(school, reason, "UN1"))
    ethnicity = choose(rng, ETHNICITY, n)
    ethnicity = np.where(unborn & (rng.random(n) < 0.6), "NOBT", ethnicity)
    postcode = names.postcodes(rng, locality)
    no_address = rng.random(n) < 0.01
    postcode = np.where(no_address, NONE, postcode)
    la_child_id = np.char.add("DU", np.char.zfill(rng.choice(10**8, size=n, replace=False).astype(str), 8))
    return pd.DataFrame({
        "child_id": child_id, "la_child_id": strings(la_child_id.astype(object)), "upn": strings(upn),
        "former_upn": strings(former_upn), "upn_unknown": strings(unknown),
        "forename": strings(np.where(unborn, NONE, names.forenames(rng, males))),
        "surname": strings(names.surnames(rng, n)),
        "birth_date": as_dates(np.where(unborn, NAT, births)),
        "expected_birth_date": as_dates(np.where(unborn, births, NAT)),
        "sex": strings(sex), "ethnicity": strings(ethnicity), "religion": strings(_religion(rng, ethnicity)),
        "postcode": strings(postcode), "postcode_sector": strings(np.full(n, None)),
        "locality": strings(locality),
        "death_date": as_dates(np.full(n, NAT)), "retention_date": as_dates(np.full(n, NAT))})


def _religion(rng: np.random.Generator, ethnicity: np.ndarray) -> np.ndarray:
    group = np.array([e if e in RELIGION_BY_GROUP else (e[0] if e[0] in "WMB" else "other") for e in
                      ETHNICITY], dtype=object)
    by_code = dict(zip(ETHNICITY, group, strict=True))
    code_group = pd.Series(ethnicity).map(by_code).to_numpy(dtype=object)
    out = np.full(len(ethnicity), "NOBT", dtype=object)
    for key, mix in RELIGION_BY_GROUP.items():
        sel = code_group == key
        out[sel] = choose(rng, mix, int(sel.sum()))
    return out


def disabilities_frame(rng: np.random.Generator, child_id: np.ndarray, in_need: np.ndarray, n2: np.ndarray,
                       ehc_need: np.ndarray) -> pd.DataFrame:
    """Disability codes per child (NONE for most). ``in_need``: had a CIN episode beyond NFA; ``n2``: an
    episode with primary need N2; ``ehc_need``: primary need of the child's EHC plan or None."""
    n = len(child_id)
    need = pd.Series(ehc_need, dtype=object)
    has_need_map = need.isin(list(DISABILITY_BY_NEED)).to_numpy()
    p = np.where(in_need, 0.035, 0.03)
    p = np.where(has_need_map, np.where(need.isin(["SEMH", "MLD", "SLCN"]).to_numpy(), 0.25, 0.6), p)
    disabled = n2 | (rng.random(n) < p)
    rows, codes_ = [child_id[~disabled]], [np.full(int((~disabled).sum()), "NONE", dtype=object)]
    mapped = disabled & has_need_map
    for k in range(3):
        lookup = {key: codes_k[k] for key, codes_k in DISABILITY_BY_NEED.items() if len(codes_k) > k}
        kth = need[mapped].map(lookup).to_numpy(dtype=object)
        take = pd.notna(kth) & ((k == 0) | (rng.random(len(kth)) < 0.5))
        rows.append(child_id[mapped][take])
        codes_.append(kth[take])
    other = disabled & ~has_need_map
    rows.append(child_id[other])
    codes_.append(choose(rng, OTHER_DISABILITY, int(other.sum())))
    frame = pd.DataFrame({"child_id": np.concatenate(rows), "disability": strings(np.concatenate(codes_))})
    return frame.drop_duplicates().sort_values(["child_id", "disability"], ignore_index=True)
