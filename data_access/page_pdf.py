"""A dashboard page as a real PDF, built on the server from the page's protected data.

What the printout of a browser page could not do: the slicers, period, data date and protection
note are stated at the top; every chart is redrawn to fit an A4 landscape page (bars scaled to the
page width, never clipped) with its data table beneath; KPI cards become a table. Every number comes
from the page's protected ``PageData`` (the same values the page shows). Text is written as text
(fpdf2's core font, Latin-1): characters outside it are replaced, never interpreted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from fpdf import FPDF

from data_access.aggregates.kpi import Kpi
from data_access.aggregates.visual import Visual

if TYPE_CHECKING:
    from data_access.views import PageData

_ASCII = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                        "\u2026": "...", "\u2265": ">=", "\u2264": "<=", "\u25b2": "up", "\u25bc": "down"})
INK, BAR, MUTED = (29, 36, 51), (31, 78, 121), (110, 117, 128)
WIDTH = 277  # A4 landscape, 10 mm margins


def text(value: object) -> str:
    """``value`` as the core font can print it: typographic marks made plain, anything else replaced."""
    return str(value).translate(_ASCII).encode("latin-1", "replace").decode("latin-1")


def _shown(value: object, unit: str = "count") -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" + ("%" if unit == "percent" else "")
    if isinstance(value, int):
        return f"{value:,}"
    return "n/a" if value is None else str(value)


def _context(pdf: FPDF, lines: Sequence[tuple[str, str]]) -> None:
    title = next((t for label, t in lines if label == "Title"), "")
    pdf.set_font("helvetica", "B", 16)
    pdf.multi_cell(WIDTH, 8, text(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", size=9)
    for label, value in lines:
        if label != "Title":
            pdf.set_font("helvetica", "B", 9)
            pdf.cell(22, 5, text(label))
            pdf.set_font("helvetica", size=9)
            pdf.multi_cell(WIDTH - 22, 5, text(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def _cards(pdf: FPDF, cards: Sequence[Kpi]) -> None:
    shown = [k for k in cards if k.value is not None]
    if not shown:
        return
    pdf.set_font("helvetica", "B", 12)
    pdf.cell(WIDTH, 7, "Key figures", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", size=9)
    with pdf.table(col_widths=(70, 30, 177), text_align=("LEFT", "RIGHT", "LEFT")) as table:
        table.row(["Measure", "Value", "Compared with"])
        for k in shown:
            compared = [f"previous {_shown(k.previous, k.unit)}" if k.previous is not None else "",
                        k.england_note or "", k.neighbours_note or ""]
            table.row([text(k.label), text(_shown(k.value, k.unit)), text("; ".join(c for c in compared if c))])
    pdf.ln(4)


def _bars(pdf: FPDF, visual: Visual) -> None:
    """The visual's first plotted series as horizontal bars scaled to the page width."""
    column = visual.plotted[0] if visual.plotted else None
    frame = visual.frame
    if column is None or frame.empty:
        return
    values = [v if isinstance(v, int | float) else None for v in frame[column]]
    top = max((v for v in values if v is not None), default=0) or 1
    label_w, bar_w, row_h = 70, WIDTH - 70 - 25, 4.6
    pdf.set_font("helvetica", size=8)
    for label, value, raw in zip(frame["label"], values, frame[column], strict=True):
        if pdf.will_page_break(row_h):
            pdf.add_page()
        y = pdf.get_y()
        pdf.set_text_color(*INK)
        pdf.cell(label_w, row_h, text(label)[:48])
        if value is not None and value > 0:
            pdf.set_fill_color(*BAR)
            pdf.rect(pdf.l_margin + label_w, y + 0.7, bar_w * value / top, row_h - 1.4, style="F")
        pdf.set_xy(pdf.l_margin + label_w + (bar_w * (value or 0) / top) + 1, y)
        pdf.cell(25, row_h, text(_shown(raw, visual.unit)), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)
    pdf.ln(2)


def _table(pdf: FPDF, visual: Visual) -> None:
    columns = list(visual.values)
    pdf.set_font("helvetica", size=8)
    widths = (90, *([(WIDTH - 90) / max(1, len(columns))] * len(columns)))
    with pdf.table(col_widths=widths, text_align=("LEFT", *(["RIGHT"] * len(columns)))) as table:
        table.row([text(visual.title), *(text(visual.values[c]) for c in columns)])
        for _, row in visual.frame.iterrows():
            table.row([text(row["label"]), *(text(_shown(row[c], visual.unit)) for c in columns)])
        if visual.totals:
            table.row(["Total", *(text(_shown(visual.totals.get(c, ""), visual.unit)) for c in columns)])
    pdf.ln(4)


def page_pdf(data: PageData, lines: Sequence[tuple[str, str]]) -> bytes:
    """The whole page as PDF bytes: context, KPI cards, then every available chart and its table."""
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_margins(10, 10, 10)
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.set_title(text(lines[0][1] if lines else "Children's Services Insight"))
    pdf.set_creator("Children's Services Insight")
    pdf.add_page()
    pdf.set_text_color(*INK)
    _context(pdf, lines)
    _cards(pdf, data.cards)
    for visual in data.visuals.values():
        if pdf.will_page_break(40):
            pdf.add_page()
        pdf.set_font("helvetica", "B", 12)
        pdf.cell(WIDTH, 7, text(visual.title), new_x="LMARGIN", new_y="NEXT")
        if not visual.available:
            pdf.set_font("helvetica", "I", 9)
            pdf.set_text_color(*MUTED)
            pdf.multi_cell(WIDTH, 5, text(visual.message or "Not shown for this view."), new_x="LMARGIN", new_y="NEXT")
            pdf.set_text_color(*INK)
            pdf.ln(3)
            continue
        _bars(pdf, visual)
        _table(pdf, visual)
        for note in visual.notes:
            pdf.set_font("helvetica", "I", 8)
            pdf.multi_cell(WIDTH, 4, text(note), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
