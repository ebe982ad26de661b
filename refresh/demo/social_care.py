"""Children's social care: referral chains per child, each referral an episode with its activity.

Each child's history is a chain of episodes: a referral, then (unless NFA) an assessment and, by the
episode's route, a S47 enquiry and ICPC, a CP plan, a CIN plan, or a long period open (looked after).
After a closure the chain may continue with a re-referral. The loop runs over the episode number
(at most ``MAX_EPISODES``), vectorised over all chains. Every date is a plan ("intended") date here;
``clip_to_window`` then cuts the story at ``as_of`` and drops what closed before the history window.

The constants are calibrated (see tests/test_demo_data.py) to England 2024-25 rates and Dudley volumes
(shared/reference/data-standards.md §5).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from refresh.demo._core import (
    DAY,
    NAT,
    NONE,
    YEAR_DAYS,
    Calendar,
    Registry,
    age_days,
    choose,
    piecewise_uniform,
    spread,
    uniform_days,
)

# Episode routes.
NFA, ASSESSED, CIN, CP, LONG = range(5)

MAX_EPISODES = 10
FIRST_REFERRALS_PER_YEAR = 1_760.0  # new chains a year at scale 1: ~3,400 referrals a year in all
PRE_BIRTH_SHARE = 0.085
FIRST_AGE_BANDS = [(0.0, 1.0, 0.12), (1.0, 5.0, 0.19), (5.0, 10.0, 0.22), (10.0, 16.0, 0.30),
                   (16.0, 17.7, 0.17)]  # age at the first referral (years from, to, share)
# Route probabilities: [NFA, ASSESSED, CIN, CP, LONG], after no, one, or several earlier CP plans.
ROUTE_P = np.array([[0.065, 0.323, 0.495, 0.072, 0.045],
                    [0.065, 0.200, 0.305, 0.395, 0.035],
                    [0.065, 0.300, 0.400, 0.200, 0.035]])
NEXT_P = np.array([0.55, 0.55, 0.33, 0.45, 0.15])  # chance of another referral, by route
QUICK_SHARE = 0.69  # of re-referrals, the share coming back within a few months of closure

# Working days, assessment start -> authorisation (EES C2 2025 bands; 85.7% within 45).
ASSESSMENT_WD = [(0, 0.99, 1.8), (1, 10.99, 11.6), (11, 20.99, 17.3), (21, 30.99, 15.8), (31, 40.99, 20.2),
                 (41, 45.99, 18.9), (46, 50.99, 5.8), (51, 60.99, 4.3), (61, 110, 4.2)]
# Working days, S47 start -> ICPC (EES C4 2025; 81.4% within 15, median 14).
ICPC_WD = [(2, 10.99, 8.7), (11, 12.99, 9.0), (13, 15.99, 63.7), (16, 20.99, 8.9), (21, 40, 9.7)]
# CP plan length in days (ended-in-year bands, shortened a little: Dudley holds ~240 open for ~320 starts).
CP_DAYS = [(20, 91, 18.0), (91, 182, 13.0), (182, 365, 45.0), (365, 730, 21.0), (730, 1100, 3.0)]
CATEGORY = {"NEG": 50.5, "EMO": 35.7, "PHY": 7.4, "SAB": 3.8, "MUL": 2.6}
SOURCE = {"6": 27, "2A": 19, "2B": 2, "3A": 3, "3B": 3, "3C": 1, "3D": 2, "3E": 2, "3F": 4, "1A": 6, "1B": 1,
          "1C": 1, "1D": 2, "5A": 4, "5B": 3, "5C": 2, "5D": 6, "4": 2, "7": 2, "8": 3, "9": 1, "10": 1}
NEED_BY_ROUTE = {
    ASSESSED: {"N1": 38, "N2": 3, "N3": 6, "N4": 12, "N5": 17, "N6": 6, "N7": 2, "N8": 3, "N9": 9},
    CIN: {"N1": 43, "N2": 5, "N3": 6, "N4": 11, "N5": 17, "N6": 5, "N7": 1, "N8": 4, "N9": 1},
    CP: {"N1": 93, "N4": 2, "N5": 5},
    LONG: {"N1": 64, "N2": 4, "N4": 6, "N5": 10, "N8": 12},
}


def _lognormal_days(rng: np.random.Generator, median: float, sigma: float, n: int, lo: int,
                    hi: int) -> np.ndarray:
    return np.clip(np.round(median * np.exp(sigma * rng.standard_normal(n))), lo, hi).astype(np.int64)


def _workdays(rng: np.random.Generator, bands: Sequence[tuple[float, float, float]], when: np.ndarray,
              step: str) -> np.ndarray:
    """Working-day durations from ``bands``, spread evenly over time (``when``)."""
    return np.floor(piecewise_uniform(rng, bands, len(when), spread_by=when, step=step)).astype(np.int64)


def _episodes(rng: np.random.Generator, cal: Calendar, ref: np.ndarray, prior_cp: np.ndarray) -> dict:
    """One episode per chain starting on ``ref``: its route and every (intended) activity date."""
    n = len(ref)
    # Routes spread evenly over time within each history (so every census year gets the published mix).
    stratum = np.minimum(prior_cp, 2)
    u = spread(rng, stratum * 100_000 + (ref - ref.min()).astype(np.int64))[:, None]
    route = (u > np.cumsum(ROUTE_P[stratum], axis=1)).sum(axis=1).astype(np.int8)
    route = np.minimum(route, LONG)
    nfa = route == NFA
    ep: dict[str, np.ndarray] = {"route": route, "nfa": nfa}
    # Assessment (every route but NFA), starting 0-3 working days after the referral.
    a_start = cal.add_workdays(ref, rng.integers(0, 4, n))
    auth = cal.add_workdays(a_start, _workdays(rng, ASSESSMENT_WD, ref, "root2"))
    a_start[nfa], auth[nfa] = NAT, NAT
    # S47 enquiries: every CP route, some others; ICPC for CP and a few CIN routes.
    s47_share = np.array([0.0, 0.22, 0.24, 1.0, 0.5])[route]
    has_s47 = rng.random(n) < s47_share
    icpc_held = (route == CP) | ((route == CIN) & has_s47 & (rng.random(n) < 0.12))
    s47 = np.where(has_s47, cal.add_workdays(ref, rng.integers(0, 4, n)), NAT)
    icpc = np.full(n, NAT)
    icpc[icpc_held] = cal.add_workdays(s47[icpc_held], _workdays(rng, ICPC_WD, ref[icpc_held], "root3"))
    ep.update(a_start=a_start, auth=auth, s47=s47, icpc=icpc, icpc_held=icpc_held,
              icpc_target=np.where(has_s47, cal.add_workdays(s47, np.full(n, 15)), NAT))
    # CP plans start at the ICPC.
    cp = route == CP
    cp_end = icpc + np.floor(piecewise_uniform(rng, CP_DAYS, n)).astype(np.int64)
    ep["cp_start"] = np.where(cp, icpc, NAT)
    ep["cp_end"] = np.where(cp, cp_end, NAT)
    ep["initial_category"] = np.full(n, "NEG", dtype=object)
    ep["initial_category"][cp] = choose(rng, CATEGORY, int(cp.sum()), spread_by=icpc[cp], step="root5")
    keep = rng.random(n) < 0.85
    ep["latest_category"] = np.where(keep, ep["initial_category"], choose(rng, CATEGORY, n))
    # After a CP plan: step down to a CIN plan, close, or stay open long (looked after).
    after = rng.random(n)
    step_down = cp & (after < 0.55)
    cp_long = cp & (after >= 0.90)
    # CIN plans: after the assessment (CIN route) or after the CP plan (step-down).
    cin_start = np.where(route == CIN, auth + rng.integers(0, 11, n), NAT)
    cin_start = np.where(step_down, cp_end, cin_start)
    cin_len = np.where(step_down, _lognormal_days(rng, 120, 0.7, n, 20, 900),
                       _lognormal_days(rng, 180, 0.85, n, 25, 2000))
    has_cin = (route == CIN) | step_down
    ep["cin_start"] = np.where(has_cin, cin_start, NAT)
    ep["cin_end"] = np.where(has_cin, cin_start + cin_len, NAT)
    long_len = _lognormal_days(rng, 950, 0.75, n, 150, int(18 * YEAR_DAYS))
    closure = np.select(
        [nfa, route == ASSESSED, has_cin, cp_long, cp, route == LONG],
        [ref, auth + rng.integers(0, 8, n), ep["cin_end"], cp_end + long_len, cp_end, auth + long_len],
        NAT)
    # Nothing happens after the closure: every activity date is on or before it.
    for key in ("auth", "s47", "icpc", "cp_end", "cin_end"):
        closure = np.where(np.isnat(ep[key]) | (ep[key] <= closure), closure, ep[key])
    ep["closure"] = closure
    ep["long"] = (route == LONG) | cp_long
    ep["had_cp"] = cp
    return ep


def _reason(rng: np.random.Generator, ep: dict, n: int) -> np.ndarray:
    route = ep["route"]
    after_assessment = choose(rng, {"RC8": 60, "RC9": 40}, n)
    ceased = choose(rng, {"RC7": 88, "RC5": 6, "RC3": 3, "RC4": 2, "RC6": 1}, n)
    long_end = choose(rng, {"RC7": 45, "RC4": 18, "RC1": 10, "RC3": 7, "RC5": 10, "RC6": 10}, n)
    return np.select([route == NFA, route == ASSESSED, ep["long"]], ["RC8", after_assessment, long_end],
                     ceased)


def simulate_chains(rng: np.random.Generator, cal: Calendar, registry: Registry, scale: float,
                    borrow: tuple[np.ndarray, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Every episode from ``cal.burn`` to ``as_of`` (intended dates; not yet cut at ``as_of``).

    ``borrow`` = (registry index, birth) of children already known (e.g. EHC plan holders), some of
    whom are referred too.
    """
    span = int((cal.end - cal.burn) / DAY)
    n_chains = int(round(FIRST_REFERRALS_PER_YEAR * scale * span / YEAR_DAYS))
    first = cal.burn + np.floor(rng.random(n_chains) * span).astype(np.int64)
    prebirth = rng.random(n_chains) < PRE_BIRTH_SHARE
    age = age_days(piecewise_uniform(rng, FIRST_AGE_BANDS, n_chains))
    birth = np.where(prebirth, first + rng.integers(20, 220, n_chains), first - age)
    child = registry.add(birth, rng.random(n_chains) < 0.52)
    if borrow is not None and len(borrow[0]):
        known, known_birth = borrow
        pick = rng.choice(len(known), size=min(len(known), int(0.07 * n_chains)), replace=False)
        lo = np.maximum(known_birth[pick], cal.burn)
        hi = np.minimum(known_birth[pick] + age_days(np.full(len(pick), 17.5)), cal.end)
        ok = hi > lo
        pick, lo, hi = pick[ok], lo[ok], hi[ok]
        child = np.concatenate([child, known[pick]])
        birth = np.concatenate([birth, known_birth[pick]])
        first = np.concatenate([first, uniform_days(rng, lo, hi)])
    propensity = rng.gamma(2.0, 0.5, len(child))
    prior_cp = np.zeros(len(child), dtype=np.int64)
    ref, alive = first, np.ones(len(child), dtype=bool)
    parts: list[dict[str, np.ndarray]] = []
    adult = birth + age_days(np.full(len(child), 18.0))
    for number in range(1, MAX_EPISODES + 1):
        idx = np.flatnonzero(alive)
        if not len(idx):
            break
        n = len(idx)
        ep = _episodes(rng, cal, ref[idx], prior_cp[idx])
        # Children's services end at 18 (transferred to adult services or closed).
        cap = adult[idx] + np.where(rng.random(n) < 0.15, rng.integers(0, 500, n), rng.integers(0, 45, n))
        latest = np.max(np.stack([np.where(np.isnat(ep[k]), ref[idx], ep[k]) for k in
                                  ("a_start", "auth", "s47", "icpc", "cp_start", "cin_start")]), axis=0)
        capped = ep["closure"] > np.maximum(cap, latest + 1)
        ep["closure"] = np.where(capped, np.maximum(cap, latest + 1), ep["closure"])
        for key in ("cp_end", "cin_end"):
            ep[key] = np.where(capped & ~np.isnat(ep[key]), np.minimum(ep[key], ep["closure"]), ep[key])
        reason = _reason(rng, ep, n)
        reason = np.where(capped, choose(rng, {"RC6": 40, "RC7": 60}, n), reason)
        ep.update(ref=ref[idx], child=child[idx], birth=birth[idx], reason=reason,
                  number=np.full(n, number, dtype=np.int8))
        parts.append(ep)
        prior_cp[idx] += ep["had_cp"]
        # Another referral? Only after this episode has closed, and before 18.
        p_next = np.minimum(NEXT_P[ep["route"]] * propensity[idx], 0.92)
        quick = rng.random(n) < QUICK_SHARE
        later = 240 + np.round(rng.exponential(800, n)).astype(np.int64)
        gap = np.where(quick, rng.integers(7, 260, n), later)
        nxt = ep["closure"] + gap
        go_on = (rng.random(n) < p_next) & (nxt <= cal.end) & (nxt < adult[idx] - 60) & ~capped
        alive[idx] = go_on
        ref[idx] = np.where(go_on, nxt, ref[idx])
    out = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    out["source"] = choose(rng, SOURCE, len(out["ref"]))
    unborn = out["birth"] > out["ref"]
    out["source"] = np.where(unborn & np.isin(out["source"], ["2A", "2B", "3C"]), "3F", out["source"])
    return out


def primary_need(rng: np.random.Generator, route: np.ndarray) -> np.ndarray:
    """Primary need by route; NFA referrals mostly have none recorded."""
    n = len(route)
    need = np.full(n, None, dtype=object)
    for key, mix in NEED_BY_ROUTE.items():
        sel = route == key
        need[sel] = choose(rng, mix, int(sel.sum()))
    nfa = route == NFA
    need[nfa] = np.where(rng.random(int(nfa.sum())) < 0.2, "N9", NONE)
    return need
