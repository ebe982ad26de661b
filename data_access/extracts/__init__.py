"""Pseudonymised extracts for an external programme (Delivering Better Value in SEND), produced and
downloaded once, every step audited.

Who may act:
- an **information governance officer** produces an extract for a recipient named in the spec;
- an **analyst** may ask for one (``request_extract``); an IG officer other than the analyst approves
  or rejects it (``decide_request``); the analyst then produces it, once, for that recipient;
- only the person who produced an extract may download it, and only once: the file is cleared from
  the app store by the download, and a second download is refused.
Everyone else is refused, and every refusal is audited (``ACCESS_REFUSED``, resource ``extracts``).
What goes in the file: ``extracts.spec`` and ``extracts.build``.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from appstore import audit, tables
from appstore.ig_tables import extract_requests as REQ
from appstore.ig_tables import extracts as EX
from data_access import policy
from data_access.errors import InvalidRequest, Refused
from data_access.extracts import build
from data_access.extracts.spec import DBV_SEND, SPECS, ExtractSpec
from data_access.policy import AccessDenied, Principal, Purpose
from data_access.refusals import record_refusal
from data_access.retention import officer
from data_access.retention_state import withheld_children
from data_access.stores import as_of, current, record_event

__all__ = ["DBV_SEND", "SPECS", "ExtractSpec", "Extract", "produce_extract", "download_extract", "list_extracts",
           "request_extract", "decide_request", "pending_requests"]
RESOURCE = "extracts"


@dataclass(frozen=True)
class Extract:
    """An extract as listed (no rows): what, for whom, how many rows, k, key id, whether downloaded."""

    extract_id: int
    spec: str
    spec_version: str
    recipient: str
    key_id: str
    row_count: int
    k_achieved: int
    produced_by: int
    produced_at: str
    downloaded_at: str | None


def _refuse(user: Principal | None, exc: Exception) -> None:
    record_refusal(user, RESOURCE, exc)


def _signed_in(user: Principal | None) -> Principal:
    """``user`` when they hold a known role; AccessDenied otherwise (deny by default)."""
    policy.role_of(user)
    assert user is not None  # role_of refused None
    return user


def _checked(spec: object, recipient: object) -> tuple[ExtractSpec, str]:
    chosen = SPECS.get(spec) if isinstance(spec, str) else None
    if chosen is None:
        raise InvalidRequest("Field 'spec' must name an extract specification.")
    if not isinstance(recipient, str) or recipient not in chosen.recipients:
        raise InvalidRequest(f"Field 'recipient' must be one of: {', '.join(chosen.recipients)}.")
    return chosen, recipient


def _approved_request(user: Principal, spec: ExtractSpec, recipient: str) -> int:
    """An approved, unused request of ``user`` for this spec and recipient; AccessDenied without one."""
    with current().app.connect() as conn:
        found = conn.execute(sa.select(REQ.c.request_id).where(
            REQ.c.requested_by == user.user_id, REQ.c.status == "approved", REQ.c.spec == spec.name,
            REQ.c.recipient == recipient).order_by(REQ.c.request_id)).first()
    if found is None:
        raise AccessDenied("An analyst needs an extract request approved by information governance first.")
    return int(found.request_id)


def produce_extract(*, user: Principal | None, recipient: object, spec: object = DBV_SEND.name) -> Extract:
    """Produce an extract of ``spec`` for ``recipient`` and keep it for one download. IG officers, or an
    analyst with an approved request (used up by this); AccessDenied otherwise, InvalidRequest for an
    unknown spec or recipient (both audited). Side effects: an ``extracts`` row, an audit event."""
    try:
        who = _signed_in(user)
        chosen, to = _checked(spec, recipient)
        request_id = None
        if policy.role_of(who).name == "analyst":
            request_id = _approved_request(who, chosen, to)
        else:
            policy.ensure_information_governance(who)
    except Refused as exc:
        _refuse(user, exc)
        raise
    settings, day = current().settings, as_of()
    withheld = withheld_children(Purpose(chosen.purpose), day)
    with current().analytics.connect() as conn:
        built = build.build_rows(conn, chosen, key=build.recipient_key(settings.extract_key, to), day=day,
                                 k=settings.pseudonymised_k, withheld=withheld)
    kid, produced_at = build.key_id(settings.extract_key, to), tables.iso_utc()
    with tables.write_transaction(current().app) as conn:
        if request_id is not None:
            used = conn.execute(REQ.update().where(REQ.c.request_id == request_id, REQ.c.status == "approved")
                                .values(status="used")).rowcount
            if used != 1:  # a second production racing this one with the same approval
                _refuse(who, AccessDenied("extract request already used"))
                raise AccessDenied("That extract request has been used already.")
        extract_id = int(conn.execute(EX.insert().values(
            spec=chosen.name, spec_version=chosen.version, recipient=to, key_id=kid, row_count=len(built.rows),
            k_achieved=built.k_achieved, produced_by=who.user_id, produced_at=produced_at, request_id=request_id,
        ).returning(EX.c.extract_id)).scalar_one())
        facts = build.manifest(chosen, built, recipient=to, key_id=kid, k=settings.pseudonymised_k, day=day,
                               extract_id=extract_id, produced_by=who.username, produced_at=produced_at)
        blob = build.package(chosen, built, facts)
        conn.execute(EX.update().where(EX.c.extract_id == extract_id).values(content=blob))
    record_event(audit.AuditEvent(
        action=audit.AuditAction.EXTRACT, outcome="success", resource=RESOURCE, username=who.username,
        user_id=who.user_id, purpose=chosen.purpose, fields=chosen.field_names,
        reason=f"produced {chosen.name} {chosen.version} for {to}",
        detail={"step": "produce", "extract_id": extract_id, "spec": chosen.name, "spec_version": chosen.version,
                "recipient": to, "key_id": kid, "rows": len(built.rows), "k_achieved": built.k_achieved,
                "request_id": request_id}))
    return _find(extract_id)


def _row(r: sa.Row) -> Extract:
    return Extract(int(r.extract_id), r.spec, r.spec_version, r.recipient, r.key_id, int(r.row_count),
                   int(r.k_achieved), int(r.produced_by), r.produced_at, r.downloaded_at)


def _columns() -> tuple[sa.ColumnElement, ...]:
    return tuple(EX.c[name] for name in ("extract_id", "spec", "spec_version", "recipient", "key_id", "row_count",
                                         "k_achieved", "produced_by", "produced_at", "downloaded_at"))


def _find(extract_id: int) -> Extract:
    with current().app.connect() as conn:
        return _row(conn.execute(sa.select(*_columns()).where(EX.c.extract_id == extract_id)).one())


def list_extracts(*, user: Principal | None) -> list[Extract]:
    """Extracts produced so far, newest first (no rows). IG officers see all; others are refused (audited)."""
    officer(user, RESOURCE)
    with current().app.connect() as conn:
        return [_row(r) for r in conn.execute(sa.select(*_columns()).order_by(EX.c.extract_id.desc()))]


def download_extract(*, user: Principal | None, extract_id: object) -> tuple[str, bytes]:
    """(file name, ZIP bytes) of an extract, once, for the person who produced it: the file is cleared
    in the same transaction. AccessDenied / InvalidRequest otherwise, including a second download
    (audited). Side effects: the extract marked downloaded, an ``EXPORT`` audit event."""
    try:
        who = _signed_in(user)
        if isinstance(extract_id, bool) or not isinstance(extract_id, int):
            raise InvalidRequest("Field 'extract_id' must be an extract number.")
        with tables.write_transaction(current().app) as conn:
            row = conn.execute(sa.select(EX).where(EX.c.extract_id == extract_id)).first()
            if row is None or row.produced_by != who.user_id:
                raise AccessDenied("Only the person who produced an extract may download it.")
            if row.downloaded_at is not None or row.content is None:
                raise AccessDenied(f"Extract {extract_id} has been downloaded already: it can be downloaded once.")
            conn.execute(EX.update().where(EX.c.extract_id == extract_id, EX.c.downloaded_at.is_(None))
                         .values(content=None, downloaded_by=who.user_id, downloaded_at=tables.iso_utc()))
    except Refused as exc:
        _refuse(user, exc)
        raise
    record_event(audit.AuditEvent(
        action=audit.AuditAction.EXPORT, outcome="allowed", resource=RESOURCE, username=who.username,
        user_id=who.user_id, purpose=SPECS[row.spec].purpose, fields=SPECS[row.spec].field_names,
        reason=f"downloaded extract {extract_id} ({row.spec} {row.spec_version}) for {row.recipient}",
        detail={"step": "download", "extract_id": int(extract_id), "recipient": row.recipient, "key_id": row.key_id,
                "rows": int(row.row_count), "k_achieved": int(row.k_achieved)}))
    return f"{row.spec}-{row.spec_version}-{row.recipient}-{int(extract_id)}.zip", bytes(row.content)


def request_extract(*, user: Principal | None, recipient: object, reason: object,
                    spec: object = DBV_SEND.name) -> int:
    """An analyst asks for an extract (to be approved by an IG officer); returns the request number.
    AccessDenied for other roles, InvalidRequest without a reason (audited). Side effects: a request
    row, an audit event."""
    try:
        who = _signed_in(user)
        if policy.role_of(who).name != "analyst":
            raise AccessDenied("Only analysts ask for extracts; information governance produces them directly.")
        chosen, to = _checked(spec, recipient)
        text = reason.strip() if isinstance(reason, str) else ""
        if not 10 <= len(text) <= 2000:
            raise InvalidRequest("Say why the extract is needed (10 to 2,000 characters).")
    except Refused as exc:
        _refuse(user, exc)
        raise
    with tables.write_transaction(current().app) as conn:
        request_id = int(conn.execute(REQ.insert().values(
            spec=chosen.name, recipient=to, reason=text, requested_by=who.user_id, requested_at=tables.iso_utc(),
            status="pending").returning(REQ.c.request_id)).scalar_one())
    record_event(audit.AuditEvent(
        action=audit.AuditAction.EXTRACT, outcome="success", resource=RESOURCE, username=who.username,
        user_id=who.user_id, reason=text, detail={"step": "request", "request_id": request_id, "recipient": to}))
    return request_id


def pending_requests(*, user: Principal | None) -> list[dict[str, object]]:
    """Analysts' extract requests waiting for a decision (IG officers only; refused and audited otherwise)."""
    officer(user, RESOURCE)
    with current().app.connect() as conn:
        asker = tables.users.c
        rows = conn.execute(sa.select(REQ.c.request_id, REQ.c.spec, REQ.c.recipient, REQ.c.reason, REQ.c.requested_at,
                                      asker.username).join(tables.users, asker.user_id == REQ.c.requested_by)
                            .where(REQ.c.status == "pending").order_by(REQ.c.request_id)).all()
    return [r._asdict() for r in rows]


def decide_request(*, user: Principal | None, request_id: object, approve: object) -> str:
    """An IG officer approves or rejects a pending extract request, never their own (four eyes, also a
    CHECK constraint); returns the new status. Refusals audited; the decision audited."""
    try:
        policy.ensure_information_governance(user)
        who = _signed_in(user)
        if isinstance(request_id, bool) or not isinstance(request_id, int) or not isinstance(approve, bool):
            raise InvalidRequest("Name a request and a decision.")
        status = "approved" if approve else "rejected"
        with tables.write_transaction(current().app) as conn:
            done = conn.execute(REQ.update().where(REQ.c.request_id == request_id, REQ.c.status == "pending",
                                                   REQ.c.requested_by != who.user_id)
                                .values(status=status, decided_by=who.user_id, decided_at=tables.iso_utc())).rowcount
        if done != 1:
            raise InvalidRequest(f"Extract request {request_id} is not waiting for your decision.")
    except Refused as exc:
        _refuse(user, exc)
        raise
    record_event(audit.AuditEvent(
        action=audit.AuditAction.EXTRACT, outcome="success", resource=RESOURCE, username=who.username,
        user_id=who.user_id, detail={"step": status, "request_id": request_id}))
    return status
