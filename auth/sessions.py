"""Starting and ending server-side sessions; loading the user for each request.

The session itself lives in the app store (``app.py`` passes a ``SessionStore`` implemented in
``data_access``). The browser's session cookie (signed, HttpOnly, SameSite=Lax, ``__Host-`` and
Secure over HTTPS, no expiry: it ends with the browser) holds only that session's random token
and the CSRF token. Every request asks the store whether the token is still live, so logout,
"log out everywhere", disabling the user or changing their role, idle timeout and absolute
lifetime all take effect on the very next request, whichever worker serves it (ASVS 7.2-7.4).
"""

from __future__ import annotations

from typing import Any, Protocol

from flask import request, session
from flask_login import current_user, login_user, logout_user

from auth.csrf import new_csrf_token
from auth.users import LoginUser


class SessionStore(Protocol):
    """Server-side sessions: ``appstore.sessions.SessionStore`` is one."""

    def create(self, *, user_id: int, client: str | None = None) -> str: ...
    def touch(self, token: str) -> Any | None: ...
    def revoke(self, token: str) -> None: ...
    def revoke_all(self, user_id: int) -> int: ...


def client_label() -> str:
    """Where a request comes from, for the session record and the audit trail."""
    agent = (request.user_agent.string or "")[:150]
    return f"{request.remote_addr or '?'} {agent}".strip()[:200]


def start_session(store: SessionStore, record: Any) -> LoginUser:
    """Sign ``record`` in with a brand-new session (no fixation: nothing from before survives)."""
    session.clear()
    token = store.create(user_id=record.user_id, client=client_label())
    user = LoginUser(record, token)
    login_user(user)
    new_csrf_token()
    return user


def end_session(store: SessionStore, *, everywhere: bool = False) -> None:
    """Revoke this session (or every session of the user) server-side, then clear the cookie's."""
    user = current_user._get_current_object()  # noqa: SLF001 (the LoginUser, not the proxy)
    if getattr(user, "is_authenticated", False):
        if everywhere:
            store.revoke_all(user.user_id)
        else:
            store.revoke(user.session_token)
    logout_user()
    session.clear()


def load_user(store: SessionStore, token: str) -> LoginUser | None:
    """The user of a live session, or None (flask-login then treats the request as anonymous)."""
    record = store.touch(token)
    return LoginUser(record, token) if record is not None else None
