"""Involvements: one per CIN episode and per EHC plan, plus early help, educational psychology, family
support and short breaks at plausible volumes for a metropolitan borough (codes.INTERVENTION_TYPE).

Many involvements hang off another service's story: early help after a closure to early help (RC9) or
before a referral from early help (5D, stepped up), EP statutory advice for each EHC assessment, family
support during a CIN or CP plan, short breaks for disabled children with EHC plans. The rest are for
children known to no other service. Teams, workers and the processing record are added later.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from model import codes
from model.codes import CSC_OUTCOME, EHC_OUTCOME
from refresh.demo._core import DAY, NAT, YEAR_DAYS, Calendar, Registry, age_days, choose, uniform_days

RATES = {  # involvements a year at scale 1 that are not tied to another service's record
    "EHA": 1_050, "PAR": 175, "PAR_EH": 175, "EPC": 420, "EPC_SEND": 230, "VIG": 45, "FSW_CSC": 250,
    "FSW_EH": 170, "FGC": 150, "SBC": 190, "SBR": 35,
}
OUTCOMES = {
    "EHA": {"ACH": 45, "PART": 20, "DISE": 14, "ESC": 9, "MOVE": 5, "DOWN": 7},
    "PAR": {"ACH": 55, "PART": 25, "DISE": 20}, "EPC": {"ACH": 70, "PART": 25, "MOVE": 5},
    "EPA": {"ACH": 100}, "VIG": {"ACH": 60, "PART": 30, "DISE": 10},
    "FSW": {"ACH": 45, "PART": 25, "DISE": 15, "ESC": 8, "MOVE": 7},
    "FGC": {"ACH": 70, "PART": 20, "DISE": 10},
    "SBC": {"ACH": 50, "PART": 30, "MOVE": 10, "DISE": 10},
    "SBR": {"ACH": 50, "PART": 30, "MOVE": 10, "DISE": 10},
}
SHORT_BREAK_NEEDS = ["ASD", "SLD", "PMLD", "PD", "MSI"]
COLUMNS = ("child", "itype", "start", "end", "outcome", "episode", "plan", "allocated")


@dataclass
class Stories:
    """What the other services' simulations hand over (registry indices for children)."""

    episodes: dict[str, np.ndarray]  # clipped CSC episodes, in episode-id order
    plans: pd.DataFrame  # ehc_plans (child_id = registry index)
    requests: pd.DataFrame
    assessments: pd.DataFrame


