"""Turning a page's (suppressed) data into its cards, charts, summaries and tables: pure functions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dash import Output

from dashboards import _charts, _panels
from dashboards import _components as ui
from dashboards._filterbar import fid

if TYPE_CHECKING:
    from dashboards._page import PageSpec  # _page imports this module
    from data_access import Filters, Kpi, PageData


def outputs(spec: PageSpec) -> list[Output]:
    p = spec.prefix
    outs = [Output(fid(p, "cards"), "children"), Output(fid(p, "asof"), "children"),
            Output(fid(p, "notice"), "children"), Output(fid(p, "selection"), "children"),
            Output(fid(p, "clear"), "hidden")]
    for chart in spec.charts:
        i = _panels.ids(p, chart.key)
        outs += [Output(i["graph"], "figure"), Output(i["summary"], "children"), Output(i["table"], "children"),
                 Output(i["notes"], "children"), Output(i["level"], "children"), Output(i["title"], "children")]
        if chart.drill:
            up = {"type": _panels.UP, "page": p, "visual": chart.key, "drill": chart.drill}
            outs += [Output(up, "hidden"), Output(up, "value")]
    return outs


def previous_label(filters: Filters) -> str:
    if filters.selection is not None and filters.selection.dim == "time":
        return "the period before the selection"
    if filters.period in ("this_census_year", "last_census_year"):
        return "the previous census year"
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
    if sel is None:
        return "No chart selection: click a bar, or a table row's Filter by button, to filter the page.", True
    visual = data.visuals.get(sel.visual)  # type: ignore[union-attr]  # sel is set only with data
    label, where = sel.value, ""
    if visual is not None:
        found = [lab for code, lab in zip(visual.cols["code"], visual.cols["label"], strict=True) if code == sel.value]
        label = str(found[0]) if found else sel.value
        where = f" (from {visual.title})"
    return f"Filtered by {label}{where}. Every other chart and the cards show only this.", False


def render_page(spec: PageSpec, data: PageData | None, error: str | None) -> tuple:
    if data is None:
        out: list = [[], "", ui.message(error or "No data"), "", True]
        for chart in spec.charts:
            out += [_charts.empty("Not available"), error or "", None, "", "", chart.title]
            if chart.drill:
                out += [True, ""]
        return tuple(out)
    previous = previous_label(data.filters)
    cards = [_card(k, previous) for k in data.cards]
    asof = (f"Data to {data.as_of:%d %B %Y}. Period: {data.period_label}. Counts of 1 to 5 are shown as c, "
            "and further counts are hidden where they would let a c be worked out.")
    text, hidden = selection_text(data)
    out = [cards, asof, None, text, hidden]
    for chart in spec.charts:
        visual = data.visuals.get(chart.key)
        if visual is None or not visual.available:
            message = visual.message if visual is not None else "Not available"
            out += [_charts.empty(message or "Not available"), message, None, "", "",
                    visual.title if visual is not None else chart.title]
            if chart.drill:
                out += [True, ""]
            continue
        out += [_charts.figure(visual), _charts.summary(visual, data.period_label),
                _panels.table(spec.prefix, visual, f"{visual.title}, {data.period_label}"),
                _panels.notes(visual), _panels.level_text(visual), visual.title]
        if chart.drill:
            at_top = (visual.drill == "time" and data.filters.drill_time is None) or \
                (visual.drill == "org" and data.filters.drill_org is None)
            out += [at_top, str(visual.extra.get("up", ""))]
    return tuple(out)
