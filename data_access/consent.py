"""Consent withdrawals (UK GDPR Art 7(3)) and rectification requests (Art 16), kept in the app store.

Information governance officers only (``sar.ensure_ig_officer``; others refused and audited). The
child is named by LA child ID or UPN and resolved on the server; an involvement is chosen from that
child's own consent-based involvements, so a forged involvement number for another child, or one
not held under consent, is refused.

A withdrawal takes effect at query time: ``withdrawn_involvements`` is read by every records read
(``records._access`` -> ``records.scope``), and an involvement withdrawn there for the purpose (or
for every purpose) no longer counts as covered by consent from the withdrawal date. It lives in the
app store, so rebuilding the analytics store from a source that still says "consent given" keeps it
applied. Rectification requests record the field, the correction asked for and the outcome; the
correction itself is made in the source system, and the next refresh brings it in.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from appstore import audit, tables
from appstore.subject_rights import consent_withdrawals, rectification_requests
from data_access import policy, sar
from data_access.errors import InvalidRequest, Refused
from data_access.policy import Purpose
from data_access.records.scope import check_access
from data_access.refusals import record_refusal
from data_access.stores import as_of, current, record_event
from model import codes, schema

ALL_PURPOSES = "all"
# The purposes consent can cover (policy.BASES_FOR_PURPOSE), or every one of them.
CONSENT_PURPOSES = {ALL_PURPOSES: "Every purpose that relies on this consent"} | {
    p.value: policy.PURPOSE_LABEL[p] for p in (Purpose.DIRECT_WORK, Purpose.SUPERVISION)}
RECTIFIABLE_FIELDS = {
    "forename": "Forename", "surname": "Surname", "birth_date": "Date of birth", "sex": "Sex",
    "upn": "UPN", "postcode": "Postcode", "ethnicity": "Ethnicity", "religion": "Religion",
    "disabilities": "Disabilities", "cin_episodes": "A referral or episode", "assessments": "An assessment",
    "plans": "A CIN, CP or EHC plan", "send": "SEN needs or placement", "involvements": "An involvement",
    "allocations": "An allocation", "other": "Something else (described in the correction)",
}
DECISIONS = {"rectified": "Rectified", "partly_rectified": "Partly rectified",
             "refused": "Refused (reasons given to the person)"}
OUTCOMES = {"pending": "Waiting for a decision"} | DECISIONS


def withdrawn_involvements(purpose: object, day: dt.date) -> tuple[int, ...]:
    """The served store's involvement_ids whose consent information governance recorded as withdrawn
    for ``purpose`` (or for every purpose) on or before ``day`` or today, whichever is later: a
    withdrawal already made binds now, even when the analytics store's data runs to an earlier date.

    A withdrawal names its involvement by child, service, type and start date, matched here against
    the store being served, because a refresh numbers involvements afresh (``refresh.ingest.sources``).
    Two involvements sharing all four are both withdrawn (deny wins). No access check: the records
    reads call it for the user they have already checked. Side effects: none."""
    if not isinstance(purpose, str):
        return ()
    w, i = consent_withdrawals.c, schema.involvements.c
    cutoff = max(day, sar.today()).isoformat()
    with current().app.connect() as conn:
        keys = {(int(r[0]), r[1], r[2], r[3]) for r in conn.execute(
            sa.select(w.child_id, w.service, w.intervention_type, w.start_date).where(
                w.purpose.in_((purpose, ALL_PURPOSES)), w.withdrawn_date <= cutoff))}
    if not keys:
        return ()
    with current().analytics.connect() as conn:
        rows = conn.execute(sa.select(i.involvement_id, i.child_id, i.service, i.intervention_type, i.start_date)
                            .where(i.child_id.in_(sorted({k[0] for k in keys})))).all()
    return tuple(sorted(int(r[0]) for r in rows
                        if (int(r[1]), r[2], r[3], _iso(r[4])) in keys))


def _iso(day: object) -> str:
    return day.isoformat() if isinstance(day, dt.date) else str(day)[:10]


def _audit(user: policy.Principal, action: audit.AuditAction, child_id: int, **facts: str | int) -> None:
    record_event(audit.AuditEvent(
        action=action, outcome="success", resource="consent" if action is audit.AuditAction.CONSENT_WITHDRAWAL
        else "rectification", username=user.username, user_id=user.user_id,
        purpose=Purpose.SUBJECT_ACCESS_REQUEST.value, child_ids=(child_id,), detail=dict(facts)))


def _named(user: policy.Principal, child: object) -> int:
    """The child named by ``child``, checked through the policy's subject access scope (a named child)."""
    child_id = sar.resolve_child(child)
    check_access(user, Purpose.SUBJECT_ACCESS_REQUEST.value, day=as_of(),
                 grace_days=current().settings.caseworker_grace_days, named_child=child_id)
    return child_id


