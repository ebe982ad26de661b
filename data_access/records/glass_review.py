"""Information governance's review of break-glass grants: the queue, the history and the outcome.

Access rule: only roles with ``audit_trail`` (IG officers); anyone else is refused and the refusal
audited. Each grant (and each request refused at the per-user limit) comes with its justification,
how long it was granted for, and what was opened under it: the RECORD_READ entries the audit trail
holds for that user, that child and the purpose ``vital_interests`` while the grant was live (field
NAMES and times; the trail holds no values). A grant unreviewed for longer than
``Settings.break_glass_review_days`` (5) is overdue. A review records reviewer, time, outcome
(``codes.BREAK_GLASS_REVIEW_OUTCOME``) and note, kept on the grant for the history; an outcome other
than "justified" needs a note saying why.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from appstore import audit, tables
from data_access import policy
from data_access.errors import InvalidRequest, Refused
from data_access.policy import AccessDenied, Purpose
from data_access.records.break_glass import now
from data_access.refusals import record_refusal
from data_access.stores import current, record_event
from model import codes

RESOURCE = "break_glass_review"
HISTORY_ROWS = 100
NOTE_NEEDED = frozenset(codes.BREAK_GLASS_REVIEW_OUTCOME) - {"justified"}
_G, _U, _EV = tables.break_glass_grants.c, tables.users.c, tables.audit_events.c


def _ensure_reviewer(user: policy.Principal | None) -> None:
    if not policy.can(policy.role_of, user) or not policy.role_of(user).audit_trail:
        record_refusal(user, RESOURCE, AccessDenied("not an IG officer"))
        raise AccessDenied("Only information governance officers review emergency access.")


def _usage(conn: sa.Connection, grants: Sequence[dict[str, Any]]) -> None:
    """Add to each grant what was opened under it: ``reads``, ``fields``, ``first_read``, ``last_read``."""
    live = [g for g in grants if g["status"] == "granted"]
    for g in grants:
        g.update(reads=0, fields=(), first_read=None, last_read=None)
    if not live:
        return
    rows = conn.execute(sa.select(_EV.user_id, _EV.occurred_at, _EV.child_ids, _EV.fields).where(
        _EV.action == audit.AuditAction.RECORD_READ.value, _EV.purpose == Purpose.VITAL_INTERESTS.value,
        _EV.user_id.in_(sorted({g["user_id"] for g in live})),
        _EV.occurred_at >= min(g["granted_at"] for g in live), _EV.occurred_at < max(g["expires_at"] for g in live),
    ).order_by(_EV.seq)).all()
    for g in live:
        mine = [r for r in rows if r.user_id == g["user_id"] and g["granted_at"] <= r.occurred_at < g["expires_at"]
                and g["child_id"] in json.loads(r.child_ids)]
        fields = sorted({f for r in mine for f in json.loads(r.fields)})
        g.update(reads=len(mine), fields=tuple(fields), first_read=mine[0].occurred_at if mine else None,
                 last_read=mine[-1].occurred_at if mine else None)


def _hours(start: str, end: str) -> float:
    return (dt.datetime.fromisoformat(end.replace("Z", "+00:00"))
            - dt.datetime.fromisoformat(start.replace("Z", "+00:00"))).total_seconds() / 3600


def _grants(where: sa.ColumnElement[bool], order: Sequence[sa.ColumnElement[Any]],
            limit: int | None) -> list[dict[str, Any]]:
    reviewer = tables.users.alias("reviewer")
    query = (sa.select(_G.grant_id, _G.user_id, _U.username, _G.child_id, _G.status, _G.reason_code, _G.justification,
                       _G.granted_at, _G.expires_at, reviewer.c.username.label("reviewer"), _G.reviewed_at,
                       _G.review_outcome, _G.review_note)
             .join(tables.users, _U.user_id == _G.user_id)
             .outerjoin(reviewer, reviewer.c.user_id == _G.reviewed_by).where(where).order_by(*order).limit(limit))
    due = tables.iso_utc(now() - dt.timedelta(days=current().settings.break_glass_review_days))
    with current().app.connect() as conn:
        grants = [dict(r._mapping) for r in conn.execute(query)]
        _usage(conn, grants)
    for g in grants:
        g.update(reason=codes.label(codes.BREAK_GLASS_REASON, g["reason_code"]),
                 overdue=g["reviewed_at"] is None and g["granted_at"] < due,
                 granted_hours=_hours(g["granted_at"], g["expires_at"]) if g["status"] == "granted" else 0.0,
                 outcome=codes.BREAK_GLASS_REVIEW_OUTCOME.get(g["review_outcome"] or "", g["review_outcome"]))
    return grants


def break_glass_review_list(*, user: policy.Principal | None) -> list[dict[str, Any]]:
    """Grants and limit-refused requests not yet reviewed, newest first (IG officers only; raises
    AccessDenied otherwise, audited). Each: grant_id, user_id, username, child_id, status (granted /
    refused_limit), reason_code, reason (its label), justification, granted_at, expires_at,
    granted_hours, overdue, and what was opened under it (reads, fields, first_read, last_read)."""
    _ensure_reviewer(user)
    return _grants(_G.reviewed_at.is_(None), (_G.granted_at.desc(), _G.grant_id.desc()), None)


def break_glass_review_history(*, user: policy.Principal | None, limit: int = HISTORY_ROWS) -> list[dict[str, Any]]:
    """Reviewed grants, most recently reviewed first (at most ``limit``), as ``break_glass_review_list``
    plus reviewer, reviewed_at, review_outcome, outcome (its label) and review_note. IG officers only."""
    _ensure_reviewer(user)
    return _grants(_G.reviewed_at.is_not(None), (_G.reviewed_at.desc(), _G.grant_id.desc()),
                   max(1, min(int(limit), 1000)))


def review_break_glass(*, user: policy.Principal | None, grant_id: object, outcome: object, note: object = "") -> None:
    """Record the IG review of one grant (or refused request): ``outcome`` a code of
    ``codes.BREAK_GLASS_REVIEW_OUTCOME``; any outcome but "justified" needs a note. Raises AccessDenied
    for other roles, InvalidRequest for an unknown or already reviewed grant, an unknown outcome or a
    missing note (all audited). Side effects: the review kept on the grant; one BREAK_GLASS_REVIEW entry."""
    _ensure_reviewer(user)
    assert user is not None
    text = note.strip() if isinstance(note, str) else ""
    try:
        if not isinstance(outcome, str) or outcome not in codes.BREAK_GLASS_REVIEW_OUTCOME:
            raise InvalidRequest("Choose the outcome of the review from the list.")
        if isinstance(grant_id, bool) or not isinstance(grant_id, int):
            raise InvalidRequest("Field 'grant_id' must be a grant number.")
        if outcome in NOTE_NEEDED and len(text) < 10:
            raise InvalidRequest("Write a note (at least 10 characters) saying why the grant is flagged.")
        with tables.write_transaction(current().app) as conn:
            done = conn.execute(tables.break_glass_grants.update()
                                .where(_G.grant_id == grant_id, _G.reviewed_at.is_(None))
                                .values(reviewed_by=user.user_id, reviewed_at=tables.iso_utc(now()),
                                        review_outcome=outcome, review_note=text[:2000])).rowcount
        if done != 1:
            raise InvalidRequest("There is no unreviewed emergency access grant with that number.")
    except Refused as exc:
        record_refusal(user, RESOURCE, exc)
        raise
    record_event(audit.AuditEvent(
        action=audit.AuditAction.BREAK_GLASS_REVIEW, outcome="success", resource="break_glass",
        username=user.username, user_id=user.user_id, detail={"grant_id": grant_id, "outcome": outcome}))
