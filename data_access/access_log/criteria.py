"""What an access-log search may ask, checked before anything is read.

A search names at most one child (LA child ID or UPN, as typed), one user (username), one action
(a code of ``appstore.audit.AuditAction``) and a date range (Europe/London days, both ends included,
at most ``MAX_DAYS``). Everything else a forged callback could send (other keys, lists, numbers,
SQL-ish text, malformed or reversed dates, a range of years) is refused with a message naming the
field, never repeating the value (a UPN typed into the wrong box must not reach the audit trail).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from appstore.audit import AuditAction
from data_access.errors import InvalidRequest

LONDON = ZoneInfo("Europe/London")
MAX_DAYS = 366
DEFAULT_DAYS = 30
FIELDS = ("child", "username", "action", "since", "until")
_CHILD = re.compile(r"[A-Za-z0-9_/-]{1,20}")  # an LA child ID (up to 20) or a UPN (13)
_USERNAME = re.compile(r"[A-Za-z0-9._@-]{1,64}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
ACTIONS: tuple[str, ...] = tuple(a.value for a in AuditAction)


@dataclass(frozen=True)
class Criteria:
    """A checked search: ``child`` is the identifier as typed (never audited), days are London days."""

    child: str | None
    username: str | None
    action: str | None
    since: dt.date
    until: dt.date

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    def window(self) -> tuple[dt.datetime, dt.datetime]:
        """The UTC instants the London days cover: [start of ``since``, start of the day after ``until``)."""
        start = dt.datetime.combine(self.since, dt.time(), LONDON)
        end = dt.datetime.combine(self.until + dt.timedelta(days=1), dt.time(), LONDON)
        return start.astimezone(dt.UTC), end.astimezone(dt.UTC)

    def by(self) -> str:
        """Which criteria were used, as names (for the audit entry): e.g. "child,dates"."""
        used = [name for name in ("child", "username", "action") if getattr(self, name)]
        return ",".join([*used, "dates"])


def _text(raw: Mapping[str, object], name: str, pattern: re.Pattern[str]) -> str | None:
    value = raw.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or not pattern.fullmatch(value.strip()):
        raise InvalidRequest(f"Field '{name}' is not valid: {_HELP[name]}")
    return value.strip()


_HELP = {"child": "give an LA child ID or a UPN (letters and digits, at most 20).",
         "username": "give a username (letters, digits and . _ @ -, at most 64).",
         "since": "give a date as YYYY-MM-DD.", "until": "give a date as YYYY-MM-DD."}


def _date(raw: Mapping[str, object], name: str) -> dt.date | None:
    value = raw.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise InvalidRequest(f"Field '{name}' is not valid: {_HELP[name]}")
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidRequest(f"Field '{name}' is not a real date.") from None
    if not 2000 <= day.year <= 2100:
        raise InvalidRequest(f"Field '{name}' must be a date between 2000 and 2100.")
    return day


def parse_criteria(raw: object, *, today: dt.date) -> Criteria:
    """Check a search from the page; raises InvalidRequest naming the field. Missing dates: the
    ``DEFAULT_DAYS`` days to ``today`` (a London day)."""
    if not isinstance(raw, Mapping):
        raise InvalidRequest("The search must be a set of named fields.")
    unknown = sorted(str(k)[:20] for k in raw if k not in FIELDS)
    if unknown:
        raise InvalidRequest(f"The search has fields it may not have: {', '.join(unknown)}.")
    action = raw.get("action")
    if action in (None, ""):
        action = None
    elif not isinstance(action, str) or action not in ACTIONS:
        raise InvalidRequest("Field 'action' must be one of the listed actions.")
    given_since, given_until = _date(raw, "since"), _date(raw, "until")
    until = given_until or today
    since = given_since or min(until, today) - dt.timedelta(days=DEFAULT_DAYS - 1)
    if until < since:
        raise InvalidRequest("Field 'until' is before field 'since'.")
    if (until - since).days + 1 > MAX_DAYS:
        raise InvalidRequest(f"The date range is too long: search at most {MAX_DAYS} days at a time.")
    return Criteria(child=_text(raw, "child", _CHILD), username=_text(raw, "username", _USERNAME),
                    action=action, since=since, until=until)


def london_today() -> dt.date:
    return dt.datetime.now(LONDON).date()


def london_time(value: str) -> dt.datetime:
    """A stored UTC ISO timestamp as a Europe/London datetime."""
    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(LONDON)
