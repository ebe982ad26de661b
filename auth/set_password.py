"""The set-password page: where a user turns a one-time link into their password (plain Flask form).

An administrator never chooses or sees a password: a new local account (or a reset) gets a link
``/set-password?token=...`` that is handed to the user. This page checks the link, asks for the
password twice, applies the same rules as everywhere (``passwords.password_problem``, which also
refuses one containing the username), hashes it (argon2id) and hands the hash to ``use``, which
spends the link. The token travels in the URL once (GET) and then in the form body; the page loads
nothing from elsewhere, and ``Referrer-Policy: same-origin`` keeps it from other sites.

Knows no data: ``check(token) -> username | None`` and ``use(token, password_hash) -> username |
None`` are passed in (``app.py`` wires ``data_access.setpassword``), which audit every outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, request
from jinja2 import Environment

from auth.csrf import check_form_token, csrf_token
from auth.passwords import MAX_LENGTH, hash_password, password_problem

PATH = "/set-password"
BLUEPRINT = "auth_set_password"
UNUSABLE = ("This link cannot be used: it has expired, has been used already, or the account is disabled. "
            "Ask your administrator for a new one.")

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Set your password - Children's Services Insight</title>
<link rel="stylesheet" href="/assets/house.css"></head>
<body class="login-body"><main class="login-card" id="main">
<h1>Children's Services Insight</h1>
{% if error %}<p class="login-error" role="alert">{{ error }}</p>{% endif %}
{% if done %}
<p id="set-password-done" role="status">Your password is set, {{ username }}. You can now sign in.</p>
<p><a href="/login">Sign in</a></p>
{% elif username %}
<form method="post" action="/set-password">
  <input type="hidden" name="csrf_token" value="{{ csrf }}">
  <input type="hidden" name="token" value="{{ token }}">
  <p>Choose a password for <strong id="set-password-user">{{ username }}</strong>: 12 to 128 characters,
  not a common password and not containing your username. A phrase of several words works well.</p>
  <input type="text" name="username" value="{{ username }}" autocomplete="username" hidden readonly>
  <label for="password">New password</label>
  <input id="password" name="password" type="password" autocomplete="new-password" required minlength="12"
         maxlength="128" autofocus>
  <label for="confirm">New password again</label>
  <input id="confirm" name="confirm" type="password" autocomplete="new-password" required>
  <button type="submit">Set password</button>
</form>
{% endif %}
</main></body></html>"""

_TEMPLATE = Environment(autoescape=True).from_string(PAGE)
Check = Callable[[str], str | None]
Use = Callable[[str, str], str | None]


def _page(*, username: str | None = None, token: str = "", error: str | None = None, done: bool = False,
          status: int = 200) -> tuple[str, int]:
    return _TEMPLATE.render(username=username, token=token, error=error, done=done, csrf=csrf_token()), status


def make_set_password_blueprint(*, check: Check, use: Use) -> Blueprint:
    """Routes GET and POST /set-password (public: the link is the credential)."""
    bp = Blueprint(BLUEPRINT, __name__)

    @bp.get(PATH)
    def set_password_form() -> Any:
        token = request.args.get("token", "")[:200]
        username = check(token) if token else None
        if username is None:
            return _page(error=UNUSABLE, status=410)
        return _page(username=username, token=token)

    @bp.post(PATH)
    def set_password_submit() -> Any:
        check_form_token()
        token = request.form.get("token", "")[:200]
        password = request.form.get("password", "")[:MAX_LENGTH + 1]
        username = check(token) if token else None
        if username is None:
            return _page(error=UNUSABLE, status=410)
        problem = ("The two passwords are not the same." if password != request.form.get("confirm", "")
                   else password_problem(password, username=username))
        if problem:
            return _page(username=username, token=token, error=problem, status=400)
        if use(token, hash_password(password, username=username)) is None:
            return _page(error=UNUSABLE, status=410)
        return _page(username=username, done=True)

    return bp
