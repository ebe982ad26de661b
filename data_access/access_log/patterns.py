"""Unusual patterns in the access log, for the users a search turned up.

- **Outside the caseload**, over the searched days: children a user read (or tried to read, and was
  refused) that their role's relationship does not reach: refused attempts naming a child,
  break-glass reads, and single-record reads of children no longer in their caseload or team (the
  policy's own scope query on the store's data date, without the grace period: a child read in the
  grace period is no longer on the caseload). List reads are left out: a list only ever shows the
  caseload of the day. Flagged at ``Settings.ig_outside_caseload_children`` distinct children
  (``CSI_IG_OUTSIDE_CASELOAD``, 5). Found in SQL, so a year's trail is not read into Python.
- **Break-glass above the usual rate**: grants (and limit-refused requests) in the searched days
  against the user's rate over the ``ig_break_glass_baseline_days`` (90) before them, scaled to the
  searched days; flagged when at least 2 and more than twice the usual.
- **Out of hours**, among the entries found: identifiable reads, exports and break-glass grants outside
  ``ig_working_hours`` (``CSI_IG_WORKING_HOURS``, 08:00-18:00 Europe/London), at weekends or on an
  England and Wales bank holiday.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from appstore import tables, users
from appstore.tables import audit_events, iso_utc
from data_access import policy
from data_access.access_log.criteria import Criteria, london_time
from data_access.records.scope import check_access, scope_subquery
from model.settings import Settings
from model.workdays import bank_holidays

READS = frozenset({"record_read", "export", "break_glass"})
MAX_USERS = 50  # users a search's patterns are worked out for
Suspect = tuple[str, str | None, str]  # action, purpose, child_ids (JSON)
# Roles whose rows follow a caseload or a team: their single-record reads can fall outside it.
ROLE_SCOPES = {name: r.row_scope in (policy.Scope.CASELOAD, policy.Scope.TEAM) for name, r in policy.ROLES.items()}
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
        if local.weekday() >= 5 or local.date() in _holidays(local.year):
            return True
        return not self.start <= local.time().replace(tzinfo=None) < self.end


@lru_cache(maxsize=64)
def _holidays(year: int) -> frozenset[dt.date]:
    return frozenset(bank_holidays(year))


@dataclass(frozen=True)
class PatternFlag:
    """One unusual pattern: its kind (a key of FLAG_LABEL), whose, how many, and a sentence."""

    kind: str
    username: str
    count: int
    text: str


def _late(row: Mapping[Any, Any], hours: Hours) -> bool:
    return row["action"] in READS and row["outcome"] in ("allowed", "success") and hours.outside(row["occurred_at"])


def entry_flags(row: Mapping[Any, Any], hours: Hours) -> tuple[str, ...]:
    """The flags one entry carries on its own (the per-user patterns come from ``user_flags``)."""
    flags = []
    if _late(row, hours):
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


def _outside_caseload(rows: list[Suspect], who: users.AppUser | None, analytics: sa.Connection,
                      day: dt.date) -> set[int]:
    """Distinct children in ``rows`` (action, purpose, child_ids) outside ``who``'s relationship."""
    outside: set[int] = set()
    read: set[int] = set()
    for action, purpose, child_ids in rows:
        if action == "access_refused" or purpose == policy.Purpose.VITAL_INTERESTS.value:
            outside.update(json.loads(child_ids))
        else:
            read.update(json.loads(child_ids))
    if who is not None and read:
        outside |= read - _in_scope(analytics, who, read, day, 0)
    return outside


def _caseload_rows(app: sa.Connection, names: list[str], scoped: list[str],
                   criteria: Criteria) -> dict[str, list[Suspect]]:
    """Per user, the entries that can show a child outside their caseload: refusals naming a child,
    break-glass reads, and (for the ``scoped`` users, in caseload and team roles) single-record reads."""
    ev = audit_events.c
    start, end = criteria.window()
    purposes = sorted({p.value for r in policy.ROLES.values() if ROLE_SCOPES[r.name] for p in r.purposes})
    single = sa.and_(ev.action == "record_read", ev.resource == "child", ev.purpose.in_(purposes),
                     ev.username.in_(scoped))
    rows: dict[str, list[Suspect]] = {n: [] for n in names}
    # coalesce() keeps SQLite off the username index: walking it for 40 users read 100,000 rows one by
    # one in 1.8 s, a plain scan of the table took 0.22 s (measured; bench/access_log.py).
    for row in app.execute(sa.select(ev.username, ev.action, ev.purpose, ev.child_ids).where(
            ev.occurred_at >= iso_utc(start), ev.occurred_at < iso_utc(end),
            sa.func.coalesce(ev.username, "").in_(names),
            sa.or_(sa.and_(ev.action == "access_refused", ev.child_ids != "[]"),
                   sa.and_(ev.action == "record_read", ev.purpose == policy.Purpose.VITAL_INTERESTS.value), single))):
        rows[row[0]].append((str(row[1]), row[2], str(row[3])))
    return rows


def _break_glass_counts(app: sa.Connection, user_id: int, criteria: Criteria, baseline_days: int) -> tuple[int, int]:
    g = tables.break_glass_grants.c
    start, end = criteria.window()
    before = start - dt.timedelta(days=baseline_days)

    def count(since: dt.datetime, until: dt.datetime) -> int:
        return int(app.execute(sa.select(sa.func.count()).where(
            g.user_id == user_id, g.granted_at >= iso_utc(since), g.granted_at < iso_utc(until))).scalar_one())
    return count(start, end), count(before, start)


def user_flags(app: sa.Connection, analytics: sa.Connection, found: list[dict[str, Any]], criteria: Criteria,
               settings: Settings, day: dt.date) -> list[PatternFlag]:
    """The patterns of each user in ``found`` (the entries a search found; at most MAX_USERS users):
    out-of-hours reads among those entries; outside the caseload and break-glass rate over the
    searched days (all their entries in those days, not only the ones found)."""
    hours = Hours.parse(settings.ig_working_hours)
    names = sorted({str(r["username"]) for r in found if r["username"]})[:MAX_USERS]
    accounts = {n: hit[0] for n in names if (hit := users.find_login(app.engine, n))}
    scoped = [n for n, who in accounts.items() if ROLE_SCOPES.get(who.role)]
    suspects = _caseload_rows(app, names, scoped, criteria) if names else {}
    flags: list[PatternFlag] = []
    for name in names:
        late = sum(1 for r in found if r["username"] == name and _late(r, hours))
        if late:
            flags.append(PatternFlag("out_of_hours", name, late, f"{name}: {late} identifiable reads or exports out "
                                     f"of hours ({settings.ig_working_hours} Europe/London, weekdays) among these"))
        who = accounts.get(name)
        outside = _outside_caseload(suspects[name], who, analytics, day)
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
