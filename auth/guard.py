"""Every route behind login, checked before each request (including Dash's /_dash-* endpoints).

Before a request: a state-changing request from another site is refused (Origin /
Sec-Fetch-Site); a request without a live server-side session gets the login page (GET) or 401;
and a state-changing request other than the sign-in forms (which carry their own token) must
carry the CSRF header, as Dash's callback requests do. After it: the CSRF cookie for Dash.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Flask, jsonify, redirect, request, session
from flask_login import current_user

from auth import csrf
from auth.login import OnEvent, safe_next

# /csi-sw.js: the service worker the sign-in page registers (dashboards/_swcache.py): a list of the
# static files below, no data.
PUBLIC_PATHS = frozenset({"/login", "/login/sso", "/login/sso/callback", "/set-password", "/csi-sw.js"})
PUBLIC_PREFIXES = ("/assets/",)  # static CSS and scripts only: no data lives there
# Dash's component suites: the JavaScript and CSS of Dash and the component libraries, only the files
# those packages register (Dash answers 404 for any other), the same for every user: no data. Open
# to GET before sign-in so the sign-in page can fetch them while the person types (dashboards/_swcache.py).
PUBLIC_GET_PREFIXES = ("/_dash-component-suites/",)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_BLUEPRINTS = frozenset({"auth", "auth_set_password"})  # these forms check their own token


def is_public(path: str, method: str = "GET") -> bool:
    return (path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)
            or (method in ("GET", "HEAD") and path.startswith(PUBLIC_GET_PREFIXES)))


def install_guard(server: Flask, *, https: bool, on_event: OnEvent) -> None:
    """Refuse every non-public request without a live session, and every forged one."""

    def refused(reason: str, status: int) -> Any:
        # Audited for signed-in users (a forged request riding on their session). Anonymous ones
        # are refused unrecorded, so nobody can flood the append-only trail without an account.
        if current_user.is_authenticated:
            on_event("refused", "refused", username=current_user.username, user_id=current_user.user_id,
                     reason=f"{reason}: {request.method} {request.path}"[:300])
        return jsonify({"error": "request refused"}), status

    @server.before_request
    def require_login() -> Any:
        unsafe = request.method not in SAFE_METHODS
        if unsafe and not csrf.same_origin(https):
            return refused("cross-site request", 403)
        if is_public(request.path, request.method):
            return None
        if not current_user.is_authenticated:
            if request.path.startswith("/_dash") or request.method != "GET":
                return jsonify({"error": "authentication required"}), 401
            target = request.full_path.rstrip("?") if request.query_string else request.path
            return redirect(f"/login?next={quote(safe_next(target), safe='/')}")
        if unsafe and request.blueprint not in FORM_BLUEPRINTS and not csrf.header_token_ok(https):
            return refused("missing or wrong CSRF token", 403)
        if request.path.startswith("/_dash-update-component") and not request.is_json:
            return refused("callback request that is not JSON", 415)
        return None

    @server.after_request
    def csrf_cookie(response: Any) -> Any:
        # "_user_id" first: an anonymous request need not load (or protect) a session at all.
        if ("_user_id" in session and not request.path.startswith(PUBLIC_PREFIXES + PUBLIC_GET_PREFIXES)
                and current_user.is_authenticated):
            csrf.set_cookie(response, https)
        return response
