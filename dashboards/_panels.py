"""A chart panel: title, drill controls, text summary, the chart, its data table and export buttons.

``panel`` builds the skeleton (no data: layouts carry none); ``table`` renders a suppressed frame as
an accessible HTML table whose rows carry keyboard-operable "Filter by" and "Drill into" buttons,
the keyboard route to the same cross-filter and drill-down a click on the chart gives. A row's
button reaches the page's sync callback through the page's pick store (``pick_id``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dash import dcc, html

from dashboards._components import el as _el
from dashboards._components import format_value

if TYPE_CHECKING:
    from data_access import Visual

EXPORT, UP = "csi-export", "csi-up"


def pick_id(prefix: str) -> str:
    """The page's store of the last row button pressed ({visual, code, action, dim, level, drill, n})."""
    return f"{prefix}-pick"


def ids(prefix: str, key: str) -> dict[str, str]:
    base = f"{prefix}-{key}"
    return {"graph": base, "summary": f"{base}-summary", "table": f"{base}-table", "notes": f"{base}-notes",
            "level": f"{base}-level", "title": f"{base}-title", "up": f"{base}-up", "toggle": f"{base}-toggle"}


def panel(prefix: str, key: str, title: str, *, drill: str | None = None, wide: bool = False) -> html.Div:
    """The skeleton of one chart; every value arrives through the page's render callback."""
    i = ids(prefix, key)
    tools = [
        html.Button("CSV", id={"type": EXPORT, "page": prefix, "visual": key, "fmt": "csv"}, className="btn-tool",
                    title=f"Download the data behind {title} as CSV", **{"aria-label": f"Download {title} as CSV"}),  # type: ignore[arg-type]  # aria-*/data-* go to **kwargs; mypy matches the dict to typed props
        html.Button("Excel", id={"type": EXPORT, "page": prefix, "visual": key, "fmt": "xlsx"}, className="btn-tool",
                    **{"aria-label": f"Download {title} as an Excel workbook"}),  # type: ignore[arg-type]  # aria-*/data-* go to **kwargs; mypy matches the dict to typed props
        html.Button("PNG", id={"type": EXPORT, "page": prefix, "visual": key, "fmt": "png"}, className="btn-tool",
                    **{"aria-label": f"Save {title} as a PNG image"}),  # type: ignore[arg-type]  # aria-*/data-* go to **kwargs; mypy matches the dict to typed props
    ]
    if drill:
        tools.insert(0, html.Button("Up one level", id={"type": UP, "page": prefix, "visual": key, "drill": drill},
                                    className="btn-tool btn-up", hidden=True,
                                    **{"aria-label": f"Drill {title} up one level"}))  # type: ignore[arg-type]  # aria-*/data-* go to **kwargs; mypy matches the dict to typed props
    return html.Div(html.Section([
        html.Div([html.H2(title, id=i["title"]), html.Div(tools, className="panel-tools")], className="panel-head"),
        html.P(id=i["level"], className="drill-level"),
        html.P(id=i["summary"], className="chart-summary", **{"aria-live": "polite"}),  # type: ignore[arg-type]  # aria-*/data-* go to **kwargs; mypy matches the dict to typed props
        html.Div(dcc.Graph(id=i["graph"], config={"displayModeBar": False, "responsive": True},
                           figure={"data": [], "layout": {"height": 260}}),
                 role="img", className="chart", **{"aria-labelledby": i["summary"]}),  # type: ignore[arg-type]  # aria-*/data-* go to **kwargs; mypy matches the dict to typed props
        html.P(id=i["notes"], className="chart-notes"),
        html.Details([html.Summary("Show the data as a table", id=i["toggle"]), html.Div(id=i["table"])],
                     className="chart-data", **{"data-page": prefix, "data-visual": key}),  # type: ignore[arg-type]  # aria-*/data-* go to **kwargs; mypy matches the dict to typed props
    ], className="panel", **{"aria-labelledby": i["title"], "data-visual": key}),  # type: ignore[arg-type]  # aria-*/data-* go to **kwargs; mypy matches the dict to typed props
        className="col-12" + ("" if wide else " col-xl-6"))


