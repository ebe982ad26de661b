"""Who you are: sign-in, server-side sessions, CSRF, security headers, single sign-on.

Knows Flask, flask-login, argon2 and Authlib, and no data: ``app.py`` wires it to the app store by
passing functions and a session store implemented in ``data_access``::

    init_auth(server, config, find_login=..., sessions=..., count_failures=..., on_event=...,
              provision_sso_user=..., set_password=(check_link, use_link))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask_login import LoginManager, current_user

from auth.config import AuthConfig
from auth.csrf import cookie_name as csrf_cookie_name
from auth.csrf import csrf_token
from auth.guard import install_guard
from auth.headers import install_headers
from auth.login import OnEvent, make_blueprint
from auth.oidc_config import GroupGrant, OidcConfig, parse_group_map
from auth.passwords import hash_password, password_problem, verify_password
from auth.sessions import SessionStore, load_user
from auth.set_password import Check, Use, make_set_password_blueprint
from auth.throttle import CountFailures, ThrottlePolicy
from auth.users import LoginUser

__all__ = ["init_auth", "current_app_user", "csrf_token", "csrf_cookie_name", "hash_password", "password_problem",
           "verify_password", "LoginUser", "AuthConfig", "ThrottlePolicy", "OidcConfig", "GroupGrant",
           "parse_group_map", "SessionStore"]


def init_auth(server: Flask, config: AuthConfig, *, find_login: Callable[[str], tuple[Any, str | None] | None],
              sessions: SessionStore, count_failures: CountFailures, on_event: OnEvent,
              provision_sso_user: Callable[..., Any] | None = None,
              set_password: tuple[Check, Use] | None = None,
              store_rehash: Callable[[str, str, str], None] | None = None) -> LoginManager:
    """Install sign-in, sign-out, single sign-on, the login guard and security headers on ``server``.

    Call before creating the Dash app on ``server``, so the guard runs before Dash's own hooks.
    ``set_password``: ``(check, use)`` for the one-time set-password links (``auth.set_password``).
    ``store_rehash(username, verified, hash)``: keeps a password's new hash when the stored one it was
    verified against has old parameters.
    """
    server.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",  # Lax, not Strict: the provider's redirect back must carry it
        SESSION_COOKIE_SECURE=config.https,
        SESSION_COOKIE_NAME="__Host-csi_session" if config.https else "csi_session",
        SESSION_COOKIE_PATH="/", SESSION_COOKIE_DOMAIN=None,  # the __Host- prefix requires both
        REMEMBER_COOKIE_DURATION=0,  # no "remember me": a session ends with the browser or the store
    )
    manager = LoginManager()
    manager.init_app(server)
    manager.session_protection = "strong"
    manager.user_loader(lambda token: load_user(sessions, token))
    server.register_blueprint(make_blueprint(config, find_login=find_login, store=sessions,
                                             count_failures=count_failures, on_event=on_event,
                                             store_rehash=store_rehash))
    if set_password is not None:
        server.register_blueprint(make_set_password_blueprint(check=set_password[0], use=set_password[1]))
    if config.oidc is not None:
        if provision_sso_user is None:
            raise ValueError("single sign-on needs provision_sso_user")
        from auth.oidc import make_oidc_blueprint  # Authlib only when single sign-on is configured

        server.register_blueprint(make_oidc_blueprint(server, config, store=sessions,
                                                      provision=provision_sso_user, on_event=on_event))
    install_guard(server, https=config.https, on_event=on_event)
    install_headers(server, https=config.https, script_hashes=config.script_hashes,
                    form_targets=[config.oidc.origin] if config.oidc else [])
    return manager


def current_app_user() -> Any:
    """The logged-in user for this request (a LoginUser), or None."""
    user = current_user._get_current_object()  # noqa: SLF001 (unwrap the proxy for data_access)
    return user if getattr(user, "is_authenticated", False) else None
