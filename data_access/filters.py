"""Slicer values, cross-filter selection and drill state from the page or URL, parsed and validated.

Everything a callback receives is untrusted: unknown keys, unknown codes and wrong types raise
``InvalidFilter`` (a clear message naming the field) before any query is built. The same parser
reads a shared URL's query string (``Filters.from_query``), so a bookmarked view is validated
exactly like a slicer change. Nothing here identifies a child: only codes, team ids and dates.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields

from data_access.errors import InvalidFilter
from model import codes

PERIOD_MONTHS = (3, 6, 12, 24, 36, 60)
# Presets besides "the last N months": the CIN census year (1 April to 31 March, the CIN census and
# SSDA903 reporting year) to date and the last complete one; the financial year (the same dates in
# England, labelled as the council's budgets are); the last calendar year (January to December, SEN2's
# reporting year); and custom dates.
YEAR_PRESETS = {"this_census_year": "This census year to date", "last_census_year": "Last census year",
                "this_financial_year": "This financial year to date", "last_financial_year": "Last financial year",
                "last_calendar_year": "Last calendar year"}
PERIODS = {**YEAR_PRESETS, "custom": "Custom dates"}
GRAINS = {"month": "Month", "quarter": "Quarter", "year": "Year"}
YEAR_TYPES = {"census": "Census year (April to March)", "financial": "Financial year (April to March)",
              "calendar": "Calendar year"}
EARLIEST = dt.date(2000, 1, 1)
MAX_SPAN_DAYS = 366 * 20
# Dimensions a chart click can select (cross-filter), with the codes each accepts. "team" is
# checked against the store's teams and "time" is an ISO date range "YYYY-MM-DD_YYYY-MM-DD".
SELECTABLE: dict[str, Mapping[str, object]] = {
    "service": codes.SERVICE, "locality": codes.LOCALITY, "age_band": codes.AGE_BAND, "sex": codes.SEX,
    "need": {**codes.PRIMARY_NEED, **codes.SEN_NEED}, "referral_source": codes.REFERRAL_SOURCE,
    "closure_reason": codes.REASON_FOR_CLOSURE, "category": codes.CATEGORY_OF_ABUSE,
    "intervention_type": codes.INTERVENTION_TYPE, "outcome": codes.INTERVENTION_OUTCOME,
    "request_outcome": codes.EHC_REQUEST_OUTCOME, "setting": codes.SEN_SETTING, "team": {}, "time": {},
    "legal_status": codes.LEGAL_STATUS, "placement_group": dict.fromkeys(codes.PLACEMENT_GROUP.values(), ""),
    "in_touch": codes.IN_TOUCH, "activity": codes.ACTIVITY,
}
_VISUAL = re.compile(r"[a-z][a-z0-9_]{0,31}")
_RANGE = re.compile(r"(\d{4}-\d{2}-\d{2})_(\d{4}-\d{2}-\d{2})")


@dataclass(frozen=True)
class Selection:
    """A cross-filter: the chart clicked (``visual``), the dimension and the code selected."""

    visual: str
    dim: str
    value: str

    def __str__(self) -> str:
        return f"{self.visual}:{self.dim}:{self.value}"


def _month_end(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


@dataclass(frozen=True)
class Filters:
    """One validated view: slicers (``None`` means "all"), the selection, drill levels and time grain."""

    period_months: int = 12
    service: str | None = None
    team: str | None = None
    locality: str | None = None
    age_band: str | None = None
    sex: str | None = None
    need: str | None = None
    period: str | None = None  # None: the last ``period_months`` months; else a key of PERIODS
    start: dt.date | None = None  # custom period, inclusive
    end: dt.date | None = None  # custom period, inclusive
    selection: Selection | None = None
    drill_time: tuple[dt.date, dt.date] | None = None  # the year or quarter drilled into
    drill_org: str | None = None  # the service drilled into (its teams are shown)
    grain: str = "month"
    year_type: str = "census"
    measure: str | None = None  # the Trends page's measure (checked by the page's data function)

    @classmethod
    def parse(cls, raw: Mapping[str, object] | None, *, teams: Iterable[str] = ()) -> Filters:
        """Validate ``raw`` (from the page or URL); raises InvalidFilter naming the bad field."""
        if raw is None:
            return cls()
        if not isinstance(raw, Mapping):
            raise InvalidFilter("Filters must be a set of named values.")
        unknown = set(raw) - set(cls.__dataclass_fields__)
        if unknown:
            raise InvalidFilter(f"Unknown filter field: {sorted(unknown)[0]!r}.")
        team_ids = set(teams)
        period_months = raw.get("period_months", 12)
        if isinstance(period_months, bool) or not isinstance(period_months, int) or \
                period_months not in PERIOD_MONTHS:
            raise InvalidFilter(f"Filter 'period_months' must be one of {PERIOD_MONTHS}, not {period_months!r}.")
        period = _code(raw, "period", PERIODS)
        start, end = _date(raw, "start"), _date(raw, "end")
        if period == "custom":
            if start is None or end is None:
                raise InvalidFilter("Filter 'period' custom needs both a 'start' and an 'end' date.")
            _check_range("start", start, end)
            # Whole months only: two custom periods a day apart would otherwise give one day's events.
            start, end = start.replace(day=1), _month_end(end)
        elif start is not None or end is not None:
            raise InvalidFilter("Filter 'start' and 'end' apply only to a custom period.")
        service = _code(raw, "service", codes.SERVICE)
        return cls(
            period_months=period_months, service=service, team=_code(raw, "team", team_ids),
            locality=_code(raw, "locality", codes.LOCALITY), age_band=_code(raw, "age_band", codes.AGE_BAND),
            sex=_code(raw, "sex", codes.SEX), need=_code(raw, "need", SELECTABLE["need"]),
            period=period, start=start, end=end, selection=_selection(raw.get("selection"), team_ids),
            drill_time=_time_range("drill_time", raw.get("drill_time")),
            drill_org=_code(raw, "drill_org", codes.SERVICE),
            grain=_code(raw, "grain", GRAINS) or "month", year_type=_code(raw, "year_type", YEAR_TYPES) or "census",
            measure=_word(raw, "measure"),
        )

    @classmethod
    def from_query(cls, query: Mapping[str, object] | None, *, teams: Iterable[str] = ()) -> Filters:
        """Parse a URL query string's values (all text) like any other input."""
        if query is not None and not isinstance(query, Mapping):
            raise InvalidFilter("Filters must be a set of named values.")
        raw = dict(query or {})
        if "period_months" in raw:
            value = raw["period_months"]
            if not isinstance(value, str) or not value.isdigit() or len(value) > 3:
                raise InvalidFilter(f"Filter 'period_months' must be a number of months, not {value!r:.40}.")
            raw["period_months"] = int(value)
        return cls.parse(raw, teams=teams)

    def to_dict(self) -> dict[str, object]:
        """Only the fields that differ from "all", as JSON-friendly text (for URLs, stores, cache keys)."""
        out: dict[str, object] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or value == f.default:
                continue
            if isinstance(value, dt.date):
                value = value.isoformat()
            elif f.name == "drill_time":
                value = range_key(*value)
            elif isinstance(value, Selection):
                value = str(value)
            out[f.name] = value
        return out


