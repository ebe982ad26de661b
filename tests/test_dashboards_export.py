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
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


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
    assert "sex=F" in about["Filters"] and about["Data to"] == "2025-10-31"


def test_a_crafted_label_cannot_become_a_formula_in_either_format() -> None:
    frame = pd.DataFrame({"code": ["=cmd|' /C calc'!A0"], "label": ["+SUM(1)"], "count": [12]})
    visual = Visual("v", "Crafted", frame, {"count": "Count"})

    class Page:
        filters = data_access.Filters()
        period_label, as_of = "p", __import__("datetime").date(2025, 1, 1)

    assert rows_of(export.to_csv(Page, visual))[1][:2] == ["'=cmd|' /C calc'!A0", "'+SUM(1)"]
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(export.to_xlsx(Page, visual)))["Data"]
    assert sheet["A2"].value.startswith("'=") and sheet["A2"].data_type == "s"


def test_every_export_is_audited_with_page_visual_format_and_filters(configured) -> None:  # type: ignore[no-untyped-def]
    data_access.export_visual(user=LEADER, page="service_users", visual="by_age", filters={"sex": "M"}, fmt="csv")
    data_access.record_image_export(user=LEADER, page="service_users", visual="by_age", filters={"sex": "M"},
                                    fmt="png")
    data_access.record_image_export(user=LEADER, page="overview", visual="page", filters=None, fmt="pdf")
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
