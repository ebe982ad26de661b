"""Figures and text summaries for a suppressed ``Visual`` (pure: frame in, figure dict out).

Built as the plain figure dict Plotly.js reads: a ``go.Figure`` costs ~10 ms to build and serialise
(it deep-copies its template twice), the dict next to nothing. Every number drawn,
hovered or put in ``customdata`` comes from the visual's suppressed frame: a ``c`` is drawn as an
empty bar labelled "c". The selected category (cross-filter) is outlined and the others faded, and
the selection is also named in text above the chart, so colour is never the only cue; series differ
by pattern as well as colour.

Plotly.js renders a subset of HTML in any text it draws (category labels, hover text, legend names,
annotations): ``<a href>`` becomes a live link. Labels come from the council's files (a team's name),
so every text put into a figure goes through ``plain``, which escapes ``&``, ``<`` and ``>`` (Plotly
shows the entities as the characters themselves).

Cheap to redraw. A slicer change redraws every chart on the page (``Plotly.react``, one after another
in one task), so a figure carries only what Plotly needs and nothing that makes it measure or coerce
more than the look requires (``bench/plotly_react.py`` times it; the settings below were each
measured there, and the charts drawn with them are pixel-identical to those drawn with plotly.py's
default template):
- no ``template``: plotly.py's default one is ~70 layout keys (polar, ternary, scene, geo, colour
  scales, ...) that Plotly coerces on every draw; the few of its settings these charts show are
  written out instead (``_look``, ``_BAR_LINE``, ``_PATTERN``, the zero line);
- ``ticklabeloverflow: "allow"``: labels are never clipped here (the margins fit them, see
  ``_margins``), and Plotly's default on a linear axis ("hide past div") measures every tick label
  on every draw to decide what to hide;
- an axis title only where there is one (the "%" of a percentage): a title ``standoff`` also makes
  Plotly measure all the axis's tick labels;
- no ``legend`` settings on a chart without a legend (they are coerced even then).
"""

from __future__ import annotations

from dashboards._components import format_value
from data_access import NOT_APPLICABLE, SUPPRESSED, Visual

COLOURS = ["#1f4e79", "#b34700", "#3f7f3f", "#6b4c9a", "#8a5a00", "#2b6f77", "#a4262c"]
PATTERNS = ["", "/", ".", "x", "-", "|", "+"]
INK, GRID = "#1d2433", "#e3e7ee"
# What plotly.py's default template gave these charts and they still show: hover labels aligned left,
# numeric-looking strings kept as categories, a thin light outline round each bar, its pattern style.
_BAR_LINE: dict[str, object] = {"color": "#E5ECF6", "width": 0.5}
_PATTERN: dict[str, object] = {"fillmode": "overlay", "size": 10, "solidity": 0.2}


def _look() -> dict[str, object]:
    return {"hovermode": "closest", "hoverlabel": {"align": "left"}, "autotypenumbers": "strict"}


