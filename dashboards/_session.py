"""The purpose a user declared for this session, held server-side in the signed session.

It is a convenience, not a trust boundary: data_access checks the purpose against the user's role
on every call, so a forged or stale value is refused there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import session

if TYPE_CHECKING:
    from data_access import policy

_KEY = "csi_purpose"


def declared_purpose() -> str | None:
    value = session.get(_KEY)
    return value if isinstance(value, str) else None


def set_declared_purpose(purpose: str | None) -> None:
    if purpose is None:
        session.pop(_KEY, None)
    else:
        session[_KEY] = purpose


def header_text(user: policy.Principal | None) -> str:
    """The header's "who am I, and why am I here": name, role and the declared purpose (if any)."""
    import data_access
    from data_access import records

    if user is None:
        return ""
    banner = data_access.user_banner(user=user)
    text = f"{banner['name']} ({banner['role']})"
    purpose = declared_purpose()
    label = dict(records.permitted_purposes(user=user)).get(purpose) if purpose else None
    return f"{text} · Purpose: {label}" if label else text
