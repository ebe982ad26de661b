"""Which slicer and cross-filter dimensions apply to which fact table, as SQL conditions.

A *fact* is a table counted by the dashboards (referrals, assessments, plans, involvements, ...).
``conditions(fact, filters, day, ...)`` turns the slicers and the selection into SQLAlchemy
conditions on that table (so scoping happens in the database), joined through the model where a
dimension lives elsewhere (e.g. an assessment's team is its CIN episode's team). A dimension that
has no meaning for a fact (an SEN need on a referral) is not applied, and is reported so the chart
can say it is not filtered by it. The user's services limit every fact (deny by default).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from data_access.aggregates import _facts_903
from data_access.aggregates.scope import restrict_children
from data_access.filters import Filters
from model import codes, schema

E, A, S47, CINP, CP = (schema.cin_episodes, schema.assessments, schema.section47, schema.cin_plans,
                       schema.cp_plans)
REQ, EHA, EHP, PL = schema.ehc_requests, schema.ehc_assessments, schema.ehc_plans, schema.sen_placements
INV = schema.involvements

Cond = sa.ColumnElement[bool]
Rule = Callable[[str], Cond | None]  # code -> condition; None: the dimension does not apply

FACT_SERVICE = {"episodes": "CSC", "assessments": "CSC", "s47": "CSC", "cin_plans": "CSC", "cp_plans": "CSC",
                "requests": "SEND", "ehc_assessments": "SEND", "plans": "SEND", "placements": "SEND",
                **dict.fromkeys(_facts_903.CLA_FACTS, "CSC")}
FACT_TABLE = {"episodes": E, "assessments": A, "s47": S47, "cin_plans": CINP, "cp_plans": CP,
              "requests": REQ, "ehc_assessments": EHA, "plans": EHP, "placements": PL, "involvements": INV,
              **_facts_903.CLA_FACTS}
CHILD_DIMS = ("locality", "sex", "age_band")
DIM_LABEL = {"service": "service", "team": "team", "need": "need", "referral_source": "referral source",
             "closure_reason": "closure reason", "category": "category of abuse",
             "intervention_type": "intervention type", "outcome": "outcome", "request_outcome": "request outcome",
             "setting": "placement", "locality": "locality", "sex": "sex", "age_band": "age band", "time": "time",
             "legal_status": "legal status", "placement_group": "placement type", "in_touch": "contact",
             "activity": "activity"}


def _in(column: sa.ColumnElement, select: sa.Select) -> Cond:
    return column.in_(select)


def _cin_need(v: str) -> bool:
    return v in codes.PRIMARY_NEED


def _episode_rules(table: sa.Table) -> dict[str, Rule]:
    """Rules for CIN episodes and the tables hanging off one (assessments, S47, CIN and CP plans):
    those carry copies of their episode's attributes (schema.EPISODE_COPIES), so no semi-join."""
    def col(name: str) -> sa.ColumnElement:
        return table.c[name] if table is E else table.c[f"episode_{name}"]

    episode = table.c.episode_id
    return {
        "service": lambda v: sa.true() if v == "CSC" else sa.false(),
        "team": lambda v: col("team_id") == v,
        "need": lambda v: col("primary_need") == v if _cin_need(v) else None,
        "referral_source": lambda v: col("referral_source") == v,
        "closure_reason": lambda v: col("closure_reason") == v,
        "category": lambda v: _in(episode, sa.select(CP.c.episode_id).where(CP.c.initial_category == v)),
        "intervention_type": lambda v: _in(episode, sa.select(INV.c.episode_id).where(
            INV.c.intervention_type == v)) if codes.INTERVENTION_TYPE[v][0] == "CSC" else sa.false(),
        "outcome": lambda v: _in(episode, sa.select(INV.c.episode_id).where(INV.c.outcome == v)),
    }


def _send_rules(table: sa.Table) -> dict[str, Rule]:
    """Rules for the SEND tables; a condition on plans or requests reaches the others through their ids."""
    def requests(cond: Cond) -> Cond:
        if table is REQ:
            return cond
        if table is EHA:
            return _in(EHA.c.request_id, sa.select(REQ.c.request_id).where(cond))
        return plans(_in(EHP.c.request_id, sa.select(REQ.c.request_id).where(cond)))

    def plans(cond: Cond) -> Cond:
        if table is EHP:
            return cond
        if table is PL:
            return _in(PL.c.plan_id, sa.select(EHP.c.plan_id).where(cond))
        return _in(table.c.request_id, sa.select(EHP.c.request_id).where(cond))

    def team(v: str) -> Cond:
        if table in (EHP, PL):
            return plans(_in(EHP.c.plan_id, sa.select(INV.c.ehc_plan_id).where(INV.c.team_id == v)))
        return _in(table.c.child_id, sa.select(INV.c.child_id).where(INV.c.service == "SEND", INV.c.team_id == v))

    return {
        "service": lambda v: sa.true() if v == "SEND" else sa.false(),
        "team": team,
        "need": lambda v: None if _cin_need(v) else plans(EHP.c.primary_need == v),
        "request_outcome": lambda v: requests(REQ.c.outcome == v),
        "setting": lambda v: PL.c.setting == v if table is PL else
        plans(_in(EHP.c.plan_id, sa.select(PL.c.plan_id).where(PL.c.setting == v))),
        "intervention_type": lambda v: sa.true() if codes.INTERVENTION_TYPE[v][0] == "SEND" else sa.false(),
    }


