"""Retention state at query time: which children a read must leave out, and the store reads behind it.

The archive and destroy steps (``data_access.retention``) record their state in the app store
(``appstore.ig_tables.retention_records``); ``withheld_children`` turns it into the short list of
exceptions the scope subquery leaves out (``records.scope``, ``Access.withheld``) and extracts skip.
Kept apart from the steps so that ``records`` can import it without importing the steps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import sqlalchemy as sa

from appstore.ig_tables import retention_records as RR
from appstore.ig_tables import retention_runs as RUNS
from data_access import policy
from data_access.stores import current
from model import schema

CH = schema.children.c


def add_years(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` later (29 February -> 28 February, as the refresh derives it)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def past_retention(conn: sa.Connection, day: dt.date) -> dict[int, dt.date]:
    """child_id -> retention date of every record in the analytics store past it on ``day``."""
    rows = conn.execute(sa.select(CH.child_id, CH.retention_date).where(CH.retention_date <= day)).all()
    return {int(c): r for c, r in rows}


def archived_records(conn: sa.Connection, *, destroyed: bool | None = None) -> dict[int, str]:
    """child_id -> archive end (ISO) of archived records (``destroyed``: only those, or only not)."""
    query = sa.select(RR.c.child_id, RR.c.archive_ends)
    if destroyed is not None:
        query = query.where(RR.c.destroyed_at.is_not(None) if destroyed else RR.c.destroyed_at.is_(None))
    return {int(c): str(e) for c, e in conn.execute(query)}


def withheld_children(purpose: object, day: dt.date, *, only: Iterable[int] | None = None) -> tuple[int, ...]:
    """The children a read for ``purpose`` on ``day`` must leave out because of retention state in the
    app store: destroyed ones always; archived ones unless the purpose is subject access or legal claims.
    Records already past their retention date on ``day`` are left out by the date rule in SQL
    (``records.scope``), so they are not repeated here (this keeps the list short). ``only``: the
    children the read can reach at all (a named child, break-glass grants). No access rule here: called
    by data_access after the policy has passed the request. No side effects but the app's memo of the
    answer, keyed by the analytics file, the day and the last run (``_exceptions``)."""
    held = _exceptions(purpose in policy.PURPOSES_PAST_RETENTION, day)
    return tuple(sorted(held & set(only))) if only is not None else tuple(sorted(held))


def _exceptions(past_ok: bool, day: dt.date) -> frozenset[int]:
    stores = current()
    with stores.app.connect() as app:
        version = app.execute(sa.select(sa.func.max(RUNS.c.run_id)).where(RUNS.c.status == "done")).scalar()
        if version is None:
            return frozenset()
        # Kept per app like its pages; a PostgreSQL analytics store can change unseen, so it is read every time.
        key = ("retention-withheld", stores.analytics_file, day, int(version), past_ok)
        hit = stores.pages.get(key) if stores.analytics_file is not None else None
        if hit is not None:
            return frozenset(hit)
        query = sa.select(RR.c.child_id)
        if past_ok:
            query = query.where(RR.c.destroyed_at.is_not(None))
        held = set(app.execute(query).scalars())
    if held and not past_ok:
        with stores.analytics.connect() as conn:
            held -= set(past_retention(conn, day))
    found = frozenset(held)
    if stores.analytics_file is not None:
        stores.pages.put(key, found)
    return found
