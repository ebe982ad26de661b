"""The shape every aggregate page shares: a skeleton layout and three thin callbacks.

1. ``view``: URL, slicers, chart clicks, table buttons and drill controls -> the page's view state
   (``dcc.Store``: filter state only), validated by ``data_access.view_state``, and in the same
   answer what that state shows (``_rendering.view``: one data_access page call -> cards, figures,
   summaries, and the tables whose view is open; ``show_tables`` fills one when it is opened).
   One round trip per change, not two.
2. A clientside callback writes the state to the URL (``history.pushState``), so a view can be
   bookmarked, shared and reopened; back/forward re-render the page from the URL.
3. ``export``: a chart's data as CSV/XLSX (``dcc.Download``), or an audited PNG/PDF in the browser.
Each callback gets the user with ``current_app_user()`` and makes its data_access calls.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dash import ALL, ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

import data_access
from auth import current_app_user
from dashboards import _charts, _drill, _panels, _rendering, _saveview
from dashboards import _components as ui
from dashboards import _state as st
from dashboards._filterbar import fid, filter_bar, register_options, team_options
from data_access import records

CONTROLS = ("service", "team", "locality", "age_band", "sex", "need", "grain", "year_type", "measure")


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    drill: str | None = None  # "time" or "org"
    wide: bool = False


@dataclass(frozen=True)
class PageSpec:
    prefix: str  # the page's component id prefix
    page: str  # the data_access page name (exports and audit)
    title: str
    intro: str
    charts: tuple[Chart, ...]
    need: Mapping[str, str] | None = None
    measure: bool = False
    defaults: Mapping[str, object] = field(default_factory=dict)
    services: tuple[str, ...] | None = None  # the services the page is about (slicer options); None: all

    @property
    def controls(self) -> tuple[str, ...]:
        skip = {"need"} if not self.need else set()
        return tuple(c for c in CONTROLS if c not in skip and (c != "measure" or self.measure))


def layout(spec: PageSpec) -> html.Div:
    """The page skeleton: no data, no user; every value arrives through the callbacks."""
    p = spec.prefix
    return html.Div([
        dcc.Location(id=fid(p, "url"), refresh=False),
        dcc.Location(id=fid(p, "goto"), refresh=True),  # drill-through to the records page
        dcc.Store(id=fid(p, "state"), storage_type="memory"),
        dcc.Store(id=fid(p, "drawn"), storage_type="memory"),  # digests of what the page shows (_rendering.view)
        dcc.Store(id=_panels.pick_id(p), storage_type="memory"),  # a table row's button (assets/csi.js)
        dcc.Store(id=fid(p, "tables"), storage_type="memory", data=[]),  # charts whose table is open (csi.js)
        dcc.Download(id=fid(p, "download")),
        html.Div(id=fid(p, "image"), hidden=True),
        html.Span(id=fid(p, "urlsink"), hidden=True),
        html.Div([html.H1(spec.title), html.Button("Save page as PDF", className="btn-tool btn-pdf",
                                                   id={"type": _panels.EXPORT, "page": p, "visual": "page",
                                                       "fmt": "pdf"}),
                  _saveview.save_form(p)], className="page-head"),
        html.P(spec.intro, className="page-intro"),
        html.P([html.Span(id=fid(p, "asof")), " ",
                html.A("How figures are protected", href="/about-figures", className="csi-about-figures")],
               className="csi-asof"),
        filter_bar(p, need=spec.need, measure=spec.measure),
        html.Div([html.Span(id=fid(p, "selection"), **{"aria-live": "polite"}),  # type: ignore[arg-type]  # aria-*/data-* go to **kwargs; mypy matches the dict to typed props
                  html.Button("Clear selection", id=fid(p, "clear"), className="btn-tool", hidden=True)],
                 className="selection-bar", id=fid(p, "selection-bar")),
        html.Div(id=fid(p, "alert"), role="status"),
        html.Div(id=fid(p, "notice"), role="status"),
        dcc.Loading(html.Div(id=fid(p, "cards"), className="row kpi-row"), type="dot", delay_show=400),
        html.Div(id=fid(p, "card-links")),
        html.Div([_panels.panel(p, c.key, c.title, drill=c.drill, wide=c.wide) for c in spec.charts],
                 className="row panels"),
    ], className=f"csi-dashboard page-{p}")


def register(spec: PageSpec, fetch: Callable[..., data_access.PageData]) -> None:
    """Register the page's callbacks; ``fetch`` is its data_access page function."""
    p = spec.prefix
    register_options(p, spec.services, need=bool(spec.need), measure=spec.measure, mode_options=_drill.mode_options)
    _register_view(spec, fetch)
    _drill.register(p, spec.page, fetch)
    clientside_callback(ClientsideFunction("csi", "writeUrl"), Output(fid(p, "urlsink"), "title"),
                        Input(fid(p, "state"), "data"), prevent_initial_call=True)
    clientside_callback(ClientsideFunction("csi", "saveImage"), Output(fid(p, "image"), "title"),
                        Input(fid(p, "image"), "children"), prevent_initial_call=True)
    _rendering.register(spec, fetch)
    _register_export(spec)
    _saveview.register(p, spec.page)


