"""Account management: the admin page, the command line, single sign-on and demo mode (app store only).

Three kinds of caller, each with its own entry points, all audited as ``USER_ADMIN`` events:

- ``admin_*``: the admin page. Each raises AccessDenied (audited) unless the ``actor`` holds a
  role with ``user_admin`` in the policy, and refuses an administrator changing their own role or
  active flag (no accidental lock-out, no self-promotion). The admin role sees no child data: the
  policy gives it nothing else, and nothing here reads the analytics store.
- ``create_account`` / ``operator_*``: the command line, i.e. someone with a shell on the server;
  audited as "command line".
- ``provision_sso_user``: the single sign-on callback, after the identity provider vouched for the
  user; audited as "single sign-on".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa

from appstore import audit, sessions, users
from appstore.tables import users as users_table
from data_access import policy
from data_access.policy import AccessDenied, Principal
from data_access.stores import current, record_event

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

COMMAND_LINE, SINGLE_SIGN_ON, ADMIN_PAGE = "command_line", "single_sign_on", "admin_page"


@dataclass(frozen=True)
class AccountRow:
    """One line of the admin page's user list: the user, how they sign in, their live sessions."""

    user: users.AppUser
    sign_in: str  # "password" or "single sign-on"
    live_sessions: int


def _audit(change: str, target: str, *, actor: Principal | None, via: str, outcome: audit.Outcome = "success",
           reason: str | None = None, facts: Mapping[str, str | bool | None] | None = None) -> None:
    record_event(audit.AuditEvent(
        action=audit.AuditAction.USER_ADMIN, outcome=outcome,
        username=getattr(actor, "username", None), user_id=getattr(actor, "user_id", None),
        resource="users", reason=reason or f"{change} {target}",
        detail={"target": target, "change": change, "via": via, **(facts or {})}))


def _scope_facts(user: users.AppUser) -> dict[str, str | bool | None]:
    return {"role": user.role, "teams": ",".join(user.team_ids), "services": ",".join(user.services),
            "active": user.active}


def ensure_user_admin(actor: Principal | None) -> None:
    """Raise AccessDenied unless ``actor`` may administer users; a refusal is audited."""
    try:
        if not policy.role_of(actor).user_admin:
            raise AccessDenied("Only a user administrator may manage accounts.")
    except AccessDenied as exc:
        record_event(audit.AuditEvent(
            action=audit.AuditAction.ACCESS_REFUSED, outcome="refused", resource="users",
            username=getattr(actor, "username", None), user_id=getattr(actor, "user_id", None),
            reason=str(exc)))
        raise


def _not_self(actor: Principal | None, username: str, what: str) -> None:
    if getattr(actor, "username", None) == username:
        _audit(what, username, actor=actor, via=ADMIN_PAGE, outcome="refused",
               reason=f"refused: an administrator may not {what} their own account")
        raise AccessDenied(f"You cannot {what} your own account; ask another administrator.")


def admin_list_accounts(*, actor: Principal | None) -> list[AccountRow]:
    """Every user with their sign-in kind and live session count. Raises AccessDenied unless admin."""
    ensure_user_admin(actor)
    engine, settings = current().app, current().settings
    with engine.connect() as conn:
        local: dict[int, bool] = {row[0]: bool(row[1]) for row in conn.execute(
            sa.select(users_table.c.user_id, users_table.c.password_hash.is_not(None)))}
    return [AccountRow(user, "password" if local.get(user.user_id) else "single sign-on",
                       sessions.live_session_count(engine, user.user_id, idle_minutes=settings.session_idle_minutes,
                                                   max_hours=settings.session_max_hours))
            for user in users.list_users(engine)]


def admin_create_account(*, actor: Principal | None, username: str, role: str, display_name: str | None = None,
                         team_ids: Iterable[str] = (), services: Iterable[str] = (),
                         worker_id: str | None = None, password_hash: str | None = None) -> users.AppUser:
    """Create a user (no ``password_hash``: they sign in through single sign-on only).

    Raises AccessDenied unless ``actor`` is a user administrator; ValueError (incl. UserExists) for
    bad input. Side effects: the user's rows and one audit event.
    """
    ensure_user_admin(actor)
    user = users.create_user(current().app, username=username, role=role, password_hash=password_hash,
                             display_name=display_name, team_ids=team_ids, services=services,
                             worker_id=worker_id)
    _audit("create", username, actor=actor, via=ADMIN_PAGE, facts=_scope_facts(user))
    return user


def admin_set_active(*, actor: Principal | None, username: str, active: bool) -> users.AppUser:
    """Disable or re-enable a user; disabling ends their sessions at once.

    Raises AccessDenied unless ``actor`` is a user administrator other than ``username``;
    UnknownUser for an unknown username. Side effects: the user row, their sessions, one audit event.
    """
    ensure_user_admin(actor)
    _not_self(actor, username, "disable" if not active else "enable")
    return _set_active(username, active, actor=actor, via=ADMIN_PAGE)


def admin_set_role(*, actor: Principal | None, username: str, role: str, team_ids: Iterable[str] | None = None,
                   services: Iterable[str] | None = None) -> users.AppUser:
    """Set a user's role and (when given) replace their teams and services; ends their sessions.

    Raises AccessDenied unless ``actor`` is a user administrator other than ``username``;
    ValueError for a bad role, team or service; UnknownUser. Side effects: rows and one audit event.
    """
    ensure_user_admin(actor)
    _not_self(actor, username, "change the role of")
    return _set_role(username, role, team_ids, services, actor=actor, via=ADMIN_PAGE)


