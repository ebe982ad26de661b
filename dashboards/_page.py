"""The shape every aggregate page shares: a skeleton layout and four thin callbacks.

1. ``sync``: URL, slicers, chart clicks, table buttons and drill controls -> the page's view state
   (``dcc.Store``: filter state only), validated by ``data_access.view_state``.
2. A clientside callback writes that state to the URL (``history.pushState``), so a view can be
   bookmarked, shared and reopened; back/forward re-render the page from the URL.
3. ``render``: state -> one data_access page call -> cards, figures, summaries, tables.
4. ``export``: a chart's data as CSV/XLSX (``dcc.Download``), or an audited PNG/PDF in the browser.
Each callback gets the user with ``current_app_user()`` and makes one data_access call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dash import ALL, ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

import data_access
from auth import current_app_user
from dashboards import _charts, _drill, _panels
from dashboards import _components as ui
from dashboards import _state as st
from dashboards._filterbar import fid, filter_bar, register_measures, register_options
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
        dcc.Download(id=fid(p, "download")),
        html.Div(id=fid(p, "image"), hidden=True),
        html.Span(id=fid(p, "urlsink"), hidden=True),
        html.Div([html.H1(spec.title), html.Button("Save page as PDF", className="btn-tool btn-pdf",
                                                   id={"type": _panels.EXPORT, "page": p, "visual": "page",
                                                       "fmt": "pdf"})], className="page-head"),
        html.P(spec.intro, className="page-intro"),
        html.P(id=fid(p, "asof"), className="csi-asof"),
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
    register_options(p, spec.services)
    if spec.measure:
        register_measures(p)
    _register_sync(spec)
    _drill.register(p, spec.page, fetch)
    clientside_callback(ClientsideFunction("csi", "writeUrl"), Output(fid(p, "urlsink"), "title"),
                        Input(fid(p, "state"), "data"), prevent_initial_call=True)
    clientside_callback(ClientsideFunction("csi", "saveImage"), Output(fid(p, "image"), "title"),
                        Input(fid(p, "image"), "children"), prevent_initial_call=True)
    _register_render(spec, fetch)
    _register_export(spec)


def _register_sync(spec: PageSpec) -> None:
    p, keys = spec.prefix, [c.key for c in spec.charts]
    graph_ids = [_panels.ids(p, k)["graph"] for k in keys]

    @callback(
        Output(fid(p, "state"), "data"), Output(fid(p, "period"), "value"), Output(fid(p, "start"), "value"),
        Output(fid(p, "end"), "value"), Output(fid(p, "dates-wrap"), "hidden"),
        *(Output(fid(p, c), "value") for c in spec.controls), *(Output(g, "clickData") for g in graph_ids),
        Output(fid(p, "alert"), "children"), Output(fid(p, "goto"), "href"),
        Input(fid(p, "url"), "search"), Input(fid(p, "period"), "value"), Input(fid(p, "start"), "value"),
        Input(fid(p, "end"), "value"), *(Input(fid(p, c), "value") for c in spec.controls),
        *(Input(g, "clickData") for g in graph_ids),
        Input({"type": _panels.PICK, "page": p, "visual": ALL, "code": ALL, "action": ALL, "dim": ALL,
               "level": ALL, "drill": ALL}, "n_clicks"),
        Input({"type": _panels.UP, "page": p, "visual": ALL, "drill": ALL}, "n_clicks"),
        Input(fid(p, "clear"), "n_clicks"),
        State({"type": _panels.UP, "page": p, "visual": ALL, "drill": ALL}, "value"),
        State(fid(p, "state"), "data"), State(fid(p, "mode"), "value"),
    )
    def sync(search: object, period: object, start: object, end: object, *rest: Any) -> tuple:
        # Every value here may be forged (any JSON): anything of the wrong type counts as absent.
        n = len(spec.controls)
        values = [_text(v) for v in rest[:n]]
        clicks = rest[n:n + len(graph_ids)]
        _picks, _ups, _clear, up_values, state, mode = rest[n + len(graph_ids):]
        search, period, start, end = _text(search) or "", _text(period), _text(start), _text(end)
        mode = mode if mode in ("drill", "records") else "filter"
        trigger = ctx.triggered_id
        state = {k: v for k, v in state.items() if isinstance(v, str | int)} if isinstance(state, dict) else {}
        skip = (no_update,) * (5 + len(spec.controls))
        if trigger is None or trigger == fid(p, "url"):
            state = {**spec.defaults, **st.from_query(search)}
        elif trigger in (fid(p, "period"), fid(p, "start"), fid(p, "end")):
            if period == "custom" and not (start and end):  # show the date pickers; wait for both dates
                return (no_update,) * 4 + (False,) + (no_update,) * (len(spec.controls) + len(graph_ids) + 2)
            state = st.with_period(state, period, start, end)
        elif isinstance(trigger, str) and trigger in graph_ids:
            click = clicks[graph_ids.index(trigger)]
            points = click.get("points") if isinstance(click, dict) else None
            meta = points[0].get("customdata") if isinstance(points, list) and points and \
                isinstance(points[0], dict) else None
            if not isinstance(meta, list) or len(meta) < 5 or not all(isinstance(m, str) for m in meta[:5]):
                raise PreventUpdate
            code, _text_shown, dim, level, drill = meta[:5]
            if mode == "records":
                return (*skip, *_drill_through(spec, state, keys[graph_ids.index(trigger)], code, len(graph_ids)))
            state = st.clicked(state, visual=keys[graph_ids.index(trigger)], dim=dim or None, code=code,
                               level=level or None, drill=drill or None, mode=mode)
        elif isinstance(trigger, Mapping) and trigger.get("type") == _panels.PICK:
            fields: list[Any] = [trigger.get(k) for k in ("visual", "code", "dim", "level", "drill", "action")]
            if not ctx.triggered[0].get("value") or not all(isinstance(f, str) for f in fields):
                raise PreventUpdate
            visual, code, dim, level, drill, action = fields
            if mode == "records":
                return (*skip, *_drill_through(spec, state, visual, code, len(graph_ids)))
            state = st.clicked(state, visual=visual, dim=dim or None, code=code, level=level or None,
                               drill=drill or None, mode="drill" if action == "drill" else "filter")
        elif isinstance(trigger, Mapping) and trigger.get("type") == _panels.UP:
            if not ctx.triggered[0].get("value") or trigger.get("drill") not in ("time", "org"):
                raise PreventUpdate
            ups = {s["id"].get("visual"): v for s, v in zip(ctx.states_list[0], up_values or [], strict=False)}
            state = st.drilled_up(state, drill=trigger["drill"], up=_text(ups.get(trigger.get("visual"))))
        elif trigger == fid(p, "clear"):
            state = st.cleared(state)
        else:
            field_name = trigger.removeprefix(f"{p}-") if isinstance(trigger, str) else ""
            if field_name not in spec.controls:
                raise PreventUpdate
            state = st.with_value(state, field_name, values[spec.controls.index(field_name)])
        alert = None
        try:
            state = data_access.view_state(user=current_app_user(), query={k: str(v) for k, v in state.items()})
        except (data_access.InvalidFilter, data_access.AccessDenied) as exc:
            alert = ui.message(f"This view could not be opened: {exc} The page shows the default view instead.")
            state = dict(spec.defaults)
        custom = state.get("period") == "custom"
        controls = [state.get(c, {"grain": "month", "year_type": "census"}.get(c, "")) for c in spec.controls]
        return (state, st.period_value(state), state.get("start", "") if custom else "",
                state.get("end", "") if custom else "", not custom, *controls,
                *([None] * len(graph_ids)), alert, no_update)


def _drill_through(spec: PageSpec, state: Mapping[str, object], visual: str, code: str, graphs: int) -> tuple:
    """(clickData resets, alert, href): the records behind a clicked row, if the user may open them."""
    drill = _drill.target(spec.page, state, visual=visual, code=code)
    try:
        records.check_drill_through(user=current_app_user(), drill=drill)
    except (data_access.AccessDenied, data_access.InvalidFilter) as exc:
        return (*([None] * graphs), ui.message(f"Drill-through refused: {exc}"), no_update)
    return (*([None] * graphs), None, _drill.records_href(drill))


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _register_render(spec: PageSpec, fetch: Callable[..., data_access.PageData]) -> None:
    from dashboards._render import outputs, render_page

    p = spec.prefix

    @callback(*outputs(spec), Input(fid(p, "state"), "data"))
    def render(state: object) -> tuple:
        try:
            if state is not None and not isinstance(state, dict):
                raise data_access.InvalidFilter("The page's filter state is not a set of named values.")
            data = fetch(user=current_app_user(), filters=state or {})
        except (data_access.AccessDenied, data_access.InvalidFilter) as exc:
            return render_page(spec, None, str(exc))
        return render_page(spec, data, None)


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
            if fmt in ("png", "pdf"):
                data_access.record_image_export(user=user, page=spec.page, visual=visual, filters=state, fmt=fmt)
                return no_update, f"{fmt}:{p}-{visual}:{ctx.triggered[0]['value']}", None
            file = data_access.export_visual(user=user, page=spec.page, visual=visual, filters=state, fmt=fmt)
        except (data_access.AccessDenied, data_access.InvalidFilter) as exc:
            return no_update, no_update, ui.message(f"Export refused: {exc}")
        return dcc.send_bytes(file.content, file.filename, type=file.mimetype), no_update, None


__all__ = ["Chart", "PageSpec", "layout", "register", "_charts"]
