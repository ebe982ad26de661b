"""Retention: records kept from birth to the 25th birthday, then archived for 25 more years, then destroyed.

The council's privacy notice promises records are kept from birth to age 25 and then archived for
25 more years. Two steps carry this out, each by an information governance officer, each after a
dry run (``dry_run``) that shows what would happen and returns a one-use token; the run (``run``)
does exactly that or nothing: it is refused when the records due differ from those the dry run
counted (a refreshed store, another run in between), when the token is someone else's, spent,
older than ``DRY_RUN_MINUTES`` or for another data date.

- **Archive** (rule ``ARCHIVE_RULE``): every record whose retention date (the 25th birthday) is on or
  before the data date (the analytics store's ``as_of``). An archived record is out of reach of every
  purpose but subject access and legal claims (``policy.PURPOSES_PAST_RETENTION``).
- **Destroy** (rule ``DESTROY_RULE``): every archived record whose archive period has ended (25
  years after its retention date). A destroyed record is out of reach of every purpose; the run
  leaves a destruction certificate in the audit trail: the rule, the data date, who and when, the
  counts of rows destroyed, and the records by their audit pseudonym only.

The state lives in the app store (``appstore.ig_tables``), so it survives a rebuild of the analytics
store, and is applied at query time (``retention_state.withheld_children``, used by ``records`` and
``extracts``).
Aggregate figures are not changed by either step: see docs/ig.md ("Retention").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from appstore import audit, tables
from appstore.ig_tables import retention_records as RR
from appstore.ig_tables import retention_runs as RUNS
from data_access import policy
from data_access.errors import InvalidRequest, Refused
from data_access.policy import AccessDenied, Principal
from data_access.records.listing import pseudonym
from data_access.refusals import record_refusal
from data_access.retention_state import add_years, archived_records, past_retention
from data_access.stores import as_of, current, record_event
from model import schema

ARCHIVE_RULE = "archive-at-25th-birthday"
DESTROY_RULE = "destroy-25-years-after-archive"
RULES = {"archive": ARCHIVE_RULE, "destroy": DESTROY_RULE}
RETENTION_YEARS = 25  # birth to the 25th birthday (children.retention_date, derived at refresh)
ARCHIVE_YEARS = 25  # archived for 25 more years
DRY_RUN_MINUTES = 30
CH = schema.children.c
# Rows a destruction certificate counts per destroyed child (what the source systems must delete).
COUNTED = {"involvements": schema.involvements, "allocations": schema.allocations,
           "cin_episodes": schema.cin_episodes, "ehc_requests": schema.ehc_requests, "ehc_plans": schema.ehc_plans}


@dataclass(frozen=True)
class RetentionReport:
    """Counts only (no child is named): the records due for each step and those already through it."""

    data_date: dt.date
    due_archive: int  # past the 25th birthday, not yet archived
    upcoming_archive: int  # reaching the 25th birthday in the next 12 months
    archived: int  # archived, not destroyed
    due_destroy: int  # archived, archive period ended
    upcoming_destroy: int  # archive period ends in the next 12 months
    destroyed: int


@dataclass(frozen=True)
class DryRun:
    """What a run of ``step`` would do now; ``token`` lets the same officer carry it out."""

    step: str
    rule: str
    data_date: dt.date
    records: int
    earliest: dt.date | None  # earliest / latest retention date (archive) or archive end (destroy)
    latest: dt.date | None
    token: str
    expires_at: str
    by_year: tuple[tuple[int, int], ...] = ()  # (year of that date, records), oldest first


@dataclass(frozen=True)
class RunResult:
    step: str
    run_id: int
    records: int
    audit_seq: int  # the audit entry of the run (for destroy: the destruction certificate)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def officer(user: Principal | None, resource: str) -> Principal:
    """``user`` if an information governance officer; otherwise AccessDenied, audited against ``resource``."""
    try:
        policy.ensure_information_governance(user)
    except AccessDenied as exc:
        record_refusal(user, resource, exc)
        raise
    return user  # type: ignore[return-value]  # ensure_information_governance refused None


def _due(step: str, day: dt.date) -> dict[int, dt.date]:
    """child_id -> the date that makes it due, for every record ``step`` would change on ``day``."""
    with current().app.connect() as app:
        archived = archived_records(app, destroyed=None if step == "archive" else False)
    if step == "destroy":
        return {c: dt.date.fromisoformat(e) for c, e in archived.items() if e <= day.isoformat()}
    with current().analytics.connect() as conn:
        past = past_retention(conn, day)
    return {c: r for c, r in past.items() if c not in archived}


def _digest(ids: Iterable[int]) -> str:
    return hashlib.sha256(",".join(str(i) for i in sorted(ids)).encode()).hexdigest()


def retention_report(*, user: Principal | None) -> RetentionReport:
    """Counts of records due for archive and destruction, and through each step (IG officers only;
    raises AccessDenied otherwise, audited). Side effect: one audit event."""
    ig = officer(user, "retention")
    day = as_of()
    soon = add_years(day, 1).isoformat()
    with current().app.connect() as app:
        live, gone = archived_records(app, destroyed=False), archived_records(app, destroyed=True)
    with current().analytics.connect() as conn:
        past = past_retention(conn, day)
        upcoming = conn.execute(sa.select(sa.func.count()).select_from(schema.children).where(
            CH.retention_date > day, CH.retention_date <= add_years(day, 1))).scalar_one()
    report = RetentionReport(
        data_date=day, due_archive=len(set(past) - set(live) - set(gone)), upcoming_archive=int(upcoming),
        archived=len(live), due_destroy=sum(1 for e in live.values() if e <= day.isoformat()),
        upcoming_destroy=sum(1 for e in live.values() if day.isoformat() < e <= soon), destroyed=len(gone))
    record_event(audit.AuditEvent(
        action=audit.AuditAction.RETENTION, outcome="allowed", resource="retention", username=ig.username,
        user_id=ig.user_id, detail={"step": "report", "data_date": day.isoformat(),
                                         "due_archive": report.due_archive, "due_destroy": report.due_destroy}))
    return report


def _step(step: object) -> str:
    if not isinstance(step, str) or step not in RULES:
        raise InvalidRequest("Field 'step' must be 'archive' or 'destroy'.")
    return step


def dry_run(*, user: Principal | None, step: object) -> DryRun:
    """What ``step`` ("archive" or "destroy") would do now, changing nothing but recording the dry run
    (and its token's hash) so that ``run`` can do exactly this. IG officers only (AccessDenied,
    audited); InvalidRequest for an unknown step (audited). Side effects: a retention_runs row, an
    audit event."""
    ig = officer(user, "retention")
    try:
        chosen = _step(step)
    except Refused as exc:
        record_refusal(ig, "retention", exc)
        raise
    day = as_of()
    due = _due(chosen, day)
    token = secrets.token_urlsafe(24)
    planned_at = _now()
    with tables.write_transaction(current().app) as conn:
        run_id = conn.execute(RUNS.insert().values(
            step=chosen, rule=RULES[chosen], data_date=day.isoformat(), token_hash=_token_hash(token),
            digest=_digest(due), planned=len(due), planned_by=ig.user_id, planned_at=tables.iso_utc(planned_at),
            status="planned").returning(RUNS.c.run_id)).scalar_one()
    dates = sorted(due.values())
    record_event(audit.AuditEvent(
        action=audit.AuditAction.RETENTION, outcome="allowed", resource="retention", username=ig.username,
        user_id=ig.user_id, reason=f"dry run of {chosen} under {RULES[chosen]}",
        detail={"step": chosen, "dry_run": True, "run_id": int(run_id), "rule": RULES[chosen],
                "data_date": day.isoformat(), "records": len(due)}))
    return DryRun(chosen, RULES[chosen], day, len(due), dates[0] if dates else None, dates[-1] if dates else None,
                  token, tables.iso_utc(planned_at + dt.timedelta(minutes=DRY_RUN_MINUTES)),
                  tuple(sorted(Counter(d.year for d in dates).items())))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _planned(conn: sa.Connection, ig: Principal, step: str, token: object, day: dt.date) -> sa.Row:
    """The dry run ``token`` names, if ``ig`` may carry it out now; raises InvalidRequest otherwise."""
    if not isinstance(token, str) or not 16 <= len(token) <= 64:
        raise InvalidRequest("Run the dry run first: the run carries out the dry run shown.")
    row = conn.execute(sa.select(RUNS).where(RUNS.c.token_hash == _token_hash(token))).first()
    if row is None:
        raise InvalidRequest("That dry run is unknown: run the dry run again.")
    if row.status != "planned":
        raise InvalidRequest("That dry run has already been carried out: run the dry run again.")
    if row.planned_by != ig.user_id:
        raise InvalidRequest("Only the officer who ran the dry run may carry it out.")
    if row.step != step:
        raise InvalidRequest(f"That dry run was for the {row.step} step, not {step}.")
    expired = tables.iso_utc(_now() - dt.timedelta(minutes=DRY_RUN_MINUTES))
    if row.planned_at < expired or row.data_date != day.isoformat():
        raise InvalidRequest("That dry run is out of date: run the dry run again.")
    return row


def run(*, user: Principal | None, step: object, token: object) -> RunResult:
    """Carry out the dry run ``token`` names, exactly: refused (InvalidRequest, audited) if the records
    due now differ from those it counted, or the token is not the caller's live dry run of ``step``.
    IG officers only (AccessDenied, audited). Side effects: retention_records rows, the run marked
    done, an audit event (for destroy: the destruction certificate)."""
    ig = officer(user, "retention")
    day = as_of()
    try:
        chosen = _step(step)
        due = _due(chosen, day)
        counts = _row_counts(due) if chosen == "destroy" else {}
        labels = _pseudonyms(due) if chosen == "destroy" else ()
        with tables.write_transaction(current().app) as conn:
            planned = _planned(conn, ig, chosen, token, day)
            if planned.digest != _digest(due):
                raise InvalidRequest(f"The records due have changed since the dry run ({planned.planned} then, "
                                     f"{len(due)} now): run the dry run again.")
            at = tables.iso_utc(_now())
            _apply(conn, chosen, planned.run_id, due, at)
            conn.execute(RUNS.update().where(RUNS.c.run_id == planned.run_id, RUNS.c.status == "planned")
                         .values(status="done", done_by=ig.user_id, done_at=at, done=len(due)))
    except Refused as exc:
        record_refusal(ig, "retention", exc)
        raise
    facts: dict[str, audit.DetailValue] = {"step": chosen, "run_id": int(planned.run_id), "rule": RULES[chosen],
                                           "data_date": day.isoformat(), "records": len(due)}
    if chosen == "archive":
        seq = record_event(audit.AuditEvent(
            action=audit.AuditAction.RETENTION, outcome="success", resource="retention", username=ig.username,
            user_id=ig.user_id, reason=f"archived {len(due)} records under {ARCHIVE_RULE}", detail=facts))
    else:
        seq = record_event(audit.AuditEvent(
            action=audit.AuditAction.DESTRUCTION_CERTIFICATE, outcome="success", resource="retention",
            username=ig.username, user_id=ig.user_id, pseudonyms=labels,
            reason=f"destroyed {len(due)} records under {DESTROY_RULE}: archive period of {ARCHIVE_YEARS} years "
                   f"after the {RETENTION_YEARS}th birthday ended on or before {day.isoformat()}",
            detail={**facts, **{f"rows_{name}": n for name, n in counts.items()}}))
    return RunResult(chosen, int(planned.run_id), len(due), seq)


def _apply(conn: sa.Connection, step: str, run_id: int, due: dict[int, dt.date], at: str) -> None:
    if step == "archive":
        rows = [{"child_id": c, "retention_date": r.isoformat(),
                 "archive_ends": add_years(r, ARCHIVE_YEARS).isoformat(),
                 "archive_run": run_id, "archived_at": at} for c, r in sorted(due.items())]
        if rows:
            conn.execute(RR.insert(), rows)
        return
    for part in _chunks(due):  # bounded statements on every engine
        conn.execute(RR.update().where(RR.c.child_id.in_(part), RR.c.destroyed_at.is_(None))
                     .values(destroy_run=run_id, destroyed_at=at))


def _chunks(ids: Iterable[int], size: int = 500) -> Iterable[list[int]]:
    ordered = sorted(ids)
    return (ordered[i:i + size] for i in range(0, len(ordered), size))


def _row_counts(due: dict[int, dt.date]) -> dict[str, int]:
    """Rows held in the analytics store for these records, per table (for the certificate)."""
    counts = dict.fromkeys(["children", *COUNTED], 0)
    with current().analytics.connect() as conn:
        for part in _chunks(due):
            counts["children"] += conn.execute(sa.select(sa.func.count()).select_from(schema.children)
                                               .where(CH.child_id.in_(part))).scalar_one()
            for name, table in COUNTED.items():
                counts[name] += conn.execute(sa.select(sa.func.count()).select_from(table)
                                             .where(table.c.child_id.in_(part))).scalar_one()
    return counts


def _pseudonyms(due: dict[int, dt.date]) -> tuple[str, ...]:
    """The audit pseudonyms (keyed hash of the LA child ID, as pseudonymised reads record them)."""
    key, out = current().settings.pseudonym_key, []
    with current().analytics.connect() as conn:
        for part in _chunks(due):
            found = conn.execute(sa.select(CH.la_child_id).where(CH.child_id.in_(part))).scalars()
            out += [pseudonym(key, la) for la in found]
    return tuple(sorted(out))
