"""SEND: EHC needs assessments and plans against the statutory timescales.

Questions it answers:
- How many EHC needs assessment requests arrive, and are decisions made within 6 weeks?
- How many assessments lead to a plan, and are plans issued within 20 weeks, with and without exceptions?
- What are the primary needs of children with an active plan, and where are they placed?
- Are annual reviews up to date?
"""

from __future__ import annotations

import dash

import data_access
from dashboards import _page
from data_access import codes

dash.register_page(__name__, access="aggregates:SEND",
                   path="/send", name="SEND", order=4, title="SEND - Children's Services Insight")

SPEC = _page.PageSpec(
    prefix="send", page="send", title="SEND",
    intro="EHC requests, decisions within 6 weeks, plans within 20 weeks, primary need, placements and reviews.",
    services=("SEND",), need=codes.SEN_NEED,
    charts=(
        _page.Chart("requests_time", "EHC requests received and plans issued", drill="time", wide=True),
        _page.Chart("request_outcomes", "Requests received, by decision"),
        _page.Chart("timeliness_20w", "Plans issued within 20 weeks, with and without exceptions"),
        _page.Chart("primary_need", "Active plans by primary need"),
        _page.Chart("placements", "Placements of active plans, by setting"),
        _page.Chart("reviews", "Active plans by annual review"),
    ),
)


def layout(**_query: str) -> object:
    """Skeleton only (layouts carry no data)."""
    return _page.layout(SPEC)


_page.register(SPEC, data_access.send_page)