def _register_view(spec: PageSpec, fetch: Callable[..., data_access.PageData]) -> None:
    p, keys = spec.prefix, [c.key for c in spec.charts]
    graph_ids = [_panels.ids(p, k)["graph"] for k in keys]
    up = {"type": _panels.UP, "page": p, "visual": ALL, "drill": ALL}

    @callback(
        output={"state": Output(fid(p, "state"), "data"), "period": Output(fid(p, "period"), "value"),
                "start": Output(fid(p, "start"), "value"), "end": Output(fid(p, "end"), "value"),
                "dates_hidden": Output(fid(p, "dates-wrap"), "hidden"),
                "controls": [Output(fid(p, c), "value") for c in spec.controls],
                "teams": Output(fid(p, "team"), "options"),
                "clicks": [Output(g, "clickData") for g in graph_ids],
                "alert": Output(fid(p, "alert"), "children"), "goto": Output(fid(p, "goto"), "href"),
                "view": _rendering.view_outputs(spec), "drawn": Output(fid(p, "drawn"), "data")},
        inputs={"search": Input(fid(p, "url"), "search"), "period": Input(fid(p, "period"), "value"),
                "start": Input(fid(p, "start"), "value"), "end": Input(fid(p, "end"), "value"),
                "controls": [Input(fid(p, c), "value") for c in spec.controls],
                "clicks": [Input(g, "clickData") for g in graph_ids],
                "picks": Input(_panels.pick_id(p), "data"), "ups": Input(up, "n_clicks"),
                "clear": Input(fid(p, "clear"), "n_clicks")},
        state={"up_values": State(up, "value"), "state": State(fid(p, "state"), "data"),
               "mode": State(fid(p, "mode"), "value"), "open_tables": State(fid(p, "tables"), "data"),
               "drawn": State(fid(p, "drawn"), "data")},
    )
    def view(search: object, period: object, start: object, end: object, controls: list, clicks: list,
             picks: object, ups: object, clear: object, up_values: object, state: object,
             mode: object, open_tables: object, drawn: object) -> dict[str, object]:
        # Every value here may be forged (any JSON): anything of the wrong type counts as absent.
        mode = mode if mode in ("drill", "records") else "filter"
        held = state  # what the store holds (None before the first sync)
        state = {k: v for k, v in state.items() if isinstance(v, str | int)} if isinstance(state, dict) else {}
        step = _next_state(spec, keys, graph_ids, state, ctx.triggered_id, search=_text(search) or "",
                           period=_text(period), start=_text(start), end=_text(end), clicks=clicks, mode=mode,
                           controls=[_text(v) for v in controls])
        if step.dates_only:  # custom period: show the date pickers, and wait for both dates
            return _unchanged(spec, len(graph_ids)) | {"dates_hidden": False, "clicks": [no_update] * len(graph_ids)}
        if step.drill is not None:
            return _unchanged(spec, len(graph_ids)) | _drill_through(spec, step.state, *step.drill)
        synced = _synced(spec, step.state, len(graph_ids))
        out = _only_changes(synced, before={"state": held, "period": period, "start": start, "end": end,
                                            "controls": controls},
                            clicked=[g == ctx.triggered_id for g in graph_ids])
        # The team slicer lists the teams of the view's service: sent when the page opens or the service changes.
        service = synced["state"].get("service") if isinstance(synced["state"], dict) else None
        out["teams"] = team_options(current_app_user(), spec.services, service) \
            if not isinstance(held, dict) or held.get("service") != service else no_update
        # The page is drawn again only for a new view state (a URL pushed by this page comes back
        # unchanged), from the state data_access has just validated.
        if out["state"] is no_update:
            return out | {"view": _rendering.unchanged(spec), "drawn": no_update}
        out["view"], out["drawn"] = _rendering.view(spec, fetch, synced["state"], open_tables, mode, drawn)
        return out