def plain(text: object) -> str:
    """``text`` as Plotly will show it literally: ``&``, ``<`` and ``>`` as entities, never markup."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _number(value: float | str | None) -> float | None:
    if value in (SUPPRESSED, NOT_APPLICABLE, None):
        return None
    return float(value)


def figure(visual: Visual) -> dict:
    """The chart for ``visual`` (a data_access Visual)."""
    if not visual.rows:
        return empty("No data for these filters")
    cols = visual.cols
    horizontal = visual.kind == "hbar" or (visual.kind == "stack" and len(cols["code"]) > 6)
    labels = [plain(v) for v in cols["label"]]
    codes = [str(v) for v in cols["code"]]
    selected = visual.selected
    columns = visual.plotted
    traces = []
    for i, column in enumerate(columns):
        shown = cols[column]
        values = [_number(v) for v in shown]
        text = [plain(format_value(v, visual.unit)) for v in shown]
        marker: dict[str, object] = {"color": COLOURS[i % len(COLOURS)], "line": dict(_BAR_LINE)}
        if i:
            marker["pattern"] = {"shape": PATTERNS[i % len(PATTERNS)], "fgcolor": "#ffffff", **_PATTERN}
        if selected is not None:
            marker["opacity"] = [1.0 if code == selected else 0.35 for code in codes]
            marker["line"] = {"color": INK, "width": [3 if code == selected else 0 for code in codes]}
        ys = [0 if v is None else v for v in values]
        traces.append(dict(
            type="bar", x=ys if horizontal else labels, y=labels if horizontal else ys,
            orientation="h" if horizontal else "v",
            name=plain(visual.values[column]), marker=marker,
            customdata=[[c, t, visual.dim or "", visual.level or "", visual.drill or ""]
                        for c, t in zip(codes, text, strict=True)],
            text=[SUPPRESSED if v == SUPPRESSED else "" for v in shown], textposition="outside", cliponaxis=False,
            hovertemplate="%{customdata[1]}<extra>" + plain(visual.values[column]) + "</extra>",
        ))
    height = max(260, 28 * len(labels) + 90) if horizontal else 340
    percent = visual.unit == "percent"
    value_axis: dict[str, object] = {"rangemode": "tozero", "gridcolor": GRID, "zerolinecolor": "#fff",
                                     "zerolinewidth": 2, "automargin": False, "ticklabeloverflow": "allow"}
    if percent:
        value_axis["title"] = {"text": "%", "standoff": 15}
    category_axis: dict[str, object] = {"type": "category", "automargin": False, "showgrid": False,
                                        "ticklabeloverflow": "allow"}
    margin = _margins(labels, traces, horizontal=horizontal, percent=percent, stacked=visual.kind == "stack")
    if not horizontal:
        category_axis["tickangle"] = margin.pop("tickangle")
    layout = {
        "barmode": "stack" if visual.kind == "stack" else "group", "height": height + margin["b"] - 40,
        "margin": margin, "plot_bgcolor": "#fff", "paper_bgcolor": "#fff",
        "font": {"color": INK}, "showlegend": len(columns) > 1,
        "clickmode": "event", "dragmode": False, **_look(),
        "xaxis": value_axis if horizontal else category_axis,
        "yaxis": {"autorange": "reversed", **category_axis} if horizontal else value_axis,
    }
    if len(columns) > 1:
        layout["legend"] = {"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0}
    return {"data": traces, "layout": layout}


CHAR_PX = 7  # a 12px label's average character width, rounded up


def _margins(labels: list[str], traces: list[dict], *, horizontal: bool, percent: bool, stacked: bool) -> dict:
    """Margins that fit the labels, worked out here rather than by Plotly's automargin.

    automargin makes Plotly measure its labels and then draw the whole chart again; with nine charts
    on a page that second pass was a third of the browser's work on every slicer change."""
    longest = max((len(label) for label in labels), default=0)
    series = [t["x"] if horizontal else t["y"] for t in traces]
    top = max((sum(column) if stacked else max(column) for column in zip(*series, strict=True)), default=0)
    numbers = len(format_value(float(top), "percent" if percent else "count")) * CHAR_PX + (22 if percent else 10)
    legend = 30 if len(traces) > 1 else 10
    if horizontal:
        return {"l": min(300, longest * CHAR_PX + 14), "r": 30, "t": legend, "b": 40}
    tilted = sum(len(label) + 2 for label in labels) * CHAR_PX > 520
    bottom = min(180, int(longest * CHAR_PX * 0.72) + 24) if tilted else 40
    return {"l": numbers, "r": 10, "t": legend, "b": bottom, "tickangle": -45 if tilted else 0}


def empty(message: str) -> dict:
    return {"data": [], "layout": {
        "annotations": [{"text": plain(message), "showarrow": False, "font": {"size": 14}}],
        "xaxis": {"visible": False}, "yaxis": {"visible": False}, "height": 160, "plot_bgcolor": "#fff",
        "paper_bgcolor": "#fff", "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
        "font": {"color": "#2a3f5f"}}}  # the message's colour as plotly.py's default template had it


def summary(visual: Visual, period_label: str) -> str:
    """One or two sentences a screen reader user gets instead of the chart."""
    if not visual.available:
        return visual.message or "Not available."
    if not visual.rows:
        return f"{visual.title}: no data for these filters."
    cols = visual.cols
    column = visual.plotted[0]
    name = visual.values[column]
    numeric = [(label, v, _number(v)) for label, v in zip(cols["label"], cols[column], strict=True)]
    shown = [(label, v, n) for label, v, n in numeric if n is not None]
    hidden = sum(1 for _, _, n in numeric if n is None)
    parts = [f"{visual.title}, {period_label}."]
    if visual.totals and column in visual.totals:
        parts.append(f"Total {name.lower()}: {format_value(visual.totals[column], visual.unit)}.")
    if shown:
        top = max(shown, key=lambda item: item[2])
        parts.append(f"Highest: {top[0]} ({format_value(top[1], visual.unit)}).")
        if visual.kind == "time":
            last_label, last_value = cols["label"][-1], cols[column][-1]
            parts.append(f"Latest: {last_label} ({format_value(last_value, visual.unit)}).")
    if hidden:
        parts.append(f"{hidden} value{'s' if hidden != 1 else ''} suppressed (shown as c).")
    if visual.selected:
        chosen = [label for code, label in zip(cols["code"], cols["label"], strict=True) if code == visual.selected]
        if chosen:
            parts.append(f"Selected: {chosen[0]}.")
    return " ".join(parts)