class _Builder:
    def __init__(self, rng: np.random.Generator, cal: Calendar, registry: Registry, scale: float) -> None:
        self.rng, self.cal, self.registry, self.scale = rng, cal, registry, scale
        self.parts: list[dict[str, np.ndarray]] = []
        self.lo = cal.start - 180  # streams start half a year early so the window opens mid-flow
        self.years = float((cal.end - self.lo) / DAY) / YEAR_DAYS

    def count(self, key: str) -> int:
        return int(self.rng.poisson(RATES[key] * self.scale * self.years))

    def add(self, child: np.ndarray, itype: str, start: np.ndarray, end: np.ndarray,
            outcome: np.ndarray | None = None, episode: np.ndarray | None = None,
            plan: np.ndarray | None = None, allocated: np.ndarray | None = None) -> None:
        n = len(child)
        self.parts.append({
            "child": child, "itype": np.full(n, itype, dtype=object), "start": start, "end": end,
            "outcome": outcome if outcome is not None else choose(self.rng, OUTCOMES[itype], n),
            "episode": episode if episode is not None else np.zeros(n, dtype=np.int64),
            "plan": plan if plan is not None else np.zeros(n, dtype=np.int64),
            "allocated": allocated if allocated is not None else self.rng.random(n) < 0.97})

    def pick(self, lo: np.ndarray, hi: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        """``n`` rows drawn in proportion to their window [lo, hi] (cut to the streams), with a start."""
        lo, hi = np.maximum(lo, self.lo), np.minimum(hi, self.cal.end)
        span = np.maximum((hi - lo).astype(np.int64), 0).astype(float)
        if span.sum() == 0 or n == 0:
            return np.array([], dtype=np.int64), np.array([], dtype="datetime64[D]")
        rows = self.rng.choice(len(lo), size=n, p=span / span.sum())
        return rows, uniform_days(self.rng, lo[rows], hi[rows])

    def new_children(self, n: int, age_lo: float, age_hi: float) -> tuple[np.ndarray, np.ndarray]:
        """``n`` children new to services, with a start date in the streams and an age then."""
        span = float((self.cal.end - self.lo) / DAY)
        start = self.lo + np.floor(self.rng.random(n) * span).astype(np.int64)
        birth = start - age_days(self.rng.uniform(age_lo, age_hi, n))
        return self.registry.add(birth, self.rng.random(n) < 0.52), start

    def days(self, lo: int, hi: int, n: int) -> np.ndarray:
        return self.rng.integers(lo, hi + 1, n)


def simulate(rng: np.random.Generator, cal: Calendar, registry: Registry, scale: float,
             stories: Stories) -> dict[str, np.ndarray]:
    """Every involvement (child = registry index), cut at as_of; teams and workers come later."""
    b = _Builder(rng, cal, registry, scale)
    _statutory(b, stories)
    eha = _early_help(b, stories.episodes)
    _psychology(b, stories)
    _family_support(b, stories.episodes, eha)
    _short_breaks(b, stories.plans)
    inv = {key: np.concatenate([p[key] for p in b.parts]) for key in COLUMNS}
    open_now = np.isnat(inv["end"]) | (inv["end"] > cal.end)
    inv["end"] = np.where(open_now, NAT, inv["end"])
    inv["outcome"] = np.where(open_now, "OPEN", inv["outcome"])
    keep = (inv["start"] <= cal.end) & (open_now | (inv["end"] >= cal.start))
    inv = {key: value[keep] for key, value in inv.items()}
    service = {itype: service for itype, (service, _) in codes.INTERVENTION_TYPE.items()}
    inv["service"] = pd.Series(inv["itype"]).map(service).to_numpy(dtype=object)
    return inv


def _statutory(b: _Builder, s: Stories) -> None:
    """One CSC involvement per CIN episode, one SEND involvement per EHC plan."""
    ep = s.episodes
    n = len(ep["ref"])
    had_cp = ~np.isnat(ep["cp_start"])
    reason = ep["reason"]
    rc7 = choose(b.rng, {"ACH": 55, "PART": 25, "DISE": 10, "DOWN": 10}, n)
    rc8 = choose(b.rng, {"ACH": 70, "PART": 30}, n)
    outcome = _map(reason, CSC_OUTCOME, "ACH")
    outcome = np.where(reason == "RC7", rc7, np.where(reason == "RC8", rc8, outcome))
    for itype, sel in (("CIN", ~had_cp), ("CP", had_cp)):
        b.add(ep["child"][sel], itype, ep["ref"][sel], ep["closure"][sel], outcome[sel],
              episode=np.flatnonzero(sel) + 1, allocated=~ep["nfa"][sel])
    plans = s.plans
    received_dates = plans[["request_id"]].merge(s.requests[["request_id", "received_date"]], how="left",
                                                 on="request_id")["received_date"]
    received = received_dates.to_numpy().astype("datetime64[D]")
    start = plans["start_date"].to_numpy().astype("datetime64[D]")
    start = np.where(np.isnat(received), start, received)
    b.add(plans["child_id"].to_numpy(), "EHC", start, plans["ceased_date"].to_numpy().astype("datetime64[D]"),
          _map(plans["cease_reason"].to_numpy(dtype=object), EHC_OUTCOME, "ACH"),
          plan=plans["plan_id"].to_numpy(), allocated=np.ones(len(plans), dtype=bool))


def _map(values: np.ndarray, mapping: dict[str, str], default: str) -> np.ndarray:
    out = np.full(len(values), default, dtype=object)
    for key, value in mapping.items():
        out[values == key] = value
    return out


def _length(b: _Builder, median: float, sigma: float, lo: int, hi: int, n: int) -> np.ndarray:
    return np.clip(np.round(median * np.exp(sigma * b.rng.standard_normal(n))), lo, hi).astype(np.int64)


def _early_help(b: _Builder, ep: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Early help: after closures to early help (RC9), some CIN closures, before 5D referrals, and new."""
    rng = b.rng
    closed = ~np.isnat(ep["closure"])
    down = closed & ((ep["reason"] == "RC9") & (rng.random(len(closed)) < 0.85)
                     | (ep["route"] == 2) & (ep["reason"] == "RC7") & (rng.random(len(closed)) < 0.12))
    start = ep["closure"][down] + b.days(1, 21, int(down.sum()))
    children, starts = [ep["child"][down]], [start]
    b.add(ep["child"][down], "EHA", start, start + _length(b, 150, 0.5, 30, 700, len(start)))
    up = (ep["source"] == "5D") & (rng.random(len(closed)) < 0.8)
    up_start = ep["ref"][up] - b.days(60, 270, int(up.sum()))
    b.add(ep["child"][up], "EHA", up_start, ep["ref"][up], np.full(int(up.sum()), "ESC", dtype=object))
    children.append(ep["child"][up])
    starts.append(up_start)
    child, start = b.new_children(b.count("EHA"), 0.0, 17.5)
    end = start + _length(b, 150, 0.5, 30, 700, len(start))
    b.add(child, "EHA", start, end)
    children.append(child)
    starts.append(start)
    child, start = np.concatenate(children), np.concatenate(starts)
    end = start + 180
    # Parenting programmes: alongside an early help plan, or on their own.
    rows, par_start = b.pick(start, end, b.count("PAR_EH"))
    b.add(child[rows], "PAR", par_start, par_start + b.days(56, 100, len(rows)))
    new, new_start = b.new_children(b.count("PAR"), 0.0, 15.0)
    b.add(new, "PAR", new_start, new_start + b.days(56, 100, len(new)))
    return child, start, end


def _psychology(b: _Builder, s: Stories) -> None:
    """EP statutory advice per agreed EHC assessment; consultations; Video Interaction Guidance."""
    a = s.assessments.merge(s.requests[["request_id", "outcome_date"]], on="request_id",
                            suffixes=("", "_request"))
    decided = a["outcome_date_request"].to_numpy().astype("datetime64[D]")
    ok = ~np.isnat(decided)
    b.add(a["child_id"].to_numpy()[ok], "EPA", decided[ok], decided[ok] + b.days(15, 42, int(ok.sum())))
    r = s.requests
    received = r["received_date"].to_numpy().astype("datetime64[D]")
    rows, start = b.pick(received - 365, received - 30, b.count("EPC_SEND"))
    b.add(r["child_id"].to_numpy()[rows], "EPC", start, start + b.days(20, 120, len(rows)))
    child, start = b.new_children(b.count("EPC"), 3.0, 16.0)
    b.add(child, "EPC", start, start + b.days(20, 120, len(child)))
    child, start = b.new_children(b.count("VIG"), 0.0, 11.0)
    b.add(child, "VIG", start, start + b.days(60, 150, len(child)))


def _family_support(b: _Builder, ep: dict[str, np.ndarray],
                    eha: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    """Family support workers during CIN plans or early help; family group conferences on CP/CIN plans."""
    cin_end = np.where(np.isnat(ep["cin_end"]), b.cal.end, ep["cin_end"])
    rows, start = b.pick(ep["cin_start"], cin_end, b.count("FSW_CSC"))
    b.add(ep["child"][rows], "FSW", start, start + b.days(40, 200, len(rows)))
    child, lo, hi = eha
    rows, start = b.pick(lo, hi, b.count("FSW_EH"))
    b.add(child[rows], "FSW", start, start + b.days(40, 200, len(rows)))
    plan_start = np.where(np.isnat(ep["cp_start"]), ep["cin_start"], ep["cp_start"])
    cp_end = np.where(np.isnat(ep["cp_end"]), b.cal.end, ep["cp_end"])
    plan_end = np.where(np.isnat(ep["cp_start"]), cin_end, cp_end)
    rows, start = b.pick(plan_start, np.minimum(plan_end, plan_start + 120), b.count("FGC"))
    b.add(ep["child"][rows], "FGC", start, start + b.days(20, 70, len(rows)))


def _short_breaks(b: _Builder, plans: pd.DataFrame) -> None:
    """Short breaks for disabled children aged 5-17 with an EHC plan for a qualifying need."""
    births = b.registry.births()
    child = plans["child_id"].to_numpy()
    eligible = plans["primary_need"].isin(SHORT_BREAK_NEEDS).to_numpy()
    five, adult = (births[child] + age_days(np.full(len(child), years)) for years in (5.0, 17.5))
    lo = np.maximum(plans["start_date"].to_numpy().astype("datetime64[D]"), five)
    ceased = plans["ceased_date"].to_numpy().astype("datetime64[D]")
    hi = np.minimum(np.where(np.isnat(ceased), b.cal.end, ceased), adult)
    hi = np.where(eligible, hi, lo)
    for itype, (low, high) in (("SBC", (180, 900)), ("SBR", (180, 720))):
        rows, start = b.pick(lo, hi, b.count(itype))
        b.add(child[rows], itype, start, start + b.days(low, high, len(rows)))
