"""Every route behind login, checked before each request (including Dash's /_dash-* endpoints)."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, redirect, request
from flask_login import current_user

from auth.login import safe_next

PUBLIC_PATHS = frozenset({"/login"})
PUBLIC_PREFIXES = ("/assets/",)  # static CSS only: no data lives there


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def install_guard(server: Flask) -> None:
    """Refuse every non-public request without a live login; add security headers to all."""

    @server.before_request
    def require_login() -> Any:
        if is_public(request.path) or current_user.is_authenticated:
            return None
        if request.path.startswith("/_dash") or request.method != "GET":
            return jsonify({"error": "authentication required"}), 401
        target = request.full_path.rstrip("?") if request.query_string else request.path
        return redirect(f"/login?next={safe_next(target)}")

    @server.after_request
    def security_headers(response: Any) -> Any:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
        headers.setdefault("X-Frame-Options", "DENY")
        if not request.path.startswith(("/assets/", "/_dash-component-suites/")):
            headers["Cache-Control"] = "no-store"
        return response
