"""Synthetic, seeded, reproducible demo data for the analytics store, calibrated to published figures.

Scale 1.0 is a metropolitan borough like Dudley (LA 332): ~71,000 children aged 0-17, ~3,400
referrals and ~3,800 EHC plans a year; rates follow England 2024-25 (data-standards.md §5). Every
name, postcode and identifier is obviously synthetic (``ZZ-`` surnames, ``ZZ1``-``ZZ9`` postcodes).

    generate(seed=..., scale=..., as_of=...) -> {table name: DataFrame}   (no side effects)
    build(url, seed=..., scale=..., as_of=...) -> {table name: row count}  (builds and swaps the store)
    python -m refresh.demo --url duckdb:///var/analytics.duckdb --scale 1

``model.demo_accounts.DEMO_USERS`` links the demo app accounts to workers and teams in the generated data.
"""

from __future__ import annotations

from refresh.demo._core import last_day_of_previous_month
from refresh.demo.generator import DEFAULT_SEED, build, generate

__all__ = ["DEFAULT_SEED", "build", "generate", "last_day_of_previous_month"]
