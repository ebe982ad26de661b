"""Four eyes on identifiable access: grants that wait for a second approver before they apply.

Granting a role with child-level rows or the power to approve (``policy.grant_needs_approval``:
team manager, caseworker, IG officer, analyst, administrator), widening such a role's teams or
services, creating an account with such a role, and resetting the password of such an account
are stored as pending requests. An information governance officer or a second administrator
approves or rejects each; never the requester (also a CHECK constraint in the store) and never the
person the request is about. Only an approved request applies. A new local account, or a reset,
gets its one-time set-password link at approval, shown to the approver, so the administrator who
asked never holds a way into an account with identifiable access.

Every step is audited (``USER_ADMIN``: request, approve, reject, and refusals).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from appstore import audit, grants, sessions, users
from data_access import policy
from data_access.account_audit import ADMIN_PAGE, APPROVALS_PAGE, audit_change, scope_facts
from data_access.policy import AccessDenied, Principal
from data_access.setpassword import SetPasswordLink, issue_link
from data_access.stores import current, record_event

AccessRequest = grants.AccessRequest  # re-exported for the Approvals page


@dataclass(frozen=True)
class Outcome:
    """What an administrator's change did: applied (``user``), or waiting (``request``); ``link``:
    a set-password link to hand over now (shown once)."""

    user: users.AppUser | None = None
    request: grants.AccessRequest | None = None
    link: SetPasswordLink | None = None


def needs_approval(before: users.AppUser | None, role: str, team_ids: Iterable[str] | None,
                   services: Iterable[str] | None) -> bool:
    """True when the change gives a role needing approval to someone new, or widens it.

    A new account, a different role, or any team or service not already held (for such a role)
    needs a second approver; narrowing, or any change to leadership or service manager, does not.
    """
    if not policy.grant_needs_approval(role):
        return False
    if before is None or before.role != role:
        return True
    return bool(set(team_ids or ()) - set(before.team_ids) or set(services or ()) - set(before.services))


def file_request(*, actor: Principal, kind: str, target: str, role: str, team_ids: Iterable[str] | None = None,
                 services: Iterable[str] | None = None, display_name: str | None = None,
                 worker_id: str | None = None, local_password: bool = False) -> Outcome:
    """Store a pending request by ``actor`` (already checked as an administrator); audited."""
    target, role, teams, codes = users.checked_grant(target, role, team_ids, services)
    if kind != "create" and grants.issued_link(current().app, username=target, issued_by=actor.user_id):
        raise _refuse(actor, f"You held {target}'s sign-in link, so you could control that account: another "
                             "administrator must ask for this.")
    if any(r.kind == kind for r in grants.pending_for(current().app, target)):
        raise ValueError(f"A {kind.replace('_', ' ')} request for {target} is already waiting for approval.")
    request = grants.add_request(current().app, kind=kind, target=target, role=role, team_ids=teams,
                                 services=codes, display_name=display_name, worker_id=worker_id,
                                 local_password=local_password, requested_by=actor.user_id)
    audit_change("request", target, actor=actor, via=ADMIN_PAGE, reason=f"requested {kind} of {target} as {role}",
                 facts={"request_id": request.request_id, "kind": kind, "role": role,
                        "teams": ",".join(teams or ()), "services": ",".join(codes or ())})
    return Outcome(request=request)


def _refuse(actor: Principal | None, why: str, request_id: object = None) -> AccessDenied:
    record_event(audit.AuditEvent(
        action=audit.AuditAction.ACCESS_REFUSED, outcome="refused", resource="access_requests",
        username=getattr(actor, "username", None), user_id=getattr(actor, "user_id", None), reason=why,
        detail={"request_id": request_id if isinstance(request_id, int) else None}))
    return AccessDenied(why)


def _approver(actor: Principal | None) -> Principal:
    try:
        policy.ensure_approver(actor)
    except AccessDenied as exc:
        raise _refuse(actor, str(exc)) from None
    return actor  # type: ignore[return-value]  # ensure_approver refused None


def list_pending(*, actor: Principal | None) -> list[grants.AccessRequest]:
    """Pending requests, oldest first. Raises AccessDenied (audited) unless ``actor`` may approve."""
    _approver(actor)
    return grants.list_requests(current().app)


def _decidable(actor: Principal | None, request_id: object) -> tuple[Principal, grants.AccessRequest]:
    approver = _approver(actor)
    if isinstance(request_id, bool) or not isinstance(request_id, int):
        raise _refuse(approver, "No such request.")
    request = grants.find_request(current().app, request_id)
    if request is None or request.status != "pending":
        raise _refuse(approver, f"Request {request_id} is not waiting for a decision.", request_id)
    if request.requested_by == approver.user_id:
        raise _refuse(approver, "You cannot decide your own request: another person must approve it.", request_id)
    if request.target == approver.username:
        raise _refuse(approver, "You cannot decide a request about your own account.", request_id)
    if grants.issued_link(current().app, username=request.target, issued_by=approver.user_id):
        raise _refuse(approver, f"You held {request.target}'s sign-in link, so you could control that account: "
                                "another person must decide this.", request_id)
    return approver, request


def reject(*, actor: Principal | None, request_id: object, note: str | None = None) -> grants.AccessRequest:
    """Reject a pending request: it never applies. Raises AccessDenied (audited) as ``approve``."""
    approver, request = _decidable(actor, request_id)
    decided = grants.decide(current().app, request.request_id, status="rejected", decided_by=approver.user_id,
                            note=note)
    audit_change("reject", request.target, actor=approver, via=APPROVALS_PAGE,
                 reason=f"rejected request {request.request_id} ({request.kind} of {request.target})",
                 facts={"request_id": request.request_id, "kind": request.kind, "role": request.role})
    return decided


def approve(*, actor: Principal | None, request_id: object) -> Outcome:
    """Approve and apply a pending request; a new local account or a reset returns its link.

    Raises AccessDenied (audited) unless ``actor`` is an IG officer or administrator who neither
    made the request nor is its subject; ValueError (audited as a failure) when it cannot apply
    (say the username was taken meanwhile). Side effects: the decision, the change, audit events.
    """
    approver, request = _decidable(actor, request_id)
    grants.decide(current().app, request.request_id, status="approved", decided_by=approver.user_id)
    facts: dict[str, str | int | bool | None] = {"request_id": request.request_id, "kind": request.kind,
                                                 "requested_by": request.requested_by}
    audit_change("approve", request.target, actor=approver, via=APPROVALS_PAGE, facts=facts,
                 reason=f"approved request {request.request_id} ({request.kind} of {request.target})")
    try:
        return _apply(approver, request)
    except (ValueError, LookupError) as exc:
        audit_change(request.kind, request.target, actor=approver, via=APPROVALS_PAGE, outcome="failure",
                     reason=f"approved request {request.request_id} could not apply: {exc}", facts=facts)
        raise


def _apply(approver: Principal, request: grants.AccessRequest) -> Outcome:
    engine, link = current().app, None
    if request.kind == "create":
        user = users.create_user(engine, username=request.target, role=request.role, password_hash=None,
                                 display_name=request.display_name, team_ids=request.team_ids or (),
                                 services=request.services or (), worker_id=request.worker_id)
        audit_change("create", user.username, actor=approver, via=APPROVALS_PAGE,
                     facts={**scope_facts(user), "request_id": request.request_id})
        if request.local_password:
            link = issue_link(user, actor=approver, via=APPROVALS_PAGE)
        return Outcome(user=user, link=link)
    found = users.find_login(engine, request.target)
    if found is None:
        raise users.UnknownUser(f"no user named {request.target!r}")
    if request.kind == "reset_password":
        return Outcome(user=found[0], link=issue_link(found[0], actor=approver, via=APPROVALS_PAGE))
    user = users.set_role(engine, username=request.target, role=request.role, team_ids=request.team_ids,
                          services=request.services)
    if user.session_version != found[0].session_version:
        sessions.revoke_user_sessions(engine, user.user_id)
    audit_change("set_role", user.username, actor=approver, via=APPROVALS_PAGE,
                 facts={**scope_facts(user), "request_id": request.request_id})
    return Outcome(user=user)


def requester_names(*, actor: Principal | None) -> dict[int, str]:
    """user_id -> username of every user (to show who asked). Raises AccessDenied unless approver."""
    _approver(actor)
    return {u.user_id: u.username for u in users.list_users(current().app)}
