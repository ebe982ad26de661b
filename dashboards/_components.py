"""Shared page pieces: KPI cards, accessible data tables, chart panels, messages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pandas as pd
from dash import dcc, html
from dash.development.base_component import Component

if TYPE_CHECKING:
    from data_access import Kpi


def format_value(value: float | str | None, unit: str = "count") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, str):  # "c" (suppressed) or "z" (not applicable)
        return value
    if unit == "percent":
        return f"{float(value):.1f}%"
    if unit == "rate":
        return f"{float(value):,.1f}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return f"{int(value):,}"


UK = ZoneInfo("Europe/London")


def uk_time(value: object) -> str:
    """A moment (a datetime, or ISO 8601 text as the app store keeps it; naive means UTC) in UK time,
    e.g. "6 Dec 2026 14:05 (UK time)"; "-" for none. British Summer Time is applied when in force."""
    if not value:
        return "-"
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(UK)
    return f"{local.day} {local:%b %Y %H:%M} (UK time)"


def el(tag: str, children: object = None, **props: object) -> dict:
    """An html component in the JSON form Dash sends (what ``html.<tag>(...).to_plotly_json()`` gives).

    Cards and chart tables are rebuilt on every slicer change; built as dicts they cost a tenth of
    the component objects' construction, validation and serialisation, and the browser receives
    the same JSON."""
    return {"props": {"children": children, **props}, "type": tag, "namespace": "dash_html_components"}


def kpi_card(*, key: str, label: str, value: str, sub: str | None, definition: str, na: bool = False,
             lines: Sequence[dict] = ()) -> dict:
    """One KPI: label, value, a sub-line, comparison ``lines`` (previous period, England) and its definition."""
    return el("Div", el("Section", [
        el("H2", label, id=f"kpi-{key}-label"),
        el("Div", value, className="kpi-value", id=f"kpi-{key}-value", **{"aria-describedby": f"kpi-{key}-label"}),
        el("Div", sub, className="kpi-sub") if sub else None,
        *lines,
        el("Details", [el("Summary", "Definition"), el("P", definition)]),
    ], className="kpi-card" + (" kpi-na" if na else ""), **{"data-kpi": key}),
        className="col-12 col-sm-6 col-lg-4 col-xl-2 mb-3")


ARROWS = {"up": "\u25B2 up", "down": "\u25BC down", "same": "\u25B6 no change"}


def comparison_lines(kpi: Kpi, previous_label: str) -> list[dict]:
    """Direction of travel against the previous period and the England figure, in words as well as arrows."""
    lines: list[dict] = []
    previous = getattr(kpi, "previous", None)
    unit = getattr(kpi, "unit", "count")
    key = getattr(kpi, "key", "")
    if previous is not None and getattr(kpi, "value", None) is not None:
        direction = getattr(kpi, "direction", None)
        judgement = getattr(kpi, "judgement", None)
        words = ARROWS.get(direction or "", "change not shown (suppressed)")
        text = f"{words} on {previous_label} ({format_value(previous, unit)})"
        if judgement:
            text += f": {judgement}"
        lines.append(el("Div", text, className=f"kpi-trend kpi-{judgement or 'neutral'}", id=f"kpi-{key}-trend"))
    if getattr(kpi, "england", None) is not None:
        local = getattr(kpi, "local_comparable", None)
        percent = unit == "percent" or key == "ehc_active"
        shown = format_value(local, "percent" if percent else "rate")
        here = "" if local is None else f"Here {shown}{'' if percent else ' per 10,000'}; "
        basis = getattr(kpi, "england_basis", None)
        lines.append(el("Div", f"{here}{kpi.england_note}" + (f". {basis}." if basis else ""),
                        className="kpi-england", id=f"kpi-{key}-england"))
    if getattr(kpi, "neighbours_note", None):
        lines.append(el("Div", kpi.neighbours_note, className="kpi-england", id=f"kpi-{key}-neighbours"))
    return lines


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
        html.P(id=summary_id, className="chart-summary", **{"aria-live": "polite"}),  # type: ignore[arg-type]  # aria-*/data-* go to **kwargs; mypy matches the dict to typed props
        html.Div(dcc.Graph(id=graph_id, config={"displayModeBar": False}, responsive=True),
                 role="img", **{"aria-labelledby": summary_id}),  # type: ignore[arg-type]  # aria-*/data-* go to **kwargs; mypy matches the dict to typed props
        html.Details([html.Summary("Show the data as a table"), html.Div(id=table_id)]),
    ], className="panel")


def message(text: str | Component, kind: str = "warning") -> html.Div:
    return html.Div(text, className=f"alert alert-{kind} csi-alert", role="status")
