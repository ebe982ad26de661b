"""The information governance officer's access log: who saw this child, when, why, under which basis.

Access rule: only roles with ``audit_trail`` (IG officers); anyone else is refused and the refusal
audited. Every search is itself an access (an AUDIT_SEARCH entry naming the child searched for by its
opaque id, never the identifier typed) and every export an EXPORT entry, so IG's own reads of the
trail show up in it. Malformed or forged criteria are refused (InvalidRequest naming the field) and
audited. The child identifier travels only in the callback's body: it is resolved here, server side.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from appstore import audit, users
from data_access import policy
from data_access.access_log import events, patterns, redact
from data_access.access_log.criteria import LONDON, Criteria, london_time, london_today, parse_criteria
from data_access.errors import Refused
from data_access.export import ExportFile
from data_access.policy import AccessDenied
from data_access.records.refs import make_ref
from data_access.refusals import record_refusal
from data_access.stores import as_of, current, record_event
from model.csvcells import safe_cell

SHOWN_ROWS, EXPORT_ROWS = 500, 10_000
PURPOSE, BASIS = "ig_audit", "legal_obligation"  # accountability for processing (UK GDPR Art 5(2), 30, 32)
RESOURCE = "access_log"


@dataclass(frozen=True)
class Entry:
    """One audit entry as the access log shows it (no data values: the trail holds none)."""

    seq: int
    when: str  # Europe/London, "YYYY-MM-DD HH:MM:SS"
    username: str
    role: str
    action: str
    outcome: str
    resource: str
    purpose: str
    lawful_basis: str
    children: int
    pseudonymised: bool  # matched the child through the pseudonym an analyst saw
    reason: str
    flags: tuple[str, ...]


@dataclass(frozen=True)
class AccessLog:
    """A search's answer: entries newest first (at most the limit), how many matched, and the patterns."""

    criteria: Criteria
    child_found: bool | None  # None: no child was searched for
    entries: list[Entry]
    total: int
    patterns: list[patterns.PatternFlag]

    @property
    def truncated(self) -> bool:
        return self.total > len(self.entries)


def _ensure_auditor(user: policy.Principal | None) -> None:
    if not policy.can(policy.role_of, user) or not policy.role_of(user).audit_trail:
        raise AccessDenied("Only information governance officers may search the audit trail.")


def _entry(row: dict[str, Any], child: events.Child | None, roles: Mapping[str, str], hours: patterns.Hours,
           bad: frozenset[str]) -> Entry:
    """One row as shown; its free text (which may have come from a request) cleaned of identifiers."""
    role = policy.ROLES.get(roles.get(str(row["username"]), ""))
    by_pseudonym = child is not None and child.pseudonym in row["pseudonyms"] and child.child_id not in row["child_ids"]
    purpose = row["purpose"] if row["purpose"] in KNOWN_PURPOSES else redact.clean(row["purpose"], bad)
    return Entry(seq=int(row["seq"]), when=london_time(row["occurred_at"]).strftime("%Y-%m-%d %H:%M:%S"),
                 username=redact.clean(row["username"], bad) or "-", role=role.label if role else "-",
                 action=redact.clean(row["action"], bad), outcome=str(row["outcome"]),
                 resource=redact.clean(row["resource"], bad), purpose=purpose or "-",
                 lawful_basis=redact.clean(row["lawful_basis"], bad) or "-",
                 children=len(row["child_ids"]) + len(row["pseudonyms"]), pseudonymised=by_pseudonym,
                 reason=redact.clean(row["reason"], bad), flags=patterns.entry_flags(row, hours))


KNOWN_PURPOSES = frozenset({*(p.value for p in policy.Purpose), PURPOSE})
TEXT_COLUMNS = ("username", "purpose", "lawful_basis", "resource", "reason", "action")


def _run(user: policy.Principal | None, criteria: object, limit: int) -> tuple[AccessLog, events.Child | None]:
    _ensure_auditor(user)
    parsed = parse_criteria(criteria, today=london_today())
    stores = current()
    with stores.analytics.connect() as analytics:
        child = events.find_child(analytics, parsed.child, stores.settings.pseudonym_key) if parsed.child else None
        with stores.app.connect() as app:
            rows: list[dict[str, Any]] = []
            total = 0
            if child is not None or not parsed.child:
                rows, total = events.fetch(app, events.conditions(parsed, child), limit)
        roles = {u.username: u.role for u in users.list_users(stores.app)}
        with stores.app.connect() as app:  # patterns only for accounts: a failed sign-in's username is typed text
            flags = patterns.user_flags(app, analytics, [r for r in rows if r["username"] in roles], parsed,
                                        stores.settings, as_of())
        bad = redact.identifying_tokens(analytics, (str(r[c]) for r in rows for c in TEXT_COLUMNS if r[c]))
    hours = patterns.Hours.parse(stores.settings.ig_working_hours)
    entries = [_entry(r, child, roles, hours, bad) for r in rows]
    found = None if not parsed.child else child is not None
    return AccessLog(parsed, found, entries, total, flags), child


