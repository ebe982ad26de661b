"""Overview: the statutory KPIs leadership and service managers bring to a performance meeting.

Questions it answers:
- How many children are in need now, and how does that compare per 10,000 children with England?
- How many referrals have we had, and how many came back within 12 months (against England's 22.6%)?
- Are assessments completed within 45 working days (England 85.7%)?
- How many children are on a child protection plan, and how many have an EHC plan?
- Is each measure going up or down on the previous period, and is that better or worse?
- Which way are referrals going, month by month, quarter by quarter or year by year?
"""

from __future__ import annotations

import dash

import data_access
from dashboards import _page

dash.register_page(__name__, access="aggregates",
                   path="/", name="Overview", title="Overview - Children's Services Insight", order=0)

SPEC = _page.PageSpec(
    prefix="overview", page="overview", title="Overview",
    intro="Statutory KPIs with their official definitions, against the previous period and England.",
    charts=(_page.Chart("trend", "Referrals per month", drill="time", wide=True),),
)


def layout(**_query: str) -> object:
    """Skeleton only: the view state comes from the URL through the page's callbacks (layouts carry no data)."""
    return _page.layout(SPEC)


_page.register(SPEC, data_access.overview_page)
