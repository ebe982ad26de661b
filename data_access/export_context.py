"""What an exported figure says about itself: title, period, filters in words, data date, protection, when.

Every export format carries the same lines (CSV header block, XLSX "About" sheet, PNG caption, PDF
heading), so a file that leaves the page never reads like the whole council when it was filtered.
Built from the validated ``Filters`` and reference labels only: no child data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from data_access.filters import PERIODS, Filters
from model import codes

if TYPE_CHECKING:
    from data_access.views import PageData

LONDON = ZoneInfo("Europe/London")
# The one sentence every aggregate page and export shows; the fuller explanation is /about-figures.
PROTECTED_NOTE = ("Figures are protected: small numbers may be adjusted and counts of 1 to 5 are shown as c, "
                  "so totals may not add up exactly.")
PAGE_TITLES = {"overview": "Overview", "service_users": "Service users", "children_in_need": "Children in need",
               "interventions": "Interventions", "send": "SEND", "trends": "Trends",
               "looked_after": "Children looked after", "care_leavers": "Care leavers"}
_SLICERS: tuple[tuple[str, str, Mapping[str, object]], ...] = (
    ("service", "Service", codes.SERVICE), ("locality", "Locality", codes.LOCALITY),
    ("age_band", "Age", codes.AGE_BAND), ("sex", "Sex", codes.SEX),
    ("need", "Need", {**codes.PRIMARY_NEED, **codes.SEN_NEED}),
)


def _label(value: object) -> str:
    return str(value[-1] if isinstance(value, tuple) else value)


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def filters_in_words(filters: Filters, *, teams: Mapping[str, str] | None = None,
                     visual_titles: Mapping[str, str] | None = None) -> str:
    """The slicers, chart selection and drill levels in words ("All" when none narrows the view)."""
    parts = []
    for field, name, labels in _SLICERS:
        value = getattr(filters, field)
        if value is not None:
            parts.append(f"{name}: {_label(labels.get(value, value))}")
    if filters.team is not None:
        parts.append(f"Team: {(teams or {}).get(filters.team, filters.team)}")
    if filters.selection is not None:
        sel = filters.selection
        where = (visual_titles or {}).get(sel.visual, sel.visual)
        value = sel.value.replace("_", " to ") if sel.dim == "time" else sel.value
        parts.append(f"Chart selection: {value} (from {where})")
    if filters.drill_time is not None:
        parts.append(f"Drilled into: {_day(filters.drill_time[0])} to {_day(filters.drill_time[1])}")
    if filters.drill_org is not None:
        parts.append(f"Drilled into service: {_label(codes.SERVICE.get(filters.drill_org, filters.drill_org))}")
    return "; ".join(parts) or "All (no slicer, selection or drill applied)"


def period_in_words(data: PageData) -> str:
    """The period's dates, and the preset it came from."""
    dates = f"{_day(data.first_day)} to {_day(data.last_day)}"
    if data.filters.period in PERIODS and data.filters.period != "custom":
        return f"{PERIODS[data.filters.period]}: {dates}"
    if data.filters.period is None:
        return f"Last {data.filters.period_months} months: {dates}"
    return dates


def context_lines(data: PageData, *, title: str, username: str | None, now: dt.datetime | None = None,
                  teams: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """(label, text) lines every export of ``data`` carries, ``title`` first."""
    now = (now or dt.datetime.now(dt.UTC)).astimezone(LONDON)
    titles = {key: v.title for key, v in data.visuals.items()}
    return [
        ("Title", title),
        ("Period", period_in_words(data)),
        ("Filters", filters_in_words(data.filters, teams=teams, visual_titles=titles)),
        ("Data to", _day(data.as_of)),
        ("Figures", PROTECTED_NOTE),
        ("Exported", f"{now:%d %B %Y %H:%M} (UK time)" + (f" by {username}" if username else "")),
    ]
