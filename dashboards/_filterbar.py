"""The shared filter bar: period (presets and custom dates), service, team, locality, age band, sex,
need where it applies, and the time-chart options. Skeleton only: service and team options (reference
data limited to the user's services) arrive through ``register_options``'s callbacks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

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


def register_options(prefix: str, page_services: tuple[str, ...] | None = None, *, need: bool = False,
                     measure: bool = False, mode_options: Callable[[], list[dict]] | None = None) -> None:
    """Fill the page's option lists from data_access in one request when the page opens.

    Service slicer: only the user's services, and only those the page is about (e.g. children's
    social care on Children in need); the team slicer's options come with the view
    (``team_options``). With ``need``, the need slicer shows only to roles allowed special category
    aggregates (need is health data; UI only: ``data_access``
    refuses a need filter to any other role). With ``measure``, the Trends measures within the
    user's services. ``mode_options``: the click-mode choices for this user. One callback rather
    than one per list: every request a page opens with costs a round trip and the browser's work
    on its answer."""
    outputs: dict[str, Output] = {"service": Output(fid(prefix, "service"), "options")}
    if need:
        outputs["need_hidden"] = Output(fid(prefix, "need-wrap"), "hidden")
    if measure:
        outputs["measure"] = Output(fid(prefix, "measure"), "options")
    if mode_options is not None:
        outputs["mode"] = Output(fid(prefix, "mode"), "options")

    @callback(output=outputs, inputs={"path": Input(fid(prefix, "url"), "pathname")})
    def page_options(path: str | None) -> dict[str, object]:
        user = current_app_user()
        out: dict[str, object] = {"service": _services_and_teams(user, page_services, None)[0]}
        if need:
            policy = data_access.policy
            out["need_hidden"] = not policy.can(policy.ensure_special_category_aggregates, user)
        if measure:
            try:
                out["measure"] = _options(data_access.trend_measures(user=user), all_option=False)
            except data_access.AccessDenied:
                out["measure"] = []
        if mode_options is not None:
            out["mode"] = mode_options()
        return out



def team_options(user: object, page_services: tuple[str, ...] | None, service: object) -> list[dict]:
    """The teams of the page's services in ``user``'s scope, of the chosen ``service`` only if one is.

    The page's view callback sends them with a view whose service is new (``_page``): a callback of
    their own, on the service slicer, waited for the view's answer (which sets that slicer), so a page
    opened with one more round trip before it settled."""
    return _services_and_teams(user, page_services, service)[1]


def _services_and_teams(user: object, page_services: tuple[str, ...] | None,
                        service: object) -> tuple[list[dict], list[dict]]:
    """The service and team options for ``user`` (teams of ``service`` only, when one is chosen)."""
    try:
        options = data_access.slicer_options(user=user)  # type: ignore[arg-type]  # any user object; data_access checks it
    except data_access.AccessDenied:
        return [], []
    services = {k: v for k, v in options["service"].items() if page_services is None or k in page_services}
    teams = {k: v for k, v in options["team"].items() if options["team_service"][k] in services
             and (not service or options["team_service"][k] == service)}
    return _options(services, all_option=True), _options(teams, all_option=True)
