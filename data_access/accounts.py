"""Account management entry points used by the command line and demo mode (app-store only)."""

from __future__ import annotations

from collections.abc import Callable

from data_access import audit, users
from data_access.stores import current

# Demo accounts, one per role (demo mode only; README gives the shared password).
DEMO_ACCOUNTS: dict[str, dict[str, object]] = {
    "demo-leader": {"role": "leadership", "display_name": "Demo Leader"},
    "demo-manager": {"role": "service_manager", "display_name": "Demo Service Manager",
                     "services": ("CSC", "EH", "FS", "SEND")},
    "demo-teammanager": {"role": "team_manager", "display_name": "Demo Team Manager", "services": ("CSC",)},
    "demo-caseworker": {"role": "caseworker", "display_name": "Demo Caseworker", "services": ("CSC",)},
    "demo-caseworker2": {"role": "caseworker", "display_name": "Demo Caseworker Two", "services": ("CSC",)},
    "demo-analyst": {"role": "analyst", "display_name": "Demo Analyst"},
    "demo-ig": {"role": "ig_officer", "display_name": "Demo IG Officer"},
    "demo-admin": {"role": "admin", "display_name": "Demo Administrator"},
}


def ensure_demo_accounts(*, password_hash: Callable[[], str]) -> list[str]:
    """Create any missing demo account (linked to the demo store's workers); returns those created."""
    from data_access.demo import DEMO_USERS

    engine = current().app
    created: list[str] = []
    hashed: str | None = None
    for username, spec in DEMO_ACCOUNTS.items():
        if users.find_login(engine, username) is not None:
            continue
        hashed = hashed or password_hash()
        link = DEMO_USERS.get(username, {})
        users.create_user(
            engine, username=username, role=str(spec["role"]), password_hash=hashed,
            display_name=str(spec["display_name"]),
            team_ids=tuple(link.get("team_ids", ())),  # type: ignore[arg-type]
            services=tuple(spec.get("services", ())),  # type: ignore[arg-type]
            worker_id=link.get("worker_id"),  # type: ignore[arg-type]
        )
        created.append(username)
    return created


def create_account(*, username: str, role: str, password_hash: str | None, display_name: str | None = None,
                   team_ids: tuple[str, ...] = (), services: tuple[str, ...] = (),
                   worker_id: str | None = None) -> users.AppUser:
    """Create a local account and audit it as a user-administration event."""
    user = users.create_user(current().app, username=username, role=role, password_hash=password_hash,
                             display_name=display_name, team_ids=team_ids, services=services,
                             worker_id=worker_id)
    audit.record(current().app, audit.AuditEvent(
        action=audit.AuditAction.USER_ADMIN, outcome="success", username=None, user_id=None,
        resource="users", reason=f"created {username} as {role}"))
    return user


def verify_audit_trail() -> audit.VerifyResult:
    """Check the audit trail's hash chain (IG officers and the command line)."""
    return audit.verify(current().app)
