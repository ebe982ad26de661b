"""The audit events of user administration (accounts, four-eyes requests, set-password links).

Every step is one ``USER_ADMIN`` event: ``detail.change`` says what ("create", "set_role",
"request", "approve", "reject", "link_issued", "link_used", "link_refused", ...), ``detail.target``
whom, ``detail.via`` how ("admin_page", "approvals_page", "command_line", "single_sign_on",
"set_password_link"). Never a password, hash or token.
"""

from __future__ import annotations

from collections.abc import Mapping

from appstore import audit, users
from data_access.policy import Principal
from data_access.stores import record_event

COMMAND_LINE, SINGLE_SIGN_ON, ADMIN_PAGE = "command_line", "single_sign_on", "admin_page"
APPROVALS_PAGE, SET_PASSWORD_LINK = "approvals_page", "set_password_link"
Facts = Mapping[str, str | int | bool | None]


def audit_change(change: str, target: str, *, actor: Principal | object | None, via: str,
                 outcome: audit.Outcome = "success", reason: str | None = None, facts: Facts | None = None) -> None:
    """Append one user-administration event by ``actor`` (anything with ``username`` and ``user_id``;
    None: the command line or the system)."""
    record_event(audit.AuditEvent(
        action=audit.AuditAction.USER_ADMIN, outcome=outcome,
        username=getattr(actor, "username", None), user_id=getattr(actor, "user_id", None),
        resource="users", reason=reason or f"{change} {target}",
        detail={"target": target, "change": change, "via": via, **(facts or {})}))


def scope_facts(user: users.AppUser) -> dict[str, str | int | bool | None]:
    return {"role": user.role, "teams": ",".join(user.team_ids), "services": ",".join(user.services),
            "active": user.active}