def _only_changes(synced: dict[str, object], *, before: dict[str, object], clicked: list[bool]) -> dict[str, object]:
    """``synced`` with no_update for every output that already holds its value.

    Dash re-renders a component for every prop it is sent, and runs the callbacks that take it as an
    input (a service value sent back unchanged re-ran the slicer options), so a slicer change sends
    the new state and nothing else. A chart's clickData is reset only on the chart clicked (so the
    same bar can be clicked again)."""
    out = dict(synced)
    for key in ("state", "period", "start", "end"):
        if out[key] == before[key] or (key in ("start", "end") and not out[key] and not before[key]):
            out[key] = no_update
    old = before["controls"] if isinstance(before["controls"], list) else []
    new = out["controls"] if isinstance(out["controls"], list) else []
    out["controls"] = [no_update if i < len(old) and v == old[i] else v for i, v in enumerate(new)]
    out["clicks"] = [None if c else no_update for c in clicked]
    return out


@dataclass(frozen=True)
class _Step:
    """What a sync trigger asks for: a new view state, the date pickers, or a drill-through."""

    state: dict
    dates_only: bool = False
    drill: tuple[str, str] | None = None  # (visual, code) to open the records behind


def _next_state(spec: PageSpec, keys: list[str], graph_ids: list[str], state: dict, trigger: object, *,
                search: str, period: str | None, start: str | None, end: str | None, clicks: list,
                mode: str, controls: list[str | None]) -> _Step:
    """The view state after ``trigger`` (raises PreventUpdate for a trigger that changes nothing)."""
    p = spec.prefix
    if trigger is None or trigger == fid(p, "url"):
        return _Step({**spec.defaults, **st.from_query(search)})
    if trigger in (fid(p, "period"), fid(p, "start"), fid(p, "end")):
        if period == "custom" and not (start and end):
            return _Step(state, dates_only=True)
        return _Step(st.with_period(state, period, start, end))
    if isinstance(trigger, str) and trigger in graph_ids:
        return _chart_click(state, keys[graph_ids.index(trigger)], clicks[graph_ids.index(trigger)], mode)
    if trigger == _panels.pick_id(p):  # a table row's button: {visual, code, dim, level, drill, action}
        pick = ctx.triggered[0].get("value")
        fields: list[Any] = [pick.get(k) for k in ("visual", "code", "dim", "level", "drill", "action")] \
            if isinstance(pick, dict) else []
        if not fields or not all(isinstance(f, str) for f in fields):
            raise PreventUpdate
        visual, code, dim, level, drill, action = fields
        if mode == "records":
            return _Step(state, drill=(visual, code))
        return _Step(st.clicked(state, visual=visual, dim=dim or None, code=code, level=level or None,
                                drill=drill or None, mode="drill" if action == "drill" else "filter"))
    if isinstance(trigger, Mapping) and trigger.get("type") == _panels.UP:
        if not ctx.triggered[0].get("value") or trigger.get("drill") not in ("time", "org"):
            raise PreventUpdate
        ups = {g["id"].get("visual"): g.get("value") for g in ctx.args_grouping.get("up_values") or []
               if isinstance(g, dict) and isinstance(g.get("id"), dict)}  # the up buttons' ids and values
        return _Step(st.drilled_up(state, drill=trigger["drill"], up=_text(ups.get(trigger.get("visual")))))
    if trigger == fid(p, "clear"):
        return _Step(st.cleared(state))
    field_name = trigger.removeprefix(f"{p}-") if isinstance(trigger, str) else ""
    if field_name not in spec.controls:
        raise PreventUpdate
    return _Step(st.with_value(state, field_name, controls[spec.controls.index(field_name)]))


