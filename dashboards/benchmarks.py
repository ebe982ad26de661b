"""Benchmarks: the council beside its ten statistical neighbours and England, on DfE's published figures.

Questions it answers:
- How do we compare with councils like us (DfE's statistical neighbours) and with England, on the
  statutory measures DfE publishes for every council?
- Which neighbour has the highest or lowest figure on a measure?
DfE withdrew its benchmarking tool (LAIT) in November 2024 because it failed accessibility standards,
so every figure here is in a plain HTML table with a caption and header cells; the chart repeats the
table. Public statistics only; ``data_access.benchmarks`` still refuses (and audits) users without
dashboards. The layout carries no figures: ``show_benchmarks`` fills it.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import Input, Output, callback, dcc, html

from auth import current_app_user
from dashboards import _components as ui
from data_access import AccessDenied, benchmarks

dash.register_page(__name__, access="aggregates", order=7, path="/benchmarks", name="Benchmarks",
                   title="Benchmarks - Children's Services Insight")

URL, INTRO, TABLE, PICK, CHART, DETAIL = "bm-url", "bm-intro", "bm-table", "bm-pick", "bm-chart", "bm-detail"


def layout(**_query: str) -> html.Div:
    """Skeleton only: the figures arrive through ``show_benchmarks``."""
    return html.Div([
        dcc.Location(id=URL),
        html.H1("Benchmarks: statistical neighbours and England"),
        html.P(id=INTRO, className="csi-asof"),
        html.Section([html.H2("Statutory measures"), html.Div(id=TABLE)], className="panel"),
        html.Section([
            html.H2("One measure, council by council"),
            html.Label("Measure", htmlFor=PICK, className="form-label"),
            dbc.Select(id=PICK, options=[{"label": label, "value": key}
                                         for key, (label, _u, _k) in benchmarks.LABELS.items()],
                       value="cin_rate"),
            dcc.Graph(id=CHART, config={"displayModeBar": False}),
            html.Div(id=DETAIL),
        ], className="panel"),
    ])


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "not published"
    return f"{value:.1f}%" if unit == "percent" else f"{value:,.1f}"


def _summary_table(council: str, rows: list[benchmarks.Benchmark]) -> html.Table:
    head = ["Measure", council, "Neighbours' average", "Neighbours' range", "England", "Year"]
    body = []
    for b in rows:
        values = [v for _, v in b.neighbours if v is not None]
        spread = f"{_fmt(min(values), b.unit)} to {_fmt(max(values), b.unit)}" if values else "not published"
        body.append(html.Tr([html.Th(b.label, scope="row"), html.Td(_fmt(b.council, b.unit)),
                             html.Td(_fmt(b.average, b.unit)), html.Td(spread), html.Td(_fmt(b.england, b.unit)),
                             html.Td(b.year)]))
    return html.Table([html.Caption(f"{council}, its statistical neighbours and England (DfE published figures)"),
                       html.Thead(html.Tr([html.Th(h, scope="col") for h in head])), html.Tbody(body)],
                      className="table table-sm data-table", id="bm-summary")


def _chart(council: str, b: benchmarks.Benchmark) -> go.Figure:
    names = [council, *[n for n, _ in b.neighbours], "England"]
    values = [b.council, *[v for _, v in b.neighbours], b.england]
    colours = ["#1d70b8", *["#b1b4b6"] * len(b.neighbours), "#0b0c0c"]
    figure = go.Figure(go.Bar(x=values, y=names, orientation="h", marker_color=colours,
                              hovertemplate="%{y}: %{x}<extra></extra>"))
    figure.update_layout(title=f"{b.label}, {b.year}", yaxis={"autorange": "reversed"}, height=420,
                         margin={"l": 200, "r": 20, "t": 50, "b": 40})
    return figure


def _detail(council: str, b: benchmarks.Benchmark) -> html.Table:
    rows = [html.Tr([html.Th(council, scope="row"), html.Td("this council"), html.Td(_fmt(b.council, b.unit))])]
    rows += [html.Tr([html.Th(name, scope="row"), html.Td(f"neighbour {rank}"), html.Td(_fmt(value, b.unit))])
             for rank, (name, value) in enumerate(b.neighbours, start=1)]
    rows.append(html.Tr([html.Th("England", scope="row"), html.Td("national"), html.Td(_fmt(b.england, b.unit))]))
    return html.Table([html.Caption(f"{b.label}, {b.year}: each council (nearest neighbour first)"),
                       html.Thead(html.Tr([html.Th(h, scope="col") for h in ("Council", "Which", "Value")])),
                       html.Tbody(rows)], className="table table-sm data-table", id="bm-each")


@callback(output={"intro": Output(INTRO, "children"), "table": Output(TABLE, "children"),
                  "chart": Output(CHART, "figure"), "detail": Output(DETAIL, "children")},
          inputs={"_path": Input(URL, "pathname"), "measure": Input(PICK, "value")})
def show_benchmarks(_path: str | None, measure: object) -> dict[str, object]:
    """The council's benchmarks; data_access refuses (and audits) users without dashboards."""
    empty = go.Figure()
    try:
        council, rows = benchmarks.benchmarks(user=current_app_user())
    except AccessDenied as exc:
        return {"intro": ui.message(str(exc)), "table": None, "chart": empty, "detail": None}
    if council is None:
        return {"intro": ui.message("Set CSI_LA_CODE to your council's 3-digit DfE LA number to see its "
                                    "statistical neighbours."), "table": None, "chart": empty, "detail": None}
    intro = (f"{council}'s ten statistical neighbours (DfE, May 2025 groups) and England, on DfE's published "
             "figures for each council (Local Authority Interactive Tool data). These are published statistics, "
             "not figures from this system's records.")
    chosen = next((b for b in rows if b.measure == measure), rows[0] if rows else None)
    return {"intro": intro, "table": _summary_table(council, rows),
            "chart": _chart(council, chosen) if chosen else empty,
            "detail": _detail(council, chosen) if chosen else None}