def range_key(first: dt.date, last: dt.date) -> str:
    """The URL form of an inclusive date range (a time selection or drill level)."""
    return f"{first.isoformat()}_{last.isoformat()}"


def _code(raw: Mapping[str, object], field: str, allowed: Iterable[str]) -> str | None:
    value = raw.get(field)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or value not in set(allowed):
        shown = repr(value)[:40]
        raise InvalidFilter(f"Filter {field!r} has an unknown value {shown}.")
    return value


def _word(raw: Mapping[str, object], field: str) -> str | None:
    value = raw.get(field)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _VISUAL.fullmatch(value):
        raise InvalidFilter(f"Filter {field!r} has an unknown value {repr(value)[:40]}.")
    return value


def _date(raw: Mapping[str, object], field: str) -> dt.date | None:
    value = raw.get(field)
    if value is None or value == "":
        return None
    try:
        if not isinstance(value, str) or len(value) != 10:
            raise ValueError
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidFilter(f"Filter {field!r} must be a date written YYYY-MM-DD, not {repr(value)[:40]}.") from None


def _check_range(field: str, first: dt.date, last: dt.date) -> None:
    if first < EARLIEST or last < first or (last - first).days > MAX_SPAN_DAYS or last.year > 2100:
        raise InvalidFilter(f"Filter {field!r} must be a date range from {EARLIEST} of at most 20 years, "
                            f"starting before it ends.")


def _time_range(field: str, value: object) -> tuple[dt.date, dt.date] | None:
    if value is None or value == "":
        return None
    match = _RANGE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise InvalidFilter(f"Filter {field!r} must be a date range YYYY-MM-DD_YYYY-MM-DD, not {repr(value)[:40]}.")
    try:
        first, last = dt.date.fromisoformat(match[1]), dt.date.fromisoformat(match[2])
    except ValueError:
        raise InvalidFilter(f"Filter {field!r} has an impossible date {repr(value)[:40]}.") from None
    _check_range(field, first, last)
    if (last - first).days > 366:
        raise InvalidFilter(f"Filter {field!r} must span a year at most.")
    return first, last


def _selection(value: object, teams: set[str]) -> Selection | None:
    if value is None or value == "":
        return None
    parts = value.split(":", 2) if isinstance(value, str) and len(value) <= 80 else []
    if len(parts) != 3 or not _VISUAL.fullmatch(parts[0]) or parts[1] not in SELECTABLE:
        raise InvalidFilter(f"Filter 'selection' has an unknown value {repr(value)[:40]}.")
    visual, dim, code = parts
    if dim == "time":
        _time_range("selection", code)
    elif code not in (teams if dim == "team" else set(SELECTABLE[dim])):
        raise InvalidFilter(f"Filter 'selection' has an unknown {dim} {code[:40]!r}.")
    return Selection(visual, dim, code)
