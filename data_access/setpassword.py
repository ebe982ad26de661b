"""One-time set-password links: how a local account gets its first (or a reset) password.

Administrators never choose or see a password. Creating a local account, or resetting its
password, issues a link ``/set-password?token=...`` (32 random bytes, stored as its sha256 only,
valid ``CSI_SET_PASSWORD_HOURS``) that the administrator (or, for an account needing approval, the
approver) hands to the user. Only the holder of the link can set the password; using it spends it,
and a newer link for the same user spends the older. A link for a disabled user is refused.

Every step is audited (``USER_ADMIN``: link_issued, link_used, link_refused with the reason).
Refusals of a token that matches no link are not recorded: anyone can send one, and the trail is
append-only; a known link that is used, expired or for a disabled user is (once per attempt).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from types import SimpleNamespace

from appstore import grants, sessions, users
from data_access.account_audit import SET_PASSWORD_LINK, audit_change
from data_access.policy import Principal
from data_access.stores import current

SET_PASSWORD_PATH = "/set-password"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,100}")


@dataclass(frozen=True)
class SetPasswordLink:
    """A link to hand over once: it is shown when issued and never stored or shown again."""

    username: str
    token: str
    expires_at: str

    @property
    def path(self) -> str:
        return f"{SET_PASSWORD_PATH}?token={self.token}"


def issue_link(user: users.AppUser, *, actor: Principal | None, via: str) -> SetPasswordLink:
    """A fresh link for ``user`` (their earlier unused links are spent). Audited as link_issued."""
    token = secrets.token_urlsafe(32)
    expires = grants.add_token(current().app, user_id=user.user_id, token=token,
                               issued_by=getattr(actor, "user_id", None), hours=current().settings.set_password_hours)
    audit_change("link_issued", user.username, actor=actor, via=via, facts={"expires_at": expires},
                 reason=f"set-password link issued for {user.username}")
    return SetPasswordLink(user.username, token, expires)


def _refused(found: grants.TokenCheck, when: str) -> None:
    if found.username is not None:  # a real link: its misuse is worth recording
        audit_change("link_refused", found.username, actor=None, via=SET_PASSWORD_LINK, outcome="refused",
                     reason=f"set-password link refused ({found.status}) on {when}", facts={"status": found.status})


def check_link(token: object) -> str | None:
    """The username the link sets a password for, or None when it cannot be used (audited)."""
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        return None
    found = grants.check_token(current().app, token)
    if found.status != "ok":
        _refused(found, "opening")
        return None
    return found.username


def use_link(token: object, password_hash: str) -> str | None:
    """Spend the link and store ``password_hash`` (argon2) for its user, ending their sessions;
    the username, or None when the link cannot be used (audited either way)."""
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        return None
    found = grants.use_token(current().app, token, password_hash)
    if found.status != "ok" or found.username is None:
        _refused(found, "use")
        return None
    if found.user_id is not None:
        sessions.revoke_user_sessions(current().app, found.user_id)
    audit_change("link_used", found.username, actor=SimpleNamespace(username=found.username, user_id=found.user_id),
                 via=SET_PASSWORD_LINK,
                 reason=f"{found.username} set their password with a one-time link")
    return found.username


def users_with_live_links() -> frozenset[int]:
    """Users holding an unused, unexpired link (for the admin page's "signs in with")."""
    return grants.users_with_live_tokens(current().app)
