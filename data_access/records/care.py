"""One child's care history (SSDA903): periods of care, episodes with legal status and placement, reviews,
missing incidents and annual health outcomes, for a record the caller has already scoped.

Special category fields are withheld unless the record's access allows them (``special``: the role may
see special category fields and an Art 9 condition is recorded for this access): the category of need
(N2 is the child's disability), the OC2 health items (health data) and convictions (criminal offence
data, Art 10). No side effects; the caller (``records.child_record``) audits the read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from data_access.records.listing import WITHHELD
from model import codes, schema_903

S = schema_903
HEALTH_ITEMS = ("health_assessment", "teeth_check", "immunisations", "health_check")


@dataclass(frozen=True)
class CareHistory:
    """Rows of a child's care history, oldest first (empty lists: never looked after)."""

    periods: list[dict[str, Any]] = field(default_factory=list)
    episodes: list[dict[str, Any]] = field(default_factory=list)
    reviews: list[dict[str, Any]] = field(default_factory=list)
    missing: list[dict[str, Any]] = field(default_factory=list)
    health: list[dict[str, Any]] = field(default_factory=list)


def _yes_no(value: object) -> str:
    return "not applicable" if value is None else ("yes" if value else "no")


def care_history(conn: sa.Connection, child_id: int, *, special: bool) -> CareHistory:
    """The care history of ``child_id`` (already in the caller's scope)."""
    p, e, r, m, h = S.cla_periods.c, S.cla_episodes.c, S.cla_reviews.c, S.cla_missing.c, S.cla_oc2.c
    label = codes.label
    periods = [{"start_date": row.start_date, "end_date": row.end_date,
                "reason_ceased": label(codes.REASON_EPISODE_CEASED, row.reason_ceased) if row.reason_ceased else "",
                "placements": row.placements}
               for row in conn.execute(sa.select(p.start_date, p.end_date, p.reason_ceased, p.placements)
                                       .where(p.child_id == child_id).order_by(p.start_date))]
    episodes = [{"start_date": row.start_date, "end_date": row.end_date,
                 "reason_new": label(codes.REASON_NEW_EPISODE, row.rne),
                 "legal_status": label(codes.LEGAL_STATUS, row.legal_status),
                 "placement": label(codes.PLACEMENT_TYPE, row.placement_type),
                 "provider": label(codes.PLACEMENT_PROVIDER, row.placement_provider) if row.placement_provider else "",
                 "over_20_miles": _yes_no(row.over_20_miles),
                 "category_of_need": label(codes.CATEGORY_OF_NEED, row.category_of_need) if special else WITHHELD,
                 "reason_ceased": label(codes.REASON_EPISODE_CEASED, row.reason_ceased) if row.reason_ceased else "",
                 "reason_place_change": (label(codes.REASON_PLACE_CHANGE, row.reason_place_change)
                                         if row.reason_place_change else "")}
                for row in conn.execute(sa.select(e.start_date, e.end_date, e.rne, e.legal_status, e.placement_type,
                                                  e.placement_provider, e.over_20_miles, e.category_of_need,
                                                  e.reason_ceased, e.reason_place_change)
                                        .where(e.child_id == child_id).order_by(e.start_date))]
    reviews = [{"review_date": row.review_date, "participation": label(codes.REVIEW_PARTICIPATION, row.participation)}
               for row in conn.execute(sa.select(r.review_date, r.participation).where(r.child_id == child_id)
                                       .order_by(r.review_date))]
    missing = [{"type": label(codes.MISSING_TYPE, row.missing_type), "start_date": row.start_date,
                "end_date": row.end_date}
               for row in conn.execute(sa.select(m.missing_type, m.start_date, m.end_date)
                                       .where(m.child_id == child_id).order_by(m.start_date))]
    health = []
    for row in conn.execute(sa.select(h.year, *[h[f] for f in HEALTH_ITEMS], h.convicted)
                            .where(h.child_id == child_id).order_by(h.year)):
        item = {"year": f"{row.year - 1}-{str(row.year)[2:]}"}
        for name in (*HEALTH_ITEMS, "convicted"):
            item[name] = _yes_no(getattr(row, name)) if special else WITHHELD
        health.append(item)
    return CareHistory(periods, episodes, reviews, missing, health)
