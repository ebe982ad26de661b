"""Unusual patterns in the access log, for the users a search turned up, over the searched days.

- **Outside the caseload**: children a user read (or tried to read, and was refused) that their
  role's relationship does not reach: refused attempts naming a child, break-glass reads, and reads
  of children no longer in their caseload or team (judged with the policy's own scope query on the
  store's data date, grace period included). Flagged at ``Settings.ig_outside_caseload_children``
  distinct children (``CSI_IG_OUTSIDE_CASELOAD``, 5).
- **Break-glass above the usual rate**: grants (and limit-refused requests) in the searched days
  against the user's rate over the ``ig_break_glass_baseline_days`` (90) before them, scaled to the
  searched days; flagged when at least 2 and more than twice the usual.
- **Out of hours**: identifiable reads, exports and break-glass grants outside
  ``ig_working_hours`` (``CSI_IG_WORKING_HOURS``, 08:00-18:00 Europe/London), at weekends or on an
  England and Wales bank holiday.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from appstore import tables, users
from appstore.tables import audit_events, iso_utc
from data_access import policy
from data_access.access_log.criteria import Criteria, london_time
from data_access.access_log.events import fetch
from data_access.records.scope import check_access, scope_subquery
from model.settings import Settings
from model.workdays import bank_holidays

READS = frozenset({"record_read", "export", "break_glass"})
MAX_USERS = 50  # users a search's patterns are worked out for
FLAG_LABEL = {"out_of_hours": "Out of hours", "break_glass": "Break-glass", "refused_child": "Refused: a child",
              "outside_caseload": "Outside caseload", "break_glass_rate": "Break-glass above usual rate"}
_HOURS = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-4]):([0-5][0-9])")


@dataclass(frozen=True)
class Hours:
    """Working hours in Europe/London, Monday to Friday, bank holidays excluded."""

    start: dt.time
    end: dt.time

    @classmethod
    def parse(cls, text: str) -> Hours:
        match = _HOURS.fullmatch(text.strip())
        if match is None or (match[3] == "24" and match[4] != "00"):
            raise ValueError(f"CSI_IG_WORKING_HOURS must look like 08:00-18:00, not {text!r}")
        end = dt.time.max if match[3] == "24" else dt.time(int(match[3]), int(match[4]))
        start = dt.time(int(match[1]), int(match[2]))
        if end <= start:
            raise ValueError("CSI_IG_WORKING_HOURS must end after it starts (e.g. 08:00-18:00)")
        return cls(start, end)

    def outside(self, occurred_at: str) -> bool:
        local = london_time(occurred_at)
        if local.weekday() >= 5 or local.date() in bank_holidays(local.year):
            return True
        return not self.start <= local.time().replace(tzinfo=None) < self.end


@dataclass(frozen=True)
class PatternFlag:
    """One unusual pattern: its kind (a key of FLAG_LABEL), whose, how many, and a sentence."""

    kind: str
    username: str
    count: int
    text: str


def entry_flags(row: dict[str, Any], hours: Hours) -> tuple[str, ...]:
    """The flags one entry carries on its own (the per-user patterns come from ``user_flags``)."""
    flags = []
    if row["action"] in READS and row["outcome"] in ("allowed", "success") and hours.outside(row["occurred_at"]):
        flags.append("out_of_hours")
    if row["purpose"] == policy.Purpose.VITAL_INTERESTS.value and row["action"] in ("record_read", "break_glass"):
        flags.append("break_glass")
    if row["action"] == "access_refused" and row["child_ids"]:
        flags.append("refused_child")
    return tuple(flags)


def _in_scope(analytics: sa.Connection, who: users.AppUser, ids: set[int], day: dt.date, grace: int) -> set[int]:
    role = policy.ROLES.get(who.role)
    if role is None or role.row_scope not in (policy.Scope.CASELOAD, policy.Scope.TEAM) or not role.purposes:
        return set()
    try:
        access = check_access(who, role.purposes[0].value, day=day, grace_days=grace)
    except policy.AccessDenied:  # no longer linked to a caseload or team: nothing is in scope
        return set()
    scoped = scope_subquery(access)
    found: set[int] = set()
    wanted = sorted(ids)
    for start in range(0, len(wanted), 500):
        found |= {int(r[0]) for r in analytics.execute(
            sa.select(scoped.c.child_id).where(scoped.c.child_id.in_(wanted[start:start + 500])))}
    return found


def _outside_caseload(rows: list[dict[str, Any]], who: users.AppUser | None, analytics: sa.Connection,
                      day: dt.date, grace: int) -> set[int]:
    role = policy.ROLES.get(who.role) if who else None
    purposes = {p.value for p in role.purposes} if role else set()
    outside: set[int] = set()
    read: set[int] = set()
    for row in rows:
        ids = {int(c) for c in row["child_ids"]}
        if row["action"] == "access_refused" or row["purpose"] == policy.Purpose.VITAL_INTERESTS.value:
            outside |= ids
        elif row["purpose"] in purposes:
            read |= ids
    if who is not None and read:
        outside |= read - _in_scope(analytics, who, read, day, grace)
    return outside


def _break_glass_counts(app: sa.Connection, user_id: int, criteria: Criteria, baseline_days: int) -> tuple[int, int]:
    g = tables.break_glass_grants.c
    start, end = criteria.window()
    before = start - dt.timedelta(days=baseline_days)

    def count(since: dt.datetime, until: dt.datetime) -> int:
        return int(app.execute(sa.select(sa.func.count()).where(
            g.user_id == user_id, g.granted_at >= iso_utc(since), g.granted_at < iso_utc(until))).scalar_one())
    return count(start, end), count(before, start)


def user_flags(app: sa.Connection, analytics: sa.Connection, usernames: Iterable[str], criteria: Criteria,
               settings: Settings, day: dt.date) -> list[PatternFlag]:
    """The patterns of each user named (at most MAX_USERS), over the searched days (all their entries
    in those days, not only the ones the search matched)."""
    hours = Hours.parse(settings.ig_working_hours)
    start, end = criteria.window()
    flags: list[PatternFlag] = []
    for name in sorted(set(usernames))[:MAX_USERS]:
        found = users.find_login(app.engine, name)
        who = found[0] if found else None
        rows, _ = fetch(app, [audit_events.c.occurred_at >= iso_utc(start), audit_events.c.occurred_at < iso_utc(end),
                              audit_events.c.username == name,
                              audit_events.c.action.in_(sorted(READS | {"access_refused"}))], 20_000)
        late = sum(1 for r in rows if "out_of_hours" in entry_flags(r, hours))
        if late:
            flags.append(PatternFlag("out_of_hours", name, late, f"{name}: {late} identifiable reads or exports out "
                                     f"of hours ({settings.ig_working_hours} Europe/London, weekdays)"))
        outside = _outside_caseload(rows, who, analytics, day, settings.caseworker_grace_days)
        if len(outside) >= settings.ig_outside_caseload_children:
            flags.append(PatternFlag("outside_caseload", name, len(outside),
                                     f"{name}: read or tried to read {len(outside)} children outside their caseload "
                                     f"or team (flagged from {settings.ig_outside_caseload_children})"))
        if who is not None:
            now, before = _break_glass_counts(app, who.user_id, criteria, settings.ig_break_glass_baseline_days)
            usual = before / settings.ig_break_glass_baseline_days * criteria.days
            if now >= 2 and now > 2 * usual:
                flags.append(PatternFlag("break_glass_rate", name, now,
                                         f"{name}: {now} break-glass requests in {criteria.days} days; at their usual "
                                         f"rate (last {settings.ig_break_glass_baseline_days} days) {usual:.1f}"))
    return flags
