"""One child's record: details and a timeline, for a user whose scope reaches that child.

The scope check is the same SQL subquery as the lists, restricted to the one child, so a forged or
guessed child id outside the user's scope is refused exactly as an unrelated child would be.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from data_access import codes, schema
from data_access.policy import AccessDenied
from data_access.records.listing import WITHHELD
from data_access.records.scope import Access, scope_subquery

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
                       _allocations(conn, child_id), hit.lawful_basis, DETAIL_FIELDS + ("timeline",))


def _events(conn: sa.Connection, query: sa.Select, event: str, detail: Any = None) -> list[dict[str, Any]]:
    out = []
    for r in conn.execute(query):
        if r[0] is not None:
            out.append({"date": r[0], "event": event, "detail": detail(r) if callable(detail) else (detail or "")})
    return out


def _timeline(conn: sa.Connection, child_id: int, special: bool) -> list[dict[str, Any]]:
    e, a, s47 = S.cin_episodes.c, S.assessments.c, S.section47.c
    cin, cp, rv = S.cin_plans.c, S.cp_plans.c, S.cp_reviews.c
    rq, ea, pl = S.ehc_requests.c, S.ehc_assessments.c, S.ehc_plans.c
    events: list[dict[str, Any]] = []
    events += _events(conn, sa.select(e.referral_date, e.referral_source, e.primary_need, e.referral_nfa)
                      .where(e.child_id == child_id), "Referral",
                      lambda r: f"{codes.label(codes.REFERRAL_SOURCE, r[1])}; need "
                                f"{codes.label(codes.PRIMARY_NEED, r[2])}" + ("; no further action" if r[3] else ""))
    events += _events(conn, sa.select(e.closure_date, e.closure_reason).where(e.child_id == child_id),
                      "Episode closed", lambda r: codes.label(codes.REASON_FOR_CLOSURE, r[1]))
    factors = _factors(conn, child_id) if special else {}
    events += _events(conn, sa.select(a.start_date, a.assessment_id).where(a.child_id == child_id), "Assessment started")
    events += _events(conn, sa.select(a.authorisation_date, a.assessment_id, a.working_days).where(a.child_id == child_id),
                      "Assessment authorised",
                      lambda r: f"{r[2]} working days" + (f"; factors: {factors.get(r[1], 'none')}" if special
                                                          else "; factors withheld (special category)"))
    events += _events(conn, sa.select(s47.start_date).where(s47.child_id == child_id), "Section 47 enquiry")
    events += _events(conn, sa.select(s47.icpc_date, s47.icpc_working_days).where(s47.child_id == child_id),
                      "Initial child protection conference", lambda r: f"{r[1]} working days after S47 start")
    events += _events(conn, sa.select(cin.start_date).where(cin.child_id == child_id), "CIN plan started")
    events += _events(conn, sa.select(cin.end_date).where(cin.child_id == child_id), "CIN plan ended")
    events += _events(conn, sa.select(cp.start_date, cp.initial_category, cp.is_subsequent).where(cp.child_id == child_id),
                      "CP plan started", lambda r: codes.label(codes.CATEGORY_OF_ABUSE, r[1])
                      + ("; second or subsequent" if r[2] else ""))
    events += _events(conn, sa.select(cp.end_date, cp.latest_category).where(cp.child_id == child_id), "CP plan ended",
                      lambda r: codes.label(codes.CATEGORY_OF_ABUSE, r[1]))
    events += _events(conn, sa.select(rv.review_date).where(rv.child_id == child_id), "CP review")
    events += _events(conn, sa.select(rq.received_date, rq.outcome).where(rq.child_id == child_id), "EHC needs request",
                      lambda r: codes.label(codes.EHC_REQUEST_OUTCOME, r[1]))
    events += _events(conn, sa.select(ea.outcome_date, ea.outcome, ea.weeks_from_request).where(ea.child_id == child_id),
                      "EHC assessment decision", lambda r: f"{codes.label(codes.EHC_ASSESSMENT_OUTCOME, r[1])}"
                      + (f"; {r[2]:.0f} weeks from request" if r[2] is not None else ""))
    events += _events(conn, sa.select(pl.start_date, pl.primary_need).where(pl.child_id == child_id), "EHC plan issued",
                      lambda r: codes.label(codes.SEN_NEED, r[1]) if special else "primary need withheld")
    events += _events(conn, sa.select(pl.ceased_date, pl.cease_reason).where(pl.child_id == child_id), "EHC plan ceased",
                      lambda r: codes.label(codes.EHC_CEASE_REASON, r[1]))
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
