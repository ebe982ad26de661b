"""Slicer and cross-filter rules for the SSDA903 fact tables (children looked after, care leavers).

A looked-after child's service is children's social care; the team is that of the looked-after
involvement (``involvements.cla_period_id``); the need is the 903 category of need (N1-N8) of an
episode; legal status and placement group select the periods (or children) with such an episode.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from model import codes, schema, schema_903

Cond = sa.ColumnElement[bool]
Rule = Callable[[str], Cond | None]
INV = schema.involvements
P, E = schema_903.cla_periods, schema_903.cla_episodes
CLA_FACTS = {"cla_periods": P, "cla_episodes": E, "cla_missing": schema_903.cla_missing, "cla_oc2": schema_903.cla_oc2,
             "cla_oc3": schema_903.cla_oc3, "cla_reviews": schema_903.cla_reviews}
PLACEMENT_GROUPS = {"foster": "Foster care", "residential": "Children's homes, secure units and other residential",
                    "semi_independent": "Semi-independent and supported accommodation",
                    "parents": "Placed with parents", "adoption": "Placed for adoption",
                    "temporary": "Temporary placement", "other": "Other placement"}


def rules(table: sa.Table) -> dict[str, Rule]:
    """Rules for one 903 table: on its own columns where it has them, else through its periods or child."""
    def episodes(cond: Cond) -> Cond:
        if table is E:
            return cond
        if table is P:
            return P.c.cla_period_id.in_(sa.select(E.c.cla_period_id).where(cond))
        return table.c.child_id.in_(sa.select(E.c.child_id).where(cond))

    def team(v: str) -> Cond:
        looked_after = sa.select(INV.c.cla_period_id).where(INV.c.team_id == v, INV.c.cla_period_id.is_not(None))
        if table in (P, E):
            return table.c.cla_period_id.in_(looked_after)
        return table.c.child_id.in_(sa.select(INV.c.child_id).where(INV.c.team_id == v,
                                                                    INV.c.cla_period_id.is_not(None)))

    return {
        "service": lambda v: sa.true() if v == "CSC" else sa.false(),
        "team": team,
        "need": lambda v: episodes(E.c.category_of_need == v) if v in codes.CATEGORY_OF_NEED else None,
        "legal_status": lambda v: episodes(E.c.legal_status == v),
        "placement_group": lambda v: episodes(E.c.placement_group == v),
        "intervention_type": lambda v: sa.true() if v == "LAC" else sa.false(),
        "in_touch": lambda v: schema_903.cla_oc3.c.in_touch == v if table is schema_903.cla_oc3 else None,
        "activity": lambda v: schema_903.cla_oc3.c.activity == v if table is schema_903.cla_oc3 else None,
    }
