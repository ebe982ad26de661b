"""Reading the audit trail for the access log: the child behind an identifier, and the matching entries.

The trail never holds a name, an LA child ID or a UPN: an identifiable read names the child by its
opaque ``child_id`` (``child_ids``, canonical JSON) and a pseudonymised read by the keyed-hash
pseudonym the analyst saw (``pseudonyms``, migration 0003). So a search by child resolves the
identifier in the analytics store, server side, to both, and matches either. The patterns are built
from an integer and a hex digest only, never from what the page sent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from appstore.tables import audit_events, iso_utc
from data_access.access_log.criteria import Criteria
from data_access.records.listing import pseudonym
from model import schema

CH, EV = schema.children.c, audit_events.c
COLUMNS = ("seq", "occurred_at", "action", "outcome", "username", "user_id", "purpose", "lawful_basis",
           "resource", "child_ids", "pseudonyms", "reason", "detail")


@dataclass(frozen=True)
class Child:
    """The child a search named: its opaque id and the pseudonym analysts' reads of it were audited under."""

    child_id: int
    la_child_id: str
    pseudonym: str


def find_child(conn: sa.Connection, text: str, key: bytes) -> Child | None:
    """The child whose LA child ID is ``text``, or whose UPN is ``text`` (any case); None when none is
    (or the identifier is ambiguous, which a valid store never allows)."""
    rows = conn.execute(sa.select(CH.child_id, CH.la_child_id)
                        .where(sa.or_(CH.la_child_id == text, CH.upn == text.upper())).limit(2)).all()
    if len(rows) != 1:
        return None
    child_id, la_child_id = int(rows[0][0]), str(rows[0][1])
    return Child(child_id, la_child_id, pseudonym(key, la_child_id))


def names_child(child_id: int, pseudonym_: str | None = None) -> sa.ColumnElement[bool]:
    """Entries naming ``child_id`` in ``child_ids`` (canonical JSON: ``[1,2,3]``) or ``pseudonym_``."""
    n = str(int(child_id))
    conds = [EV.child_ids == f"[{n}]", EV.child_ids.like(f"[{n},%"), EV.child_ids.like(f"%,{n},%"),
             EV.child_ids.like(f"%,{n}]")]
    if pseudonym_:
        conds.append(EV.pseudonyms.like(f'%"{pseudonym_}"%'))
    return sa.or_(*conds)


def conditions(criteria: Criteria, child: Child | None) -> list[sa.ColumnElement[bool]]:
    start, end = criteria.window()
    where = [EV.occurred_at >= iso_utc(start), EV.occurred_at < iso_utc(end)]
    if child is not None:
        where.append(names_child(child.child_id, child.pseudonym))
    if criteria.username:
        where.append(EV.username == criteria.username)
    if criteria.action:
        where.append(EV.action == criteria.action)
    return where


def fetch(conn: sa.Connection, where: list[sa.ColumnElement[bool]], limit: int) -> tuple[list[dict[str, Any]], int]:
    """(newest-first entries matching ``where``, at most ``limit``, JSON decoded; how many match in all)."""
    # One pass over the trail: the count of all matches rides on each row (a window over the whole match).
    query = (sa.select(*[audit_events.c[c] for c in COLUMNS], sa.func.count().over().label("matched"))
             .where(*where).order_by(EV.seq.desc()).limit(limit))
    rows = [dict(r) for r in conn.execute(query).mappings()]
    total = int(rows[0]["matched"]) if rows else 0
    for row in rows:
        del row["matched"]
        row["child_ids"] = tuple(json.loads(row["child_ids"] or "[]"))
        row["pseudonyms"] = tuple(json.loads(row["pseudonyms"] or "[]"))
        row["detail"] = json.loads(row["detail"] or "{}")
    return rows, total
