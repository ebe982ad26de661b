"""The subject access pack: everything held about one child, and no other child, as PDF or ZIP.

Built on the server for each download from the request's one child (never from anything the page
sends but the request number): the child's details and disabilities, CIN episodes, assessments and
their factors, section 47 enquiries, CIN and CP plans and reviews, EHC requests, assessments and
plans, SEN needs and placements, involvements with their lawful basis, Art 9 condition and consent,
allocations (with the worker's name), consent withdrawals and rectification requests kept in the
app store, and the record of who accessed the child, from the audit trail. Every child-level query
is ``WHERE child_id = :the_child``. Derived copies of the child's attributes on fact tables and the
record keys of the figures' protection are left out (copies of what the pack already holds, and an
internal technical key). The ZIP holds one CSV per section and ``pack.json`` (the same rows, as
data the person can take elsewhere: portability, Art 20); the PDF (``sar_pdf``) is the readable copy.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from appstore import audit
from appstore.subject_rights import consent_withdrawals, rectification_requests
from appstore.tables import audit_events
from data_access import policy, sar, sar_pdf
from data_access.errors import InvalidRequest, Refused
from data_access.policy import AccessDenied, Purpose
from data_access.records.scope import check_access, scope_subquery
from data_access.refusals import record_refusal
from data_access.stores import as_of, current, record_event
from model import schema

S = schema
LEFT_OUT = frozenset(schema.KEY_COLUMNS) | frozenset(schema.CHILD_COPIES) | frozenset(schema.EPISODE_COPIES)
FORMATS = {"pdf": "application/pdf", "zip": "application/zip"}
# (key, title, analytics table) in the pack's order.
CHILD_SECTIONS: tuple[tuple[str, str, sa.Table], ...] = (
    ("child", "The child's details", S.children),
    ("disabilities", "Disabilities", S.child_disabilities),
    ("cin_episodes", "Referrals and children in need episodes", S.cin_episodes),
    ("assessments", "Assessments", S.assessments),
    ("assessment_factors", "Factors identified at assessment", S.assessment_factors),
    ("section47", "Section 47 enquiries and conferences", S.section47),
    ("cin_plans", "Child in need plans", S.cin_plans),
    ("cp_plans", "Child protection plans", S.cp_plans),
    ("cp_reviews", "Child protection reviews", S.cp_reviews),
    ("ehc_requests", "EHC needs assessment requests", S.ehc_requests),
    ("ehc_assessments", "EHC needs assessments", S.ehc_assessments),
    ("ehc_plans", "EHC plans", S.ehc_plans),
    ("sen_needs", "Special educational needs", S.sen_needs),
    ("sen_placements", "SEN placements", S.sen_placements),
    ("involvements", "Involvements: lawful basis, Art 9 condition and consent", S.involvements),
    ("allocations", "Allocations to workers and teams", S.allocations),
)
TITLES = {key: title for key, title, _ in CHILD_SECTIONS} | {
    "consent_withdrawals": "Consent withdrawals recorded by information governance",
    "rectification_requests": "Rectification requests",
    "access_record": "Who accessed this record (audit trail)",
}
ACCESS_COLUMNS = ("seq", "occurred_at", "username", "action", "outcome", "resource", "purpose", "lawful_basis")


@dataclass(frozen=True)
class SarPack:
    filename: str
    content: bytes
    mime: str
    sections: dict[str, list[dict[str, Any]]]


def columns_of(table: sa.Table) -> list[sa.Column[Any]]:
    """The columns a pack shows for ``table``: all but derived copies and record keys."""
    return [c for c in table.columns if c.name not in LEFT_OUT]


def _rows(conn: sa.Connection, query: sa.Select) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(query)]


def child_sections(conn: sa.Connection, child_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every analytics-store row about ``child_id``, by section (allocations with the worker's name)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for key, _title, table in CHILD_SECTIONS:
        query = sa.select(*columns_of(table)).where(table.c.child_id == child_id)
        if table is S.allocations:
            query = query.add_columns(S.workers.c.name.label("worker_name")).outerjoin(
                S.workers, S.workers.c.worker_id == table.c.worker_id)
        out[key] = _rows(conn, query.order_by(*[c for c in table.primary_key.columns]))
    return out


def app_store_sections(child_id: int) -> dict[str, list[dict[str, Any]]]:
    """Consent withdrawals, rectification requests and the access record of ``child_id`` from the app
    store. The access record lists every audit entry naming the child (who, when, what, why), never
    the other children an entry may also name."""
    w, r, a = consent_withdrawals.c, rectification_requests.c, audit_events.c
    quoted = str(int(child_id))
    names_child = sa.or_(a.child_ids == f"[{quoted}]", a.child_ids.like(f"[{quoted},%"),
                         a.child_ids.like(f"%,{quoted},%"), a.child_ids.like(f"%,{quoted}]"))
    with current().app.connect() as conn:
        return {
            "consent_withdrawals": _rows(conn, sa.select(w.withdrawal_id, w.involvement_id, w.service,
                                                         w.intervention_type, w.start_date, w.purpose,
                                                         w.withdrawn_date, w.recorded_at)
                                         .where(w.child_id == child_id).order_by(w.withdrawal_id)),
            "rectification_requests": _rows(conn, sa.select(r.rectification_id, r.field, r.correction,
                                                            r.received_date, r.outcome, r.outcome_note, r.decided_at)
                                            .where(r.child_id == child_id).order_by(r.rectification_id)),
            "access_record": _rows(conn, sa.select(*[a[c] for c in ACCESS_COLUMNS]).where(names_child)
                                   .order_by(a.seq)),
        }


def _plain(value: object) -> object:
    """A value as JSON and CSV hold it: dates as ISO text, everything else unchanged."""
    return value.isoformat() if isinstance(value, dt.date) else value


def to_zip(case_ref: str, made: str, sections: dict[str, list[dict[str, Any]]]) -> bytes:
    """CSV per section, ``pack.json`` and a README, in one ZIP (deterministic member order)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        readme = (f"Subject access request {case_ref}: everything held about the child, produced {made}.\n"
                  "One CSV file per section (the same rows are in pack.json).\n\n"
                  + "\n".join(f"{n:02d}_{key}.csv  {TITLES[key]} ({len(rows)} rows)"
                              for n, (key, rows) in enumerate(sections.items(), 1)) + "\n")
        archive.writestr("README.txt", readme)
        for n, (key, rows) in enumerate(sections.items(), 1):
            text = io.StringIO()
            names = list(rows[0]) if rows else []
            writer = csv.writer(text)
            writer.writerow(names)
            for row in rows:
                writer.writerow(["" if row[c] is None else _plain(row[c]) for c in names])
            archive.writestr(f"{n:02d}_{key}.csv", text.getvalue())
        document = {"case_ref": case_ref, "produced": made,
                    "sections": {key: {"title": TITLES[key], "rows": [{c: _plain(v) for c, v in row.items()}
                                                                      for row in rows]}
                                 for key, rows in sections.items()}}
        archive.writestr("pack.json", json.dumps(document, indent=1, ensure_ascii=False))
    return buffer.getvalue()


