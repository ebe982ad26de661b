"""Chain verification from the IG officer's page: the same check as ``app.py verify-audit``.

Access rule: only roles with ``audit_trail``; others are refused (audited). Side effects: when the
chain and every signed checkpoint check out, the verified head is signed as a new checkpoint (as the
command does), and one AUDIT_VERIFY entry records who verified, what was found and the checkpoint.
"""

from __future__ import annotations

from dataclasses import dataclass

from appstore import audit
from appstore.checkpoints import CheckpointLog
from data_access import policy
from data_access.access_log.criteria import london_time
from data_access.policy import AccessDenied
from data_access.refusals import record_refusal
from data_access.stores import current, record_event

RESOURCE = "audit_chain"


@dataclass(frozen=True)
class ChainCheck:
    """``ok``; the report's lines; entries verified; the latest signed checkpoint (seq, London time)."""

    ok: bool
    lines: tuple[str, ...]
    checked: int
    checkpoint_seq: int | None
    checkpoint_at: str | None


def verify_chain(*, user: policy.Principal | None) -> ChainCheck:
    """Verify the audit trail's keyed hash chain and its signed checkpoints (``audit.check_store``).

    Raises AccessDenied (audited) unless the user's role has the audit trail."""
    if not policy.can(policy.role_of, user) or not policy.role_of(user).audit_trail:
        exc = AccessDenied("Only information governance officers may verify the audit trail.")
        record_refusal(user, RESOURCE, exc)
        raise exc
    assert user is not None
    stores = current()
    key = stores.settings.audit_key or None
    log = CheckpointLog(stores.settings.audit_checkpoints, key) if key else None
    found = audit.check_store(stores.app, key, log, sign=True)
    point = found.latest
    at = london_time(point.at).strftime("%Y-%m-%d %H:%M:%S") if point else None
    record_event(audit.AuditEvent(
        action=audit.AuditAction.AUDIT_VERIFY, outcome="success" if found.ok else "failure", resource=RESOURCE,
        username=user.username, user_id=user.user_id, reason=None if found.ok else found.lines[0][:300],
        detail={"entries": found.checked, "intact": found.ok, "checkpoint_seq": point.seq if point else None}))
    return ChainCheck(found.ok, found.lines, found.checked, point.seq if point else None, at)
