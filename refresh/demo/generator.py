"""Orchestration: generate every table (``generate``) and load them into a store (``build``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd

from model import schema
from refresh import database, derive
from refresh.demo import (
    looked_after,
    looked_after_frames,
    people,
    processing,
    send,
    services,
    social_care,
    social_care_tables,
    workforce,
)
from refresh.demo._core import (
    NAT,
    Calendar,
    Registry,
    age_days,
    as_dates,
    choose,
    last_day_of_previous_month,
    nullable_ints,
    rng_for,
    strings,
)

DEFAULT_SEED = 20250331
GENERATION_STEPS = ("SEND", "social care", "services", "children", "workforce", "tables", "looked after",
                    "derived columns")
POPULATION = {2023: 70_105, 2024: 71_124}  # Dudley, aged 0-17, ONS mid-year
POPULATION_DRIFT = (40, 170)  # a year, before 2023 and after 2024


def generate(*, seed: int = DEFAULT_SEED, scale: float = 1.0,
             as_of: dt.date | None = None) -> dict[str, pd.DataFrame]:
    """Synthetic tables for every table in schema.ALL_TABLES (same arguments, same data)."""
    return _generate(seed, scale, as_of, lambda _step: None)


def build(url: str, *, seed: int = DEFAULT_SEED, scale: float = 1.0, as_of: dt.date | None = None,
          progress: bool = True) -> dict[str, int]:
    """Generate the demo data and build (then swap in) the analytics store at ``url``; row counts."""
    from tqdm import tqdm

    bar = tqdm(total=len(GENERATION_STEPS) + len(schema.ALL_TABLES), disable=not progress, unit="step",
               desc="demo data")

    def tick(step: str) -> None:
        bar.set_postfix_str(step)
        bar.update()

    try:
        frames = _generate(seed, scale, as_of, tick)

        def load() -> Iterator[tuple[str, pd.DataFrame]]:
            for table in schema.ALL_TABLES:
                bar.set_postfix_str(f"loading {table.name}")
                yield table.name, frames[table.name]
                bar.update()

        database.build_store(url, load)
    finally:
        bar.close()
    return {name: len(frame) for name, frame in frames.items()}


def _generate(seed: int, scale: float, as_of: dt.date | None,
              tick: Callable[[str], None]) -> dict[str, pd.DataFrame]:
    if scale <= 0:
        raise ValueError("scale must be positive")
    as_of = as_of or last_day_of_previous_month()
    cal = Calendar(as_of)
    registry = Registry()
    sen = send.simulate(rng_for(seed, "send"), cal, registry, scale)
    tick("SEND")
    known = np.unique(np.concatenate([sen.plans["child_id"].to_numpy(), sen.requests["child_id"].to_numpy()]))
    ep = social_care.simulate_chains(rng_for(seed, "csc"), cal, registry, scale,
                                     borrow=(known, registry.births()[known]))
    ep = social_care_tables.clip_to_window(ep, cal)
    ep["need"] = social_care.primary_need(rng_for(seed, "need"), ep["route"])
    tick("social care")
    inv = services.simulate(rng_for(seed, "services"), cal, registry, scale,
                            services.Stories(ep, sen.plans, sen.requests, sen.assessments))
    died = _deaths(rng_for(seed, "deaths"), cal, ep, inv, sen, registry, scale)
    tick("services")
    # Children: those known to some service, with opaque ids.
    kept = np.unique(np.concatenate([ep["child"], inv["child"], sen.requests["child_id"].to_numpy()]))
    rng = rng_for(seed, "children")
    id_of = np.zeros(registry.count, dtype=np.int64)
    id_of[kept] = rng.permutation(len(kept)) + 1
    order = kept[np.argsort(id_of[kept])]
    births, males = registry.births(), registry.males()
    locality = choose(rng_for(seed, "locality"), people.LOCALITY, registry.count)
    frames: dict[str, pd.DataFrame] = {
        "children": people.children_frame(rng, cal, births[order], males[order], locality[order],
                                          id_of[order]).assign(death_date=as_dates(died[order])),
        "child_disabilities": _disabilities(rng_for(seed, "disability"), order, id_of, ep, sen.plans,
                                            registry.count),
    }
    tick("children")
    team, worker, alloc, workers = _workforce(rng_for(seed, "workforce"), cal, inv, ep, births, locality)
    tick("workforce")
    frames.update(_tables(rng_for(seed, "tables"), cal, ep, sen, inv, team, worker, alloc, id_of))
    frames["workers"], frames["teams"] = workers, workforce.teams_frame()
    frames["population"] = _population(rng_for(seed, "population"), cal, scale)
    frames["store_metadata"] = pd.DataFrame({
        "key": ["as_of", "source", "seed", "scale", "built_at", "history_start"],
        "value": [as_of.isoformat(), "demo", str(seed), f"{scale:g}",
                  dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), cal.history_start.isoformat()]},
        dtype="str")
    tick("tables")
    care = looked_after.simulate(rng_for(seed, "903"), cal, ep)
    frames.update(looked_after_frames.frames(rng_for(seed, "903 tables"), cal, care, id_of, frames["children"],
                                             frames["involvements"]))
    tick("looked after")
    frames = derive.derive_all(frames)
    tick("derived columns")
    return {t.name: frames[t.name][schema.loaded_columns(t)].reset_index(drop=True)
            for t in schema.ALL_TABLES}


def _deaths(rng: np.random.Generator, cal: Calendar, ep: dict[str, np.ndarray], inv: dict[str, np.ndarray],
            sen: send.Send, registry: Registry, scale: float) -> np.ndarray:
    """A few children die (about 4 a year at scale 1): their last episode closes RC2 with nothing after it."""
    last_seen = np.full(registry.count, np.datetime64("1900-01-01", "D"))
    for child, day in ((inv["child"], np.where(np.isnat(inv["end"]), cal.end + 1, inv["end"])),
                       (sen.requests["child_id"].to_numpy(), sen.requests["received_date"].to_numpy())):
        np.maximum.at(last_seen, child, day.astype("datetime64[D]"))
    closure = ep["closure"]
    candidate = ~np.isnat(closure) & (ep["reason"] == "RC7") & (closure >= cal.start)
    candidate &= (last_seen[ep["child"]] == closure) & (registry.births()[ep["child"]] < closure)
    rows = np.flatnonzero(candidate)
    years = float((cal.end - cal.start) / np.timedelta64(1, "D")) / 365.25
    rows = rng.choice(rows, size=min(len(rows), int(round(4 * scale * years))), replace=False)
    ep["reason"][rows] = "RC2"
    csc_row = np.full(len(closure) + 1, -1)
    csc = inv["episode"] > 0
    csc_row[inv["episode"][csc]] = np.flatnonzero(csc)
    inv["outcome"][csc_row[rows + 1]] = "PART"
    died = np.full(registry.count, NAT)
    died[ep["child"][rows]] = closure[rows]
    return died


def _disabilities(rng: np.random.Generator, order: np.ndarray, id_of: np.ndarray, ep: dict[str, np.ndarray],
                  plans: pd.DataFrame, count: int) -> pd.DataFrame:
    in_need = np.zeros(count, dtype=bool)
    in_need[ep["child"][~ep["nfa"]]] = True
    n2 = np.zeros(count, dtype=bool)
    n2[ep["child"][ep["need"] == "N2"]] = True
    ehc_need = np.full(count, None, dtype=object)
    ehc_need[plans["child_id"].to_numpy()] = plans["primary_need"].to_numpy(dtype=object)
    return people.disabilities_frame(rng, id_of[order], in_need[order], n2[order], ehc_need[order])


def _workforce(rng: np.random.Generator, cal: Calendar, inv: dict[str, np.ndarray], ep: dict[str, np.ndarray],
               births: np.ndarray, locality: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict, pd.DataFrame]:
    episode = inv["episode"] - 1
    is_csc = inv["episode"] > 0
    e = np.maximum(episode, 0)
    assessing = np.isin(ep["route"][e], [social_care.NFA, social_care.ASSESSED]) | np.isnat(ep["auth"][e])
    route = np.select([assessing, ep["need"][e] == "N2", ep["long"][e]], ["assess", "disability", "care"],
                      "safeguard")
    route = np.where(is_csc, route, "")
    stop = np.where(np.isnat(inv["end"]), cal.end, inv["end"])
    adult = (stop - births[inv["child"]]).astype(np.int64) >= age_days(np.array([16.0]))[0]
    team = workforce.assign_teams(rng, inv["service"], locality[inv["child"]], route, adult)
    open_alloc = np.isnat(inv["end"]) & inv["allocated"]
    counts = pd.Series(team[open_alloc]).value_counts().to_dict()
    workers = workforce.workers_frame(rng, counts)  # type: ignore[arg-type]  # pandas-stubs: to_dict() keys are Hashable
    worker, alloc = workforce.allocations(rng, cal, workers, team, inv["start"], inv["end"], inv["allocated"])
    return team, worker, alloc, workers


def _tables(rng: np.random.Generator, cal: Calendar, ep: dict[str, np.ndarray], sen: send.Send,
            inv: dict[str, np.ndarray], team: np.ndarray, worker: np.ndarray, alloc: dict,
            id_of: np.ndarray) -> dict[str, pd.DataFrame]:
    # Each episode's team is its involvement's team.
    episode_team = np.full(len(ep["ref"]), None, dtype=object)
    csc = inv["episode"] > 0
    episode_team[inv["episode"][csc] - 1] = team[csc]
    frames = social_care_tables.episode_frames(rng, cal, ep, id_of[ep["child"]], episode_team)
    for name, frame in (("ehc_requests", sen.requests), ("ehc_assessments", sen.assessments), ("ehc_plans", sen.plans),
                        ("sen_needs", sen.needs), ("sen_placements", sen.placements)):
        frames[name] = frame.assign(child_id=id_of[frame["child_id"].to_numpy()])
    order = np.lexsort((inv["child"], inv["start"]))
    involvement_id = np.zeros(len(order), dtype=np.int64)
    involvement_id[order] = np.arange(1, len(order) + 1)
    child_id = id_of[inv["child"]]
    record = processing.processing_columns(rng, cal, inv["service"], inv["itype"], inv["start"], inv["end"])
    involvements = pd.DataFrame({
        "involvement_id": involvement_id, "child_id": child_id, "service": strings(inv["service"]),
        "intervention_type": strings(inv["itype"]), "team_id": strings(team), "worker_id": strings(worker),
        "start_date": as_dates(inv["start"]), "end_date": as_dates(inv["end"]),
        "outcome": strings(inv["outcome"]),
        "episode_id": nullable_ints(inv["episode"], csc),
        "ehc_plan_id": nullable_ints(inv["plan"], inv["plan"] > 0), **record})
    frames["involvements"] = involvements.iloc[order].reset_index(drop=True)
    allocations = workforce.allocations_frame(alloc, involvement_id, child_id)
    allocations = allocations.sort_values(["involvement_id", "start_date"], ignore_index=True)
    frames["allocations"] = allocations.assign(allocation_id=np.arange(1, len(allocations) + 1, dtype=np.int64))
    return frames


def _population(rng: np.random.Generator, cal: Calendar, scale: float) -> pd.DataFrame:
    """ONS-like mid-year estimates: Dudley's published 2023 and 2024 figures, a small drift around them."""
    years = np.arange(cal.history_start.year - 1, cal.as_of.year + 1)
    drift = np.where(years <= 2023, POPULATION[2023] + POPULATION_DRIFT[0] * (years - 2023),
                     POPULATION[2024] + POPULATION_DRIFT[1] * (years - 2024))
    base = drift + rng.integers(-60, 61, len(years))
    base = np.where(np.isin(years, list(POPULATION)), pd.Series(years).map(POPULATION).fillna(0).to_numpy(), base)
    return pd.DataFrame({"year": years.astype(np.int64),
                         "children_0_17": np.round(base * scale).astype(np.int64)})
