"""903 rows from simulated periods of care: episodes, health outcomes (OC2) and care leavers (OC3).

OC2 and OC3 are per collection year (1 April to 31 March). OC2: children looked after continuously for
12 months at 31 March. OC3: former relevant care leavers (left care at 16 or 17, or at 18, after at
least 13 weeks in care since their 14th birthday) whose 17th to 21st birthday falls in the year.

Outcome shares (ssda903.md §3): health assessments 90%, immunisations 88%, teeth checks 86% (2015, the
latest retrieved), development checks of under-5s 88% (2025); care leavers aged 19-21: 91% in touch,
about 55% in education, employment or training, about 86% in suitable accommodation. Not retrieved for
17-18: assumed 94% in touch, 64% EET, 88% suitable (18-year-olds: 90% suitable, 2019).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from model.codes_903 import NO_PROVIDER_PLACEMENTS
from refresh.demo._core import NONE, YEAR_DAYS, Calendar, add_years, age_days, choose

NO_PROVIDER = NO_PROVIDER_PLACEMENTS | {"Z11", "Z12", "Z13", "Z14"}

HEALTH = {"health_assessment": 0.90, "immunisations": 0.88, "teeth_check": 0.86, "health_check": 0.88}
EET = {"F1": 14, "P1": 4, "F2": 22, "P2": 4, "F4": 34, "P4": 10, "F5": 9, "P5": 3}
NEET = {"G4": 45, "G5": 25, "G6": 30}
ACCOM = "BCDEGHKRSTUVWXYZ"
ACCOM_SUITABLE = {"B": 5, "C": 6, "D": 20, "E": 2, "G": 4, "K": 24, "R": 14, "T": 10, "U": 6, "V": 3,
                  "W": 2, "Y": 2, "Z": 2}
ACCOM_UNSUITABLE = {"B": 10, "E": 10, "G": 30, "H": 15, "S": 15, "T": 10, "Z": 10}
# (in touch, EET among all, suitable among all) by age group.
LEAVERS = {"17-18": (0.94, 0.64, 0.88), "19-21": (0.91, 0.55, 0.86)}
NOT_IN_TOUCH = {"NO": 55, "REFU": 20, "NREQ": 15, "RHOM": 8, "DIED": 2}


def episodes_from_changes(rng: np.random.Generator, p: pd.DataFrame, placements: pd.DataFrame,
                          statuses: pd.DataFrame) -> pd.DataFrame:
    """One 903 episode per change of placement or legal status (both on a day: one episode)."""
    pl = placements.rename(columns={"date": "decom"}).assign(pl_change=True)
    ls = statuses.rename(columns={"date": "decom"}).assign(ls_change=True)
    ep = pl.merge(ls, on=["period", "decom"], how="outer").sort_values(["period", "decom"], ignore_index=True)
    ep["pl_change"] = ep["pl_change"].fillna(False).astype(bool)
    ep["ls_change"] = ep["ls_change"].fillna(False).astype(bool)
    first = ~ep["period"].duplicated()
    for column in ("place", "group", "provider", "distance", "ls"):
        ep[column] = ep.groupby("period")[column].ffill()
    ep["reason"] = np.where((ep["pl_change"] & ~first).to_numpy(), ep["reason"].to_numpy(dtype=object), NONE)
    ep["rne"] = np.select([first, ep["pl_change"] & ep["ls_change"], ep["pl_change"]],
                          ["S", "B", choose(rng, {"P": 85, "T": 15}, len(ep))], "L")
    ep["rne"] = np.where(~first & ep["pl_change"] & ep["ls_change"], choose(rng, {"U": 70, "B": 30}, len(ep)),
                         ep["rne"])
    # Placed for adoption once the placement order is made (A4/A6: with the prospective adopters).
    adoption = (ep["ls"] == "E1") & ep["ls_change"]
    ep.loc[adoption, ["place", "group", "provider"]] = ["A4", "A", "PR1"]
    ep.loc[adoption & (rng.random(len(ep)) < 0.4), "place"] = "A6"
    ep["pl_change"] |= adoption
    ep.loc[adoption & ~first, "rne"] = "B"
    ep.loc[adoption & ~first, "reason"] = "CARPL"
    after = ep.groupby("period")["ls"].transform(lambda s: s.eq("E1").cummax()).astype(bool)
    ep.loc[after & ~adoption, ["place", "group", "provider"]] = np.nan
    ep[["place", "group", "provider"]] = ep.groupby("period")[["place", "group", "provider"]].ffill()
    # Codes of their collection year (rule 146): H5 and P2 became K3 in 2024-25, Z1 became Z11-Z14 in 2025-26.
    ep.loc[ep["place"].isin(["H5", "P2"]) & (ep["decom"] >= np.datetime64("2024-04-01")), "place"] = "K3"
    ep.loc[ep["place"].eq("Z1") & (ep["decom"] >= np.datetime64("2025-04-01")), "place"] = "Z11"
    ep.loc[(ep["ls"] == "V2") & (ep["place"] == "P1"), ["place", "group", "provider"]] = ["U3", "FOSTER", "PR1"]
    # REASON_PLACE_CHANGE goes on the episode whose placement ends (the next one starts a placement).
    moved = ep.groupby("period")["pl_change"].shift(-1).fillna(False).astype(bool)
    ep["reason"] = ep.groupby("period")["reason"].shift(-1).where(moved.to_numpy())
    period = ep["period"].to_numpy()
    nxt = ep.groupby("period")["decom"].shift(-1)
    end = p["end"].to_numpy()[period]
    ep["dec"] = np.where(nxt.notna(), nxt.to_numpy(), end)
    ep["rec"] = np.where(nxt.notna(), "X1", p["rec"].to_numpy(dtype=object)[period])
    ep["rec"] = np.where(pd.isna(ep["dec"]).to_numpy(), NONE, ep["rec"].to_numpy(dtype=object))
    # An SGO to former foster carers ends a foster placement (rule 516); otherwise to other carers.
    not_foster = ~ep["place"].astype(str).str.startswith("U")
    ep.loc[not_foster & (ep["rec"] == "E45"), "rec"] = "E47"
    ep.loc[not_foster & (ep["rec"] == "E46"), "rec"] = "E48"
    ep["child"] = p["child"].to_numpy()[period]
    need = choose(rng, {"N1": 64, "N2": 4, "N3": 3, "N4": 7, "N5": 9, "N6": 2, "N7": 1, "N8": 10}, len(p))
    ep["cin"] = need[period]
    ep["place_provider"] = np.where(np.isin(ep["place"], list(NO_PROVIDER)), NONE,
                                    ep["provider"].to_numpy(dtype=object))
    return ep.drop(columns=["provider", "number"])


def oc2(rng: np.random.Generator, cal: Calendar, p: pd.DataFrame) -> pd.DataFrame:
    """Health outcomes per collection year for children looked after 12 months at 31 March."""
    parts = []
    start, end = p["start"].to_numpy().astype("datetime64[D]"), p["end"].to_numpy().astype("datetime64[D]")
    birth = p["birth"].to_numpy().astype("datetime64[D]")
    for year in _years(cal):
        day = np.datetime64(dt.date(year, 3, 31), "D")
        keep = (start <= day - 365) & (np.isnat(end) | (end > day)) & ~p["short"].to_numpy()
        idx = np.flatnonzero(keep)
        n = len(idx)
        age = (day - birth[idx]).astype(np.float64) / YEAR_DAYS
        row: dict[str, np.ndarray] = {"year": np.full(n, year), "child": p["child"].to_numpy()[idx]}
        for field, share in HEALTH.items():
            row[field] = (rng.random(n) < share).astype(np.int64)
        row["health_check"] = np.where(age < 5, row["health_check"], -1)  # development checks: under-5s only
        sdq_due = (age >= 4) & (age < 17)
        recorded = sdq_due & (rng.random(n) < 0.80)
        row["sdq_score"] = np.where(recorded, np.clip(np.round(rng.normal(14, 7, n)), 0, 40), -1).astype(np.int64)
        row["sdq_reason"] = np.where(sdq_due & ~recorded, choose(rng, {"SDQ1": 30, "SDQ2": 20, "SDQ3": 20,
                                                                       "SDQ4": 15, "SDQ5": 15}, n), NONE)
        row["convicted"] = np.where(age >= 10, (rng.random(n) < 0.025).astype(np.int64), -1)
        misuse = (age >= 10) & (rng.random(n) < 0.03)
        row["substance_misuse"] = misuse.astype(np.int64)  # completed for every child (rules 182, 191)
        row["intervention_received"] = np.where(misuse, (rng.random(n) < 0.6).astype(np.int64), -1)
        row["intervention_offered"] = np.where(misuse & (row["intervention_received"] == 0),
                                               (rng.random(n) < 0.6).astype(np.int64), -1)  # blank if received (158)
        parts.append(pd.DataFrame(row))
    return pd.concat(parts, ignore_index=True)


def oc3(rng: np.random.Generator, cal: Calendar, p: pd.DataFrame) -> pd.DataFrame:
    """Care leavers per collection year, aged 17 to 21 on their birthday in the year."""
    start, end = p["start"].to_numpy().astype("datetime64[D]"), p["end"].to_numpy().astype("datetime64[D]")
    birth = p["birth"].to_numpy().astype("datetime64[D]")
    fourteen = birth + age_days(np.full(len(p), 14.0))
    sixteen = birth + age_days(np.full(len(p), 16.0))
    in_care_after_14 = (end - np.maximum(start, fourteen)).astype(np.float64)
    leaver = ~np.isnat(end) & (end >= sixteen) & (in_care_after_14 >= 91) & \
        ~np.isin(p["rec"].to_numpy(dtype=object), ["E2", "E3"])
    idx = np.flatnonzero(leaver)
    leavers = pd.DataFrame({"child": p["child"].to_numpy()[idx], "birth": birth[idx], "end": end[idx]})
    leavers = leavers.sort_values("end").drop_duplicates("child", keep="last")
    parts = []
    for year in _years(cal):
        first, last = np.datetime64(dt.date(year - 1, 4, 1), "D"), np.datetime64(dt.date(year, 3, 31), "D")
        for age in range(17, 22):
            birthday = add_years(leavers["birth"].to_numpy().astype("datetime64[D]"), age)
            sel = (birthday >= first) & (birthday <= last) & \
                (leavers["end"].to_numpy().astype("datetime64[D]") <= birthday)
            if sel.any():
                parts.append(pd.DataFrame({"year": year, "age": age, "child": leavers["child"].to_numpy()[sel]}))
    out = pd.concat(parts, ignore_index=True)
    n = len(out)
    group = np.where(out["age"] <= 18, "17-18", "19-21")
    touch_p, eet_p, suit_p = (pd.Series(group).map({k: v[i] for k, v in LEAVERS.items()}).to_numpy()
                              for i in range(3))
    in_touch = rng.random(n) < touch_p
    u = rng.random(n)
    eet = in_touch & (u < eet_p / touch_p)
    suitable = in_touch & (rng.random(n) < suit_p / touch_p)
    out["in_touch"] = np.where(in_touch, "YES", choose(rng, NOT_IN_TOUCH, n))
    activity = choose(rng, EET, n)
    before_2022 = out["year"].to_numpy() < 2022  # F3/P3 until 2020-21, then F4/P4 and F5/P5
    activity = np.where(before_2022 & np.isin(activity, ["F4", "F5"]), "F3", activity)
    activity = np.where(before_2022 & np.isin(activity, ["P4", "P5"]), "P3", activity)
    out["activ"] = np.where(eet, activity, np.where(in_touch, choose(rng, NEET, n), "0"))
    out["accom"] = np.where(suitable, np.char.add(choose(rng, ACCOM_SUITABLE, n).astype(str), "1"),
                            np.where(in_touch & (rng.random(n) < 0.6),
                                     np.char.add(choose(rng, ACCOM_UNSUITABLE, n).astype(str), "2"), "0"))
    out.loc[in_touch & (out["accom"] == "0"), "accom"] = "R2"  # in touch: accommodation known (rule 345)
    out.loc[(out["age"] == 17) & (out["accom"] == "Z1"), "accom"] = "D1"  # not with former carers at 17 (3001)
    gone = out["in_touch"].isin(["DIED", "RHOM"])  # nothing to record (rule 344)
    out.loc[gone, ["activ", "accom"]] = None
    return out


def _years(cal: Calendar) -> range:
    """Collection years (by the year of their 31 March) inside the history window up to ``as_of``."""
    first = cal.history_start.year + 1
    last = cal.as_of.year if cal.as_of >= dt.date(cal.as_of.year, 3, 31) else cal.as_of.year - 1
    return range(first, last + 1)