def _guarded(user: policy.Principal | None, criteria: object, limit: int) -> tuple[AccessLog, events.Child | None]:
    try:
        return _run(user, criteria, limit)
    except Refused as exc:
        record_refusal(user, RESOURCE, exc, purpose=PURPOSE)
        raise


def _detail(log: AccessLog) -> dict[str, str | int | bool | None]:
    c = log.criteria
    return {"by": c.by(), "since": c.since.isoformat(), "until": c.until.isoformat(), "action": c.action,
            "searched_user": c.username, "child_found": log.child_found, "rows": len(log.entries),
            "matched": log.total, "flags": len(log.patterns)}


def search(*, user: policy.Principal | None, criteria: object) -> AccessLog:
    """Search the trail by child (LA child ID or UPN), user, action and London days (see ``criteria``).

    Raises AccessDenied for roles without the audit trail and InvalidRequest for malformed criteria
    (both audited). Side effect: one AUDIT_SEARCH entry (the child by opaque id, the criteria used).
    """
    log, child = _guarded(user, criteria, SHOWN_ROWS)
    assert user is not None  # _ensure_auditor refused None
    record_event(audit.AuditEvent(
        action=audit.AuditAction.AUDIT_SEARCH, outcome="allowed", resource=RESOURCE, username=user.username,
        user_id=user.user_id, purpose=PURPOSE, lawful_basis=BASIS, child_ids=(child.child_id,) if child else (),
        detail=_detail(log)))
    return log


def export_csv(*, user: policy.Principal | None, criteria: object) -> ExportFile:
    """The search's entries (up to EXPORT_ROWS) as CSV, under a header saying who exported what, when,
    with which criteria and patterns. Same access rule and refusals as ``search``. Side effect: one
    EXPORT entry (resource ``export:access_log``). Cells a spreadsheet would run are made text."""
    log, child = _guarded(user, criteria, EXPORT_ROWS)
    assert user is not None
    record_event(audit.AuditEvent(
        action=audit.AuditAction.EXPORT, outcome="success", resource=f"export:{RESOURCE}", username=user.username,
        user_id=user.user_id, purpose=PURPOSE, lawful_basis=BASIS, child_ids=(child.child_id,) if child else (),
        detail={**_detail(log), "format": "csv"}))
    stamp = dt.datetime.now(LONDON)
    return ExportFile(f"access-log-{stamp:%Y%m%d-%H%M%S}.csv", "text/csv", _csv(log, child, user.username, stamp))


HEADER = ("Seq", "When (Europe/London)", "User", "Role", "Action", "Outcome", "Resource", "Purpose",
          "Lawful basis", "Children", "Pseudonymised", "Reason", "Flags")


def _csv(log: AccessLog, child: events.Child | None, exporter: str, stamp: dt.datetime) -> bytes:
    c = log.criteria
    context: list[list[object]] = [
        ["Children's Services Insight: access log (audit trail search)"],
        ["Exported by", exporter], ["Exported at (Europe/London)", f"{stamp:%Y-%m-%d %H:%M:%S}"],
        # The identifier typed is not repeated: the file names the child as the trail does, by reference.
        ["Child", f"record {make_ref(current().settings.pseudonym_key, child.child_id)}" if child
         else ("not found" if c.child else "any")],
        ["User", c.username or "any"], ["Action", c.action or "any"],
        ["Days (Europe/London)", f"{c.since.isoformat()} to {c.until.isoformat()}"],
        ["Entries", f"{len(log.entries)} of {log.total} matching" + (" (cut at the export limit)"
                                                                     if log.truncated else "")],
    ]
    context += [["Pattern", f.text] for f in log.patterns]
    context += [
        ["Note", "This file records who accessed children's records. It is personal data: keep it as the "
                 "investigation requires and no longer. Its export is recorded in the audit trail."],
        [],
    ]
    body: list[list[object]] = [
        [e.seq, e.when, e.username, e.role, e.action, e.outcome, e.resource, e.purpose, e.lawful_basis, e.children,
         "yes" if e.pseudonymised else "", e.reason,
         "; ".join(patterns.FLAG_LABEL.get(f, f) for f in e.flags)] for e in log.entries]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    header: list[object] = list(HEADER)
    writer.writerows([[safe_cell(v) for v in row] for row in (*context, header, *body)])
    return buffer.getvalue().encode("utf-8-sig")
