"""In Chromium: a hostile forename from the council's files shows as text in the Records grid.

Every child in a copy of the demo store is given a forename that is markdown and HTML at once; the
grid must show it literally, with exactly one link per name cell (to the child's record) and no
image, script or outside link.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from playwright.sync_api import expect
from test_browser_records import choose_purpose, login

import data_access
from model.settings import Settings

HOSTILE = "[x](https://evil.example/md)<img src=x onerror=\"window.__pwned=1\"><a href=\"https://evil.example\">y</a>"


@pytest.fixture
def hostile_app(tmp_path: Path, demo_store: Path) -> Iterator[Any]:
    import app as app_module

    copy = tmp_path / "analytics.duckdb"
    shutil.copy(demo_store, copy)
    con = duckdb.connect(str(copy))
    try:
        con.execute("UPDATE children SET forename = ?", [HOSTILE])
    finally:
        con.close()
    settings = Settings.from_env({}, data_dir=tmp_path, analytics_url=f"duckdb:///{copy}",
                                 app_db_url=f"sqlite:///{tmp_path / 'app.sqlite'}", demo=True)
    application = app_module.create_app(settings)
    stores = app_module.stores_of(application)
    with data_access.bound(stores):
        yield application
    stores.close()


def test_a_hostile_forename_renders_as_text_in_the_grid(hostile_app, live_server, page) -> None:  # type: ignore[no-untyped-def]
    base = live_server(hostile_app)
    login(page, base, "demo-caseworker")
    page.goto(base + "/records")
    choose_purpose(page, "Direct work with the child and family")
    cells = page.locator(".ag-center-cols-container [col-id=name]")
    expect(cells.first).to_contain_text(HOSTILE)  # the text itself, shown literally
    names = cells.all()
    assert len(names) > 3
    for cell in names:
        assert cell.inner_text().startswith(HOSTILE)
        links = cell.locator("a")
        assert links.count() == 1  # the record link only: no extra anchor from markdown or HTML
        assert links.first.get_attribute("href").startswith("/child?ref=")  # type: ignore[union-attr]
    grid = page.locator("#records-grid")
    assert grid.locator("img").count() == 0 and grid.locator("a[href*='evil']").count() == 0
    assert page.evaluate("window.__pwned") is None
    names[0].locator("a").click()  # and the link still opens the record
    page.wait_for_selector("text=Timeline")
