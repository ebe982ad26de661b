"""A KPI card's content, as every page returns it (already suppressed inside data_access)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kpi:
    """One KPI card's content, already suppressed; ``value`` is a number, 'c' or None (n/a)."""

    key: str
    label: str
    value: int | float | str | None
    unit: str  # "count" or "percent"
    definition: str
    numerator: int | str | None = None
    denominator: int | str | None = None
    rate_per_10k: float | str | None = None
    note: str | None = None
    # Comparisons (the Overview): the previous period's shown value, the direction of travel and
    # whether that is better or worse, and the published England figure this KPI is compared with.
    previous: int | float | str | None = None
    direction: str | None = None  # "up", "down", "same"; None when either value is suppressed
    judgement: str | None = None  # "better", "worse" or None (a volume: neither)
    england: float | None = None
    england_note: str | None = None
    local_comparable: float | str | None = None  # this area's figure on England's basis (rate or %)
    england_basis: str | None = None  # how the two are put on the same basis, in words
    neighbours: float | None = None  # the statistical neighbours' average of the same published measure
    neighbours_note: str | None = None