def _involvement_rules() -> dict[str, Rule]:
    def via_episode(cond: Cond) -> Cond:
        return _in(INV.c.episode_id, sa.select(E.c.episode_id).where(cond))

    def via_plan(cond: Cond) -> Cond:
        return _in(INV.c.ehc_plan_id, sa.select(EHP.c.plan_id).where(cond))

    return {
        "service": lambda v: INV.c.service == v,
        "team": lambda v: INV.c.team_id == v,
        "intervention_type": lambda v: INV.c.intervention_type == v,
        "outcome": lambda v: INV.c.outcome == v,
        "need": lambda v: via_episode(E.c.primary_need == v) if _cin_need(v) else via_plan(EHP.c.primary_need == v),
        "referral_source": lambda v: via_episode(E.c.referral_source == v),
        "closure_reason": lambda v: via_episode(E.c.closure_reason == v),
        "category": lambda v: _in(INV.c.episode_id, sa.select(CP.c.episode_id).where(CP.c.initial_category == v)),
        "setting": lambda v: _in(INV.c.ehc_plan_id, sa.select(PL.c.plan_id).where(PL.c.setting == v)),
        "request_outcome": lambda v: via_plan(EHP.c.request_id.in_(
            sa.select(REQ.c.request_id).where(REQ.c.outcome == v))),
    }


def child_slicers(filters: Filters, visual: str | None) -> Filters:
    """The child's-attribute slicers (sex, locality, age band) as chart ``visual`` applies them: with
    a selection on one of them from another chart."""
    child = {d: getattr(filters, d) for d in CHILD_DIMS}
    sel = filters.selection
    if sel is not None and sel.visual != visual and sel.dim in CHILD_DIMS:
        child[sel.dim] = sel.value
    return Filters(**child)


def slicer_dims(filters: Filters, visual: str | None) -> dict[str, str] | None:
    """The dimensions other than the child's attributes and time that chart ``visual`` is filtered
    by: the service, team and need slicers, narrowed by a selection from another chart. None when
    a selection contradicts its own slicer (nothing can match)."""
    dims = {d: getattr(filters, d) for d in ("service", "team", "need") if getattr(filters, d)}
    sel = filters.selection
    if sel is not None and sel.visual != visual and sel.dim not in ("time", *CHILD_DIMS):
        if sel.dim in ("service", "team", "need") and getattr(filters, sel.dim) not in (None, sel.value):
            return None
        dims[sel.dim] = sel.value  # a selection on a slicer's own dimension narrows it further
    return dims


@dataclass
class Scoped:
    """Conditions for one fact, and the dimensions that could not be applied to it."""

    conds: list[Cond]
    ignored: list[str]


def conditions(fact: str, filters: Filters, day: dt.date, *, services: tuple[str, ...] | None,
               visual: str | None = None) -> Scoped:
    """SQL conditions on ``fact`` for the slicers, the selection (unless ``visual`` is its source)
    and the user's services. ``day`` is the date ages are taken on (the period's end)."""
    table = FACT_TABLE[fact]
    dims = slicer_dims(filters, visual)
    if dims is None:
        return Scoped([sa.false()], [])
    conds = restrict_children(table, child_slicers(filters, visual), day)
    ignored: list[str] = []
    if fact == "involvements":
        rules = _involvement_rules()
        if services is not None:
            conds.append(INV.c.service.in_(services))
    elif FACT_SERVICE[fact] == "SEND":
        rules = _send_rules(table)
    elif fact in _facts_903.CLA_FACTS:
        rules = _facts_903.rules(table)
    else:
        rules = _episode_rules(table)
    for dim, value in dims.items():
        if dim == "category" and fact == "cp_plans":
            conds.append(CP.c.initial_category == value)
            continue
        rule = rules.get(dim)
        cond = rule(value) if rule else None
        if cond is None:
            ignored.append(DIM_LABEL.get(dim, dim))
        elif not isinstance(cond, sa.sql.elements.True_):
            conds.append(cond)
    return Scoped(conds, ignored)
