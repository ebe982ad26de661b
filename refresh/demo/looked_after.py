"""Children looked after (SSDA903): periods of care, their episodes, reviews and missing periods.

A period of care is the looked-after part of a children's social care episode: every "long" episode
(``social_care.LONG``, or a CP plan that stays open long) is a period of care from its assessment (or
the CP plan's end) to its closure or the child's 18th birthday, and a few CIN and CP episodes have a
short (mostly section 20) stay in care. Inside each period the placements follow a renewal process (a
settled or an unsettled child), the legal status its own path (police protection -> interim care order
-> full care order; section 20; a placement order then placement for adoption for young children who are
adopted). Every change of placement or legal status starts a new 903 episode.

Calibrated (tests/test_demo_data_903.py) to DfE "Children looked after in England including
adoptions", year ending 31 March 2025 (shared/reference/ssda903.md §3): about 67-70 looked after per
10,000 on 31 March, starts and ceased about 40% of that, 76% on care orders and 19% section 20, 68%
in foster care, about 10% with 3+ placements in the year, 69% long-term stability, about 11% of the
children looked after in a year missing, about 7 incidents each.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from refresh.demo import social_care as sc
from refresh.demo._core import NAT, NONE, YEAR_DAYS, Calendar, add_years, age_days, choose

SHORT_STAY_P = {sc.CIN: 0.008, sc.CP: 0.01}  # CIN / CP episodes with a short (section 20) stay in care
CP_STAY_P = 0.03  # CP episodes where the child comes into care during the plan, until the episode closes
MAX_PLACEMENTS = 40
HOME_EARLY_SHARE = 0.12  # periods ending (child home, E4A) while the CSC episode stays open a while longer
UNSETTLED_SHARE = 0.20  # of periods: placements break down often
# Placement length in days (median, sigma): settled children after a first (often short) placement.
SETTLED_DAYS, UNSETTLED_DAYS, FIRST_DAYS = (2900.0, 0.8), (110.0, 0.9), (75.0, 0.9)
SHORT_FIRST_SHARE = 0.55  # settled children whose first placement is a short (emergency) one
FOSTER = {"U1": 6, "U2": 1, "U3": 13, "U4": 25, "U5": 1, "U6": 54}
# Placement type by age at the placement's start (0-9, 10-15, 16-17): foster (the mix above), or another.
PLACE_BY_AGE = (
    {"FOSTER": 76, "P1": 10, "K2": 7, "R1": 1, "Z1": 2, "R3": 4},
    {"FOSTER": 59, "P1": 7, "K2": 25, "K1": 1, "S1": 3, "R2": 1, "R5": 1, "Z1": 3},
    {"FOSTER": 40, "P1": 4, "K2": 19, "SUPPORTED": 30, "P2": 2, "R5": 2, "K1": 1, "Z1": 2},
)
PROVIDER = {"FOSTER": {"PR1": 55, "PR4": 38, "PR5": 7}, "K2": {"PR1": 14, "PR4": 80, "PR5": 6},
            "SUPPORTED": {"PR1": 20, "PR4": 70, "PR5": 10}, "K1": {"PR1": 30, "PR2": 50, "PR4": 20},
            "S1": {"PR4": 70, "PR5": 30}, "R1": {"PR3": 100}, "R2": {"PR3": 100}, "R3": {"PR1": 50, "PR4": 50},
            "R5": {"PR3": 100}, "P2": {"PR1": 60, "PR4": 40}, "A": {"PR1": 70, "PR4": 30}}
FAR_SHARE = {"FOSTER": 0.09, "K2": 0.35, "SUPPORTED": 0.18, "K1": 0.8, "S1": 0.5, "R5": 0.6, "A": 0.25}
PLACE_CHANGE = {"CARPL": 31, "CLOSE": 6, "ALLEG": 2, "STAND": 8, "APPRR": 2, "CREQB": 8, "CREQO": 6,
                "CHILD": 3, "LAREQ": 6, "PLACE": 6, "OTHER": 22}
START_LS = {"V2": 27, "C1": 61, "L1": 4, "L2": 5, "J2": 3}
SHORT_LS = {"V2": 82, "L1": 6, "L2": 4, "C1": 8}
CIN_NEED = {"N1": 64, "N2": 4, "N3": 3, "N4": 7, "N5": 9, "N6": 2, "N7": 1, "N8": 10}
# Reason the period ceased, from the CSC episode's closure reason (RC*), by age at the end.
REC_BY_CLOSURE = {"HOME": {"E4A": 80, "E13": 20},
                  "RC1": {"E11": 42, "E12": 58}, "RC2": {"E2": 100}, "RC3": {"E41": 100},
                  "RC4": {"E45": 50, "E46": 50}, "RC5": {"E3": 100}}
REC_ADULT = {"E17": 15, "E5": 38, "E6": 20, "E7": 4, "E8": 13, "E9": 4, "E4A": 6}
REC_CHILD = {"E4A": 55, "E4B": 14, "E13": 8, "E8": 17, "E9": 3, "E16": 3}
MISSING_SHARE = (0.02, 0.34, 0.42)  # of periods, by age at the start (0-9, 10-15, 16-17): goes missing
MISSING_PER_YEAR = 9.0  # incidents a year (mean, gamma with shape 0.9) for a child who goes missing


@dataclass
class Care:
    """Periods of care (registry children) and their 903 rows, still with registry indices."""

    periods: pd.DataFrame  # period, child, episode (CSC episode row), start, end, rec, birth
    episodes: pd.DataFrame  # period, child, decom, rne, ls, cin, place, place_provider, dec, rec, ...
    reviews: pd.DataFrame  # child, review, review_code
    missing: pd.DataFrame  # child, missing, mis_start, mis_end


def _lognormal(rng: np.random.Generator, median: float, sigma: float, n: int) -> np.ndarray:
    return np.maximum(np.round(median * np.exp(sigma * rng.standard_normal(n))), 1).astype(np.int64)


def periods_of_care(rng: np.random.Generator, cal: Calendar, ep: dict[str, np.ndarray]) -> pd.DataFrame:
    """One row per period of care in the clipped CSC episodes ``ep`` (episode = row in ``ep``)."""
    n = len(ep["ref"])
    birth = ep["birth"]
    adult = add_years(birth, 18)
    long_start = np.where(ep["route"] == sc.LONG, ep["auth"], ep["cp_end"])
    is_long = ep["long"] & ~np.isnat(long_start)
    short_p = np.zeros(n)
    for route, p in SHORT_STAY_P.items():
        short_p[ep["route"] == route] = p
    anchor = np.where(np.isnat(ep["auth"]), ep["ref"], ep["auth"])
    short = ~is_long & (rng.random(n) < short_p) & ~np.isnat(anchor)
    short_start = anchor + rng.integers(0, 60, n)
    short_end = short_start + np.clip(np.round(45 * np.exp(1.0 * rng.standard_normal(n))), 2, 330).astype(np.int64)
    cp_stay = ~is_long & ~short & (ep["route"] == sc.CP) & ~np.isnat(ep["cp_start"]) & (rng.random(n) < CP_STAY_P)
    cp_stay_start = ep["cp_start"] + rng.integers(0, 120, n)
    start = np.where(is_long, long_start, np.where(short, short_start, np.where(cp_stay, cp_stay_start, NAT)))
    start = np.where(~np.isnat(start) & (start < birth), birth, start)  # looked after from birth
    closure = ep["closure"]
    end = np.where(is_long | cp_stay, closure,
                   np.where(short, np.minimum(short_end, np.where(np.isnat(closure), short_end, closure)), NAT))
    early = is_long & (rng.random(n) < HOME_EARLY_SHARE)
    stop = np.where(np.isnat(closure), cal.end, closure)
    span = (stop - start).astype("timedelta64[D]").astype(np.float64)
    home = start + np.floor(span * rng.uniform(0.55, 0.95, n)).astype(np.int64)
    end = np.where(early & ~np.isnat(start) & (span > 60), home, end)
    end = np.where(~np.isnat(end) & (end > adult), adult, end)
    end = np.where(np.isnat(end) & (adult <= cal.end), adult, end)  # care ends at 18
    keep = (is_long | short | cp_stay) & (start >= birth) & (start < adult) & (start <= cal.end)
    keep &= np.isnat(end) | ((end > start) & (end >= cal.start))
    end = np.where(~np.isnat(end) & (end > cal.end), NAT, end)
    rows = np.flatnonzero(keep)
    frame = pd.DataFrame({"episode": rows, "child": ep["child"][rows], "birth": birth[rows],
                          "start": start[rows], "end": end[rows], "short": short[rows],
                          "closure_reason": np.where(early[rows] & (end[rows] != closure[rows]), "HOME",
                                                     ep["reason"][rows])})
    frame = frame.sort_values(["start", "child"], ignore_index=True)
    frame["period"] = np.arange(len(frame), dtype=np.int64)
    frame["rec"] = _reason_ceased(rng, frame)
    return frame


def _reason_ceased(rng: np.random.Generator, p: pd.DataFrame) -> np.ndarray:
    n = len(p)
    end = p["end"].to_numpy()
    age_end = (end - p["birth"].to_numpy()).astype("timedelta64[D]").astype(np.float64) / YEAR_DAYS
    reason = p["closure_reason"].to_numpy(dtype=object)
    adult_end = end >= add_years(p["birth"].to_numpy().astype("datetime64[D]"), 18)
    out = np.where(adult_end, choose(rng, REC_ADULT, n), choose(rng, REC_CHILD, n)).astype(object)
    for code, mix in REC_BY_CLOSURE.items():
        sel = (reason == code) & (age_end < 17.99)
        out[sel] = choose(rng, mix, int(sel.sum()))
    adopted = np.isin(out, ["E11", "E12"]) & (age_end > 9)
    out[adopted] = "E45"  # older children leave care on an SGO rather than by adoption
    return np.where(np.isnat(end), NONE, out)


def simulate(rng: np.random.Generator, cal: Calendar, ep: dict[str, np.ndarray]) -> Care:
    """Every period of care in ``ep`` with its episodes, reviews and missing periods."""
    periods = periods_of_care(rng, cal, ep)
    placements = _placements(rng, cal, periods)
    statuses = _legal_statuses(rng, cal, periods)
    episodes = _episodes(rng, periods, placements, statuses)
    return Care(periods, episodes, _reviews(rng, cal, periods), _missing(rng, cal, periods))


def _placements(rng: np.random.Generator, cal: Calendar, p: pd.DataFrame) -> pd.DataFrame:
    """Placement start dates per period (a renewal process), with type, provider and distance."""
    n = len(p)
    start = p["start"].to_numpy().astype("datetime64[D]")
    stop = np.where(np.isnat(p["end"].to_numpy()), cal.end + 1, p["end"].to_numpy()).astype("datetime64[D]")
    unsettled = rng.random(n) < UNSETTLED_SHARE
    short_first = ~unsettled & (rng.random(n) < SHORT_FIRST_SHARE)
    parts = []
    t = start.copy()
    alive = np.ones(n, dtype=bool)
    for k in range(MAX_PLACEMENTS):
        idx = np.flatnonzero(alive & (t < stop))
        if not len(idx):
            break
        parts.append(pd.DataFrame({"period": idx, "date": t[idx], "number": k}))
        m = len(idx)
        settled = np.where(k == 0, _lognormal(rng, *FIRST_DAYS, m), _lognormal(rng, *SETTLED_DAYS, m))
        dur = np.where(unsettled[idx], _lognormal(rng, *UNSETTLED_DAYS, m),
                       np.where((k == 0) & ~short_first[idx], _lognormal(rng, *SETTLED_DAYS, m), settled))
        t[idx] = t[idx] + np.maximum(dur, 3)
        alive[idx] = t[idx] < stop[idx]
    out = pd.concat(parts, ignore_index=True).sort_values(["period", "date"], ignore_index=True)
    birth = p["birth"].to_numpy().astype("datetime64[D]")[out["period"].to_numpy()]
    age = (out["date"].to_numpy().astype("datetime64[D]") - birth).astype(np.float64) / YEAR_DAYS
    m = len(out)
    kind = np.empty(m, dtype=object)
    for band, mix in enumerate(PLACE_BY_AGE):
        sel = np.digitize(age, [10.0, 16.0]) == band
        kind[sel] = choose(rng, mix, int(sel.sum()))
    place = np.where(kind == "FOSTER", choose(rng, FOSTER, m), kind).astype(object)
    supported = out["date"].to_numpy() >= np.datetime64("2024-04-01")
    place = np.where(kind == "SUPPORTED", np.where(supported, "K3", "H5"), place)
    place = np.where((place == "P2") & supported, "K3", place)  # P2 and H5 ended in 2024-25
    place = np.where((place == "Z1") & (out["date"].to_numpy() >= np.datetime64("2025-04-01")), "Z11", place)
    group = np.where(np.isin(place, ["K3", "H5"]), "SUPPORTED", kind)
    provider = np.full(m, None, dtype=object)
    for key, mix in PROVIDER.items():
        sel = group == key
        provider[sel] = choose(rng, mix, int(sel.sum()))
    provider[place == "P1"] = "PR0"
    far_p = pd.Series(group).map(FAR_SHARE).fillna(0.04).to_numpy()
    out["place"], out["group"], out["provider"] = place, group, provider
    out["distance"] = np.where(rng.random(m) < far_p, rng.uniform(20.5, 120, m), rng.uniform(0.3, 19.5, m)).round(1)
    out["reason"] = np.where(out["number"].to_numpy() > 0, choose(rng, PLACE_CHANGE, m), NONE)
    return out


def _legal_statuses(rng: np.random.Generator, cal: Calendar, p: pd.DataFrame) -> pd.DataFrame:
    """Legal status changes per period: (period, date, ls)."""
    n = len(p)
    start = p["start"].to_numpy().astype("datetime64[D]")
    first = np.where(p["short"].to_numpy(), choose(rng, SHORT_LS, n), choose(rng, START_LS, n)).astype(object)
    age = (start - p["birth"].to_numpy().astype("datetime64[D]")).astype(np.float64) / YEAR_DAYS
    first = np.where((first == "J2") & (age < 10), "V2", first)
    rows = [(np.arange(n), start, first)]
    # Police protection or an EPO lasts days, then an interim care order or section 20.
    emergency = np.isin(first, ["L1", "L2"])
    after = choose(rng, {"C1": 60, "V2": 40}, n)
    t1 = start + np.where(first == "L1", rng.integers(1, 4, n), rng.integers(1, 9, n))  # PPO 72 hours, EPO 8 days
    rows.append((np.flatnonzero(emergency), t1[emergency], after[emergency]))
    interim = (first == "C1") | (emergency & (after == "C1"))
    base = np.where(emergency, t1, start)
    # Section 20 becoming an interim care order for some, then the full care order 4-11 months on.
    s20_to_c1 = ((first == "V2") | (emergency & (after == "V2"))) & ~p["short"].to_numpy() & (rng.random(n) < 0.5)
    t_c1 = base + rng.integers(30, 500, n)
    rows.append((np.flatnonzero(s20_to_c1), t_c1[s20_to_c1], np.full(int(s20_to_c1.sum()), "C1", dtype=object)))
    c1_from = np.where(s20_to_c1, t_c1, base)
    full = interim | s20_to_c1
    t_c2 = c1_from + rng.integers(120, 330, n)
    rows.append((np.flatnonzero(full), t_c2[full], np.full(int(full.sum()), "C2", dtype=object)))
    # Adopted children: a placement order some months before the adoption.
    end = p["end"].to_numpy().astype("datetime64[D]")
    adopted = np.isin(p["rec"].to_numpy(dtype=object), ["E11", "E12"])
    t_e1 = end - rng.integers(240, 420, n)
    ok = adopted & (t_e1 > start + 60)
    rows.append((np.flatnonzero(ok), t_e1[ok], np.full(int(ok.sum()), "E1", dtype=object)))
    out = pd.DataFrame({"period": np.concatenate([r[0] for r in rows]),
                        "date": np.concatenate([r[1] for r in rows]),
                        "ls": np.concatenate([r[2] for r in rows])})
    open_end = np.where(np.isnat(end), cal.end + 1, end)  # nothing after as_of
    out = out[out["date"].to_numpy() < open_end[out["period"].to_numpy()]]
    # An E1 replaces anything planned after it.
    e1 = out[out["ls"] == "E1"].groupby("period")["date"].min()
    if len(e1):
        later = out["period"].map(e1)
        out = out[later.isna() | (out["date"] <= later)]
    return out.sort_values(["period", "date"], ignore_index=True).drop_duplicates(["period", "date"], keep="last")


def _episodes(rng: np.random.Generator, p: pd.DataFrame, placements: pd.DataFrame,
              statuses: pd.DataFrame) -> pd.DataFrame:
    """Merge the placement and legal-status changes into 903 episodes (one per change of either)."""
    from refresh.demo.looked_after_tables import episodes_from_changes

    return episodes_from_changes(rng, p, placements, statuses)


def _reviews(rng: np.random.Generator, cal: Calendar, p: pd.DataFrame) -> pd.DataFrame:
    """Reviews at 20 working days (about 28 days), 3 months after that, then every 6 months."""
    stop = np.where(np.isnat(p["end"].to_numpy()), cal.end, p["end"].to_numpy()).astype("datetime64[D]")
    start = p["start"].to_numpy().astype("datetime64[D]")
    span = (stop - start).astype(np.int64)
    count = np.where(span >= 28, 1 + (span >= 118) + np.maximum(span - 118, 0) // 182, 0)
    count = np.where(p["short"].to_numpy() & (span < 60), np.minimum(count, 1), count)
    rows = np.repeat(np.arange(len(p)), count)
    k = np.arange(len(rows)) - np.repeat(np.cumsum(count) - count, count)
    offset = np.where(k == 0, 28, np.where(k == 1, 118, 118 + 182 * (k - 1)))
    day = start[rows] + offset - rng.integers(0, 12, len(rows))
    ok = (day > start[rows]) & (day <= stop[rows])
    rows, day = rows[ok], day[ok]
    birth = p["birth"].to_numpy().astype("datetime64[D]")[rows]
    young = (day - birth).astype(np.int64) < age_days(np.array([4.0]))[0]
    code = np.where(young, "PN0", choose(rng, {"PN1": 62, "PN2": 6, "PN3": 9, "PN4": 8, "PN5": 5, "PN6": 5,
                                               "PN7": 5}, len(rows)))
    return pd.DataFrame({"child": p["child"].to_numpy()[rows], "review": day, "review_code": code})


def _missing(rng: np.random.Generator, cal: Calendar, p: pd.DataFrame) -> pd.DataFrame:
    """Missing (M) and away without authorisation (A) incidents, for children who go missing."""
    n = len(p)
    start = p["start"].to_numpy().astype("datetime64[D]")
    birth = p["birth"].to_numpy().astype("datetime64[D]")
    stop = np.where(np.isnat(p["end"].to_numpy()), cal.end, p["end"].to_numpy()).astype("datetime64[D]")
    from_day = np.maximum(start, birth + age_days(np.array([10.0]))[0])
    age = (start - birth).astype(np.float64) / YEAR_DAYS
    share = np.array(MISSING_SHARE)[np.digitize(age, [10.0, 16.0])]
    goes = (rng.random(n) < share) & (stop > from_day)
    rate = rng.gamma(0.9, MISSING_PER_YEAR / 0.9, n)
    years = np.maximum((stop - from_day).astype(np.float64), 0) / YEAR_DAYS
    count = np.where(goes, rng.poisson(rate * years), 0)
    rows = np.repeat(np.arange(n), count)
    span = np.maximum((stop - from_day).astype(np.int64), 1)[rows]
    begin = from_day[rows] + np.floor(rng.random(len(rows)) * span).astype(np.int64)
    length = np.minimum(rng.geometric(0.55, len(rows)) - 1, 30)
    finish = begin + length
    finish = np.where(finish > cal.end, NAT, finish)
    kind = choose(rng, {"M": 74, "A": 26}, len(rows))
    out = pd.DataFrame({"child": p["child"].to_numpy()[rows], "missing": kind, "mis_start": begin,
                        "mis_end": finish, "period": rows})
    out = out.sort_values(["child", "mis_start"], ignore_index=True).drop_duplicates(["child", "mis_start"])
    # No incident starts while the previous one is open (rule 574): clip the earlier one.
    nxt = out.groupby("child")["mis_start"].shift(-1)
    clash = nxt.notna() & (out["mis_end"].isna() | (out["mis_end"] >= nxt))
    out.loc[clash, "mis_end"] = nxt[clash] - np.timedelta64(1, "D")
    out.loc[out["mis_end"] < out["mis_start"], "mis_end"] = out["mis_start"]
    return out
