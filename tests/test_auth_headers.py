"""Security headers on every response, and the ``next`` parameter following only local paths."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from auth.headers import content_security_policy
from auth.login import safe_next

SHOW_PICK = {"output": "..admin-role.value...admin-teams.value...admin-services.value..",
             "outputs": [{"id": "admin-role", "property": "value"}, {"id": "admin-teams", "property": "value"},
                         {"id": "admin-services", "property": "value"}],
             "inputs": [{"id": "admin-pick", "property": "value", "value": "demo-leader"}],
             "changedPropIds": ["admin-pick.value"], "state": []}


def _directives(csp: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in csp.split("; ")}


def _responses(client, auth):  # type: ignore[no-untyped-def]
    login_page = client.get("/login")
    auth.login("demo-admin")
    dashboard = client.get("/admin")  # a Dash page the administrator uses ("/" sends them here)
    update = client.post("/_dash-update-component", json=SHOW_PICK,
                         headers={"X-CSRFToken": client.get_cookie("_csrf_token").value})
    assert (login_page.status_code, dashboard.status_code, update.status_code) == (200, 200, 200)
    return {"login page": login_page, "dashboard page": dashboard, "callback": update}


def test_security_headers_on_the_login_page_a_dashboard_and_a_callback(dash_app, client, auth) -> None:  # type: ignore[no-untyped-def]
    for name, response in _responses(client, auth).items():
        headers = response.headers
        csp = _directives(headers["Content-Security-Policy"])
        assert csp["script-src"][0] == "'self'" and "'unsafe-inline'" not in csp["script-src"], name
        assert "'unsafe-eval'" not in headers["Content-Security-Policy"], name
        assert set(dash_app.csp_hashes()) <= set(csp["script-src"]), name  # Dash's inline scripts, by hash
        assert csp["frame-ancestors"] == ["'none'"] and csp["base-uri"] == ["'none'"], name
        assert csp["object-src"] == ["'none'"] and csp["form-action"] == ["'self'"], name
        assert csp["default-src"] == ["'self'"] and csp["connect-src"] == ["'self'"], name
        assert headers["X-Content-Type-Options"] == "nosniff", name
        assert headers["Referrer-Policy"] == "same-origin", name
        assert headers["X-Frame-Options"] == "DENY", name
        assert headers["Cache-Control"] == "no-store", name
        assert "Strict-Transport-Security" not in headers, name  # plain HTTP: HSTS would be ignored


def test_the_dash_page_carries_only_inline_scripts_the_csp_allows(dash_app, client, auth) -> None:  # type: ignore[no-untyped-def]
    import base64
    import hashlib
    import re

    auth.login("demo-admin")
    page = client.get("/admin")
    allowed = _directives(page.headers["Content-Security-Policy"])["script-src"]
    html = re.sub(r"<!--.*?-->", "", page.get_data(as_text=True), flags=re.S)  # e.g. Dash's IE warning
    inline = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>(.*?)</script>", html, re.S)
    assert inline, "Dash's index page has its renderer start-up script inline"
    for script in inline:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in allowed


def test_hsts_over_https(settings) -> None:  # type: ignore[no-untyped-def]
    import app as app_module

    client = app_module.create_app(replace(settings, https=True)).server.test_client()
    response = client.get("/login", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_static_files_may_be_cached_but_nothing_else(client) -> None:  # type: ignore[no-untyped-def]
    with client.get("/assets/house.css") as css:
        assert css.status_code == 200 and css.headers.get("Cache-Control") != "no-store"
    assert client.get("/").headers["Cache-Control"] == "no-store"  # even a redirect to the login page


def test_assets_linked_with_their_modification_time_are_kept_for_a_year(client, auth) -> None:  # type: ignore[no-untyped-def]
    import re

    auth.login("demo-leader")
    stamped = re.findall(r'(?:src|href)="(/assets/[^"]+\?m=[^"]+)"', client.get("/").get_data(as_text=True))
    assert {u.split("?")[0] for u in stamped} >= {"/assets/csi.js", "/assets/house.css"}
    for url in stamped:
        with client.get(url) as response:
            assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable", url
    with client.get("/assets/house.css") as unstamped:  # as the sign-in page links it: revalidated
        assert "max-age" not in unstamped.headers.get("Cache-Control", "")


def test_forms_may_post_to_the_openid_provider_when_configured(settings) -> None:  # type: ignore[no-untyped-def]
    import app as app_module

    sso = replace(settings, oidc_issuer="https://login.example.gov.uk/tenant/v2.0", oidc_client_id="c",
                  oidc_client_secret="s", oidc_group_map=json.dumps({"g": {"role": "leadership"}}))
    client = app_module.create_app(sso).server.test_client()
    csp = _directives(client.get("/login").headers["Content-Security-Policy"])
    assert csp["form-action"] == ["'self'", "https://login.example.gov.uk"]


def test_logout_asks_the_browser_to_clear_what_it_kept(client, auth) -> None:  # type: ignore[no-untyped-def]
    auth.login("demo-manager")
    response = auth.logout()
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'
    assert any(c.startswith("_csrf_token=;") for c in response.headers.getlist("Set-Cookie"))


def test_content_security_policy_text() -> None:
    assert content_security_policy(["'sha256-abc'"], ["https://idp.example"]) == (
        "default-src 'self'; script-src 'self' 'sha256-abc'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self' https://idp.example")


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/x", "/\\evil.example", "\\\\evil.example", "javascript:alert(1)",
    "http:/evil.example", "/\t/evil.example", "/\n/evil.example", " //evil.example", "evil.example",
    "https:evil.example", "", None,
])
def test_open_redirects_are_refused(target: str | None) -> None:
    assert safe_next(target) == "/"


@pytest.mark.parametrize("target", ["/", "/admin", "/records?page=2", "/a/b#c", "/%2F%2Fevil.example"])
def test_local_paths_are_kept(target: str) -> None:
    assert safe_next(target) == target


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/\t/evil.example"])
def test_login_never_redirects_off_site(auth, target: str) -> None:  # type: ignore[no-untyped-def]
    response = auth.login("demo-manager", next_path=target)
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_the_login_redirect_keeps_the_page_asked_for(client, auth) -> None:  # type: ignore[no-untyped-def]
    first = client.get("/admin")
    assert first.status_code == 302 and first.headers["Location"] == "/login?next=/admin"
    assert auth.login("demo-admin", next_path="/admin").headers["Location"] == "/admin"


def test_the_login_redirect_keeps_a_query_string_whole(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/records?page=2&sort=name")
    assert response.headers["Location"] == "/login?next=/records%3Fpage%3D2%26sort%3Dname"