def _chart_click(state: dict, visual: str, click: object, mode: str) -> _Step:
    """A click on a bar or point: its customdata names the code, dimension, level and drill."""
    points = click.get("points") if isinstance(click, dict) else None
    meta = points[0].get("customdata") if isinstance(points, list) and points and \
        isinstance(points[0], dict) else None
    if not isinstance(meta, list) or len(meta) < 5 or not all(isinstance(m, str) for m in meta[:5]):
        raise PreventUpdate
    code, _text_shown, dim, level, drill = meta[:5]
    if mode == "records":
        return _Step(state, drill=(visual, code))
    return _Step(st.clicked(state, visual=visual, dim=dim or None, code=code, level=level or None,
                            drill=drill or None, mode=mode))


def _unchanged(spec: PageSpec, graphs: int) -> dict[str, object]:
    return {"state": no_update, "period": no_update, "start": no_update, "end": no_update,
            "dates_hidden": no_update, "controls": [no_update] * len(spec.controls), "teams": no_update,
            "clicks": [None] * graphs,
            "alert": no_update, "goto": no_update,
            "view": _rendering.unchanged(spec), "drawn": no_update}


def _synced(spec: PageSpec, state: dict, graphs: int) -> dict[str, object]:
    """The sync outputs for a new view state, validated (and refused, audited) by data_access."""
    alert = None
    try:
        state = data_access.view_state(user=current_app_user(), query={k: str(v) for k, v in state.items()})
    except data_access.Refused as exc:
        alert = ui.message(f"This view could not be opened: {exc} The page shows the default view instead.")
        state = dict(spec.defaults)
    custom = state.get("period") == "custom"
    controls = [state.get(c, {"grain": "month", "year_type": "census"}.get(c, "")) for c in spec.controls]
    return {"state": state, "period": st.period_value(state), "start": state.get("start", "") if custom else "",
            "end": state.get("end", "") if custom else "", "dates_hidden": not custom, "controls": controls,
            "clicks": [None] * graphs, "alert": alert, "goto": no_update}


def _drill_through(spec: PageSpec, state: Mapping[str, object], visual: str, code: str) -> dict[str, object]:
    """The alert and link for the records behind a clicked row, if the user may open them."""
    drill = _drill.target(spec.page, state, visual=visual, code=code)
    try:
        records.check_drill_through(user=current_app_user(), drill=drill)
    except data_access.Refused as exc:
        return {"alert": ui.message(f"Drill-through refused: {exc}"), "goto": no_update}
    return {"alert": None, "goto": _drill.records_href(drill)}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _register_export(spec: PageSpec) -> None:
    p = spec.prefix

    @callback(Output(fid(p, "download"), "data"), Output(fid(p, "image"), "children"),
              Output(fid(p, "alert"), "children", allow_duplicate=True),
              Input({"type": _panels.EXPORT, "page": p, "visual": ALL, "fmt": ALL}, "n_clicks"),
              State(fid(p, "state"), "data"), prevent_initial_call=True)
    def export(_clicks: list, state: object) -> tuple:
        trigger = ctx.triggered_id
        if not isinstance(trigger, Mapping) or not ctx.triggered[0].get("value"):
            raise PreventUpdate
        visual, fmt, user = trigger.get("visual"), trigger.get("fmt"), current_app_user()
        if not isinstance(visual, str) or fmt not in ("csv", "xlsx", "png", "pdf"):
            return no_update, no_update, ui.message("Export refused: unknown chart or format.")
        state = state if isinstance(state, dict) else {}
        try:
            if fmt == "png":  # drawn in the browser with the caption the server gives (and audits)
                lines = data_access.export_image(user=user, page=spec.page, visual=visual, filters=state)
                token = {"fmt": "png", "graph": f"{p}-{visual}", "n": ctx.triggered[0]["value"], "lines": lines}
                return no_update, json.dumps(token), None
            if fmt == "pdf":
                file = data_access.export_page_pdf(user=user, page=spec.page, filters=state)
            else:
                file = data_access.export_visual(user=user, page=spec.page, visual=visual, filters=state, fmt=fmt)
        except data_access.Refused as exc:
            return no_update, no_update, ui.message(f"Export refused: {exc}")
        return dcc.send_bytes(file.content, file.filename, type=file.mimetype), no_update, None


__all__ = ["Chart", "PageSpec", "layout", "register", "_charts"]
