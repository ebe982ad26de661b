"""The logged-in user as flask-login sees it: a thin wrapper over the app store's user record.

The session holds only ``"<user_id>:<session_version>"``. The record (role, teams, active flag) is
re-read from the app store on every request, so disabling a user or changing their role takes
effect on their next request, and bumping ``session_version`` invalidates every session they hold.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_login import UserMixin


class LoginUser(UserMixin):
    """Wraps any user record with ``user_id``, ``username``, ``role``, ``active``, ``session_version``."""

    def __init__(self, record: Any) -> None:
        self.record = record

    def __getattr__(self, name: str) -> Any:
        return getattr(self.record, name)

    def get_id(self) -> str:
        return f"{self.record.user_id}:{self.record.session_version}"

    @property
    def is_active(self) -> bool:
        return bool(self.record.active)


def load_user(session_id: str, find_user: Callable[[int], Any]) -> LoginUser | None:
    """The user for a session id, or None if it is malformed, unknown, disabled or revoked."""
    try:
        user_id, version = (int(part) for part in session_id.split(":"))
    except ValueError:
        return None
    record = find_user(user_id)
    if record is None or not record.active or record.session_version != version:
        return None
    return LoginUser(record)
