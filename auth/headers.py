"""Security headers on every response (ASVS 3.4.x, 14.3.2).

The Content-Security-Policy allows scripts only from this origin plus Dash's own inline scripts
by hash (``app.csp_hashes()``: the renderer start-up and any clientside callbacks); inline styles
are allowed because Plotly and React set ``style`` attributes. Framing is refused, forms may post
only here and to the OpenID provider, and nothing is fetched from anywhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask import Flask, request

# Static files with no data in them: cacheable. Everything else may carry data: no-store.
STATIC_PREFIXES = ("/assets/", "/_dash-component-suites/")
# Dash links each asset with its modification time (``/assets/csi.js?m=1712345678.9``): a changed file
# gets a new URL, so a browser may keep one for a year without asking again (Flask's own static
# answers say no-cache: revalidate on every page). Dash's fingerprinted component suites already
# carry max-age=31536000; an asset linked without ``m`` (the sign-in page's CSS) still revalidates.
STAMPED_ASSET_CACHE = "public, max-age=31536000, immutable"
HSTS = "max-age=31536000; includeSubDomains"


def content_security_policy(script_hashes: Sequence[str], form_targets: Sequence[str] = ()) -> str:
    """The CSP header value for the given inline-script hashes and extra form-action targets."""
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script_hashes],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'", *form_targets],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def install_headers(server: Flask, *, https: bool, script_hashes: Callable[[], Sequence[str]],
                    form_targets: Sequence[str] = ()) -> None:
    """Add the security headers to every response ``server`` sends."""

    @server.after_request
    def security_headers(response: Any) -> Any:
        headers = response.headers
        # Computed per response (a few hashes of short strings): Dash may add inline scripts
        # after start-up, when pages register clientside callbacks.
        headers["Content-Security-Policy"] = content_security_policy(list(script_hashes()), form_targets)
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "same-origin"  # not no-referrer: that makes form posts send "Origin: null"
        headers["X-Frame-Options"] = "DENY"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
        if https:
            headers["Strict-Transport-Security"] = HSTS
        if request.path.startswith("/assets/") and request.args.get("m") and response.status_code in (200, 304):
            headers["Cache-Control"] = STAMPED_ASSET_CACHE
        elif not request.path.startswith(STATIC_PREFIXES):
            headers["Cache-Control"] = "no-store"
            headers.pop("Expires", None)
            headers.pop("ETag", None)
        return response