def build_pack(*, user: policy.Principal | None, sar_id: object, fmt: object) -> SarPack:
    """The pack of request ``sar_id`` as ``fmt`` ("pdf" or "zip"), built now on the server.

    IG officers only, and only for the request's own child, which the policy's subject access scope
    must reach (``records.scope``: the named child, data held under any basis, past retention too).
    Raises AccessDenied / InvalidRequest (audited) otherwise. Side effects: one EXPORT audit event
    (resource ``sar_pack``) naming the child, the sections and the format, recorded before the bytes
    are returned: producing and handing over the pack are one step.
    """
    officer = sar.ensure_ig_officer(user, "sar_pack")
    child_id: int | None = None
    try:
        number = sar.id_field(sar_id, "request")
        kind = sar.code_field(fmt, "format", tuple(FORMATS))
        child_id, case_ref = sar.request_of(number)
        access = check_access(officer, Purpose.SUBJECT_ACCESS_REQUEST.value, day=as_of(),
                              grace_days=current().settings.caseworker_grace_days, named_child=child_id)
        scoped = scope_subquery(access)
        with current().analytics.connect() as conn:
            if conn.execute(sa.select(scoped.c.child_id).where(scoped.c.child_id == child_id)).first() is None:
                raise AccessDenied("That child's record is not available for a subject access request.")
            sections = child_sections(conn, child_id)
    except Refused as exc:
        record_refusal(officer, "sar_pack", exc, purpose=Purpose.SUBJECT_ACCESS_REQUEST.value,
                       child_ids=(child_id,) if child_id is not None else ())
        raise
    sections.update(app_store_sections(child_id))
    made = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    if kind == "pdf":
        content = sar_pdf.render(case_ref, made, sections, TITLES)
    else:
        content = to_zip(case_ref, made, sections)
    record_event(audit.AuditEvent(
        action=audit.AuditAction.EXPORT, outcome="success", resource="sar_pack", username=officer.username,
        user_id=officer.user_id, purpose=Purpose.SUBJECT_ACCESS_REQUEST.value, lawful_basis="legal_obligation",
        child_ids=(child_id,), fields=tuple(sections),
        detail={"sar_id": number, "format": kind, "rows": sum(len(v) for v in sections.values())}))
    safe_ref = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in case_ref)
    return SarPack(f"SAR-{safe_ref}-{made[:10]}.{kind}", content, FORMATS[kind], sections)


__all__ = ["SarPack", "build_pack", "child_sections", "app_store_sections", "columns_of", "InvalidRequest"]
