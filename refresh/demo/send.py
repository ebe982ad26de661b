"""SEND: EHC needs assessment requests, assessments, plans, SEN needs and placements (SEN2).

Requests arrive at a rate growing ~7.5% a year, simulated from 24 years before ``as_of`` so the
stock of plans at the start of the history window (and plans begun before it, with no request row)
comes out of the same process as the plans issued inside it. Plans issued before September 2014 are
dated at their conversion from a statement. Rows are kept from the history window on: plans still
active at its start, and requests received inside it.

Calibration (data-standards.md §5.8-5.9): ~900 requests a year (Dudley 888), 67% agreed to assess,
85% decided within 6 weeks, 94% of assessments issue a plan, ~47% issued within 20 weeks, ~3,800 plans
at ``as_of`` (Dudley 3,805) growing 5-10% a year; need mix and sex as England January 2025.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from refresh.demo._core import (
    NAT,
    NONE,
    YEAR_DAYS,
    Calendar,
    Registry,
    age_days,
    as_dates,
    choose,
    nullable_ints,
    piecewise_uniform,
    strings,
    uniform_days,
)

REQUESTS_PER_YEAR = 895.0  # at as_of, scale 1
GROWTH = 0.065
SIMULATED_YEARS = 24
REQUEST_AGE = [(2.0, 5.0, 0.27), (5.0, 11.0, 0.42), (11.0, 16.0, 0.24), (16.0, 20.0, 0.06),
               (20.0, 24.0, 0.01)]  # (years from, to, share)
EXIT_AGE = [(16.0, 16.9, 0.13), (17.0, 18.0, 0.08), (18.0, 20.0, 0.40), (20.0, 23.0, 0.20),
            (23.0, 25.0, 0.07), (25.0, 25.2, 0.12)]  # age a plan would end at, if nothing else ends it
EARLY_CEASE_PER_YEAR = 0.026
TRANSFER_IN_SHARE = 0.06
CONVERSION = (dt.date(2014, 9, 1), dt.date(2018, 3, 31))
# Primary need of all plans, England January 2025 (unknown 0.8% folded into OTH).
NEED = {"ASD": 31.5, "SLCN": 21.3, "SEMH": 20.7, "MLD": 10.6, "SLD": 4.0, "PD": 3.9, "SPLD": 2.3, "HI": 1.4,
        "PMLD": 1.3, "OTH": 2.0, "VI": 0.8, "MSI": 0.3}
SOURCES = {"PAR": 52, "SCH": 38, "YP": 2, "HLT": 4, "OTH": 4}  # SEN2 source labels are not published
EARLY_REASON = {"5": 45, "2": 22, "7": 12, "9": 8, "6": 8, "8": 5}
AGE_REASON = {"6": 45, "2": 18, "4": 15, "3": 10, "5": 7, "9": 5}


@dataclass
class Send:
    requests: pd.DataFrame
    assessments: pd.DataFrame
    plans: pd.DataFrame
    needs: pd.DataFrame
    placements: pd.DataFrame


def _arrivals(rng: np.random.Generator, cal: Calendar, per_year: float) -> np.ndarray:
    """Dates over the simulated span with a rate growing at GROWTH a year, ``per_year`` at as_of."""
    span = SIMULATED_YEARS
    n = rng.poisson(per_year * (1 - np.exp(-GROWTH * span)) / GROWTH)
    years = np.log1p(rng.random(n) * np.expm1(GROWTH * span)) / GROWTH  # years after the span start
    return cal.end - np.round((span - years) * YEAR_DAYS).astype(np.int64)


def _decide(rng: np.random.Generator, received: np.ndarray, agree: float) -> tuple[np.ndarray, np.ndarray]:
    n = len(received)
    outcome = choose(rng, {"A": agree, "N": 0.96 - agree, "W": 0.04}, n)
    days = np.where(rng.random(n) < 0.85, rng.integers(20, 43, n), rng.integers(43, 110, n))
    days = np.where(outcome == "W", rng.integers(10, 60, n), days)
    return outcome, received + days


def simulate(rng: np.random.Generator, cal: Calendar, registry: Registry, scale: float) -> Send:
    received = _arrivals(rng, cal, REQUESTS_PER_YEAR * scale)
    n = len(received)
    age = age_days(piecewise_uniform(rng, REQUEST_AGE, n))
    child = registry.add(received - age, rng.random(n) < 0.706)
    birth = received - age
    outcome, decided = _decide(rng, received, 0.66)
    # Some refused requests are made again 5-18 months later, for the same child.
    again = (outcome == "N") & (rng.random(n) < 0.18)
    re_received = decided[again] + rng.integers(150, 540, int(again.sum()))
    re_outcome, re_decided = _decide(rng, re_received, 0.75)
    received = np.concatenate([received, re_received])
    outcome = np.concatenate([outcome, re_outcome])
    decided = np.concatenate([decided, re_decided])
    child, birth = np.concatenate([child, child[again]]), np.concatenate([birth, birth[again]])
    live = received <= cal.end
    received, outcome, decided, child, birth = (a[live] for a in (received, outcome, decided, child, birth))
    n = len(received)
    pending = decided > cal.end
    outcome = np.where(pending, "O", outcome)
    decided = np.where(pending, NAT, decided)
    # Assessments for agreed requests: plan issued (94%) or not, weeks from the request.
    agreed = outcome == "A"
    issue = rng.random(n) < 0.936
    issue_weeks = piecewise_uniform(rng, [(12.5, 20.0, 47.5), (20.01, 52.0, 45.5), (52.0, 75.0, 7.0)], n)
    weeks = np.where(issue, issue_weeks, piecewise_uniform(rng, [(10.0, 19.0, 1.0)], n))
    a_date = np.maximum(received + np.round(weeks * 7).astype(np.int64), decided + 28)
    a_outcome = np.where(issue, "Y", "N")
    a_pending = agreed & (a_date > cal.end)
    a_outcome = np.where(a_pending, "O", a_outcome)
    a_date = np.where(agreed & ~a_pending, a_date, NAT)
    issued = agreed & (a_outcome == "Y")
    # Plans: issued from assessments, plus plans transferred in from other LAs (no request here).
    n_in = int(round(issued.sum() * TRANSFER_IN_SHARE))
    in_start = _arrivals(rng, cal, REQUESTS_PER_YEAR * scale)[:n_in]
    in_birth = in_start - age_days(rng.uniform(4.0, 16.0, len(in_start)))
    in_child = registry.add(in_birth, rng.random(len(in_start)) < 0.706)
    request_row = np.concatenate([np.flatnonzero(issued), np.full(len(in_start), -1)])
    p_start = np.concatenate([a_date[issued], in_start])
    p_child = np.concatenate([child[issued], in_child])
    p_birth = np.concatenate([birth[issued], in_birth])
    ceased, reason = _cease(rng, cal, p_start, p_birth)
    conversion = uniform_days(rng, np.full(len(p_start), np.datetime64(CONVERSION[0], "D")),
                              np.full(len(p_start), np.datetime64(CONVERSION[1], "D")))
    p_start = np.where(p_start < np.datetime64(CONVERSION[0], "D"), conversion, p_start)
    keep = (p_start <= cal.end) & (np.isnat(ceased) | (ceased >= np.maximum(p_start + 1, cal.start)))
    # Requests inside the window are kept; a plan whose request came before it has no request row.
    in_window = received >= cal.start
    request_id = np.cumsum(in_window)
    p_request = np.where(request_row >= 0, request_id[request_row], 0)
    p_request = np.where((request_row >= 0) & in_window[np.maximum(request_row, 0)], p_request, 0)
    requests = _requests_frame(rng, received, outcome, decided, child, request_id, in_window)
    assessments = _assessments_frame(rng, received, a_outcome, a_date, child, request_id, in_window & agreed)
    plans, needs, placements = _plans(rng, cal, p_child[keep], p_birth[keep], p_start[keep], ceased[keep],
                                      reason[keep], p_request[keep])
    return Send(requests, assessments, plans, needs, placements)


def _cease(rng: np.random.Generator, cal: Calendar, start: np.ndarray, birth: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray]:
    n = len(start)
    early = start + np.round(rng.exponential(YEAR_DAYS / EARLY_CEASE_PER_YEAR, n)).astype(np.int64)
    exit_age = piecewise_uniform(rng, EXIT_AGE, n)
    by_age = np.maximum(birth + age_days(exit_age), start + 30)
    ceased = np.minimum(early, by_age)
    reason = np.where(early < by_age, choose(rng, EARLY_REASON, n),
                      np.where(exit_age >= 25.0, "1", choose(rng, AGE_REASON, n)))
    active = ceased > cal.end
    return np.where(active, NAT, ceased), np.where(active, NONE, reason)


def _requests_frame(rng: np.random.Generator, received: np.ndarray, outcome: np.ndarray, decided: np.ndarray,
                    child: np.ndarray, request_id: np.ndarray, keep: np.ndarray) -> pd.DataFrame:
    n = int(keep.sum())
    refused = outcome[keep] == "N"
    return pd.DataFrame({
        "request_id": request_id[keep].astype(np.int64), "child_id": child[keep],
        "received_date": as_dates(received[keep]), "request_source": strings(choose(rng, SOURCES, n)),
        "outcome": strings(outcome[keep]), "outcome_date": as_dates(decided[keep]),
        "mediation": rng.random(n) < np.where(refused, 0.08, 0.005),
        "tribunal": rng.random(n) < np.where(refused, 0.04, 0.002),
        "decided_within_6_weeks": pd.array(np.full(n, None), dtype="boolean")})


def _assessments_frame(rng: np.random.Generator, received: np.ndarray, outcome: np.ndarray,
                       decided: np.ndarray, child: np.ndarray, request_id: np.ndarray,
                       keep: np.ndarray) -> pd.DataFrame:
    n = int(keep.sum())
    return pd.DataFrame({
        "ehc_assessment_id": np.arange(1, n + 1, dtype=np.int64),
        "request_id": request_id[keep].astype(np.int64),
        "child_id": child[keep], "outcome": strings(outcome[keep]), "outcome_date": as_dates(decided[keep]),
        "exceptions_apply": rng.random(n) < 0.05,
        "weeks_from_request": np.full(n, np.nan),
        "within_20_weeks": pd.array(np.full(n, None), dtype="boolean")})


def _plans(rng: np.random.Generator, cal: Calendar, child: np.ndarray, birth: np.ndarray, start: np.ndarray,
           ceased: np.ndarray, reason: np.ndarray, request_id: np.ndarray
           ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    order = np.lexsort((child, start))
    child, birth, start, ceased, reason, request_id = (
        a[order] for a in (child, birth, start, ceased, reason, request_id))
    n = len(start)
    plan_id = np.arange(1, n + 1, dtype=np.int64)
    primary = choose(rng, NEED, n)
    second = choose(rng, NEED, n)
    has_second = (rng.random(n) < 0.55) & (second != primary)
    # Annual reviews: the last anniversary of the start before the plan ceased (or as_of).
    stop = np.where(np.isnat(ceased), cal.end, ceased)
    years = ((stop - start).astype(np.int64) / YEAR_DAYS).astype(np.int64)
    review = start + np.round(years * YEAR_DAYS).astype(np.int64) - rng.integers(0, 25, n)
    review = np.where((years >= 1) & (review > start) & (review <= stop), review, NAT)
    plans = pd.DataFrame({
        "plan_id": plan_id, "child_id": child,
        "request_id": nullable_ints(request_id, request_id > 0),
        "start_date": as_dates(start), "ceased_date": as_dates(ceased), "cease_reason": strings(reason),
        "last_review_date": as_dates(review), "primary_need": strings(primary)})
    needs = pd.DataFrame({
        "plan_id": np.concatenate([plan_id, plan_id[has_second]]),
        "child_id": np.concatenate([child, child[has_second]]),
        "need": strings(np.concatenate([primary, second[has_second]])),
        "rank": np.concatenate([np.ones(n, dtype=np.int64),
                                np.full(int(has_second.sum()), 2, dtype=np.int64)])})
    needs = needs.sort_values(["plan_id", "rank"], ignore_index=True)
    return plans, needs, _placements(rng, cal, plan_id, child, birth, start, stop, ceased)


SETTING_BY_AGE = (  # (age from, age to, setting mix)
    (0.0, 5.0, {"EY": 10, "MS": 62, "SP": 25, "NR": 3}),
    (5.0, 16.0, {"MS": 54, "SP": 35, "EE": 6, "AP": 1.5, "NR": 3.5}),
    (16.0, 30.0, {"FE": 62, "SP": 18, "EE": 13, "MS": 3, "NR": 4}),
)
URN_POOL = {"MS": (910000, 120), "SP": (950000, 12), "FE": (960000, 6), "AP": (970000, 3), "EY": (980000, 30)}


def _setting(rng: np.random.Generator, age_years: np.ndarray) -> np.ndarray:
    out = np.full(len(age_years), "NR", dtype=object)
    for low, high, mix in SETTING_BY_AGE:
        sel = (age_years >= low) & (age_years < high)
        out[sel] = choose(rng, mix, int(sel.sum()))
    return out


def _placements(rng: np.random.Generator, cal: Calendar, plan_id: np.ndarray, child: np.ndarray,
                birth: np.ndarray, start: np.ndarray, stop: np.ndarray, ceased: np.ndarray) -> pd.DataFrame:
    """A placement from the plan start; a new one at the move to secondary school and at 16."""
    n = len(plan_id)
    born_autumn = pd.DatetimeIndex(birth).month >= 9
    school_year = pd.DatetimeIndex(birth).year + np.where(born_autumn, 1, 0)
    year = (np.asarray(school_year, dtype=np.int64) - 1970).astype("datetime64[Y]")
    september = year.astype("datetime64[M]") + 8
    moves = [(september + 12 * offset).astype("datetime64[D]") for offset in (11, 16)]
    starts = [start] + [np.where((m > start) & (m < stop), m, NAT) for m in moves]
    starts[1] = np.where(rng.random(n) < 0.6, starts[1], NAT)  # many keep their (all-through/special) school
    rows = []
    for k, s in enumerate(starts):
        later = [t for t in starts[k + 1:]]
        nxt = np.full(n, NAT)
        for t in reversed(later):
            nxt = np.where(np.isnat(t), nxt, t)
        end = np.where(np.isnat(nxt), ceased, nxt - 1)
        ok = ~np.isnat(s)
        rows.append((plan_id[ok], child[ok], s[ok], end[ok], ((s - birth).astype(np.int64) / YEAR_DAYS)[ok]))
    plan, kid, s, e, age = (np.concatenate(parts) for parts in zip(*rows, strict=True))
    setting = _setting(rng, age)
    urn = np.full(len(plan), None, dtype=object)
    for code, (base, count) in URN_POOL.items():
        sel = setting == code
        urn[sel] = (base + rng.integers(0, count, int(sel.sum()))).astype(str)
    order = np.lexsort((s, plan))
    return pd.DataFrame({
        "placement_id": np.arange(1, len(plan) + 1, dtype=np.int64), "plan_id": plan[order],
        "child_id": kid[order],
        "urn": strings(urn[order]), "setting": strings(setting[order]), "start_date": as_dates(s[order]),
        "end_date": as_dates(e[order])})
