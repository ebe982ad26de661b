"""Synthetic, seeded, reproducible demo data for the analytics store, calibrated to published figures.

Scale 1.0 is a metropolitan borough like Dudley (LA 332): ~71,000 children aged 0-17, ~3,400
referrals and ~3,800 EHC plans a year; rates follow England 2024-25 (data-standards.md §5). Every
name, postcode and identifier is obviously synthetic (``ZZ-`` surnames, ``ZZ1``-``ZZ9`` postcodes).

    generate(seed=..., scale=..., as_of=...) -> {table name: DataFrame}   (no side effects)
    build(url, seed=..., scale=..., as_of=...) -> {table name: row count}  (builds and swaps the store)
    python -m data_access.demo --url duckdb:///var/analytics.duckdb --scale 1

``DEMO_USERS`` links the demo app accounts to workers and teams in the generated data.
"""

from __future__ import annotations

from data_access.demo._core import last_day_of_previous_month
from data_access.demo.generator import DEFAULT_SEED, build, generate

DEMO_USERS: dict[str, dict[str, object]] = {
    # A social worker in Safeguarding Team A with 18 open allocations at as_of, and some just ended.
    "demo-caseworker": {"worker_id": "W00002", "team_ids": ("CSC-SGA",), "services": ("CSC",)},
    # A colleague in the same team with a different caseload (16 open allocations).
    "demo-caseworker2": {"worker_id": "W00003", "team_ids": ("CSC-SGA",), "services": ("CSC",)},
    # The team's manager (job title "Team manager"); holds no cases.
    "demo-teammanager": {"worker_id": "W00001", "team_ids": ("CSC-SGA",), "services": ("CSC",)},
    # A service manager for children's social care: no team, no worker record.
    "demo-manager": {"worker_id": None, "team_ids": (), "services": ("CSC",)},
}

__all__ = ["DEFAULT_SEED", "DEMO_USERS", "build", "generate", "last_day_of_previous_month"]
