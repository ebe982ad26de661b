"""Children looked after: the SSDA903 picture of children in care.

Questions it answers:
- How many children are looked after, per 10,000 children, against England?
- How many started and ceased to be looked after, month by month?
- Under which legal status, in which kind of placement, and how many more than 20 miles from home?
- Are placements stable (3 or more in 12 months; long-term stability of under-16s, DfE definitions)?
- How often do children go missing or away from placement?
- Are health assessments, dental and development checks up to date (roles allowed health data)?
"""

from __future__ import annotations

import dash

import data_access
from dashboards import _page
from data_access import codes

dash.register_page(__name__, access="aggregates:CSC", path="/looked-after", name="Children looked after", order=2.1,
                   title="Children looked after - Children's Services Insight")

SPEC = _page.PageSpec(
    prefix="cla", page="looked_after", title="Children looked after",
    intro="Children in care (SSDA903): rate against England, starts and ceased, legal status, placements, "
          "stability, missing incidents and health checks.",
    services=("CSC",), need=codes.CATEGORY_OF_NEED,
    charts=(
        _page.Chart("cla_time", "Started and ceased to be looked after", drill="time", wide=True),
        _page.Chart("legal_status", "Looked after at the end, by legal status"),
        _page.Chart("placement_type", "Looked after at the end, by placement type"),
        _page.Chart("placements_year", "Looked after at the end, by placements in the last 12 months"),
        _page.Chart("missing_time", "Missing and away-from-placement incidents", drill="time", wide=True),
        _page.Chart("health_checks", "Health and dental checks"),
    ),
)


def layout(**_query: str) -> object:
    """Skeleton only (layouts carry no data)."""
    return _page.layout(SPEC)


_page.register(SPEC, data_access.looked_after_page)
