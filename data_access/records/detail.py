"""One child's record: details and a timeline, for a user whose scope reaches that child.

The scope check is the same SQL subquery as the lists, restricted to the one child, so a forged or
guessed child id outside the user's scope is refused exactly as an unrelated child would be.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from data_access.policy import AccessDenied
from data_access.records.care import CareHistory, care_history
from data_access.records.listing import WITHHELD
from data_access.records.scope import Access, scope_subquery
from model import codes, schema

S = schema


@dataclass(frozen=True)
class ChildRecord:
    child_id: int
    details: dict[str, Any]
    timeline: list[dict[str, Any]]  # date, event, detail
    involvements: list[dict[str, Any]]  # with lawful basis, Art 9 condition and consent status
    allocations: list[dict[str, Any]]
    lawful_basis: str
    fields: tuple[str, ...]
    care: CareHistory = field(default_factory=CareHistory)  # children looked after (SSDA903)


DETAIL_FIELDS = ("la_child_id", "upn", "forename", "surname", "birth_date", "sex", "postcode", "locality",
                 "ethnicity", "religion", "disabilities", "death_date", "retention_date")


def child_record(conn: sa.Connection, access: Access, child_id: int) -> ChildRecord:
    """The record of ``child_id``; raises AccessDenied when it is outside the access's scope."""
    scoped = scope_subquery(access)
    hit = conn.execute(sa.select(scoped.c.lawful_basis, scoped.c.art9).where(scoped.c.child_id == child_id)).first()
    if hit is None:
        raise AccessDenied("That record is not available to you for this purpose.")
    special = access.role.special_category_rows and hit.art9 == 1
    c = S.children.c
    row = conn.execute(sa.select(*[c[f] for f in DETAIL_FIELDS if f != "disabilities"])
                       .where(c.child_id == child_id)).one()._asdict()
    if special:
        row["disabilities"] = ", ".join(codes.label(codes.DISABILITY, d) for (d,) in conn.execute(
            sa.select(S.child_disabilities.c.disability).where(S.child_disabilities.c.child_id == child_id)))
    else:
        row.update(ethnicity=WITHHELD, religion=WITHHELD, disabilities=WITHHELD)
    return ChildRecord(child_id, row, _timeline(conn, child_id, special), _involvements(conn, child_id),
                       _allocations(conn, child_id), hit.lawful_basis, DETAIL_FIELDS + ("timeline", "care_history"),
                       care_history(conn, child_id, special=special))


def _events(conn: sa.Connection, query: sa.Select, event: str, detail: Any = None) -> list[dict[str, Any]]:
    out = []
    for r in conn.execute(query):
        if r[0] is not None:
            out.append({"date": r[0], "event": event, "detail": detail(r) if callable(detail) else (detail or "")})
    return out


def _timeline(conn: sa.Connection, child_id: int, special: bool) -> list[dict[str, Any]]:
    def of(table: sa.Table, *columns: sa.ColumnElement) -> sa.Select:
        return sa.select(*columns).where(table.c.child_id == child_id)

    e, a, s47 = S.cin_episodes, S.assessments, S.section47
    cin, cp, rv = S.cin_plans, S.cp_plans, S.cp_reviews
    rq, ea, pl = S.ehc_requests, S.ehc_assessments, S.ehc_plans
    factors = _factors(conn, child_id) if special else {}
    label = codes.label
    specs: list[tuple[sa.Select, str, Any]] = [
        (of(e, e.c.referral_date, e.c.referral_source, e.c.primary_need, e.c.referral_nfa), "Referral",
         lambda r: f"{label(codes.REFERRAL_SOURCE, r[1])}; need {label(codes.PRIMARY_NEED, r[2])}"
                   + ("; no further action" if r[3] else "")),
        (of(e, e.c.closure_date, e.c.closure_reason), "Episode closed",
         lambda r: label(codes.REASON_FOR_CLOSURE, r[1])),
        (of(a, a.c.start_date), "Assessment started", None),
        (of(a, a.c.authorisation_date, a.c.assessment_id, a.c.working_days), "Assessment authorised",
         lambda r: f"{r[2]} working days" + (f"; factors: {factors.get(r[1], 'none')}" if special
                                             else "; factors withheld (special category)")),
        (of(s47, s47.c.start_date), "Section 47 enquiry", None),
        (of(s47, s47.c.icpc_date, s47.c.icpc_working_days), "Initial child protection conference",
         lambda r: f"{r[1]} working days after S47 start"),
        (of(cin, cin.c.start_date), "CIN plan started", None),
        (of(cin, cin.c.end_date), "CIN plan ended", None),
        (of(cp, cp.c.start_date, cp.c.initial_category, cp.c.is_subsequent), "CP plan started",
         lambda r: label(codes.CATEGORY_OF_ABUSE, r[1]) + ("; second or subsequent" if r[2] else "")),
        (of(cp, cp.c.end_date, cp.c.latest_category), "CP plan ended",
         lambda r: label(codes.CATEGORY_OF_ABUSE, r[1])),
        (of(rv, rv.c.review_date), "CP review", None),
        (of(rq, rq.c.received_date, rq.c.outcome), "EHC needs request",
         lambda r: label(codes.EHC_REQUEST_OUTCOME, r[1])),
        (of(ea, ea.c.outcome_date, ea.c.outcome, ea.c.weeks_from_request), "EHC assessment decision",
         lambda r: label(codes.EHC_ASSESSMENT_OUTCOME, r[1])
                   + (f"; {r[2]:.0f} weeks from request" if r[2] is not None else "")),
        (of(pl, pl.c.start_date, pl.c.primary_need), "EHC plan issued",
         lambda r: label(codes.SEN_NEED, r[1]) if special else "primary need withheld"),
        (of(pl, pl.c.ceased_date, pl.c.cease_reason), "EHC plan ceased",
         lambda r: label(codes.EHC_CEASE_REASON, r[1])),
    ]
    events = [event for query, name, detail in specs for event in _events(conn, query, name, detail)]
    return sorted(events, key=lambda ev: (ev["date"], ev["event"]))


def _factors(conn: sa.Connection, child_id: int) -> dict[int, str]:
    f = S.assessment_factors.c
    out: dict[int, list[str]] = {}
    for assessment_id, factor in conn.execute(sa.select(f.assessment_id, f.factor).where(f.child_id == child_id)):
        out.setdefault(assessment_id, []).append(codes.label(codes.ASSESSMENT_FACTOR, factor))
    return {k: ", ".join(sorted(v)) for k, v in out.items()}


def _involvements(conn: sa.Connection, child_id: int) -> list[dict[str, Any]]:
    i = S.involvements.c
    rows = conn.execute(sa.select(i.involvement_id, i.service, i.intervention_type, i.team_id, i.start_date,
                                  i.end_date, i.outcome, i.lawful_basis, i.art9_condition, i.consent_purpose,
                                  i.consent_given_date, i.consent_withdrawn_date)
                        .where(i.child_id == child_id).order_by(i.start_date)).all()
    return [r._asdict() for r in rows]


def _allocations(conn: sa.Connection, child_id: int) -> list[dict[str, Any]]:
    al, w = S.allocations.c, S.workers.c
    rows = conn.execute(sa.select(al.team_id, w.name.label("worker"), al.start_date, al.end_date)
                        .join(S.workers, w.worker_id == al.worker_id)
                        .where(al.child_id == child_id).order_by(al.start_date)).all()
    return [r._asdict() for r in rows]
