"""In a real Chromium: an administrator asks for a caseworker account, an IG officer approves it, and
the new user sets their own password through the one-time link in a browser of their own."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from app import DEMO_PASSWORD

expect.set_options(timeout=15_000)
NEW_PASSWORD = "a kettle of fish on tuesday"


def _sign_in(page: Any, base: str, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    expect(page.locator("#shell-user")).not_to_be_empty()


def _sign_out(page: Any, base: str) -> None:
    page.goto(base + "/logout")
    page.click("button[value=this]")
    page.wait_for_url(base + "/login")


def _choose(page: Any, select: str, _text: str, option: str) -> None:
    expect(page.locator(f"{select} option", has_text=option)).to_have_count(1)  # filled by its callback
    page.select_option(select, label=option)


def test_admin_requests_ig_approves_new_user_sets_password_and_signs_in(dash_app, live_server, page, browser) -> None:  # type: ignore[no-untyped-def]
    base = live_server(dash_app)
    _sign_in(page, base, "demo-admin")
    page.goto(base + "/admin")
    expect(page.locator("#admin-password")).to_have_count(0)
    page.fill("#admin-new-username", "new-caseworker")
    page.fill("#admin-new-display", "New Caseworker")
    _choose(page, "#admin-new-role", "Casew", "Caseworker")
    page.click("#admin-create")
    expect(page.locator("#admin-message")).to_contain_text("waiting for approval")
    expect(page.locator("#admin-message")).not_to_contain_text("set-password")
    expect(page.locator("tr[data-username=new-caseworker]")).to_have_count(0)
    _sign_out(page, base)

    _sign_in(page, base, "demo-ig")
    page.goto(base + "/approvals")
    row = page.locator("tr[data-request]")
    expect(row).to_contain_text("new-caseworker")
    _choose(page, "#appr-pick", "new-caseworker", "#1: create new-caseworker as Caseworker")
    page.click("#appr-approve")
    expect(page.locator("#appr-message")).to_contain_text("Approved: new-caseworker (Caseworker)")
    link = page.locator("#set-password-link").inner_text()
    assert link.startswith(base + "/set-password?token=")
    expect(row).to_have_count(0)
    _sign_out(page, base)

    newcomer = browser.new_context(locale="en-GB", timezone_id="Europe/London", service_workers="block")
    try:
        own = newcomer.new_page()
        own.goto(link)
        expect(own.locator("#set-password-user")).to_have_text("new-caseworker")
        own.fill("#password", NEW_PASSWORD)
        own.fill("#confirm", NEW_PASSWORD)
        own.click("button[type=submit]")
        expect(own.locator("#set-password-done")).to_contain_text("Your password is set")
        own.goto(link)
        expect(own.locator(".login-error")).to_contain_text("cannot be used")
        _sign_in(own, base, "new-caseworker", NEW_PASSWORD)
        expect(own.locator("#shell-user")).to_contain_text("New Caseworker")
    finally:
        newcomer.close()
