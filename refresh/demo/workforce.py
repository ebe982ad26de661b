"""Teams, workers and allocations, including the demo users' workers and caseloads.

Teams are fixed (stable ids). Each team gets enough case-holding workers for a plausible caseload at
``as_of`` plus a team manager who holds no cases. Every involvement with a worker has an allocation;
about one in eight longer ones is reallocated part-way (two rows). In Safeguarding Team A the demo
case workers get fixed caseloads: DEMO_CASELOAD open allocations each (different children) and some
allocations that ended 1-90 days before ``as_of``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from refresh.demo import names
from refresh.demo._core import NAT, Calendar, as_dates, choose, strings

TEAMS = (  # team_id, name, service, locality
    ("CSC-AST-N", "Assessment Team North", "CSC", "NORTH"),
    ("CSC-AST-S", "Assessment Team South", "CSC", "SOUTH"),
    ("CSC-SGA", "Safeguarding Team A", "CSC", None), ("CSC-SGB", "Safeguarding Team B", "CSC", None),
    ("CSC-SGC", "Safeguarding Team C", "CSC", None),
    ("CSC-CWD", "Children with Disabilities Team", "CSC", None),
    ("CSC-CIC", "Children in Care Team", "CSC", None),
    ("EH-NORTH", "Early Help North", "EH", "NORTH"), ("EH-SOUTH", "Early Help South", "EH", "SOUTH"),
    ("EH-EAST", "Early Help East", "EH", "EAST"), ("EH-WEST", "Early Help West", "EH", "WEST"),
    ("EH-CENTRAL", "Early Help Central", "EH", "CENTRAL"),
    ("EPS-1", "Educational Psychology North", "EPS", "NORTH"),
    ("EPS-2", "Educational Psychology South", "EPS", "SOUTH"),
    ("SEND-1", "SEND Casework Team", "SEND", None), ("SEND-2", "SEND Post-16 Team", "SEND", None),
    ("FS-1", "Family Support Service", "FS", None), ("SB-1", "Short Breaks Team", "SB", None),
)
DEMO_TEAM = "CSC-SGA"
DEMO_WORKERS = {"demo-teammanager": "W00001", "demo-caseworker": "W00002", "demo-caseworker2": "W00003"}
DEMO_CASELOAD = {"W00002": 18, "W00003": 16}  # open allocations at as_of
DEMO_RECENT = {"W00002": 8, "W00003": 5}  # allocations ended 1-90 days before as_of
CASELOAD = {"CSC": 25, "EH": 35, "EPS": 35, "SEND": 220, "FS": 25, "SB": 60}
TITLES = {
    "CSC": {"Social worker": 55, "Senior social worker": 25, "Advanced practitioner": 10,
            "ASYE social worker": 10},
    "EH": {"Early help practitioner": 70, "Senior early help practitioner": 20, "Family practitioner": 10},
    "EPS": {"Educational psychologist": 60, "Senior educational psychologist": 25,
            "Trainee educational psychologist": 15},
    "SEND": {"SEND casework officer": 80, "Senior SEND casework officer": 20},
    "FS": {"Family support worker": 75, "Family group conference coordinator": 25},
    "SB": {"Short breaks coordinator": 100},
}
NORTHERN = ("NORTH", "EAST", "CENTRAL")


def teams_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "team_id": strings(np.array([t[0] for t in TEAMS], dtype=object)),
        "name": strings(np.array([t[1] for t in TEAMS], dtype=object)),
        "service": strings(np.array([t[2] for t in TEAMS], dtype=object)),
        "locality": strings(np.array([t[3] for t in TEAMS], dtype=object))})


def assign_teams(rng: np.random.Generator, service: np.ndarray, locality: np.ndarray, csc_route: np.ndarray,
                 adult_send: np.ndarray) -> np.ndarray:
    """The team holding each involvement. ``csc_route``: 'assess', 'disability', 'care' or 'safeguard'."""
    n = len(service)
    north = np.isin(locality, NORTHERN)
    safeguarding = choose(rng, {"CSC-SGA": 1, "CSC-SGB": 1, "CSC-SGC": 1}, n)
    csc = np.select([csc_route == "assess", csc_route == "disability", csc_route == "care"],
                    [np.where(north, "CSC-AST-N", "CSC-AST-S"), "CSC-CWD", "CSC-CIC"], safeguarding)
    eh = np.char.add("EH-", locality.astype(str)).astype(object)
    return np.select(
        [service == "CSC", service == "EH", service == "EPS", service == "SEND", service == "FS"],
        [csc, eh, np.where(north, "EPS-1", "EPS-2"), np.where(adult_send, "SEND-2", "SEND-1"), "FS-1"],
        "SB-1").astype(object)


def workers_frame(rng: np.random.Generator, open_by_team: dict[str, int]) -> pd.DataFrame:
    """Team managers and case holders; the demo users' workers first (stable ids)."""
    team_col, title_col, user_col = [], [], []
    for team_id, _, service, _ in TEAMS:
        holders = max(2 + (len(DEMO_CASELOAD) if team_id == DEMO_TEAM else 0),
                      int(np.ceil(open_by_team.get(team_id, 0) / CASELOAD[service])))
        team_col += [team_id] * (holders + 1)
        title_col += ["Team manager"] + list(choose(rng, TITLES[service], holders))
        user_col += [None] * (holders + 1)
    frame = pd.DataFrame({"team_id": team_col, "job_title": title_col, "username": user_col})
    # Demo users: the SGA team manager and two of its social workers.
    sga = np.flatnonzero(frame["team_id"].to_numpy() == DEMO_TEAM)
    frame.loc[sga[0], "username"] = "demo-teammanager"
    frame.loc[sga[1:3], ["job_title"]] = "Social worker"
    frame.loc[sga[1], "username"] = "demo-caseworker"
    frame.loc[sga[2], "username"] = "demo-caseworker2"
    demo_first = frame["username"].map({u: i for i, u in enumerate(DEMO_WORKERS)}).fillna(99).to_numpy()
    frame = frame.iloc[np.lexsort((np.arange(len(frame)), demo_first))].reset_index(drop=True)
    n = len(frame)
    frame.insert(0, "worker_id", [f"W{i:05d}" for i in range(1, n + 1)])
    male = rng.random(n) < 0.25
    frame.insert(1, "name", names.forenames(rng, male) + " " + names.surnames(rng, n))
    frame = frame[["worker_id", "name", "team_id", "job_title", "username"]]
    return frame.astype({c: "str" for c in frame.columns})


