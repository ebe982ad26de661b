"""The login and logout pages: plain Flask forms (not Dash), each with a CSRF token."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, redirect, render_template_string, request, session
from flask_login import current_user, login_user, logout_user

from auth.passwords import verify_password
from auth.users import LoginUser

GENERIC_ERROR = "The username or password is not right, or the account cannot sign in."

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} - Children's Services Insight</title>
<link rel="stylesheet" href="/assets/house.css"></head>
<body class="login-body"><main class="login-card" id="main">
<h1>Children's Services Insight</h1>
{% if error %}<p class="login-error" role="alert">{{ error }}</p>{% endif %}
{% if form == "login" %}
<form method="post" action="/login{% if next_path %}?next={{ next_path | urlencode }}{% endif %}">
  <input type="hidden" name="csrf_token" value="{{ csrf }}">
  <label for="username">Username</label>
  <input id="username" name="username" autocomplete="username" required autofocus>
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required>
  <button type="submit">Sign in</button>
</form>
<p class="login-note">Access is logged. Use this system only for a purpose your role permits.</p>
{% else %}
<form method="post" action="/logout">
  <input type="hidden" name="csrf_token" value="{{ csrf }}">
  <p>Sign out of Children's Services Insight?</p>
  <button type="submit">Sign out</button>
</form>
{% endif %}
</main></body></html>"""


def csrf_token() -> str:
    """The session's form token, created on first use."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return str(session["csrf"])


def check_csrf() -> None:
    sent = request.form.get("csrf_token", "")
    if not sent or not hmac.compare_digest(sent, session.get("csrf", "")):
        abort(400, "The form has expired. Reload the page and try again.")


def safe_next(target: str | None) -> str:
    """Only local absolute paths are followed after login (no scheme, host or '//')."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def make_blueprint(find_login: Callable[[str], tuple[Any, str | None] | None],
                   on_event: Callable[..., None]) -> Blueprint:
    """Routes /login and /logout. ``on_event(action, outcome, username=, user_id=)`` audits each."""
    bp = Blueprint("auth", __name__)

    @bp.get("/login")
    def login_form() -> str:
        return render_template_string(PAGE, title="Sign in", form="login", error=None, csrf=csrf_token(),
                                      next_path=safe_next(request.args.get("next")))

    @bp.post("/login")
    def login_submit() -> Any:
        check_csrf()
        username = request.form.get("username", "").strip()[:128]
        password = request.form.get("password", "")[:1024]
        found = find_login(username) if username else None
        record, password_hash = found if found else (None, None)
        ok = verify_password(password_hash, password) and record is not None and record.active
        if not ok:
            on_event("login_failed", "failure", username=username or None, user_id=None)
            return render_template_string(PAGE, title="Sign in", form="login", error=GENERIC_ERROR,
                                          csrf=csrf_token(), next_path=safe_next(request.args.get("next"))), 401
        session.clear()  # a fresh session at login (no fixation)
        login_user(LoginUser(record))
        on_event("login", "success", username=record.username, user_id=record.user_id)
        return redirect(safe_next(request.args.get("next")))

    @bp.get("/logout")
    def logout_form() -> str:
        return render_template_string(PAGE, title="Sign out", form="logout", error=None, csrf=csrf_token(),
                                      next_path=None)

    @bp.post("/logout")
    def logout_submit() -> Any:
        check_csrf()
        if current_user.is_authenticated:
            on_event("logout", "success", username=current_user.username, user_id=current_user.user_id)
        logout_user()
        session.clear()
        return redirect("/login")

    return bp
