"""Subject access requests (UK GDPR Art 15): registered, tracked to their deadline, extended, completed.

Information governance officers only (the policy's ``audit_trail`` roles, whose one row purpose is
``subject_access_request`` for a NAMED child): any other caller is refused and the refusal audited.
The child is named by LA child ID or UPN and resolved here, on the server, to the opaque child id
the request keeps; nothing else about the child is read or returned when registering.

Deadlines follow the ICO's guidance "Time limits for responding to data protection rights requests"
(ico.org.uk, UK GDPR guidance, individual rights): one calendar month starting on the day of receipt,
ending on the corresponding date of the next month, or its last day when there is no such date, and
the next working day when that date falls on a weekend or bank holiday; extendable by up to two
further months where the request is complex or one of several from the person, telling them within
the first month and why. Every step is audited. The pack itself is built by ``data_access.sar_pack``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Any

import sqlalchemy as sa

from appstore import audit, tables
from appstore.subject_rights import sar_requests
from data_access import policy
from data_access.errors import InvalidRequest, Refused
from data_access.policy import AccessDenied, Purpose
from data_access.refusals import record_refusal
from data_access.stores import current, record_event
from model import schema
from model.workdays import add_working_days

RELATIONSHIPS = {
    "self": "The child or young person",
    "parent": "Parent with parental responsibility",
    "guardian": "Guardian or special guardian",
    "representative": "Solicitor or representative with written authority",
    "other": "Other, acting with the child's authority",
}
IDENTITY_EVIDENCE = {
    "photo_id": "Photo identification seen",
    "documents": "Identity and address documents seen",
    "known_in_person": "Known to the service and confirmed in person",
    "authority_and_id": "Written authority and the representative's identification seen",
}
MAX_EXTENSION_MONTHS = 2
_CASE_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9/_-]{2,39}")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def today() -> dt.date:
    """Today's date (the deadline clock runs on real days, not the analytics store's data date)."""
    return dt.date.today()


# --- the rule of who may -------------------------------------------------------------------------

def ensure_ig_officer(user: policy.Principal | None, resource: str) -> policy.Principal:
    """Raise AccessDenied (audited against ``resource``) unless ``user`` is an information governance
    officer: a role with the audit trail and NAMED_CHILD row scope for subject access requests."""
    role = policy.role_of(user) if policy.can(policy.role_of, user) else None
    if role is None or not role.audit_trail or Purpose.SUBJECT_ACCESS_REQUEST not in role.purposes:
        exc = AccessDenied("Only information governance officers handle data subjects' rights requests.")
        record_refusal(user, resource, exc)
        raise exc
    assert user is not None
    return user


# --- parsing what a page sent --------------------------------------------------------------------

def text_field(value: object, name: str, *, limit: int, required: bool = True) -> str:
    """``value`` stripped, as text of at most ``limit`` characters; InvalidRequest naming the field."""
    if value is None or value == "":
        if required:
            raise InvalidRequest(f"Field '{name}' is required.")
        return ""
    if not isinstance(value, str):
        raise InvalidRequest(f"Field '{name}' must be text.")
    text = value.strip()
    if required and not text:
        raise InvalidRequest(f"Field '{name}' is required.")
    if len(text) > limit:
        raise InvalidRequest(f"Field '{name}' is longer than {limit} characters.")
    return text


def day_field(value: object, name: str) -> dt.date:
    """An ISO date (``YYYY-MM-DD``) not in the future; InvalidRequest naming the field."""
    if not isinstance(value, str) or not _ISO_DAY.fullmatch(value.strip()[:10]) or len(value.strip()) > 10:
        raise InvalidRequest(f"Field '{name}' must be a date (YYYY-MM-DD).")
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidRequest(f"Field '{name}' is not a calendar date.") from None
    if day > today() or day.year < 2000:
        raise InvalidRequest(f"Field '{name}' must be a date between 2000 and today.")
    return day


def id_field(value: object, name: str) -> int:
    """A positive integer id, sent as an int or as digits (a native select sends text)."""
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,18}", value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
        raise InvalidRequest(f"Field '{name}' must be a number from the list.")
    return value


def code_field(value: object, name: str, allowed: dict[str, str] | tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise InvalidRequest(f"Choose '{name}' from the list.")
    return value


def resolve_child(identifier: object) -> int:
    """The child_id of the one child whose LA child ID, or UPN, is ``identifier`` (exact, the UPN in
    capitals); InvalidRequest when none or several match. Reads the analytics store; returns no data."""
    text = text_field(identifier, "child", limit=20)
    c = schema.children.c
    with current().analytics.connect() as conn:
        found = conn.execute(sa.select(c.child_id).where(sa.or_(c.la_child_id == text, c.upn == text.upper()))
                             .limit(2)).scalars().all()
    if len(found) != 1:
        raise InvalidRequest("No single child has that LA child ID or UPN." if found else
                             "No child has that LA child ID or UPN.")
    return int(found[0])


# --- deadlines -----------------------------------------------------------------------------------

def add_months(day: dt.date, months: int) -> dt.date:
    """The corresponding date ``months`` calendar months later, or that month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def due_date(received: dt.date, extension_months: int = 0) -> dt.date:
    """The ICO deadline: one calendar month (plus any extension) from receipt, moved to the next
    working day when it falls on a weekend or an England and Wales bank holiday."""
    return add_working_days(add_months(received, 1 + extension_months), 0)


