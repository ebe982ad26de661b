"""Exports: the suppressed numbers the chart shows, safe against formula injection, and always audited."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import pandas as pd
import pytest

import data_access
from appstore import audit
from data_access import export
from data_access.aggregates.visual import Visual
from data_access.suppression import SUPPRESSED


@dataclass(frozen=True)
class FakeUser:
    role: str
    user_id: int = 7
    username: str = "exporter"
    team_ids: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    worker_id: str | None = None


LEADER = FakeUser("leadership")
SMALL = {"team": "CSC-CWD", "sex": "F"}  # small counts, yet above the minimum a view needs
TOO_SMALL = {"team": "CSC-CWD", "sex": "F", "age_band": "16-17"}  # below it: no figures at all


def rows_of(content: bytes) -> list[list[str]]:
    """The data table of a CSV export (after the header block and its blank row)."""
    rows = all_rows(content)
    return rows[rows.index([]) + 1:]


def all_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def header_of(content: bytes) -> dict[str, str]:
    rows = all_rows(content)
    return {r[0]: r[1] for r in rows[:rows.index([])]}


@pytest.mark.parametrize("value", ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_formula_like_text_gets_a_leading_apostrophe(value: str) -> None:
    assert export.safe_cell(value) == "'" + value
    assert export.safe_cell("Police") == "Police" and export.safe_cell(12) == 12


def test_csv_holds_the_suppressed_frame_the_chart_shows(configured) -> None:  # type: ignore[no-untyped-def]
    data = data_access.children_in_need_page(user=LEADER, filters=SMALL)
    file = data_access.export_visual(user=LEADER, page="children_in_need", visual="by_source", filters=SMALL,
                                     fmt="csv")
    rows = rows_of(file.content)
    visual = data.visuals["by_source"]
    assert rows[0] == ["Code", "Category", "Referrals"]
    body = rows[1:-1]
    assert [r[2] for r in body] == [str(v) for v in visual.frame["referrals"]]
    assert SUPPRESSED in [r[2] for r in body]
    assert rows[-1][1:] == ["Total", str(visual.totals["referrals"])]
    assert file.filename == "children-in-need-by-source-2025-10-31.csv" and file.mimetype == "text/csv"
    head = header_of(file.content)
    assert head["Title"] == "Children in need: Referrals by source"
    assert head["Period"] == f"Last 12 months: {data.first_day.day} {data.first_day:%B %Y} to 31 October 2025"
    team = dict((t, n) for t, n, _s in data_access.known_teams())["CSC-CWD"]
    assert head["Filters"] == f"Sex: Female; Team: {team}"
    assert head["Data to"] == "31 October 2025" and head["Figures"] == data_access.PROTECTED_NOTE
    assert head["Exported"].endswith("(UK time) by exporter")


def test_an_unfiltered_export_says_so(configured) -> None:  # type: ignore[no-untyped-def]
    file = data_access.export_visual(user=LEADER, page="service_users", visual="by_age", filters=None, fmt="csv")
    assert header_of(file.content)["Filters"] == "All (no slicer, selection or drill applied)"


def test_xlsx_matches_the_csv_and_has_an_about_sheet(configured) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import load_workbook

    one = {"sex": "F"}  # primary need is health data: shown with at most one slicer (special category)
    csv_rows = rows_of(data_access.export_visual(user=LEADER, page="send", visual="primary_need", filters=one,
                                                 fmt="csv").content)
    book = load_workbook(io.BytesIO(data_access.export_visual(user=LEADER, page="send", visual="primary_need",
                                                              filters=one, fmt="xlsx").content))
    sheet = [[("" if c is None else str(c)) for c in row] for row in book["Data"].iter_rows(values_only=True)]
    assert sheet == csv_rows
    about = {r[0]: r[1] for r in book["About"].iter_rows(values_only=True)}
    assert about["Filters"] == "Sex: Female" and about["Data to"] == "31 October 2025"
    assert about["Title"] == "SEND: Active plans by primary need"


def test_a_crafted_label_cannot_become_a_formula_in_either_format() -> None:
    frame = pd.DataFrame({"code": ["=cmd|' /C calc'!A0"], "label": ["+SUM(1)"], "count": [12]})
    visual = Visual("v", "Crafted", frame, {"count": "Count"})

    class Page:
        filters = data_access.Filters()
        period_label, as_of = "p", __import__("datetime").date(2025, 1, 1)

    crafted = [("Title", "=1+1"), ("Filters", "Team: @SUM(A1)")]
    content = export.to_csv(Page, visual, crafted)
    assert rows_of(content)[1][:2] == ["'=cmd|' /C calc'!A0", "'+SUM(1)"]
    assert header_of(content) == {"Children's Services Insight": "", "Title": "'=1+1", "Filters": "Team: @SUM(A1)"}
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(export.to_xlsx(Page, visual, crafted)))["Data"]
    assert sheet["A2"].value.startswith("'=") and sheet["A2"].data_type == "s"


def test_every_export_is_audited_with_page_visual_format_and_filters(configured) -> None:  # type: ignore[no-untyped-def]
    data_access.export_visual(user=LEADER, page="service_users", visual="by_age", filters={"sex": "M"}, fmt="csv")
    data_access.export_image(user=LEADER, page="service_users", visual="by_age", filters={"sex": "M"})
    data_access.export_page_pdf(user=LEADER, page="overview", filters=None)
    events = audit.query_events(data_access.current().app, action="export")[::-1]  # newest first
    assert [(e["resource"], e["detail"]["format"]) for e in events] == [
        ("export:service_users", "csv"), ("export:service_users", "png"), ("export:overview", "pdf")]
    assert events[0]["detail"]["visual"] == "by_age" and events[0]["detail"]["filters"] == "sex=M"
    assert events[0]["username"] == "exporter" and events[0]["detail"]["rows"] == 6


@pytest.mark.parametrize(("user", "kwargs", "error"), [
    (FakeUser("admin"), {"page": "send", "visual": "primary_need", "fmt": "csv"}, data_access.AccessDenied),
    (FakeUser("service_manager", services=("CSC",)), {"page": "send", "visual": "primary_need", "fmt": "csv"},
     data_access.InvalidFilter),
    (LEADER, {"page": "send", "visual": "no_such_chart", "fmt": "csv"}, data_access.InvalidFilter),
    (LEADER, {"page": "send", "visual": "primary_need", "fmt": "exe"}, data_access.InvalidFilter),
])
def test_refused_exports_are_audited_and_return_nothing(configured, user, kwargs, error) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error):
        data_access.export_visual(user=user, filters=None, **kwargs)
    refused = audit.query_events(data_access.current().app, action="access_refused")
    assert any(e["resource"] == "export:send" for e in refused)
    assert not audit.query_events(data_access.current().app, action="export")


def test_a_view_with_too_few_children_exports_nothing(configured) -> None:  # type: ignore[no-untyped-def]
    data = data_access.children_in_need_page(user=LEADER, filters=TOO_SMALL)
    assert all(not v.available and "Too few children" in (v.message or "") for v in data.visuals.values())
    assert all(k.value is None and k.numerator is None for k in data.cards)
    with pytest.raises(data_access.InvalidFilter, match="no chart"):
        data_access.export_visual(user=LEADER, page="children_in_need", visual="by_source", filters=TOO_SMALL,
                                  fmt="csv")


def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_page_pdf_states_its_context_and_holds_every_charts_protected_figures(configured) -> None:  # type: ignore[no-untyped-def]
    view = {"sex": "F", "period_months": 24}
    data = data_access.service_users_page(user=LEADER, filters=view)
    file = data_access.export_page_pdf(user=LEADER, page="service_users", filters=view)
    assert file.mimetype == "application/pdf" and file.filename == "service-users-page-2025-10-31.pdf"
    text = " ".join(pdf_text(file.content).split())
    assert "Service users" in text and "Last 24 months:" in text and "Sex: Female" in text
    assert "31 October 2025" in text and " ".join(data_access.PROTECTED_NOTE.split()) in text
    for visual in data.visuals.values():
        assert visual.title in text, visual.title
        if visual.available:
            for label, value in zip(visual.frame["label"], visual.frame[visual.plotted[0]], strict=True):
                shown = f"{value:,}" if isinstance(value, int) else (f"{value:,.1f}" if isinstance(value, float)
                                                                    else str(value))
                assert f"{label} {shown}" in text or shown in text, (visual.key, label)


def test_a_png_export_returns_the_caption_it_must_carry(configured) -> None:  # type: ignore[no-untyped-def]
    lines = data_access.export_image(user=LEADER, page="children_in_need", visual="by_source", filters=SMALL)
    assert lines[0] == "Children in need: Referrals by source"
    assert any(line.startswith("Filters: Sex: Female; Team: ") for line in lines)
    assert f"Figures: {data_access.PROTECTED_NOTE}" in lines and any(line.startswith("Period: ") for line in lines)


@pytest.mark.parametrize("user", [FakeUser("admin"), FakeUser("ig_officer")])
def test_pdf_and_png_exports_are_refused_and_audited_for_roles_without_dashboards(configured, user) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(data_access.AccessDenied):
        data_access.export_page_pdf(user=user, page="overview", filters=None)
    with pytest.raises(data_access.AccessDenied):
        data_access.export_image(user=user, page="overview", visual="trend", filters=None)
    refused = audit.query_events(data_access.current().app, action="access_refused")
    assert sorted(e["detail"]["format"] for e in refused if e["resource"] == "export:overview") == ["pdf", "png"]
    assert not audit.query_events(data_access.current().app, action="export")


@pytest.mark.parametrize("forged", [{"page": "nope"}, {"page": ["overview"]}, {"page": "overview", "visual": 3}])
def test_forged_image_exports_are_refused(configured, forged) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(data_access.InvalidFilter):
        data_access.export_image(user=LEADER, **{"visual": "trend", "filters": None, **forged})
