"""Children's social care frames from simulated episodes: cut at as_of, then one frame per table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from refresh.demo import social_care as sc
from refresh.demo._core import NAT, NONE, Calendar, as_dates, strings

# Factors at the end of assessment (share of episodes, %; EES C3 2025 with small extras).
FACTORS = {
    "4B": 33.5, "3B": 31.7, "17A": 19.0, "4A": 17.6, "16A": 17.6, "20": 16.3, "1B": 14.3, "2B": 14.1,
    "5A": 12.3, "18C": 12.0, "3A": 11.3, "14A": 7.0, "15A": 5.0, "3C": 4.0, "19C": 3.7, "7A": 3.7, "10A": 3.3,
    "24A": 3.2, "6B": 3.0, "5B": 3.0, "11A": 2.4, "2C": 2.0, "4C": 2.0, "6A": 2.0, "2A": 2.0, "13A": 1.7,
    "18B": 1.5, "1C": 1.5, "9A": 1.2, "1A": 1.0, "19B": 1.0, "12A": 0.4, "23A": 0.3, "22A": 0.2, "8F": 0.2,
}


def clip_to_window(ep: dict[str, np.ndarray], cal: Calendar) -> dict[str, np.ndarray]:
    """Cut every story at ``as_of`` and drop episodes that closed before the history window."""
    end = cal.end
    ep = dict(ep)

    def after(key: str) -> np.ndarray:
        return ~np.isnat(ep[key]) & (ep[key] > end)

    for start, finish in (("a_start", "auth"), ("s47", "icpc"), ("icpc", "cp_start"), ("cp_start", "cp_end"),
                          ("cin_start", "cin_end")):
        gone = after(start)
        ep[start] = np.where(gone, NAT, ep[start])
        ep[finish] = np.where(gone | after(finish), NAT, ep[finish])
    ep["icpc"] = np.where(np.isnat(ep["s47"]), NAT, ep["icpc"])
    ep["icpc_target"] = np.where(np.isnat(ep["s47"]), NAT, ep["icpc_target"])
    ep["cp_start"] = np.where(np.isnat(ep["icpc"]), NAT, ep["cp_start"])
    ep["cp_end"] = np.where(np.isnat(ep["cp_start"]), NAT, ep["cp_end"])
    open_now = after("closure")
    ep["closure"] = np.where(open_now, NAT, ep["closure"])
    ep["reason"] = np.where(open_now, NONE, ep["reason"])
    keep = (ep["ref"] <= end) & (np.isnat(ep["closure"]) | (ep["closure"] >= cal.start))
    order = np.lexsort((ep["child"][keep], ep["ref"][keep]))
    return {key: value[keep][order] for key, value in ep.items()}


def episode_frames(rng: np.random.Generator, cal: Calendar, ep: dict[str, np.ndarray], child_id: np.ndarray,
                   team: np.ndarray) -> dict[str, pd.DataFrame]:
    """cin_episodes, assessments, assessment_factors, section47, cin_plans, cp_plans, cp_reviews.

    ``ep`` is clipped and in episode-id order; ``child_id`` and ``team`` are per episode. Derived
    columns are left to refresh.derive.
    """
    n = len(ep["ref"])
    episode_id = np.arange(1, n + 1, dtype=np.int64)
    frames = {"cin_episodes": pd.DataFrame({
        "episode_id": episode_id, "child_id": child_id, "referral_date": as_dates(ep["ref"]),
        "referral_source": strings(ep["source"]), "primary_need": strings(ep["need"]),
        "referral_nfa": ep["nfa"],
        "closure_date": as_dates(ep["closure"]), "closure_reason": strings(ep["reason"]),
        "team_id": strings(team), "is_rereferral": np.zeros(n, dtype=bool)})}
    has_a = ~np.isnat(ep["a_start"])
    assessment_id = np.arange(1, int(has_a.sum()) + 1, dtype=np.int64)
    frames["assessments"] = pd.DataFrame({
        "assessment_id": assessment_id, "episode_id": episode_id[has_a], "child_id": child_id[has_a],
        "start_date": as_dates(ep["a_start"][has_a]), "authorisation_date": as_dates(ep["auth"][has_a]),
        "working_days": pd.array(np.full(len(assessment_id), None), dtype="Int64"),
        "within_45_days": pd.array(np.full(len(assessment_id), None), dtype="boolean")})
    done = ~np.isnat(ep["auth"][has_a])
    frames["assessment_factors"] = _factors(rng, assessment_id[done], child_id[has_a][done],
                                            ep["route"][has_a][done])
    has_s = ~np.isnat(ep["s47"])
    frames["section47"] = pd.DataFrame({
        "s47_id": np.arange(1, int(has_s.sum()) + 1, dtype=np.int64), "episode_id": episode_id[has_s],
        "child_id": child_id[has_s], "start_date": as_dates(ep["s47"][has_s]),
        "icpc_target_date": as_dates(ep["icpc_target"][has_s]), "icpc_date": as_dates(ep["icpc"][has_s]),
        "icpc_not_required": ~ep["icpc_held"][has_s],
        "icpc_working_days": pd.array(np.full(int(has_s.sum()), None), dtype="Int64")})
    has_cin = ~np.isnat(ep["cin_start"])
    frames["cin_plans"] = pd.DataFrame({
        "cin_plan_id": np.arange(1, int(has_cin.sum()) + 1, dtype=np.int64),
        "episode_id": episode_id[has_cin],
        "child_id": child_id[has_cin], "start_date": as_dates(ep["cin_start"][has_cin]),
        "end_date": as_dates(ep["cin_end"][has_cin])})
    has_cp = ~np.isnat(ep["cp_start"])
    cp_id = np.arange(1, int(has_cp.sum()) + 1, dtype=np.int64)
    cp_child, cp_start = child_id[has_cp], ep["cp_start"][has_cp]
    # NumberOfPreviousCPP: the child's earlier plans (this LA holds every plan it made).
    previous = pd.DataFrame({"c": cp_child, "s": cp_start, "i": cp_id}).sort_values(["c", "s", "i"]) \
        .groupby("c").cumcount().sort_index().to_numpy(dtype=np.int64)
    frames["cp_plans"] = pd.DataFrame({
        "cp_plan_id": cp_id, "episode_id": episode_id[has_cp], "child_id": child_id[has_cp],
        "start_date": as_dates(ep["cp_start"][has_cp]), "end_date": as_dates(ep["cp_end"][has_cp]),
        "initial_category": strings(ep["initial_category"][has_cp]),
        "latest_category": strings(ep["latest_category"][has_cp]),
        "number_of_previous_cpp": previous,
        "is_subsequent": np.zeros(len(cp_id), dtype=bool)})
    frames["cp_reviews"] = _reviews(rng, cp_id, cp_child, cp_start, ep["cp_end"][has_cp], cal)
    return frames


def _factors(rng: np.random.Generator, assessment_id: np.ndarray, child_id: np.ndarray,
             route: np.ndarray) -> pd.DataFrame:
    """Factors per completed assessment: '21' (none) alone for many assessed-and-closed, else 1-8 drawn
    without repeats by weight (Gumbel top-k)."""
    n = len(assessment_id)
    codes = np.array(list(FACTORS), dtype=object)
    none = (route == sc.ASSESSED) & (rng.random(n) < 0.45)
    k = np.minimum(1 + rng.poisson(1.5, n), 8)
    keys = np.log(np.array(list(FACTORS.values()), dtype=np.float32))[None, :] + rng.gumbel(
        size=(n, len(codes))).astype(np.float32)
    top = np.argsort(-keys, axis=1)[:, :8]
    take = (np.arange(8)[None, :] < k[:, None]) & ~none[:, None]
    rows, cols = np.nonzero(take)
    ids = np.concatenate([assessment_id[rows], assessment_id[none]])
    kids = np.concatenate([child_id[rows], child_id[none]])
    factor = np.concatenate([codes[top[rows, cols]], np.full(int(none.sum()), "21", dtype=object)])
    order = np.lexsort((factor.astype(str), ids))
    return pd.DataFrame({"assessment_id": ids[order], "child_id": kids[order],
                         "factor": strings(factor[order])})


def _reviews(rng: np.random.Generator, cp_id: np.ndarray, child_id: np.ndarray, start: np.ndarray,
             end: np.ndarray, cal: Calendar) -> pd.DataFrame:
    """Reviews within 3 months of the plan start, then every 6 months, while the plan is open."""
    stop = np.where(np.isnat(end), cal.end, end)
    span = (stop - start).astype(np.int64)
    count = np.where(span > 80, 1 + np.maximum(span - 80, 0) // 180, 0)
    rows = np.repeat(np.arange(len(cp_id)), count)
    k = np.arange(len(rows)) - np.repeat(np.cumsum(count) - count, count)
    day = start[rows] + 80 + 180 * k - rng.integers(0, 10, len(rows))
    day = np.busday_offset(day, 0, roll="backward", holidays=cal.holidays)
    ok = (day > start[rows]) & (day <= stop[rows])
    return pd.DataFrame({"cp_plan_id": cp_id[rows][ok], "child_id": child_id[rows][ok],
                         "review_date": as_dates(day[ok])})
