"""Cross-site request forgery defences (ASVS 3.5.1-3.5.3).

- Every state-changing request must come from our own origin: a browser's ``Origin`` header, when
  sent, must be this site, and ``Sec-Fetch-Site``, when sent, must be ``same-origin``.
- The login and logout forms carry the session's token in a hidden field.
- Dash's callback requests carry it in the ``X-CSRFToken`` header, which Dash's renderer copies
  from a cookie (``_csrf_token``; ``__Host-csi_csrf`` over HTTPS) that is readable by script,
  ``SameSite=Strict``, and set at sign-in. The header must equal both that cookie and the token
  in the signed session (double submit, tied to the session so a planted cookie cannot pass).
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from flask import abort, request, session

FORM_FIELD = "csrf_token"
HEADER = "X-CSRFToken"
_SESSION_KEY = "csrf"


def cookie_name(https: bool) -> str:
    """The cookie Dash's renderer reads the token from (pass the same name to ``dash.Dash``)."""
    return "__Host-csi_csrf" if https else "_csrf_token"


def csrf_token() -> str:
    """The session's token, created on first use."""
    if _SESSION_KEY not in session:
        session[_SESSION_KEY] = secrets.token_urlsafe(32)
    return str(session[_SESSION_KEY])


def new_csrf_token() -> str:
    """Replace the session's token (at sign-in, so no token from before it stays valid)."""
    session[_SESSION_KEY] = secrets.token_urlsafe(32)
    return str(session[_SESSION_KEY])


def _same(sent: str | None, expected: str | None) -> bool:
    return bool(sent) and bool(expected) and hmac.compare_digest(str(sent), str(expected))


def check_form_token() -> None:
    """Abort with 400 unless the form's token is the session's."""
    if not _same(request.form.get(FORM_FIELD), session.get(_SESSION_KEY)):
        abort(400, "The form has expired. Reload the page and try again.")


def header_token_ok(https: bool) -> bool:
    """True when ``X-CSRFToken`` equals the CSRF cookie and the session's token."""
    sent = request.headers.get(HEADER)
    return _same(sent, session.get(_SESSION_KEY)) and _same(sent, request.cookies.get(cookie_name(https)))


def same_origin(https: bool) -> bool:
    """False when the browser says the request came from another site (Origin / Sec-Fetch-Site).

    With ``https`` on, ``https://<host>`` counts as this site even if a TLS-terminating proxy
    forwarded the request over plain HTTP without saying so (CSI_PROXY_HOPS unset).
    """
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site != "same-origin":
        return False
    origin = request.headers.get("Origin")
    ours = {f"{request.scheme}://{request.host}"} | ({f"https://{request.host}"} if https else set())
    return origin is None or origin in ours


def set_cookie(response: Any, https: bool) -> None:
    """Give the browser the session's token for Dash's renderer, unless it already has it."""
    token = session.get(_SESSION_KEY)
    name = cookie_name(https)
    if token and request.cookies.get(name) != token:
        response.set_cookie(name, token, secure=https, httponly=False, samesite="Strict", path="/")


def delete_cookie(response: Any, https: bool) -> None:
    response.delete_cookie(cookie_name(https), path="/", secure=https, samesite="Strict")
