"""The sign-in and sign-out pages: plain Flask forms (not Dash), each with a CSRF token.

Every failed password sign-in gets the same page, status and (argon2) cost whether or not the
username exists; throttled attempts get one shared message with status 429 and are not checked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, redirect, request
from flask_login import current_user
from jinja2 import Environment

from auth.config import AuthConfig
from auth.csrf import check_form_token, csrf_token, delete_cookie
from auth.passwords import needs_rehash, rehash, verify_password
from auth.sessions import SessionStore, end_session, start_session
from auth.throttle import CountFailures

GENERIC_ERROR = "The username or password is not right, or the account cannot sign in."
THROTTLED_ERROR = "Too many sign-in attempts. Wait a few minutes, then try again."
LOCAL_OFF_ERROR = "Sign in with your organisation account."
# The reason recorded for a failed password sign-in; data_access counts these for throttling.
PASSWORD_NOT_ACCEPTED = "password not accepted"
THROTTLED = "throttled"

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} - Children's Services Insight</title>
<link rel="stylesheet" href="/assets/house.css">
<script src="/assets/csi-sw-register.js" defer></script></head>
<body class="login-body"><main class="login-card" id="main">
<h1>Children's Services Insight</h1>
{% if error %}<p class="login-error" role="alert">{{ error }}</p>{% endif %}
{% if form == "login" %}
{% if local %}
<form method="post" action="/login{% if next_path %}?next={{ next_path | urlencode }}{% endif %}">
  <input type="hidden" name="csrf_token" value="{{ csrf }}">
  <label for="username">Username</label>
  <input id="username" name="username" autocomplete="username" required autofocus>
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required>
  <button type="submit">Sign in</button>
</form>
{% endif %}
{% if sso_label %}
<p class="login-sso"><a id="sso-login" class="login-sso-link"
   href="/login/sso{% if next_path %}?next={{ next_path | urlencode }}{% endif %}">{{ sso_label }}</a></p>
{% endif %}
<p class="login-note">Access is logged. Use this system only for a purpose your role permits.</p>
{% else %}
<form method="post" action="/logout">
  <input type="hidden" name="csrf_token" value="{{ csrf }}">
  <p>Sign out of Children's Services Insight?</p>
  <button type="submit" name="scope" value="this">Sign out</button>
  <button type="submit" name="scope" value="everywhere">Sign out on every device</button>
</form>
{% endif %}
</main></body></html>"""

# A plain autoescaping template, not Flask's render_template_string: Flask's context processors
# would load the session's user (flask-login) just to draw a sign-in page.
_TEMPLATE = Environment(autoescape=True).from_string(PAGE)

# on_event(action, outcome, *, username, user_id, reason=None, method=None): audits an event.
OnEvent = Callable[..., None]


def safe_next(target: str | None) -> str:
    """Only local absolute paths are followed after login (no scheme, host, '//' or backslash)."""
    if not target or len(target) > 2000:
        return "/"
    parts = urlsplit(target)
    if (parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//")
            or "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target)):
        return "/"
    return target


def render_login(config: AuthConfig, *, error: str | None = None, status: int = 200) -> tuple[str, int]:
    return _TEMPLATE.render(
        title="Sign in", form="login", error=error, csrf=csrf_token(), local=config.local_accounts,
        sso_label=config.oidc.label if config.oidc else None,
        next_path=safe_next(request.args.get("next"))), status


def make_blueprint(config: AuthConfig, *, find_login: Callable[[str], tuple[Any, str | None] | None],
                   store: SessionStore, count_failures: CountFailures, on_event: OnEvent,
                   store_rehash: Callable[[str, str, str], None] | None = None) -> Blueprint:
    """Routes /login and /logout; every outcome is audited through ``on_event``.

    ``store_rehash(username, verified, hash)``: keeps a new hash of a password just verified against
    ``verified``, a stored hash with older parameters (its sessions stay: the password is the same)."""
    bp = Blueprint("auth", __name__)

    @bp.get("/login")
    def login_form() -> Any:
        return render_login(config)

    @bp.post("/login")
    def login_submit() -> Any:
        check_form_token()
        if not config.local_accounts:
            return render_login(config, error=LOCAL_OFF_ERROR, status=403)
        username = request.form.get("username", "").strip().lower()
        username = username if len(username) <= 64 else username[:64] + "..."  # cannot exist; audited cut
        password = request.form.get("password", "")[:1024]
        counts = count_failures(username=username or None, client=request.remote_addr,
                                window_minutes=config.throttle.window_minutes)
        wait = config.throttle.retry_after(counts)
        if wait:
            on_event("login_failed", "failure", username=username or None, user_id=None, reason=THROTTLED,
                     method="password")
            page, status = render_login(config, error=THROTTLED_ERROR, status=429)
            return page, status, {"Retry-After": str(wait)}
        found = find_login(username) if username else None
        record, password_hash = found if found else (None, None)
        ok = verify_password(password_hash, password) and record is not None and bool(record.active)
        if not ok or record is None:
            on_event("login_failed", "failure", username=username or None, user_id=None,
                     reason=PASSWORD_NOT_ACCEPTED, method="password")
            return render_login(config, error=GENERIC_ERROR, status=401)
        if store_rehash is not None and password_hash is not None and needs_rehash(password_hash):
            store_rehash(record.username, password_hash, rehash(password))  # same password, today's parameters
        start_session(store, record)
        on_event("login", "success", username=record.username, user_id=record.user_id, method="password")
        return redirect(safe_next(request.args.get("next")))

    @bp.get("/logout")
    def logout_form() -> str:
        return _TEMPLATE.render(title="Sign out", form="logout", error=None, csrf=csrf_token())

    @bp.post("/logout")
    def logout_submit() -> Any:
        check_form_token()
        everywhere = request.form.get("scope") == "everywhere"
        user = current_user._get_current_object()  # noqa: SLF001 (the LoginUser, not the proxy)
        if getattr(user, "is_authenticated", False):
            on_event("logout", "success", username=user.username, user_id=user.user_id,
                     reason="signed out on every device" if everywhere else None)
        end_session(store, everywhere=everywhere)
        response = redirect("/login")
        delete_cookie(response, config.https)
        # Ask the browser to drop anything it kept from the session (ASVS 14.3.1).
        response.headers["Clear-Site-Data"] = '"cache", "storage"'
        return response

    return bp
