"""Children in need: the statutory social care journey from referral to plan and closure.

Questions it answers:
- How many referrals, from which sources, how many re-referrals within 12 months and how many NFA?
- Are assessments completed within 45 working days, and which factors are identified (role permitting)?
- How many section 47 enquiries started, and were ICPCs held within 15 working days?
- How many children are on CIN and CP plans, in which category of abuse, for the second or subsequent
  time, and for how long?
- Why are episodes closed?
"""

from __future__ import annotations

import dash

import data_access
from dashboards import _page
from data_access import codes

dash.register_page(__name__, access="aggregates:CSC", path="/children-in-need", name="Children in need", order=2,
                   title="Children in need - Children's Services Insight")

SPEC = _page.PageSpec(
    prefix="cin", page="children_in_need", title="Children in need",
    intro="Referrals, assessments, section 47 enquiries and ICPCs, CIN and CP plans, and closures.",
    services=("CSC",), need=codes.PRIMARY_NEED,
    charts=(
        _page.Chart("referrals_time", "Referrals, re-referrals and no further action", drill="time", wide=True),
        _page.Chart("by_source", "Referrals by source"),
        _page.Chart("assessment_timeliness", "Assessments by working days from start to authorisation"),
        _page.Chart("factors", "Factors identified at assessment"),
        _page.Chart("s47_outcomes", "Section 47 enquiries started, by ICPC"),
        _page.Chart("cp_category", "CP plans starting, by initial category of abuse"),
        _page.Chart("cp_subsequent", "CP plans starting: first or second and subsequent"),
        _page.Chart("cp_duration", "CP plans open at the end of the period, by duration"),
        _page.Chart("closures", "Episodes closed, by reason"),
    ),
)


def layout(**_query: str) -> object:
    """Skeleton only (layouts carry no data)."""
    return _page.layout(SPEC)


_page.register(SPEC, data_access.children_in_need_page)