def consent_involvements(*, user: policy.Principal | None, child: object) -> list[dict[str, Any]]:
    """The consent-based involvements of the child named by ``child`` (LA child ID or UPN), for an IG
    officer to choose the one whose consent is withdrawn. Each: involvement_id, service, type, start,
    end, consent_given, withdrawn_in_source (as month and year, "Mar 2024": enough to tell
    involvements apart, no more), consent_purpose, withdrawn_here ("purpose from date", ...).
    Refused (audited) for other roles or an unknown child; the read is audited (the child's id)."""
    officer = sar.ensure_ig_officer(user, "consent")
    try:
        child_id = _named(officer, child)
    except Refused as exc:
        record_refusal(officer, "consent", exc, purpose=Purpose.SUBJECT_ACCESS_REQUEST.value)
        raise
    i, w = schema.involvements.c, consent_withdrawals.c
    with current().analytics.connect() as conn:
        rows = conn.execute(sa.select(i.involvement_id, i.service, i.intervention_type, i.start_date, i.end_date,
                                      i.consent_purpose, i.consent_given_date, i.consent_withdrawn_date)
                            .where(i.child_id == child_id, i.lawful_basis == "consent")
                            .order_by(i.start_date, i.involvement_id)).all()
    with current().app.connect() as conn:
        here: dict[tuple[str, str, str], list[str]] = {}
        for service, kind, start, purpose, day in conn.execute(
                sa.select(w.service, w.intervention_type, w.start_date, w.purpose, w.withdrawn_date)
                .where(w.child_id == child_id).order_by(w.withdrawal_id)):
            here.setdefault((service, kind, start), []).append(f"{CONSENT_PURPOSES.get(purpose, purpose)} from {day}")
    record_event(audit.AuditEvent(
        action=audit.AuditAction.RECORD_READ, outcome="allowed", resource="consent", username=officer.username,
        user_id=officer.user_id, purpose=Purpose.SUBJECT_ACCESS_REQUEST.value, child_ids=(child_id,),
        fields=("involvement_id", "service", "intervention_type", "start_date", "end_date", "consent_purpose",
                "consent_given_date", "consent_withdrawn_date"), detail={"rows": len(rows)}))
    kinds = {code: label for code, (_service, label) in codes.INTERVENTION_TYPE.items()}
    return [{"involvement_id": r.involvement_id, "service": codes.label(codes.SERVICE, r.service),
             "type": kinds.get(r.intervention_type, r.intervention_type), "start": _month(r.start_date),
             "end": _month(r.end_date), "consent_purpose": r.consent_purpose or "",
             "consent_given": _month(r.consent_given_date), "withdrawn_in_source": _month(r.consent_withdrawn_date),
             "withdrawn_here": "; ".join(here.get((r.service, r.intervention_type, _iso(r.start_date)), []))}
            for r in rows]


def _month(day: dt.date | None) -> str:
    return day.strftime("%b %Y") if day else ""


def record_withdrawal(*, user: policy.Principal | None, child: object, involvement_id: object, purpose: object,
                      withdrawn_on: object, note: object = "") -> int:
    """Record that consent on one of the named child's involvements was withdrawn for ``purpose`` (a
    code of ``CONSENT_PURPOSES``) from ``withdrawn_on``; returns its number. Refused (audited) unless
    the involvement is the child's own and held under consent, the date is not before consent was
    given nor after today, and the same withdrawal is not already recorded. Side effects: one
    ``consent_withdrawals`` row, applied to every later read; audited."""
    officer = sar.ensure_ig_officer(user, "consent")
    try:
        child_id = _named(officer, child)
        number = sar.id_field(involvement_id, "involvement")
        chosen = sar.code_field(purpose, "purpose", CONSENT_PURPOSES)
        day = sar.day_field(withdrawn_on, "date withdrawn")
        remark = sar.text_field(note, "note", limit=2000, required=False)
        i = schema.involvements.c
        with current().analytics.connect() as conn:
            row = conn.execute(sa.select(i.child_id, i.lawful_basis, i.consent_given_date, i.service,
                                         i.intervention_type, i.start_date)
                               .where(i.involvement_id == number)).first()
        if row is None or int(row.child_id) != child_id or row.lawful_basis != "consent":
            raise InvalidRequest("Choose one of this child's involvements held under consent.")
        if row.consent_given_date is not None and day < row.consent_given_date:
            raise InvalidRequest("Field 'date withdrawn' is before consent was given.")
        w = consent_withdrawals.c
        with tables.write_transaction(current().app) as conn:
            same = (w.child_id == child_id, w.service == row.service, w.intervention_type == row.intervention_type,
                    w.start_date == _iso(row.start_date), w.purpose == chosen)
            if conn.execute(sa.select(w.withdrawal_id).where(*same)).first():
                raise InvalidRequest("That withdrawal is already recorded.")
            new = conn.execute(consent_withdrawals.insert().values(
                involvement_id=number, child_id=child_id, service=row.service, intervention_type=row.intervention_type,
                start_date=_iso(row.start_date), purpose=chosen, withdrawn_date=day.isoformat(),
                note=remark or None, recorded_by=officer.user_id, recorded_at=tables.iso_utc()
            )).inserted_primary_key[0]  # type: ignore[index]  # an insert has a key
    except Refused as exc:
        record_refusal(officer, "consent", exc, purpose=Purpose.SUBJECT_ACCESS_REQUEST.value)
        raise
    _audit(officer, audit.AuditAction.CONSENT_WITHDRAWAL, child_id, withdrawal_id=int(new), involvement_id=number,
           consent_purpose=chosen, withdrawn_date=day.isoformat())
    return int(new)


