"""The analytics store's SSDA903 tables from the ledger, and the looked-after involvements.

Pure functions of the ledger frames (``sources.build_frames`` calls them). Surrogate ids are
numbered in natural-key order. Each period of care (``refresh.derive_903``) becomes one
involvement: service CSC, type LAC, from the period's start to its end, with its processing record:
Art 6(1)(c) legal obligation (the Children Act 1989 duties to looked-after children, ss 20-23 and
31, and the s 83 SSDA903 return) and Art 9(2)(b) social protection law (DPA 2018 Sch 1 para 1).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from model.codes_903 import LAC_OUTCOME
from refresh import derive_903

LAWFUL_BASIS, ART9_CONDITION = "legal_obligation", "social_protection"


def _numbered(frame: pd.DataFrame, name: str, order: list[str]) -> pd.DataFrame:
    out = frame.sort_values(order, kind="stable", ignore_index=True)
    return out.assign(**{name: np.arange(1, len(out) + 1, dtype=np.int64)})


def frames(led: dict[str, pd.DataFrame], keys: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Every cla_* table (periods derived from the episodes) from the ledger's l_cla_* tables."""
    def keyed(table: str) -> pd.DataFrame:
        return led[table].merge(keys, on="la_child_id").drop(columns="la_child_id")

    episodes = _numbered(keyed("l_cla_episodes"), "cla_episode_id", ["child_id", "start_date"])
    episodes, periods = derive_903.episode_periods(episodes)
    return {
        "cla_header": keyed("l_cla_header"),
        "cla_periods": periods,
        "cla_episodes": episodes,
        "cla_reviews": keyed("l_cla_reviews"),
        "cla_uasc": keyed("l_cla_uasc"),
        "cla_missing": _numbered(keyed("l_cla_missing"), "cla_missing_id", ["child_id", "start_date"]),
        "cla_oc2": keyed("l_cla_oc2"),
        "cla_oc3": keyed("l_cla_oc3"),
        "cla_adoptions": _numbered(keyed("l_cla_adoptions"), "cla_adoption_id", ["child_id", "year"]),
        "cla_placed_for_adoption": keyed("l_cla_placed_for_adoption"),
        "cla_previous_permanence": keyed("l_cla_previous_permanence"),
    }


def involvements(periods: pd.DataFrame, team: str) -> pd.DataFrame:
    """One looked-after involvement per period of care, with its processing record."""
    ended = periods["end_date"].notna()
    outcome = periods["reason_ceased"].map(LAC_OUTCOME).astype(object)
    return pd.DataFrame({
        "child_id": periods["child_id"], "service": "CSC", "intervention_type": "LAC", "team_id": team,
        "worker_id": None, "start_date": periods["start_date"], "end_date": periods["end_date"],
        "outcome": np.where(ended, outcome, "OPEN"), "episode_id": None, "ehc_plan_id": None,
        "cla_period_id": periods["cla_period_id"], "lawful_basis": LAWFUL_BASIS, "art9_condition": ART9_CONDITION})