def allocations(rng: np.random.Generator, cal: Calendar, workers: pd.DataFrame, team: np.ndarray,
                start: np.ndarray, end: np.ndarray, allocated: np.ndarray
                ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(worker per involvement, allocation columns with ``inv`` = involvement row)."""
    holders = workers[workers["job_title"] != "Team manager"]
    team_ids = [t[0] for t in TEAMS]
    lists = {t: holders["worker_id"][holders["team_id"] == t].to_numpy(dtype=object) for t in team_ids}
    size = pd.Series(team).map({t: len(v) for t, v in lists.items()}).to_numpy(dtype=np.int64)
    offset = pd.Series(team).map(dict(zip(team_ids, np.cumsum([0] + [len(lists[t]) for t in team_ids])[:-1],
                                          strict=True))).to_numpy(dtype=np.int64)
    pool = np.concatenate([lists[t] for t in team_ids])
    first = rng.integers(0, 1 << 30, len(team)) % size
    stop = np.where(np.isnat(end), cal.end, end)
    length = (stop - start).astype(np.int64)
    moved = allocated & (length > 60) & (rng.random(len(team)) < 0.12)
    second = (first + 1 + rng.integers(0, 1 << 30, len(team)) % np.maximum(size - 1, 1)) % size
    mid = start + np.round(length * rng.uniform(0.2, 0.8, len(team))).astype(np.int64)
    inv = np.concatenate([np.flatnonzero(allocated), np.flatnonzero(moved)])
    alloc = {
        "inv": inv,
        "worker": pool[offset[inv] + np.concatenate([first[allocated], second[moved]])],
        "team": team[inv],
        "start": np.concatenate([start[allocated], mid[moved]]),
        "end": np.concatenate([np.where(moved, mid, end)[allocated], end[moved]]),
    }
    alloc = _demo_caseloads(rng, cal, alloc, lists[DEMO_TEAM])
    order = np.lexsort((alloc["start"], alloc["inv"]))
    alloc = {k: v[order] for k, v in alloc.items()}
    last = np.r_[alloc["inv"][1:] != alloc["inv"][:-1], True]
    worker = np.full(len(team), None, dtype=object)
    worker[alloc["inv"][last]] = alloc["worker"][last]
    return worker, alloc


def _demo_caseloads(rng: np.random.Generator, cal: Calendar, alloc: dict[str, np.ndarray],
                    team_workers: np.ndarray) -> dict[str, np.ndarray]:
    """Fixed caseloads for the demo case workers; nobody is reallocated to themselves."""
    demo = list(DEMO_CASELOAD)
    others = np.array([w for w in team_workers if w not in demo], dtype=object)
    worker = alloc["worker"].copy()
    in_team = alloc["team"] == DEMO_TEAM
    is_open = np.isnat(alloc["end"])
    rows = rng.permutation(np.flatnonzero(in_team & is_open))
    worker[rows] = others[rng.integers(0, len(others), len(rows))]
    at = 0
    for worker_id, count in DEMO_CASELOAD.items():
        worker[rows[at:at + count]] = worker_id
        at += count
    counts = np.bincount(alloc["inv"])
    single = counts[alloc["inv"]] == 1
    ended = alloc["end"]
    recent = in_team & single & ~is_open & (ended >= cal.end - 90) & (ended <= cal.end - 1)
    rows = rng.permutation(np.flatnonzero(recent & ~np.isin(worker, demo)))
    at = 0
    for worker_id, count in DEMO_RECENT.items():
        worker[rows[at:at + count]] = worker_id
        at += count
    # A reallocation goes to someone else: move the earlier row of any same-worker pair.
    order = np.lexsort((alloc["start"], alloc["inv"]))
    inv, w = alloc["inv"][order], worker[order]
    same = np.flatnonzero((inv[1:] == inv[:-1]) & (w[1:] == w[:-1]))
    fix = order[same]
    team_fix = alloc["team"][fix]
    for team_id in np.unique(team_fix):
        sel = fix[team_fix == team_id]
        pool = np.unique(worker[(alloc["team"] == team_id)])
        pool = pool[~np.isin(pool, demo)]
        replacement = pool[rng.integers(0, len(pool), len(sel))]
        clash = replacement == worker[order[same[team_fix == team_id] + 1]]
        replacement[clash] = pool[(np.searchsorted(pool, replacement[clash]) + 1) % len(pool)]
        worker[sel] = replacement
    alloc = dict(alloc)
    alloc["worker"] = worker
    return alloc


def allocations_frame(alloc: dict[str, np.ndarray], involvement_id: np.ndarray, child_id: np.ndarray
                      ) -> pd.DataFrame:
    n = len(alloc["inv"])
    return pd.DataFrame({
        "allocation_id": np.arange(1, n + 1, dtype=np.int64), "child_id": child_id[alloc["inv"]],
        "involvement_id": involvement_id[alloc["inv"]], "worker_id": strings(alloc["worker"]),
        "team_id": strings(alloc["team"]), "start_date": as_dates(alloc["start"]),
        "end_date": as_dates(np.where(np.isnat(alloc["end"]), NAT, alloc["end"]))})
