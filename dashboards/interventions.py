"""Interventions: what we do for children and families, how much, for how long, and how it ends.

Questions it answers:
- Which interventions are applied (early help, educational psychology consultation, assessment and
  Video Interaction Guidance, family support, short breaks, ...) and how many start?
- How do volumes change over time, and by service and team (drill down)?
- How long do interventions last, and what are their outcomes, overall and by type?
"""

from __future__ import annotations

import dash

import data_access
from dashboards import _page

dash.register_page(__name__, access="aggregates", path="/interventions", name="Interventions", order=3,
                   title="Interventions - Children's Services Insight")

SPEC = _page.PageSpec(
    prefix="interventions", page="interventions", title="Interventions",
    intro="Types applied, volumes, durations and outcomes, by service and team.",
    charts=(
        _page.Chart("volumes", "Interventions started and ended", drill="time", wide=True),
        _page.Chart("by_type", "Interventions started, by type"),
        _page.Chart("by_service_team", "Interventions started, by service", drill="org"),
        _page.Chart("outcomes", "Interventions ended, by outcome"),
        _page.Chart("durations", "Interventions ended, by duration"),
        _page.Chart("type_outcome", "Outcomes of interventions ended, by type", wide=True),
    ),
)


def layout(**_query: str) -> object:
    """Skeleton only (layouts carry no data)."""
    return _page.layout(SPEC)


_page.register(SPEC, data_access.interventions_page)