def table(prefix: str, visual: Visual, caption: str) -> dict:
    """The visual's suppressed frame as an HTML table (the chart's text alternative), with actions."""
    columns = [c for c in visual.values]
    can_drill = visual.drill == "time" and visual.level in ("year", "quarter") or \
        visual.drill == "org" and visual.level == "service"
    actionable = bool(visual.dim) or can_drill
    head = [_el("Th", _row_header(visual), scope="col")] + [_el("Th", visual.values[c], scope="col") for c in columns]
    if actionable:
        head.append(_el("Th", "Actions", scope="col"))
    meta = {"dim": visual.dim or "", "level": visual.level or "", "drill": visual.drill or ""}
    units = [visual.unit if c == visual.plotted[0] else "count" for c in columns]
    cols = visual.cols
    body = []
    for code, label, *values in zip(cols["code"], cols["label"], *(cols[c] for c in columns), strict=True):
        chosen = code == visual.selected
        cells = [_el("Th", str(label), scope="row")]
        cells += [_el("Td", format_value(v, u)) for v, u in zip(values, units, strict=True)]
        actions = []
        if visual.dim:
            actions.append(_pick_button(
                "Clear" if chosen else "Filter by", prefix, visual, str(code), "select", meta,
                **{"aria-pressed": "true" if chosen else "false",
                   "aria-label": f"{'Clear the filter' if chosen else 'Filter the page by'} {label}"}))
        if can_drill:
            actions.append(_pick_button("Drill into", prefix, visual, str(code), "drill", meta,
                                        **{"aria-label": f"Drill into {label}"}))
        if actionable:
            cells.append(_el("Td", actions))
        body.append(_el("Tr", cells, className="is-selected" if chosen else None))
    foot = None
    if visual.totals:
        total_cells = [_el("Th", "Total", scope="row")] + [
            _el("Td", format_value(visual.totals.get(c), visual.unit if c == visual.plotted[0] else "count")
                if c in visual.totals else "") for c in columns]
        if actionable:
            total_cells.append(_el("Td"))
        foot = _el("Tfoot", _el("Tr", total_cells))
    return _el("Table", [_el("Caption", caption), _el("Thead", _el("Tr", head)), _el("Tbody", body), foot],
               className="table table-sm data-table")


def _pick_button(text: str, prefix: str, visual: Visual, code: str, action: str, meta: dict[str, str],
                 **aria: str) -> dict:
    """A row's "Filter by" / "Drill into" button: a plain button whose data-* attributes name the row.

    No Dash id: ``assets/csi.js`` hands a click to the page's pick store (``dash_clientside.set_props``),
    which the page's sync callback reads. A pattern-matching id per row made the browser recompute
    the page's callback graph for every table on every change (hundreds of buttons), and replaced
    the focused button, so keyboard focus fell to the top of the page."""
    data = {"data-page": prefix, "data-visual": visual.key, "data-code": code, "data-action": action,
            **{f"data-{k}": v for k, v in meta.items()}, "data-focus-key": f"{prefix}|{visual.key}|{code}|{action}"}
    return _el("Button", text, className="btn-row csi-pick", type="button", **data, **aria)


def _row_header(visual: Visual) -> str:
    return {"month": "Month", "quarter": "Quarter", "year": "Year", "service": "Service",
            "team": "Team"}.get(visual.level or "", "Category")


def level_text(visual: Visual) -> str:
    """Where a drillable chart is: e.g. "Showing months of Q2 CY 2024-25" (empty when not drillable)."""
    if not visual.drill:
        return ""
    level = {"month": "months", "quarter": "quarters", "year": "years", "service": "services",
             "team": "teams"}.get(visual.level or "", "")
    where = f" of {visual.drill_label}" if visual.drill_label else ""
    hint = {"year": " Use drill mode, or a row's Drill into button, to see its quarters.",
            "quarter": " Use drill mode, or a row's Drill into button, to see its months.",
            "service": " Use drill mode, or a row's Drill into button, to see its teams."}.get(visual.level or "", "")
    return f"Showing {level}{where}.{hint}"


def notes(visual: Visual) -> str:
    parts = list(visual.notes)
    if visual.definition:
        parts.append(visual.definition)
    return " ".join(parts)