# --- the register --------------------------------------------------------------------------------

def _audit(user: policy.Principal, step: str, sar_id: int, child_id: int, **facts: str | int) -> None:
    record_event(audit.AuditEvent(
        action=audit.AuditAction.SUBJECT_ACCESS, outcome="success", resource="sar", username=user.username,
        user_id=user.user_id, purpose=Purpose.SUBJECT_ACCESS_REQUEST.value, lawful_basis="legal_obligation",
        child_ids=(child_id,), detail={"sar_id": sar_id, "step": step, **facts}))


def register_request(*, user: policy.Principal | None, case_ref: object, requester: object, relationship: object,
                     received: object, child: object, identity_verified: object,
                     identity_evidence: object) -> int:
    """Register a subject access request for the child named by ``child`` (LA child ID or UPN);
    returns its number. IG officers only. Refused (InvalidRequest, audited) when a field is missing or
    malformed, the requester's identity is not recorded as verified, or the case reference is taken.
    Side effects: one ``sar_requests`` row; audited (SUBJECT_ACCESS, the child's opaque id)."""
    officer = ensure_ig_officer(user, "sar")
    try:
        ref = text_field(case_ref, "case reference", limit=40)
        if not _CASE_REF.fullmatch(ref):
            raise InvalidRequest("Field 'case reference' is 3-40 letters, digits, '/', '_' or '-'.")
        who = text_field(requester, "requester", limit=120)
        related = code_field(relationship, "relationship to the child", RELATIONSHIPS)
        day = day_field(received, "date received")
        if identity_verified is not True:
            raise InvalidRequest("Record that the requester's identity was verified before registering.")
        evidence = code_field(identity_evidence, "how identity was verified", IDENTITY_EVIDENCE)
        child_id = resolve_child(child)
        with tables.write_transaction(current().app) as conn:
            if conn.execute(sa.select(sar_requests.c.sar_id).where(sar_requests.c.case_ref == ref)).first():
                raise InvalidRequest(f"Case reference {ref} is already registered.")
            sar_id = conn.execute(sar_requests.insert().values(
                case_ref=ref, child_id=child_id, requester=who, relationship=related, received_date=day.isoformat(),
                identity_verified=True, identity_evidence=evidence, registered_by=officer.user_id,
                registered_at=tables.iso_utc(), extension_months=0, status="open")).inserted_primary_key[0]  # type: ignore[index]  # an insert has a key
    except Refused as exc:
        record_refusal(officer, "sar", exc, purpose=Purpose.SUBJECT_ACCESS_REQUEST.value)
        raise
    _audit(officer, "registered", int(sar_id), child_id, case_ref=ref, relationship=related)
    return int(sar_id)


