"""Account management: the admin page, the command line, single sign-on and demo mode (app store only).

Three kinds of caller, each with its own entry points, all audited as ``USER_ADMIN`` events:

- ``admin_*``: the admin page. Each raises AccessDenied (audited) unless the ``actor`` holds a
  role with ``user_admin`` in the policy, and refuses an administrator changing their own role or
  active flag (no accidental lock-out, no self-promotion). The admin role sees no child data: the
  policy gives it nothing else, and nothing here reads the analytics store. Grants of identifiable
  access wait for a second approver (``approvals``); passwords start from one-time links
  (``setpassword``), so an administrator never chooses or sees one.
- ``create_account`` / ``operator_*``: the command line, i.e. someone with a shell on the server
  (who could change the store directly anyway): applied at once, audited as "command line".
- ``provision_sso_user``: the single sign-on callback, after the identity provider vouched for the
  user; audited as "single sign-on".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from appstore import audit, sessions, users
from appstore.tables import users as users_table
from data_access import approvals, policy, setpassword
from data_access.account_audit import ADMIN_PAGE, COMMAND_LINE, SINGLE_SIGN_ON
from data_access.account_audit import audit_change as _audit
from data_access.account_audit import scope_facts as _scope_facts
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



@dataclass(frozen=True)
class AccountRow:
    """One line of the admin page's user list: the user, how they sign in, their live sessions."""

    user: users.AppUser
    sign_in: str  # "password" or "single sign-on"
    live_sessions: int


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
    waiting = setpassword.users_with_live_links()
    return [AccountRow(user, "password" if local.get(user.user_id) else
                       "set-password link not used yet" if user.user_id in waiting else "single sign-on",
                       sessions.live_session_count(engine, user.user_id, idle_minutes=settings.session_idle_minutes,
                                                   max_hours=settings.session_max_hours))
            for user in users.list_users(engine)]


def admin_create_account(*, actor: Principal | None, username: str, role: str, display_name: str | None = None,
                         team_ids: Iterable[str] = (), services: Iterable[str] = (),
                         worker_id: str | None = None, local_password: bool = True) -> approvals.Outcome:
    """Create an account, or ask for it: a role needing approval (``policy.grant_needs_approval``)
    becomes a pending request that an IG officer or another administrator must approve.

    ``local_password``: the user signs in with a password they set through a one-time link (the
    outcome's ``link``, issued to whoever makes the account exist: here, or the approver); else
    single sign-on only. The administrator never chooses or sees a password. Raises AccessDenied
    unless ``actor`` is a user administrator; ValueError (incl. UserExists) for bad input.
    """
    ensure_user_admin(actor)
    username, role, teams, codes = users.checked_grant(username, role, team_ids, services)
    if users.find_login(current().app, username) is not None:
        raise users.UserExists(f"a user named {username!r} already exists")
    if approvals.needs_approval(None, role, teams, codes):
        return approvals.file_request(actor=actor, kind="create", target=username, role=role,  # type: ignore[arg-type]  # ensure_user_admin refused None
                                      team_ids=teams, services=codes, display_name=display_name,
                                      worker_id=worker_id, local_password=local_password)
    user = users.create_user(current().app, username=username, role=role, password_hash=None,
                             display_name=display_name, team_ids=teams or (), services=codes or (),
                             worker_id=worker_id)
    _audit("create", username, actor=actor, via=ADMIN_PAGE, facts=_scope_facts(user))
    link = setpassword.issue_link(user, actor=actor, via=ADMIN_PAGE) if local_password else None
    return approvals.Outcome(user=user, link=link)


def admin_reset_password(*, actor: Principal | None, username: str) -> approvals.Outcome:
    """A new one-time set-password link for ``username`` (their current password keeps working
    until the link is used). For an account whose role needs approval it is a pending request, and
    the approver gets the link. Raises AccessDenied unless ``actor`` is another user administrator."""
    ensure_user_admin(actor)
    _not_self(actor, username, "reset the password of")
    user = _find(username)
    if policy.grant_needs_approval(user.role):
        return approvals.file_request(actor=actor, kind="reset_password", target=username, role=user.role)  # type: ignore[arg-type]  # ensure_user_admin refused None
    return approvals.Outcome(user=user, link=setpassword.issue_link(user, actor=actor, via=ADMIN_PAGE))


def admin_set_active(*, actor: Principal | None, username: str, active: bool) -> users.AppUser:
    """Disable or re-enable a user; disabling ends their sessions at once.

    Raises AccessDenied unless ``actor`` is a user administrator other than ``username``;
    UnknownUser for an unknown username. Side effects: the user row, their sessions, one audit event.
    """
    ensure_user_admin(actor)
    _not_self(actor, username, "disable" if not active else "enable")
    return _set_active(username, active, actor=actor, via=ADMIN_PAGE)


def admin_set_role(*, actor: Principal | None, username: str, role: str, team_ids: Iterable[str] | None = None,
                   services: Iterable[str] | None = None) -> approvals.Outcome:
    """Set a user's role and (when given) replace their teams and services; ends their sessions.

    Giving a role that needs approval, or widening its teams or services, is stored as a pending
    request instead (``approvals``); narrowing applies at once. Raises AccessDenied unless ``actor``
    is a user administrator other than ``username``; ValueError for a bad role, team or service;
    UnknownUser. Side effects: rows (or the request) and audit events.
    """
    ensure_user_admin(actor)
    _not_self(actor, username, "change the role of")
    username, role, teams, codes = users.checked_grant(username, role, team_ids, services)
    before = _find(username)
    if approvals.needs_approval(before, role, teams, codes):
        return approvals.file_request(actor=actor, kind="set_role", target=username, role=role,  # type: ignore[arg-type]  # ensure_user_admin refused None
                                      team_ids=teams, services=codes)
    return approvals.Outcome(user=_set_role(username, role, teams, codes, actor=actor, via=ADMIN_PAGE))


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


def store_rehash(username: str, verified: str, password_hash: str) -> None:
    """Keep ``username``'s password hash remade with today's parameters at sign-in (auth verified the
    password against ``verified`` just now), unless the password changed since. Sessions stay."""
    users.set_password_hash(current().app, username=username, password_hash=password_hash, revoke_sessions=False,
                            replacing=verified)


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


def create_account(*, username: str, role: str, local_password: bool = True, display_name: str | None = None,
                   team_ids: tuple[str, ...] = (), services: tuple[str, ...] = (),
                   worker_id: str | None = None) -> approvals.Outcome:
    """Command line: create an account (no approval: the operator has the server) and audit it;
    a local account gets a one-time set-password link, printed for the operator to hand over."""
    user = users.create_user(current().app, username=username, role=role, password_hash=None,
                             display_name=display_name, team_ids=team_ids, services=services,
                             worker_id=worker_id)
    _audit("create", username, actor=None, via=COMMAND_LINE, reason=f"created {username} as {role}",
           facts=_scope_facts(user))
    link = setpassword.issue_link(user, actor=None, via=COMMAND_LINE) if local_password else None
    return approvals.Outcome(user=user, link=link)
