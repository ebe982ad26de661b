"""Turning a page's (suppressed) data into its cards, charts, summaries and tables: pure functions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dash import Output

import data_access
from dashboards import _charts, _panels
from dashboards import _components as ui
from dashboards._filterbar import fid

if TYPE_CHECKING:
    from dashboards._page import Chart, PageSpec  # _page imports this module
    from data_access import Filters, Kpi, PageData, Visual


def outputs(spec: PageSpec) -> dict[str, Any]:
    """The render callback's outputs, grouped: the page's header parts, then one group per chart."""
    p = spec.prefix
    charts: dict[str, dict[str, Output]] = {}
    for chart in spec.charts:
        i = _panels.ids(p, chart.key)
        charts[chart.key] = {"figure": Output(i["graph"], "figure"), "summary": Output(i["summary"], "children"),
                             "table": Output(i["table"], "children"), "notes": Output(i["notes"], "children"),
                             "level": Output(i["level"], "children"), "title": Output(i["title"], "children")}
        if chart.drill:
            up = {"type": _panels.UP, "page": p, "visual": chart.key, "drill": chart.drill}
            charts[chart.key] |= {"up_hidden": Output(up, "hidden"), "up_value": Output(up, "value")}
    return {"cards": Output(fid(p, "cards"), "children"), "asof": Output(fid(p, "asof"), "children"),
            "notice": Output(fid(p, "notice"), "children"), "selection": Output(fid(p, "selection"), "children"),
            "clear_hidden": Output(fid(p, "clear"), "hidden"), "charts": charts}


# The one sentence every aggregate page (and export) shows; the fuller explanation is /about-figures.
PROTECTED_NOTE = data_access.PROTECTED_NOTE


def previous_label(filters: Filters) -> str:
    if filters.selection is not None and filters.selection.dim == "time":
        return "the period before the selection"
    if filters.period in ("this_census_year", "last_census_year"):
        return "the previous census year"
    if filters.period in ("this_financial_year", "last_financial_year"):
        return "the previous financial year"
    if filters.period == "last_calendar_year":
        return "the calendar year before"
    if filters.period == "custom":
        return "the previous period of the same length"
    return f"the previous {filters.period_months} months"


def _card(kpi: Kpi, previous: str) -> dict:
    if kpi.value is None:
        sub = kpi.note
    elif kpi.unit == "percent" and kpi.denominator is not None:
        sub = f"{ui.format_value(kpi.numerator)} of {ui.format_value(kpi.denominator)}"
    elif kpi.rate_per_10k is not None:
        sub = f"{ui.format_value(kpi.rate_per_10k)} per 10,000 children"
    else:
        sub = None
    lines = ui.comparison_lines(kpi, previous)
    if not lines and kpi.note and kpi.value is not None and kpi.unit == "percent":
        lines = [ui.el("Div", kpi.note, className="kpi-england", id=f"kpi-{kpi.key}-england")]
    return ui.kpi_card(key=kpi.key, label=kpi.label, value=ui.format_value(kpi.value, kpi.unit), sub=sub,
                       definition=kpi.definition, na=kpi.value is None, lines=lines)


def selection_text(data: PageData | None) -> tuple[str, bool]:
    """The active cross-filter in words, and whether the Clear button is hidden."""
    sel = data.filters.selection if data is not None else None
    if data is None or sel is None:
        return "No chart selection: click a bar, or a table row's Filter by button, to filter the page.", True
    visual = data.visuals.get(sel.visual)
    label, where = sel.value, ""
    if visual is not None:
        found = [lab for code, lab in zip(visual.cols["code"], visual.cols["label"], strict=True) if code == sel.value]
        label = str(found[0]) if found else sel.value
        where = f" (from {visual.title})"
    return f"Filtered by {label}{where}. Every other chart and the cards show only this.", False


def _unavailable(chart: Chart, title: str, message: str) -> dict[str, object]:
    out: dict[str, object] = {"figure": _charts.empty(message), "summary": message, "table": None, "notes": "",
                              "level": "", "title": title}
    if chart.drill:
        out |= {"up_hidden": True, "up_value": ""}
    return out


def _chart(prefix: str, chart: Chart, visual: Visual | None, data: PageData) -> dict[str, object]:
    if visual is None or not visual.available:
        message = (visual.message if visual is not None else None) or "Not available"
        return _unavailable(chart, visual.title if visual is not None else chart.title, message)
    out: dict[str, object] = {
        "figure": _charts.figure(visual), "summary": _charts.summary(visual, data.period_label),
        "table": _panels.table(prefix, visual, f"{visual.title}, {data.period_label}"),
        "notes": _panels.notes(visual), "level": _panels.level_text(visual), "title": visual.title}
    if chart.drill:
        at_top = (visual.drill == "time" and data.filters.drill_time is None) or \
            (visual.drill == "org" and data.filters.drill_org is None)
        out |= {"up_hidden": at_top, "up_value": str(visual.extra.get("up", ""))}
    return out


def render_page(spec: PageSpec, data: PageData | None, error: str | None) -> dict[str, object]:
    """The render callback's grouped outputs (``outputs``) for ``data``, or for the refusal ``error``."""
    if data is None:
        return {"cards": [], "asof": "", "notice": ui.message(error or "No data"), "selection": "",
                "clear_hidden": True,
                "charts": {c.key: _unavailable(c, c.title, error or "Not available") for c in spec.charts}}
    previous = previous_label(data.filters)
    asof = f"Data to {data.as_of:%d %B %Y}. Period: {data.period_label}. {PROTECTED_NOTE}"
    text, hidden = selection_text(data)
    return {"cards": [_card(k, previous) for k in data.cards], "asof": asof, "notice": None, "selection": text,
            "clear_hidden": hidden,
            "charts": {c.key: _chart(spec.prefix, c, data.visuals.get(c.key), data) for c in spec.charts}}
