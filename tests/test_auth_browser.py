"""In a real Chromium: the CSP breaks no page, the admin page works, and sign-out really ends the session.

Waits use Playwright locators: ``page.wait_for_function`` evaluates a string in the page, which
this app's CSP (no 'unsafe-eval') refuses, as it should.
"""

from __future__ import annotations

from typing import Any

import dash
from playwright.sync_api import expect

from app import DEMO_PASSWORD

expect.set_options(timeout=15_000)  # as the page fixture's default: the first request builds the app


def _watch_csp(page: Any) -> list[str]:
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    return violations


def _sign_in(page: Any, base: str, username: str) -> None:
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("#shell-user")).not_to_be_empty()


def test_no_page_breaks_the_content_security_policy(dash_app, live_server, page) -> None:  # type: ignore[no-untyped-def]
    base = live_server(dash_app)
    violations = _watch_csp(page)
    _sign_in(page, base, "demo-manager")
    paths = sorted({p["path"] for p in dash.page_registry.values() if "<" not in p["path"]})
    assert "/" in paths and "/admin" in paths
    for path in paths:
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
    assert violations == []


def test_the_admin_disables_a_user_in_the_browser(dash_app, live_server, page) -> None:  # type: ignore[no-untyped-def]
    base = live_server(dash_app)
    violations = _watch_csp(page)
    _sign_in(page, base, "demo-admin")
    page.goto(base + "/admin")
    row = page.locator("tr[data-username=demo-leader]")
    expect(row).to_contain_text("active")
    page.select_option("#admin-pick", label="demo-leader (Demo Leader)")  # a native select
    expect(page.locator("#admin-role")).to_have_value("leadership")
    page.click("#admin-disable")
    expect(page.locator("#admin-message")).to_contain_text("demo-leader is disabled")
    expect(row).to_contain_text("disabled")
    assert violations == []


def test_signing_out_in_the_browser_ends_the_session_for_a_copied_cookie(dash_app, live_server, page, browser) -> None:  # type: ignore[no-untyped-def]
    base = live_server(dash_app)
    _sign_in(page, base, "demo-manager")
    copied = page.context.cookies()
    page.click("text=Sign out")
    page.click("button[value=this]")
    page.wait_for_url(base + "/login")
    thief = browser.new_context(service_workers="block")
    try:
        thief.add_cookies(copied)
        stolen = thief.new_page()
        stolen.goto(base + "/")
        assert stolen.url.startswith(base + "/login")
    finally:
        thief.close()
