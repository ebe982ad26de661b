"""Accessibility (WCAG 2.2 AA) of the pages beyond the dashboards, each signed in as the role that uses it:
axe finds no serious or critical violation (test_a11y.py covers the aggregate dashboards)."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from app import DEMO_PASSWORD

WCAG = {"resultTypes": ["violations"],
        "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}}
PAGES = [  # (user, path, a selector that is there once the page's callbacks have answered)
    ("demo-caseworker", "/records", "#records-purpose"),
    ("demo-admin", "/admin", "#admin-users table"),
    ("demo-admin", "/approvals", "#appr-requests"),
    ("demo-leader", "/benchmarks", "#bm-summary"),
    ("demo-leader", "/saved-views", "#sv-table"),
    ("demo-ig", "/break-glass-review", "#bgr-queue"),
    ("demo-analyst", "/extract-requests", "#xr-list table"),
]


def serious(page: Any) -> list[str]:
    results = Axe().run(page, options=WCAG)
    return [f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes'][0]['target']} {v['nodes'][0]['html'][:200]}"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize(("username", "path", "ready"), PAGES, ids=[p[1] for p in PAGES])
def test_axe_finds_no_serious_violations(dash_app, live_server, page, username: str, path: str,  # type: ignore[no-untyped-def]
                                         ready: str) -> None:
    expect.set_options(timeout=45_000)
    base = live_server(dash_app)
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("#shell-user")).not_to_be_empty()
    page.goto(base + path)
    expect(page.locator(ready).first).to_be_attached()
    page.wait_for_load_state("networkidle")
    found = serious(page)
    assert found == [], "\n".join([path, *found])
