"""Where refusals are audited: ``guarded`` runs a request and records any ``Refused``;
``record_failed_request`` records a signed-in user's request that failed or was refused elsewhere
(a 4xx or 5xx answer the app sends without data_access having audited a refusal for it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from appstore import audit
from data_access.errors import Refused
from data_access.policy import Principal
from data_access.stores import record_event, refusals_audited

T = TypeVar("T")


def record_refusal(user: Principal | None, resource: str, exc: Exception, *, purpose: object = None,
                   child_ids: tuple[int, ...] = ()) -> None:
    """Append an ACCESS_REFUSED event naming the user, the resource and why (no data values)."""
    record_event(audit.AuditEvent(
        action=audit.AuditAction.ACCESS_REFUSED, outcome="refused", resource=resource,
        username=getattr(user, "username", None), user_id=getattr(user, "user_id", None),
        purpose=str(purpose)[:60] if purpose is not None else None, child_ids=child_ids,
        reason=f"{type(exc).__name__}: {exc}"[:300]))


def guarded(resource: str, user: Principal | None, run: Callable[[], T], *, purpose: object = None) -> T:
    """Run ``run``; audit and re-raise any refusal (a forged or malformed request, typically)."""
    try:
        return run()
    except Refused as exc:
        record_refusal(user, resource, exc, purpose=purpose)
        raise


def record_failed_request(*, user: Principal | None, method: str, path: str, status: int,
                          client: str | None = None) -> bool:
    """Audit a request by ``user`` answered with ``status`` (4xx refused, 5xx failed) as REQUEST_FAILED.

    Called by the app after every such answer; does nothing (returns False) when no user is signed
    in (anonymous requests are not recorded, so nobody can flood the trail without an account), for
    a status below 400, or when this request's refusal was already audited here (no double count).
    ``path`` only, never the query string (it may carry a record reference). Side effects: one event.
    """
    if user is None or status < 400 or refusals_audited():
        return False
    record_event(audit.AuditEvent(
        action=audit.AuditAction.REQUEST_FAILED, outcome="refused" if status < 500 else "failure",
        resource="request", username=getattr(user, "username", None), user_id=getattr(user, "user_id", None),
        client=client, reason=f"{str(method)[:10]} {path}"[:300], detail={"status": int(status)}))
    return True