def record_rectification(*, user: policy.Principal | None, child: object, field: object, correction: object,
                         received: object) -> int:
    """Record a request to rectify ``field`` (a code of ``RECTIFIABLE_FIELDS``) of the named child's
    record, with the correction asked for; returns its number (outcome pending). Refused (audited)
    for other roles or malformed fields. Side effects: one row; audited (field name, never the text)."""
    officer = sar.ensure_ig_officer(user, "rectification")
    try:
        child_id = _named(officer, child)
        which = sar.code_field(field, "field", RECTIFIABLE_FIELDS)
        asked = sar.text_field(correction, "correction asked for", limit=2000)
        day = sar.day_field(received, "date received")
        with tables.write_transaction(current().app) as conn:
            new = conn.execute(rectification_requests.insert().values(
                child_id=child_id, field=which, correction=asked, received_date=day.isoformat(), outcome="pending",
                recorded_by=officer.user_id, recorded_at=tables.iso_utc())).inserted_primary_key[0]  # type: ignore[index]  # an insert has a key
    except Refused as exc:
        record_refusal(officer, "rectification", exc, purpose=Purpose.SUBJECT_ACCESS_REQUEST.value)
        raise
    _audit(officer, audit.AuditAction.RECTIFICATION, child_id, rectification_id=int(new), field=which, step="recorded")
    return int(new)


def open_rectifications(*, user: policy.Principal | None) -> list[dict[str, Any]]:
    """Rectification requests waiting for a decision, oldest first (IG officers only): number, field
    (label), correction asked for, received. No child identifiers."""
    sar.ensure_ig_officer(user, "rectification")
    r = rectification_requests.c
    with current().app.connect() as conn:
        rows = conn.execute(sa.select(r.rectification_id, r.field, r.correction, r.received_date)
                            .where(r.outcome == "pending").order_by(r.received_date, r.rectification_id)).all()
    return [{"rectification_id": x.rectification_id, "field": RECTIFIABLE_FIELDS.get(x.field, x.field),
             "correction": x.correction, "received": x.received_date} for x in rows]


def decide_rectification(*, user: policy.Principal | None, rectification_id: object, outcome: object,
                         note: object = "") -> None:
    """Record the outcome (a code of ``DECISIONS``) of a pending request, with a note (required when
    refused: the person must be told why). Refused (audited) for other roles, an unknown or decided
    request. Side effects: the row updated; audited."""
    officer = sar.ensure_ig_officer(user, "rectification")
    r = rectification_requests.c
    try:
        number = sar.id_field(rectification_id, "rectification request")
        decided = sar.code_field(outcome, "outcome", DECISIONS)
        why = sar.text_field(note, "note", limit=2000, required=decided == "refused")
        with tables.write_transaction(current().app) as conn:
            child_id = conn.execute(sa.select(r.child_id).where(r.rectification_id == number,
                                                                r.outcome == "pending")).scalar()
            if child_id is None:
                raise InvalidRequest("There is no rectification request waiting with that number.")
            conn.execute(rectification_requests.update().where(r.rectification_id == number).values(
                outcome=decided, outcome_note=why or None, decided_by=officer.user_id, decided_at=tables.iso_utc()))
    except Refused as exc:
        record_refusal(officer, "rectification", exc, purpose=Purpose.SUBJECT_ACCESS_REQUEST.value)
        raise
    _audit(officer, audit.AuditAction.RECTIFICATION, int(child_id), rectification_id=number, outcome=decided,
           step="decided")
