"""The shared filter bar: period (presets and custom dates), service, team, locality, age band, sex,
need where it applies, and the time-chart options. Skeleton only: service and team options (reference
data limited to the user's services) arrive through ``register_options``'s callback.
"""

from __future__ import annotations

from collections.abc import Mapping

import dash_bootstrap_components as dbc
from dash import Input, Output, callback, html

import data_access
from auth import current_app_user
from dashboards._state import PERIOD_OPTIONS
from data_access import GRAINS, YEAR_TYPES, codes

SLICER_LABELS = {"period": "Period", "service": "Service", "team": "Team", "locality": "Locality",
                 "age_band": "Age band", "sex": "Sex",
                 "need": "Need", "grain": "Time charts by", "year_type": "Years", "measure": "Measure"}
STATIC_OPTIONS: dict[str, Mapping[str, str]] = {"locality": codes.LOCALITY, "age_band": codes.AGE_BAND,
                                                "sex": codes.SEX, "grain": GRAINS, "year_type": YEAR_TYPES}


def fid(prefix: str, field: str) -> str:
    return f"{prefix}-{field}"


def _options(options: Mapping[str, str] | None, *, all_option: bool) -> list[dict[str, str]]:
    head = [{"label": "All", "value": ""}] if all_option else []
    return head + [{"label": v, "value": k} for k, v in (options or {}).items()]


def _select(prefix: str, field: str, options: Mapping[str, str] | None, *, all_option: bool = True,
            value: str = "", label: str | None = None, width: str = "col-6 col-md-4 col-lg-2",
            **wrap: object) -> html.Div:
    """A labelled native <select> (keyboard and screen-reader friendly, unlike a custom dropdown)."""
    component_id = fid(prefix, field)
    return html.Div([
        html.Label(label or SLICER_LABELS.get(field, field), htmlFor=component_id, className="form-label"),
        # dbc.Select always draws a hidden placeholder <option value="">, which the browser shows for
        # the value "" (All) instead of the "All" option: the placeholder says "All" too.
        dbc.Select(id=component_id, options=_options(options, all_option=all_option), value=value, size="sm",
                   placeholder="All" if all_option else ""),
    ], className=f"{width} slicer", **wrap)  # type: ignore[arg-type]  # id / hidden only


def filter_bar(prefix: str, *, need: Mapping[str, str] | None, measure: bool = False) -> html.Div:
    """The slicers for page ``prefix``; ``need``: the need code list where the slicer applies."""
    dates = html.Div([
        html.Div([html.Label("From", htmlFor=fid(prefix, "start"), className="form-label"),
                  dbc.Input(id=fid(prefix, "start"), type="date", min="2000-01-01", size="sm", debounce=True)],
                 className="col-6"),
        html.Div([html.Label("To", htmlFor=fid(prefix, "end"), className="form-label"),
                  dbc.Input(id=fid(prefix, "end"), type="date", min="2000-01-01", size="sm", debounce=True)],
                 className="col-6"),
    ], id=fid(prefix, "dates-wrap"), hidden=True, className="col-12 col-md-4 col-lg-3 slicer row g-1")
    fields = [
        _select(prefix, "period", PERIOD_OPTIONS, all_option=False, value="m12", label="Period"), dates,
        _select(prefix, "service", None), _select(prefix, "team", None),
        _select(prefix, "locality", codes.LOCALITY), _select(prefix, "age_band", codes.AGE_BAND),
        _select(prefix, "sex", codes.SEX),
    ]
    if need:  # need is special category (health): hidden until ``register_options`` finds the role may use it
        fields.append(_select(prefix, "need", need, id=fid(prefix, "need-wrap"), hidden=True))
    if measure:
        fields.insert(0, _select(prefix, "measure", None, all_option=False, width="col-12 col-md-6 col-lg-4"))
    fields += [_select(prefix, "grain", GRAINS, all_option=False, value="month"),
               _select(prefix, "year_type", YEAR_TYPES, all_option=False, value="census")]
    mode = html.Fieldset([
        html.Legend("Clicking a chart", className="form-label"),
        dbc.RadioItems(id=fid(prefix, "mode"), value="filter", inline=True, class_name="click-mode",
                       options=[{"label": "filters the page", "value": "filter"},
                                {"label": "drills down (year, quarter, month; service, team)", "value": "drill"}]),
    ], className="col-12 col-lg-6 slicer")
    return html.Div([html.Div(fields + [mode], className="row g-2")], className="filter-bar", role="group",
                    **{"aria-label": "Filters"})  # type: ignore[arg-type]  # aria-*/data-* go to **kwargs; mypy matches the dict to typed props


def register_options(prefix: str, page_services: tuple[str, ...] | None = None, *, need: bool = False) -> None:
    """Fill the service and team slicers from data_access (only the user's services and their teams,
    and only the services the page is about, e.g. children's social care on Children in need).
    With ``need``, show the need slicer only to roles allowed special category aggregates (need is
    health data; UI only: ``data_access`` refuses a need filter to any other role)."""
    if need:
        @callback(Output(fid(prefix, "need-wrap"), "hidden"), Input(fid(prefix, "url"), "pathname"))
        def need_hidden(_path: str | None) -> bool:
            policy = data_access.policy
            return not policy.can(policy.ensure_special_category_aggregates, current_app_user())

    @callback(Output(fid(prefix, "service"), "options"), Output(fid(prefix, "team"), "options"),
              Input(fid(prefix, "url"), "pathname"), Input(fid(prefix, "service"), "value"))
    def slicer_options(_path: str | None, service: object) -> tuple[list[dict], list[dict]]:
        try:
            options = data_access.slicer_options(user=current_app_user())
        except data_access.AccessDenied:
            return [], []
        services = {k: v for k, v in options["service"].items() if page_services is None or k in page_services}
        teams = {k: v for k, v in options["team"].items() if options["team_service"][k] in services
                 and (not service or options["team_service"][k] == service)}
        return _options(services, all_option=True), _options(teams, all_option=True)


def register_measures(prefix: str) -> None:
    """The Trends page's measure options: only measures within the user's services."""
    @callback(Output(fid(prefix, "measure"), "options"), Input(fid(prefix, "url"), "pathname"))
    def measure_options(_path: str | None) -> list[dict]:
        try:
            measures = data_access.trend_measures(user=current_app_user())
        except data_access.AccessDenied:
            return []
        return _options(measures, all_option=False)
