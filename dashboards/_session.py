"""The purpose a user declared for this session, held server-side in the signed session.

It is a convenience, not a trust boundary: data_access checks the purpose against the user's role
on every call, so a forged or stale value is refused there.
"""

from __future__ import annotations

from flask import session

_KEY = "csi_purpose"


def declared_purpose() -> str | None:
    value = session.get(_KEY)
    return value if isinstance(value, str) else None


def set_declared_purpose(purpose: str | None) -> None:
    if purpose is None:
        session.pop(_KEY, None)
    else:
        session[_KEY] = purpose
