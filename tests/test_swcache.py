"""The service worker the sign-in page registers (dashboards/_swcache.py), over HTTP: it lists only the
app's static files; those, and nothing else, are open before sign-in."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dashboards import _swcache as swcache

STATIC = ("/assets/", "/_dash-component-suites/")


def precache(script: str) -> dict[str, Any]:
    """The list and version a worker script starts with (``swcache.worker_script``)."""
    head = script.split("\n", 1)[0]
    assert head.startswith(swcache.HEAD) and head.endswith(";")
    return dict(json.loads(head[len(swcache.HEAD):-1]))


def _listed(client: Any) -> tuple[dict[str, Any], Any]:
    response = client.get(swcache.URL)
    return precache(response.get_data(as_text=True)), response


def test_the_worker_is_public_uncached_javascript_listing_only_static_files(client) -> None:  # type: ignore[no-untyped-def]
    listed, response = _listed(client)
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-store"  # a changed app is seen on the next visit
    assert "Set-Cookie" not in response.headers
    urls = listed["urls"]
    assert urls and all(u.startswith(STATIC) for u in urls), urls
    assert len(urls) == len(set(urls))
    # What a signed-in page loads: Dash's renderer and components, the app's own scripts, Plotly.js and
    # the chart chunk, and AG Grid's lazily loaded grid (Records).
    for part in ("dash_renderer", "dash_core_components", "/assets/csi.js", "/assets/csi-charts.js",
                 "plotly.min.js", "dcc/async-graph.js", "dash_ag_grid/async-community.js", "bootstrap.min.css"):
        assert any(part in u for u in urls), part
    assert "addEventListener(\"fetch\"" in response.get_data(as_text=True)


def test_every_listed_file_is_served_before_sign_in_without_a_session(client) -> None:  # type: ignore[no-untyped-def]
    listed, _ = _listed(client)
    for url in listed["urls"]:
        with client.get(url) as response:  # closed: a file answer holds its file open until then
            assert response.status_code == 200, url
            assert response.mimetype in ("application/javascript", "text/javascript", "text/css"), url
            assert "Set-Cookie" not in response.headers, url


def test_the_index_page_links_no_static_file_the_worker_does_not_list(client) -> None:  # type: ignore[no-untyped-def]
    import re

    from app import DEMO_PASSWORD

    listed, _ = _listed(client)
    form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    client.post("/login", data={"username": "demo-leader", "password": DEMO_PASSWORD, "csrf_token": token})
    index = client.get("/").get_data(as_text=True)
    linked = {u.replace("&amp;", "&") for u in re.findall(r'(?:src|href)="([^"]+)"', index) if u.startswith(STATIC)}
    assert linked and linked <= set(listed["urls"])


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_only_reading_a_component_file_is_open_before_sign_in(client, method: str) -> None:  # type: ignore[no-untyped-def]
    listed, _ = _listed(client)
    suite = next(u for u in listed["urls"] if u.startswith("/_dash-component-suites/"))
    assert client.open(suite, method=method).status_code in (401, 403, 405)


@pytest.mark.parametrize("path", ["/_dash-layout", "/_dash-dependencies", "/_dash-component-suitesX/a.js",
                                  "/_dash-update-component", "/_favicon.ico", "/records", "/child?ref=x"])
def test_everything_else_still_needs_sign_in(client, path: str) -> None:  # type: ignore[no-untyped-def]
    assert client.get(path).status_code in (302, 401)


@pytest.mark.parametrize("path", ["/_dash-component-suites/dash/../../app.py", "/_dash-component-suites/os/path.py",
                                  "/_dash-component-suites/dash/deps/nothing.js"])
def test_an_unregistered_component_path_is_not_found_and_lists_nothing(client, path: str) -> None:  # type: ignore[no-untyped-def]
    """Dash raises, naming every file it serves; before sign-in that becomes a plain 404."""
    response = client.get(path)
    assert response.status_code == 404
    assert "registered" not in response.get_data(as_text=True)


def test_the_worker_version_follows_its_files_and_plotly() -> None:
    urls = ["/assets/a.js?m=1", "/_dash-component-suites/plotly/package_data/plotly.min.js"]

    def version(script: str) -> str:
        return str(precache(script)["version"])

    first = version(swcache.worker_script(urls, "aaa"))
    assert first == version(swcache.worker_script(list(urls), "aaa"))
    assert first != version(swcache.worker_script(urls, "bbb"))  # Plotly.js changed under the same URL
    assert first != version(swcache.worker_script(["/assets/a.js?m=2", urls[1]], "aaa"))
