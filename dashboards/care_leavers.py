"""Care leavers: how the young people who left care are doing at 17-18 and 19-21 (SSDA903 OC3).

Questions it answers:
- Is the authority in touch with its care leavers?
- Are they in education, employment or training?
- Are they in suitable accommodation?
- What are they doing, and for those not in touch, why not?
"""

from __future__ import annotations

import dash

import data_access
from dashboards import _page

dash.register_page(__name__, access="aggregates:CSC", path="/care-leavers", name="Care leavers", order=2.2,
                   title="Care leavers - Children's Services Insight")

SPEC = _page.PageSpec(
    prefix="cl", page="care_leavers", title="Care leavers",
    intro="Former relevant care leavers aged 17 to 21 (SSDA903 OC3) in the latest collection year of the period: "
          "in touch, in education, employment or training, and in suitable accommodation.",
    services=("CSC",),
    charts=(
        _page.Chart("contact", "Care leavers in touch, by age"),
        _page.Chart("eet", "Care leavers in education, employment or training"),
        _page.Chart("accommodation", "Care leavers in suitable accommodation"),
        _page.Chart("in_touch", "Care leavers by contact"),
        _page.Chart("activity", "Care leavers by main activity"),
    ),
)


def layout(**_query: str) -> object:
    """Skeleton only (layouts carry no data)."""
    return _page.layout(SPEC)


_page.register(SPEC, data_access.care_leavers_page)
