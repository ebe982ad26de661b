"""A page's view state (slicers, selection, drill level) as a plain dict, and how user actions change it.

Pure functions, no Dash and no data: the state is what ``dcc.Store`` holds and what the URL's query
string carries. Every state these functions produce is validated again by ``data_access`` (the
page's data function and ``view_state`` parse it strictly), so nothing here is trusted.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode

State = dict[str, object]

# The period dropdown's options: trailing months, the census-year presets and custom dates.
PERIOD_OPTIONS = {"m3": "Last 3 months", "m6": "Last 6 months", "m12": "Last 12 months", "m24": "Last 24 months",
                  "m36": "Last 36 months", "m60": "Last 5 years", "this_census_year": "This census year to date",
                  "last_census_year": "Last census year (April to March)",
                  "this_financial_year": "This financial year to date",
                  "last_financial_year": "Last financial year (April to March)",
                  "last_calendar_year": "Last calendar year (January to December)", "custom": "Custom dates"}
SLICERS = ("service", "team", "locality", "age_band", "sex", "need")
VIEW_FIELDS = ("grain", "year_type", "measure")


def period_value(state: Mapping[str, object]) -> str:
    """The period dropdown's value for ``state``."""
    period = state.get("period")
    return str(period) if period else f"m{state.get('period_months', 12)}"


def with_period(state: Mapping[str, object], value: object, start: object = None, end: object = None) -> State:
    """``state`` with the period dropdown (and custom dates) applied; the selection and drill are kept."""
    out = {k: v for k, v in state.items() if k not in ("period", "period_months", "start", "end")}
    text = str(value or "m12")
    if text.startswith("m") and text[1:].isdigit():
        if text != "m12":
            out["period_months"] = int(text[1:])
    elif text == "custom":
        out["period"] = "custom"
        out["start"], out["end"] = start, end
    else:
        out["period"] = text
    return out


def with_value(state: Mapping[str, object], field: str, value: object) -> State:
    """``state`` with one slicer or view option set (None or "" removes it)."""
    out = dict(state)
    if value in (None, "", []):
        out.pop(field, None)
    else:
        out[field] = value
    if field == "service" and value != state.get("service"):
        out.pop("team", None)  # a team belongs to one service
    return out


def selection_of(state: Mapping[str, object]) -> tuple[str, str, str] | None:
    raw = state.get("selection")
    if not isinstance(raw, str) or raw.count(":") < 2:
        return None
    visual, dim, code = raw.split(":", 2)
    return visual, dim, code


def clicked(state: Mapping[str, object], *, visual: str, dim: str | None, code: str, level: str | None,
            drill: str | None, mode: str) -> State:
    """``state`` after a click on category ``code`` of chart ``visual``.

    In drill mode a drillable level goes down one step (year -> quarter -> month, service -> team);
    otherwise the click selects the category (cross-filtering every other chart), and clicking the
    selected category again clears the selection."""
    out = dict(state)
    if mode == "drill" and drill == "time" and level in ("year", "quarter"):
        out["drill_time"] = code
        _drop_selection_on(out, visual)
        return out
    if mode == "drill" and drill == "org" and level == "service":
        out["drill_org"] = code
        _drop_selection_on(out, visual)
        return out
    if dim is None:
        return out
    new = f"{visual}:{dim}:{code}"
    if out.get("selection") == new:
        out.pop("selection")
    else:
        out["selection"] = new
    return out


def drilled_up(state: Mapping[str, object], *, drill: str, up: str | None) -> State:
    """``state`` one drill level up: the time range above (``up``; "" is the top) or all services."""
    out = dict(state)
    if drill == "time":
        if up:
            out["drill_time"] = up
        else:
            out.pop("drill_time", None)
    else:
        out.pop("drill_org", None)
    return out


def cleared(state: Mapping[str, object]) -> State:
    out = dict(state)
    out.pop("selection", None)
    return out


def _drop_selection_on(state: State, visual: str) -> None:
    sel = selection_of(state)
    if sel is not None and sel[0] == visual:
        state.pop("selection", None)


def to_query(state: Mapping[str, object]) -> str:
    """The URL query string for ``state`` ("" when everything is at its default)."""
    items = [(k, str(v)) for k, v in sorted(state.items()) if v not in (None, "")]
    return "?" + urlencode(items) if items else ""


def from_query(search: str | None) -> dict[str, str]:
    """A query string as {field: text}; data_access validates every value (``view_state``)."""
    return dict(parse_qsl((search or "").lstrip("?"), keep_blank_values=False)[:40])