def open_requests(*, user: policy.Principal | None) -> list[dict[str, Any]]:
    """Open requests, soonest deadline first (IG officers only; refusals audited). Each: sar_id,
    case_ref, requester, relationship (label), received, due (with any extension), first_due,
    extension_months, extension_reason, days_left (negative when overdue), overdue. No child data."""
    ensure_ig_officer(user, "sar")
    s = sar_requests.c
    with current().app.connect() as conn:
        rows = conn.execute(sa.select(s.sar_id, s.case_ref, s.requester, s.relationship, s.received_date,
                                      s.extension_months, s.extension_reason)
                            .where(s.status == "open")).all()
    out = []
    for r in rows:
        received = dt.date.fromisoformat(r.received_date)
        due = due_date(received, r.extension_months)
        out.append({"sar_id": r.sar_id, "case_ref": r.case_ref, "requester": r.requester,
                    "relationship": RELATIONSHIPS.get(r.relationship, r.relationship), "received": received,
                    "first_due": due_date(received), "due": due, "extension_months": r.extension_months,
                    "extension_reason": r.extension_reason or "", "days_left": (due - today()).days,
                    "overdue": due < today()})
    return sorted(out, key=lambda r: (r["due"], r["sar_id"]))


def _request(conn: sa.Connection, sar_id: int) -> Any:
    row = conn.execute(sa.select(sar_requests).where(sar_requests.c.sar_id == sar_id)).first()
    if row is None:
        raise InvalidRequest("There is no subject access request with that number.")
    return row


def extend_request(*, user: policy.Principal | None, sar_id: object, months: object, reason: object) -> dt.date:
    """Extend an open request's deadline to ``months`` (1 or 2) further months with a reason; returns
    the new deadline. Refused (audited) past two months, without a reason of at least 20 characters,
    after the first month has run out (the ICO: tell the person within the first month), or for a
    closed request. Side effects: the row updated; audited."""
    officer = ensure_ig_officer(user, "sar")
    try:
        number = id_field(sar_id, "request")
        wanted = id_field(months, "extension (months)")
        if wanted > MAX_EXTENSION_MONTHS:
            raise InvalidRequest("A deadline may be extended by at most two further months.")
        why = text_field(reason, "reason for the extension", limit=2000)
        if len(why) < 20:
            raise InvalidRequest("Give the reason for the extension (at least 20 characters): why the request is "
                                 "complex, or which other requests the person has made.")
        with tables.write_transaction(current().app) as conn:
            row = _request(conn, number)
            if row.status != "open":
                raise InvalidRequest("That request is closed.")
            received = dt.date.fromisoformat(row.received_date)
            if today() > due_date(received):
                raise InvalidRequest("The first month has run out: an extension must be decided, and the person "
                                     "told, within one month of receipt.")
            conn.execute(sar_requests.update().where(sar_requests.c.sar_id == number)
                         .values(extension_months=wanted, extension_reason=why))
    except Refused as exc:
        record_refusal(officer, "sar", exc, purpose=Purpose.SUBJECT_ACCESS_REQUEST.value)
        raise
    _audit(officer, "extended", number, int(row.child_id), months=wanted)
    return due_date(received, wanted)


def complete_request(*, user: policy.Principal | None, sar_id: object) -> None:
    """Close an open request (the pack sent). IG officers only; refused (audited) for an unknown or
    closed request. Side effects: status completed; audited."""
    officer = ensure_ig_officer(user, "sar")
    try:
        number = id_field(sar_id, "request")
        with tables.write_transaction(current().app) as conn:
            row = _request(conn, number)
            if row.status != "open":
                raise InvalidRequest("That request is already closed.")
            conn.execute(sar_requests.update().where(sar_requests.c.sar_id == number)
                         .values(status="completed", completed_at=tables.iso_utc()))
    except Refused as exc:
        record_refusal(officer, "sar", exc, purpose=Purpose.SUBJECT_ACCESS_REQUEST.value)
        raise
    _audit(officer, "completed", number, int(row.child_id))


def request_of(sar_id: int) -> tuple[int, str]:
    """(child_id, case_ref) of request ``sar_id`` (InvalidRequest when unknown); for ``sar_pack``,
    which has already checked the caller."""
    with current().app.connect() as conn:
        row = _request(conn, sar_id)
    return int(row.child_id), str(row.case_ref)
