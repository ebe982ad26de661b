"""Trends: any measure over months, quarters or years, for leadership and scrutiny.

Questions it answers:
- How has a measure (referrals, re-referral rate, assessments within 45 working days, S47s, ICPCs,
  CP plans, interventions, EHC requests and plans within 20 weeks, ...) changed over time?
- How does it look by census year or financial year (1 April to 31 March) or calendar year, and
  within a year, by quarter and month (drill down)?
"""

from __future__ import annotations

import dash

import data_access
from dashboards import _page

dash.register_page(__name__, access="aggregates",
                   path="/trends", name="Trends", order=5, title="Trends - Children's Services Insight")

SPEC = _page.PageSpec(
    prefix="trends", page="trends", title="Trends",
    intro="One measure over time. Choose years (census, financial or calendar), quarters or months; "
          "drill from a year to its quarters and months.",
    measure=True, defaults={"period_months": 60, "grain": "year"},
    charts=(_page.Chart("trend", "Measure over time", drill="time", wide=True),),
)


def layout(**_query: str) -> object:
    """Skeleton only (layouts carry no data)."""
    return _page.layout(SPEC)


_page.register(SPEC, data_access.trends_page)
