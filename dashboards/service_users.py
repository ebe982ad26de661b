"""Service users: who is open to our services, and how that is changing.

Questions it answers:
- How many children are open to each service now, and to each team within a service (drill down)?
- How many involvements started and ended in the period, month by month, quarter or year?
- What are the age bands, sex and localities of the children open?
- What are their ethnicity and disabilities (only for roles allowed special category aggregates)?
"""

from __future__ import annotations

import dash

import data_access
from dashboards import _page

dash.register_page(__name__, access="aggregates", path="/service-users", name="Service users", order=1,
                   title="Service users - Children's Services Insight")

SPEC = _page.PageSpec(
    prefix="users", page="service_users", title="Service users",
    intro="Children open to each service and team, new and ended involvements, and who the children are.",
    charts=(
        _page.Chart("flow", "Involvements started and ended", drill="time", wide=True),
        _page.Chart("by_service", "Children open to each service", drill="org"),
        _page.Chart("by_age", "Children open by age band"),
        _page.Chart("by_sex", "Children open by sex"),
        _page.Chart("by_locality", "Children open by locality"),
        _page.Chart("by_ethnicity", "Children open by ethnicity"),
        _page.Chart("by_disability", "Children open by disability"),
    ),
)


def layout(**_query: str) -> object:
    """Skeleton only (layouts carry no data)."""
    return _page.layout(SPEC)


_page.register(SPEC, data_access.service_users_page)
