"""Exports: the data behind one visual as CSV or XLSX, and the audit of image and PDF exports.

The file is built from the visual's suppressed frame (the numbers the chart and its table show,
``c`` where suppressed), never from raw counts. Text cells that a spreadsheet would run as a formula
(starting ``=``, ``+``, ``-``, ``@``, tab or carriage return) get a leading apostrophe (OWASP CSV
injection; ASVS 1.2.10). Every export, and every refused one, is an EXPORT / ACCESS_REFUSED event in
the audit trail with who, what (page, visual, format, filters) and when; never the data itself.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from appstore import audit
from data_access.policy import Principal
from data_access.stores import record_event
from model.csvcells import FORMULA_START, safe_cell

__all__ = ["FORMULA_START", "safe_cell", "ExportFile", "to_csv", "to_xlsx", "record", "filename"]

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

    from data_access.aggregates.visual import Visual
    from data_access.views import PageData  # views imports this module

FORMATS = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "png": "image/png", "pdf": "application/pdf"}


@dataclass(frozen=True)
class ExportFile:
    filename: str
    mimetype: str
    content: bytes


def _rows(page: PageData, visual: Visual) -> list[list[object]]:
    columns = list(visual.values)
    header: list[object] = ["Code", "Category", *(visual.values[c] for c in columns)]
    rows: list[list[object]] = [header]
    for _, row in visual.frame.iterrows():
        rows.append([row["code"], row["label"], *(row[c] for c in columns)])
    if visual.totals:
        rows.append(["", "Total", *(visual.totals.get(c, "") for c in columns)])
    return [[safe_cell(v) for v in r] for r in rows]


def _about(visual: Visual, context: Sequence[tuple[str, str]]) -> list[list[object]]:
    """The export's context lines (``export_context.context_lines``) and the chart's own notes."""
    return [[safe_cell(v) for v in r] for r in (
        ["Children's Services Insight", ""], *([label, value] for label, value in context),
        *(["Note", n] for n in visual.notes),
    )]


def to_csv(page: PageData, visual: Visual, context: Sequence[tuple[str, str]]) -> bytes:
    """The chart's data under a header block saying what it is (title, period, filters, data date,
    protection, when and by whom), then a blank row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(_about(visual, context))
    writer.writerow([])
    writer.writerows(_rows(page, visual))
    return buffer.getvalue().encode("utf-8-sig")  # the BOM lets Excel read UTF-8


def to_xlsx(page: PageData, visual: Visual, context: Sequence[tuple[str, str]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet: Worksheet = book.active  # type: ignore[assignment]  # a new workbook's active sheet is a worksheet
    sheet.title = "Data"
    for row in _rows(page, visual):
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    about = book.create_sheet("About")
    for row in _about(visual, context):
        about.append(row)
    for cells in sheet.iter_rows():
        for cell in cells:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text stays text, even "=..." (already apostrophe-prefixed)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def record(user: Principal | None, *, page: str, visual: str, fmt: str, filters: Mapping[str, object],
           outcome: str = "success", rows: int | None = None, reason: str | None = None) -> None:
    """Append an EXPORT (or refused export) event: who, which page and visual, format and filters."""
    detail: dict[str, str | int | None] = {"page": str(page)[:40], "visual": str(visual)[:40],
                                           "format": str(fmt)[:8]}
    if rows is not None:
        detail["rows"] = rows
    filter_text = ";".join(f"{k}={v}" for k, v in sorted(filters.items()))[:200]
    if filter_text:
        detail["filters"] = filter_text
    record_event(audit.AuditEvent(
        action=audit.AuditAction.EXPORT if outcome == "success" else audit.AuditAction.ACCESS_REFUSED,
        outcome="success" if outcome == "success" else "refused", resource=f"export:{str(page)[:40]}",
        username=getattr(user, "username", None), user_id=getattr(user, "user_id", None), reason=reason,
        detail=detail))


def filename(page: str, visual: str, fmt: str, day: dt.date) -> str:
    return f"{page}-{visual}-{day.isoformat()}.{fmt}".replace("_", "-")