def admin_end_sessions(*, actor: Principal | None, username: str) -> int:
    """End every session of ``username`` (ASVS 7.4.5); returns how many were live.

    Raises AccessDenied unless ``actor`` is a user administrator; UnknownUser. Audited.
    """
    ensure_user_admin(actor)
    return _end_sessions(username, actor=actor, via=ADMIN_PAGE)


def _find(username: str) -> users.AppUser:
    found = users.find_login(current().app, username)
    if found is None:
        raise users.UnknownUser(f"no user named {username!r}")
    return found[0]


def _set_active(username: str, active: bool, *, actor: Principal | None, via: str) -> users.AppUser:
    user = users.set_active(current().app, username=username, active=active)
    if not active:
        sessions.revoke_user_sessions(current().app, user.user_id)
    _audit("enable" if active else "disable", username, actor=actor, via=via, facts=_scope_facts(user))
    return user


def _set_role(username: str, role: str, team_ids: Iterable[str] | None, services: Iterable[str] | None, *,
              actor: Principal | None, via: str) -> users.AppUser:
    before = _find(username)
    user = users.set_role(current().app, username=username, role=role, team_ids=team_ids, services=services)
    if user.session_version != before.session_version:
        sessions.revoke_user_sessions(current().app, user.user_id)
    _audit("set_role", username, actor=actor, via=via, facts=_scope_facts(user))
    return user


def _end_sessions(username: str, *, actor: Principal | None, via: str) -> int:
    ended = sessions.revoke_user_sessions(current().app, _find(username).user_id)
    _audit("end_sessions", username, actor=actor, via=via, reason=f"ended {ended} session(s) of {username}")
    return ended


def operator_set_active(username: str, active: bool) -> users.AppUser:
    """Command line: disable or re-enable a user (disabling ends their sessions). Audited."""
    return _set_active(username, active, actor=None, via=COMMAND_LINE)


def operator_set_role(username: str, role: str, team_ids: Iterable[str] | None = None,
                      services: Iterable[str] | None = None) -> users.AppUser:
    """Command line: set a user's role (and teams/services when given). Audited."""
    return _set_role(username, role, team_ids, services, actor=None, via=COMMAND_LINE)


def operator_end_sessions(username: str) -> int:
    """Command line: end every session of a user. Audited."""
    return _end_sessions(username, actor=None, via=COMMAND_LINE)


def provision_sso_user(*, username: str, display_name: str | None, role: str, team_ids: Iterable[str],
                       services: Iterable[str]) -> users.AppUser | None:
    """Create or update the user the identity provider vouched for; None when they may not sign in.

    Role, teams and services follow the provider's groups at every sign-in. Refused (None, and
    audited): a local password account of the same name (never linked silently), or a user an
    administrator has disabled. Raises ValueError for a role, team or service the policy does not
    know. Side effects: user rows and a USER_ADMIN audit event when anything changed.
    """
    found = users.find_login(current().app, username)
    if found is None:
        user = users.create_user(current().app, username=username, role=role, password_hash=None,
                                 display_name=display_name, team_ids=team_ids, services=services)
        _audit("create", username, actor=None, via=SINGLE_SIGN_ON, facts=_scope_facts(user))
        return user
    existing, password_hash = found
    if password_hash is not None or not existing.active:
        why = "a local password account has this name" if password_hash is not None else "the account is disabled"
        _audit("sign_in", username, actor=None, via=SINGLE_SIGN_ON, outcome="refused", reason=f"refused: {why}")
        return None
    user = users.set_role(current().app, username=username, role=role, team_ids=team_ids, services=services)
    if (user.role, user.team_ids, user.services) != (existing.role, existing.team_ids, existing.services):
        _audit("set_role", username, actor=None, via=SINGLE_SIGN_ON, facts=_scope_facts(user))
    return user


def ensure_demo_accounts(*, password_hash: Callable[[], str]) -> list[str]:
    """Create any missing demo account (linked to the demo store's workers); returns those created.

    Idempotent and safe when several processes run it at once (server workers starting together):
    an account that exists already, or that another process creates first, counts as done.
    ``password_hash`` is called at most once, and only when an account is missing. Side effects:
    user rows in the app store.
    """
    from model.demo_accounts import DEMO_USERS

    engine = current().app
    created: list[str] = []
    hashed: str | None = None
    for username, spec in DEMO_ACCOUNTS.items():
        if users.find_login(engine, username) is not None:
            continue
        hashed = hashed or password_hash()
        link = DEMO_USERS.get(username, {})
        try:
            users.create_user(
                engine, username=username, role=str(spec["role"]), password_hash=hashed,
                display_name=str(spec["display_name"]),
                team_ids=tuple(link.get("team_ids", ())),  # type: ignore[arg-type]  # demo data: a tuple of str
                services=tuple(spec.get("services", ())),  # type: ignore[arg-type]  # demo data: a tuple of str
                worker_id=link.get("worker_id"),  # type: ignore[arg-type]  # demo data: str or absent
            )
        except users.UserExists:  # a concurrent start-up created it between our look and our insert
            continue
        created.append(username)
    return created


def create_account(*, username: str, role: str, password_hash: str | None, display_name: str | None = None,
                   team_ids: tuple[str, ...] = (), services: tuple[str, ...] = (),
                   worker_id: str | None = None) -> users.AppUser:
    """Command line: create a local account and audit it as a user-administration event."""
    user = users.create_user(current().app, username=username, role=role, password_hash=password_hash,
                             display_name=display_name, team_ids=team_ids, services=services,
                             worker_id=worker_id)
    _audit("create", username, actor=None, via=COMMAND_LINE, reason=f"created {username} as {role}",
           facts=_scope_facts(user))
    return user
