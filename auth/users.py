"""The logged-in user as flask-login sees it: a thin wrapper over the app store's user record.

flask-login keeps only ``get_id()`` in the (signed) session cookie, and that is the opaque token of
a server-side session. The record (role, teams, active flag) is re-read with the session on every
request, so disabling a user or changing their role takes effect on their next request.
"""

from __future__ import annotations

from typing import Any

from flask_login import UserMixin


class LoginUser(UserMixin):
    """Wraps a user record (``user_id``, ``username``, ``role``, ``active``, ...) and its session token."""

    def __init__(self, record: Any, session_token: str) -> None:
        self.record = record
        self.session_token = session_token

    def __getattr__(self, name: str) -> Any:
        if name in ("record", "session_token"):  # not yet set (copying, unpickling): no recursion
            raise AttributeError(name)
        return getattr(self.record, name)

    def get_id(self) -> str:
        return self.session_token

    @property
    def is_active(self) -> bool:
        return bool(self.record.active)
