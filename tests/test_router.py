"""The page a document opens comes with the layout Dash serves it: no routing round trip (dashboards/_router.py).

Over HTTP: ``/_dash-layout`` asked by a page (its Referer) holds that page's skeleton, and nothing
for another origin, an unknown path or no Referer. The router's first call for the same address
changes nothing; any other address (a link followed, a forged store) routes as before. In Chromium:
a page opened directly sends its own callbacks at once, and following links and going back still
draw the right page.
"""

from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import expect

from app import DEMO_PASSWORD

try:
    import _attack as attack  # type: ignore[import-not-found]
except ImportError:
    from . import _attack as attack  # type: ignore[no-redef]

HOST = "http://localhost"


def _layout(client: Any, referrer: str | None) -> str:
    headers = {"Referer": referrer} if referrer else {}
    response = client.get("/_dash-layout", headers=headers)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _router_store(text: str) -> object:
    found: list[object] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("props", {}).get("id") == "_pages_store":
                found.append(node["props"].get("data"))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(text))
    assert len(found) == 1
    return found[0]


def test_the_layout_holds_the_page_its_document_opened(client, auth) -> None:  # type: ignore[no-untyped-def]
    auth.login("demo-leader")
    text = _layout(client, f"{HOST}/children-in-need?sex=F")
    assert "cin-cards" in text and "overview-cards" not in text
    assert _router_store(text) == {"title": "Children in need - Children's Services Insight",
                                   "shown": "/children-in-need?sex=F"}
    assert "overview-cards" in _layout(client, f"{HOST}/")
    for referrer in (None, "https://elsewhere.example/children-in-need", f"{HOST}/no-such-page", "not a url"):
        text = _layout(client, referrer)
        assert "cin-cards" not in text and "overview-cards" not in text and _router_store(text) is None, referrer


def test_the_router_leaves_the_page_served_and_routes_everything_else(client, auth) -> None:  # type: ignore[no-untyped-def]
    auth.login("demo-leader")
    callbacks = attack.server_callbacks(client.get("/_dash-dependencies").get_json())
    (router,) = [cb for cb in callbacks if cb["output"].startswith(".._pages_content.children")]
    served = {"title": "x", "shown": "/children-in-need?sex=F"}

    same = attack.call(client, router, ["/children-in-need", "?sex=F"], [served])
    assert same.status == 204, same.text[:200]  # nothing to send: the container already shows it
    for inputs, store in ((["/children-in-need", ""], served), (["/", ""], served),
                          (["/children-in-need", "?sex=F"], {"title": "x"}),
                          (["/children-in-need", "?sex=F"], None),
                          (["/children-in-need", "?sex=F"], ["forged"]),
                          (["/children-in-need", "?sex=F"], {"shown": 7})):
        routed = attack.call(client, router, inputs, [store])
        assert routed.status == 200 and ("cin-cards" if inputs[0] != "/" else "overview-cards") in routed.text, \
            (inputs, store)


def test_a_page_opened_directly_sends_its_callbacks_at_once_and_links_still_route(  # type: ignore[no-untyped-def]
        dash_app, live_server, page) -> None:
    base, start = live_server(dash_app), "/children-in-need?sex=F"
    page.goto(base + "/login")
    page.fill("#username", "demo-leader")
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("#overview-trend-summary")).not_to_be_empty(timeout=45_000)

    sent: list[tuple[str, int]] = []
    page.on("requestfinished", lambda r: sent.append((r.post_data or "", r.response().status))
            if "_dash-update-component" in r.url else None)
    page.goto(base + start)
    expect(page.locator("#cin-closures-summary")).to_contain_text("Total episodes")
    expect(page.locator("#cin-sex")).to_have_value("F")
    routed = [status for body, status in sent if '"_pages_content' in body]
    views = [body for body, _ in sent if '"cin-state' in body or "cin-state." in body]
    assert routed == [204], "the router's first call changed nothing"
    assert len(views) == 1, "the page's view callback ran once (the page was not drawn twice)"

    page.get_by_role("link", name="Interventions").click()  # a link: routed as before
    expect(page).to_have_url(base + "/interventions")
    expect(page.locator(".page-interventions")).to_have_count(1)
    page.go_back()  # back to the page first served: drawn again, with its slicer from the URL
    expect(page).to_have_url(base + start)
    expect(page.locator(".page-cin")).to_have_count(1)
    expect(page.locator("#cin-closures-summary")).to_contain_text("Total episodes")
    expect(page.locator("#cin-sex")).to_have_value("F")


def test_a_layout_that_refuses_the_opened_query_leaves_the_page_to_the_router(client, auth, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import dash

    auth.login("demo-leader")
    (entry,) = [p for p in dash.page_registry.values() if p["path"] == "/saved-views"]

    def refuses(**_query: str) -> object:
        raise ValueError("not a query this page takes")

    monkeypatch.setitem(entry, "csi_layout", refuses)
    text = _layout(client, f"{HOST}/saved-views?x=1")
    assert _router_store(text) is None and "Saved views" not in text  # served without it, not a 500
