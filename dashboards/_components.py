"""Shared page pieces: KPI cards, accessible data tables, chart panels, messages."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from dash import dcc, html



def format_value(value: object, unit: str = "count") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, str):  # "c" (suppressed) or "z" (not applicable)
        return value
    if unit == "percent":
        return f"{float(value):.1f}%"  # type: ignore[arg-type]
    if isinstance(value, float):
        return f"{value:,.1f}"
    return f"{int(value):,}"  # type: ignore[call-overload]


def kpi_card(*, key: str, label: str, value: str, sub: str | None, definition: str, na: bool = False) -> html.Div:
    return html.Div(
        html.Section([
            html.H2(label, id=f"kpi-{key}-label"),
            html.Div(value, className="kpi-value", id=f"kpi-{key}-value", **{"aria-describedby": f"kpi-{key}-label"}),
            html.Div(sub, className="kpi-sub") if sub else None,
            html.Details([html.Summary("Definition"), html.P(definition)]),
        ], className="kpi-card" + (" kpi-na" if na else ""), **{"data-kpi": key}),
        className="col-12 col-sm-6 col-lg-4 col-xl-2 mb-3",
    )


def data_table(frame: pd.DataFrame, *, caption: str, columns: Sequence[tuple[str, str]]) -> html.Table:
    """An accessible HTML table of the (suppressed) frame: the chart's text alternative."""
    head = html.Thead(html.Tr([html.Th(label, scope="col") for _, label in columns]))
    body = html.Tbody([
        html.Tr([html.Td(str(row[c]) if not isinstance(row[c], int) else f"{row[c]:,}") for c, _ in columns])
        for _, row in frame.iterrows()
    ])
    return html.Table([html.Caption(caption), head, body], className="table table-sm data-table")


def chart_panel(*, graph_id: str, title: str, summary_id: str, table_id: str) -> html.Section:
    """A chart with its text summary and a data-table view (skeleton: filled by a callback)."""
    return html.Section([
        html.H2(title),
        html.P(id=summary_id, className="chart-summary", **{"aria-live": "polite"}),
        html.Div(dcc.Graph(id=graph_id, config={"displayModeBar": False}, responsive=True),
                 role="img", **{"aria-labelledby": summary_id}),
        html.Details([html.Summary("Show the data as a table"), html.Div(id=table_id)]),
    ], className="panel")


def message(text: str, kind: str = "warning") -> html.Div:
    return html.Div(text, className=f"alert alert-{kind} csi-alert", role="status")
