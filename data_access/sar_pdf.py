"""The readable copy of a subject access pack: a PDF made with fpdf2 (pure Python, maintained by the
py-pdf project; see the README for why). Codes are shown with their meaning ("N1: Abuse or neglect").

Text goes in as text: fpdf2 writes strings, it does not interpret markup (``markdown=False``), so a
correction typed by a requester cannot change the document. A Unicode font (DejaVu Sans, from the
system's fonts) is used when present, so any name prints; otherwise the PDF core font Helvetica,
which holds Latin-1 only, with other characters shown as "?".
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fpdf import FPDF

from model import codes

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
INTERVENTION_TYPE = {code: label for code, (_service, label) in codes.INTERVENTION_TYPE.items()}
# (section, column) -> code list, for the meaning of a code.
CODE_LISTS: dict[tuple[str, str], dict[str, str]] = {
    ("child", "sex"): codes.SEX, ("child", "ethnicity"): codes.ETHNICITY, ("child", "religion"): codes.RELIGION,
    ("child", "locality"): codes.LOCALITY, ("disabilities", "disability"): codes.DISABILITY,
    ("cin_episodes", "referral_source"): codes.REFERRAL_SOURCE, ("cin_episodes", "primary_need"): codes.PRIMARY_NEED,
    ("cin_episodes", "closure_reason"): codes.REASON_FOR_CLOSURE,
    ("assessment_factors", "factor"): codes.ASSESSMENT_FACTOR,
    ("cp_plans", "initial_category"): codes.CATEGORY_OF_ABUSE,
    ("cp_plans", "latest_category"): codes.CATEGORY_OF_ABUSE,
    ("ehc_requests", "outcome"): codes.EHC_REQUEST_OUTCOME,
    ("ehc_assessments", "outcome"): codes.EHC_ASSESSMENT_OUTCOME,
    ("ehc_plans", "cease_reason"): codes.EHC_CEASE_REASON, ("ehc_plans", "primary_need"): codes.SEN_NEED,
    ("sen_needs", "need"): codes.SEN_NEED, ("sen_placements", "setting"): codes.SEN_SETTING,
    ("involvements", "service"): codes.SERVICE, ("involvements", "intervention_type"): INTERVENTION_TYPE,
    ("involvements", "outcome"): codes.INTERVENTION_OUTCOME, ("involvements", "lawful_basis"): codes.LAWFUL_BASIS,
    ("involvements", "art9_condition"): codes.ART9_CONDITION,
}
WIDE = frozenset({"access_record"})  # sections shown as one table with a row per entry


def shown(section: str, column: str, value: object) -> str:
    """How the PDF writes a value: dates ISO, yes/no, a code with its meaning, '-' for nothing."""
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    text = str(value)
    meaning = CODE_LISTS.get((section, column), {}).get(text)
    return f"{text}: {meaning}" if meaning and meaning != text else text


ACRONYMS = {"upn": "UPN", "la": "LA", "id": "ID", "cp": "CP", "cin": "CIN", "ehc": "EHC", "sen": "SEN",
            "icpc": "ICPC", "art9": "Art 9", "nfa": "NFA", "urn": "URN"}


def heading(column: str) -> str:
    """``la_child_id`` -> "LA child ID"."""
    words = [ACRONYMS.get(w, w) for w in column.split("_")]
    return " ".join([words[0][:1].upper() + words[0][1:], *words[1:]])


class _Pdf(FPDF):
    def __init__(self, case_ref: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.case_ref = case_ref
        self.unicode = False
        for folder in FONT_DIRS:
            if (folder / "DejaVuSans.ttf").is_file():  # one face: parsing each costs ~0.4 s; headings by size
                self.add_font("DejaVu", "", str(folder / "DejaVuSans.ttf"))
                self.unicode = True
                break
        self.family = "DejaVu" if self.unicode else "Helvetica"
        self.bold = "" if self.unicode else "B"
        self.set_auto_page_break(auto=True, margin=15)

    def text_of(self, value: str) -> str:
        return value if self.unicode else value.encode("latin-1", "replace").decode("latin-1")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.family, "", 8)
        self.cell(0, 6, self.text_of(f"Subject access request {self.case_ref} - page {self.page_no()}"), align="C")


def render(case_ref: str, made: str, sections: dict[str, list[dict[str, Any]]], titles: dict[str, str]) -> bytes:
    """The pack as PDF bytes: a title page paragraph, then each section (empty ones say so)."""
    pdf = _Pdf(case_ref)
    pdf.set_title(f"Subject access request {case_ref}")
    pdf.add_page()
    pdf.set_font(pdf.family, pdf.bold, 16)
    pdf.multi_cell(0, 9, pdf.text_of(f"Subject access request {case_ref}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.family, "", 10)
    pdf.multi_cell(0, 5, pdf.text_of(
        f"Produced {made}. This is a copy of everything Children's Services Insight holds about the child named in "
        "the request (UK GDPR Article 15), section by section; the same data comes as CSV and JSON files in the "
        "ZIP version of this pack."), new_x="LMARGIN", new_y="NEXT")
    for key, rows in sections.items():
        pdf.ln(4)
        pdf.set_font(pdf.family, pdf.bold, 12)
        pdf.multi_cell(0, 7, pdf.text_of(f"{titles.get(key, heading(key))} ({len(rows)})"),
                       new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(pdf.family, "", 8)
        if not rows:
            pdf.multi_cell(0, 5, "Nothing held.", new_x="LMARGIN", new_y="NEXT")
        elif key in WIDE:  # one line per entry, under a line of column names
            lines = [" | ".join(heading(c) for c in rows[0])]
            lines += [" | ".join(shown(key, c, v) for c, v in r.items()) for r in rows]
            pdf.multi_cell(0, 4, pdf.text_of("\n".join(lines)), new_x="LMARGIN", new_y="NEXT")
        else:  # one bordered block per record, a line per field (one text call per record: fpdf2's
            # tables took about 1 ms a cell, 2.4 s for a child with 70 records)
            for row in rows:
                text = "\n".join(f"{heading(c)}: {shown(key, c, v)}" for c, v in row.items())
                pdf.multi_cell(0, 4.2, pdf.text_of(text), border=1, padding=1, new_x="LMARGIN", new_y="NEXT")
                pdf.ln(1.5)
    return bytes(pdf.output())
