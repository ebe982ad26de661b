"""Who you are: login, sessions and route protection. Knows Flask and flask-login, and no data.

``app.py`` wires it to the app store: ``init_auth(server, find_user=..., find_login=..., on_event=...)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask_login import LoginManager, current_user

from auth.guard import install_guard
from auth.login import csrf_token, make_blueprint
from auth.passwords import hash_password, verify_password
from auth.users import LoginUser, load_user

__all__ = ["init_auth", "current_app_user", "csrf_token", "hash_password", "verify_password", "LoginUser"]


def init_auth(server: Flask, *, find_user: Callable[[int], Any],
              find_login: Callable[[str], tuple[Any, str | None] | None],
              on_event: Callable[..., None]) -> LoginManager:
    """Install login, logout, the login guard and security headers on ``server``."""
    manager = LoginManager()
    manager.init_app(server)
    manager.session_protection = "strong"
    manager.user_loader(lambda session_id: load_user(session_id, find_user))
    server.register_blueprint(make_blueprint(find_login, on_event))
    install_guard(server)
    return manager


def current_app_user() -> Any:
    """The logged-in user for this request (a LoginUser), or None."""
    user = current_user._get_current_object()  # noqa: SLF001 (unwrap the proxy for data_access)
    return user if getattr(user, "is_authenticated", False) else None
