"""The one place a refusal is audited: ``guarded`` runs a request and records any ``Refused``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from appstore import audit
from data_access.errors import Refused
from data_access.policy import Principal
from data_access.stores import current

T = TypeVar("T")


def record_refusal(user: Principal | None, resource: str, exc: Exception, *, purpose: object = None,
                   child_ids: tuple[int, ...] = ()) -> None:
    """Append an ACCESS_REFUSED event naming the user, the resource and why (no data values)."""
    audit.record(current().app, audit.AuditEvent(
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
