"""The analytics store: the statistical model of children, episodes, plans and involvements.

Mirrors the CIN census (children, CINdetails, assessments, S47, CIN and CP plans), SEN2 (requests,
assessments, named plans, SEN need, placements), the SSDA903 return (``model.schema_903``) and the
Standard Safeguarding Dataset (teams, professionals, involvements/allocations). Column comments name
the source item. Identifiers are surrogate integers assigned at load (``child_id`` is opaque;
``la_child_id`` and ``upn`` are the statutory identifiers and never leave data_access except to users
entitled to identifiable rows).

Columns marked *derived* are computed at refresh time (they depend only on the data), so each
request does not recompute them. Among them, fact tables carry copies of their child's slicer
attributes and their CIN episode's (CHILD_COPIES, EPISODE_COPIES), so slicers need no semi-join.

The store is rebuilt by a refresh and is read-only to the web app.
"""

from __future__ import annotations

import sqlalchemy as sa

from model.schema_903 import CLA_INDEXES, CLA_TABLES, cla_periods
from model.schema_parts import child_copies, fk_column, id_column, metadata

_id, _fk, _child_copies = id_column, fk_column, child_copies


def _episode_copies() -> tuple[sa.Column, ...]:
    """Derived copies of the CIN episode's filtered attributes (EPISODE_COPIES), on tables hanging off it."""
    return tuple(sa.Column(f"episode_{name}", sa.String(length), nullable=True, comment=f"derived: cin_episodes.{name}")
                 for name, length in (("team_id", 16), ("referral_source", 3), ("primary_need", 2),
                                      ("closure_reason", 3)))


store_metadata = sa.Table(
    "store_metadata", metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(400), nullable=False),
    comment="Facts about the build: as_of date, source, seed, built_at.",
)

population = sa.Table(
    "population", metadata,
    sa.Column("year", sa.Integer, primary_key=True, autoincrement=False, comment="ONS mid-year (30 June)"),
    sa.Column("children_0_17", sa.Integer, nullable=False),
    comment="ONS mid-year population estimate aged 0-17 (denominator for rates per 10,000).",
)

teams = sa.Table(
    "teams", metadata,
    sa.Column("team_id", sa.String(16), primary_key=True),
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("service", sa.String(8), nullable=False, comment="codes.SERVICE"),
    sa.Column("locality", sa.String(16), nullable=True, comment="codes.LOCALITY"),
)

workers = sa.Table(
    "workers", metadata,
    sa.Column("worker_id", sa.String(16), primary_key=True),
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("team_id", sa.String(16), nullable=False),
    sa.Column("job_title", sa.String(80), nullable=False),
    sa.Column("username", sa.String(80), nullable=True, comment="app-store user linked to this worker"),
)

children = sa.Table(
    "children", metadata,
    _id("child_id"),
    sa.Column("la_child_id", sa.String(20), nullable=False, unique=True, comment="CIN LAchildID"),
    sa.Column("upn", sa.String(13), nullable=True, comment="CIN UPN"),
    sa.Column("former_upn", sa.String(13), nullable=True),
    sa.Column("upn_unknown", sa.String(4), nullable=True, comment="UN1-UN7"),
    sa.Column("forename", sa.String(80), nullable=True),
    sa.Column("surname", sa.String(80), nullable=True),
    sa.Column("birth_date", sa.Date, nullable=True, comment="PersonBirthDate"),
    sa.Column("expected_birth_date", sa.Date, nullable=True),
    sa.Column("sex", sa.String(1), nullable=False, comment="Sex M/F/U"),
    sa.Column("ethnicity", sa.String(4), nullable=True, comment="special category"),
    sa.Column("religion", sa.String(4), nullable=True, comment="special category"),
    sa.Column("postcode", sa.String(8), nullable=True),
    sa.Column("postcode_sector", sa.String(6), nullable=True, comment="derived: outward code + 1st inward digit"),
    sa.Column("locality", sa.String(16), nullable=True),
    sa.Column("death_date", sa.Date, nullable=True),
    sa.Column("retention_date", sa.Date, nullable=True, comment="derived: 25th birthday; archived from then"),
)

child_disabilities = sa.Table(
    "child_disabilities", metadata,
    _fk("child_id", "children"),
    sa.Column("disability", sa.String(4), nullable=False, comment="special category; codes.DISABILITY"),
    sa.PrimaryKeyConstraint("child_id", "disability"),
)

cin_episodes = sa.Table(
    "cin_episodes", metadata,
    _id("episode_id"),
    _fk("child_id", "children"),
    *_child_copies(),
    sa.Column("referral_date", sa.Date, nullable=False),
    sa.Column("referral_source", sa.String(3), nullable=True),
    sa.Column("primary_need", sa.String(2), nullable=True),
    sa.Column("referral_nfa", sa.Boolean, nullable=False),
    sa.Column("closure_date", sa.Date, nullable=True),
    sa.Column("closure_reason", sa.String(3), nullable=True),
    sa.Column("team_id", sa.String(16), nullable=True),
    sa.Column("is_rereferral", sa.Boolean, nullable=False,
              comment="derived: referral within 12 months of this child's previous referral"),
)

assessments = sa.Table(
    "assessments", metadata,
    _id("assessment_id"),
    _fk("episode_id", "cin_episodes"),
    _fk("child_id", "children"),
    *_child_copies(),
    *_episode_copies(),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("authorisation_date", sa.Date, nullable=True),
    sa.Column("working_days", sa.Integer, nullable=True, comment="derived: start to authorisation"),
    sa.Column("within_45_days", sa.Boolean, nullable=True, comment="derived"),
)

assessment_factors = sa.Table(
    "assessment_factors", metadata,
    _fk("assessment_id", "assessments"),
    _fk("child_id", "children"),
    sa.Column("factor", sa.String(3), nullable=False, comment="special category; codes.ASSESSMENT_FACTOR"),
    sa.PrimaryKeyConstraint("assessment_id", "factor"),
)

section47 = sa.Table(
    "section47", metadata,
    _id("s47_id"),
    _fk("episode_id", "cin_episodes"),
    _fk("child_id", "children"),
    *_child_copies(),
    *_episode_copies(),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("icpc_target_date", sa.Date, nullable=True),
    sa.Column("icpc_date", sa.Date, nullable=True),
    sa.Column("icpc_not_required", sa.Boolean, nullable=False),
    sa.Column("icpc_working_days", sa.Integer, nullable=True, comment="derived: S47 start to ICPC"),
)

cin_plans = sa.Table(
    "cin_plans", metadata,
    _id("cin_plan_id"),
    _fk("episode_id", "cin_episodes"),
    _fk("child_id", "children"),
    *_child_copies(),
    *_episode_copies(),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("end_date", sa.Date, nullable=True),
)

cp_plans = sa.Table(
    "cp_plans", metadata,
    _id("cp_plan_id"),
    _fk("episode_id", "cin_episodes"),
    _fk("child_id", "children"),
    *_child_copies(),
    *_episode_copies(),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("end_date", sa.Date, nullable=True),
    sa.Column("initial_category", sa.String(3), nullable=False),
    sa.Column("latest_category", sa.String(3), nullable=False),
    sa.Column("number_of_previous_cpp", sa.Integer, nullable=False),
    sa.Column("is_subsequent", sa.Boolean, nullable=False, comment="derived: child had an earlier CP plan"),
)

cp_reviews = sa.Table(
    "cp_reviews", metadata,
    _fk("cp_plan_id", "cp_plans"),
    _fk("child_id", "children"),
    sa.Column("review_date", sa.Date, nullable=False),
    sa.PrimaryKeyConstraint("cp_plan_id", "review_date"),
)

ehc_requests = sa.Table(
    "ehc_requests", metadata,
    _id("request_id"),
    _fk("child_id", "children"),
    *_child_copies(),
    sa.Column("received_date", sa.Date, nullable=False),
    sa.Column("request_source", sa.String(4), nullable=True),
    sa.Column("outcome", sa.String(1), nullable=False, comment="codes.EHC_REQUEST_OUTCOME"),
    sa.Column("outcome_date", sa.Date, nullable=True),
    sa.Column("mediation", sa.Boolean, nullable=False),
    sa.Column("tribunal", sa.Boolean, nullable=False),
    sa.Column("decided_within_6_weeks", sa.Boolean, nullable=True, comment="derived"),
)

ehc_assessments = sa.Table(
    "ehc_assessments", metadata,
    _id("ehc_assessment_id"),
    _fk("request_id", "ehc_requests"),
    _fk("child_id", "children"),
    *_child_copies(),
    sa.Column("outcome", sa.String(1), nullable=False, comment="codes.EHC_ASSESSMENT_OUTCOME"),
    sa.Column("outcome_date", sa.Date, nullable=True, comment="plan issue date, or decision not to issue"),
    sa.Column("exceptions_apply", sa.Boolean, nullable=False, comment="20-week exceptions, reg 10(4)"),
    sa.Column("weeks_from_request", sa.Float, nullable=True, comment="derived"),
    sa.Column("within_20_weeks", sa.Boolean, nullable=True, comment="derived: plans issued only"),
)

ehc_plans = sa.Table(
    "ehc_plans", metadata,
    _id("plan_id"),
    _fk("child_id", "children"),
    *_child_copies(),
    _fk("request_id", "ehc_requests", nullable=True),
    sa.Column("start_date", sa.Date, nullable=False, comment="date first plan issued"),
    sa.Column("ceased_date", sa.Date, nullable=True),
    sa.Column("cease_reason", sa.String(2), nullable=True),
    sa.Column("last_review_date", sa.Date, nullable=True),
    sa.Column("primary_need", sa.String(4), nullable=False, comment="derived: rank-1 SEN need"),
)

sen_needs = sa.Table(
    "sen_needs", metadata,
    _fk("plan_id", "ehc_plans"),
    _fk("child_id", "children"),
    sa.Column("need", sa.String(4), nullable=False, comment="codes.SEN_NEED"),
    sa.Column("rank", sa.Integer, nullable=False),
    sa.PrimaryKeyConstraint("plan_id", "rank"),
)

sen_placements = sa.Table(
    "sen_placements", metadata,
    _id("placement_id"),
    _fk("plan_id", "ehc_plans"),
    _fk("child_id", "children"),
    *_child_copies(),
    sa.Column("urn", sa.String(8), nullable=True),
    sa.Column("setting", sa.String(2), nullable=False, comment="codes.SEN_SETTING"),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("end_date", sa.Date, nullable=True),
)

involvements = sa.Table(
    "involvements", metadata,
    _id("involvement_id"),
    _fk("child_id", "children"),
    *_child_copies(),
    sa.Column("service", sa.String(8), nullable=False, comment="codes.SERVICE"),
    sa.Column("intervention_type", sa.String(4), nullable=False, comment="codes.INTERVENTION_TYPE"),
    sa.Column("team_id", sa.String(16), nullable=False),
    sa.Column("worker_id", sa.String(16), nullable=True),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("end_date", sa.Date, nullable=True),
    sa.Column("outcome", sa.String(4), nullable=True, comment="codes.INTERVENTION_OUTCOME"),
    _fk("episode_id", "cin_episodes", nullable=True),
    _fk("ehc_plan_id", "ehc_plans", nullable=True),
    _fk("cla_period_id", cla_periods.name, nullable=True),  # a looked-after involvement (SSDA903)
    # The processing record (Art 30 record of processing, per involvement).
    sa.Column("lawful_basis", sa.String(20), nullable=False, comment="codes.LAWFUL_BASIS (Art 6)"),
    sa.Column("art9_condition", sa.String(32), nullable=True, comment="codes.ART9_CONDITION"),
    sa.Column("consent_purpose", sa.String(80), nullable=True, comment="where lawful_basis is consent"),
    sa.Column("consent_given_date", sa.Date, nullable=True),
    sa.Column("consent_withdrawn_date", sa.Date, nullable=True),
)

allocations = sa.Table(
    "allocations", metadata,
    _id("allocation_id"),
    _fk("child_id", "children"),
    _fk("involvement_id", "involvements"),
    sa.Column("worker_id", sa.String(16), nullable=False),
    sa.Column("team_id", sa.String(16), nullable=False),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("end_date", sa.Date, nullable=True),
)

# Derived at refresh from ``involvements`` (database.derive_open_spells), never loaded: each child's
# involvements merged into disjoint spells, per service and across all services (service "*"). On any
# day a child has at most one open spell per service value, so "children open on the day" is a
# count of rows, with no DISTINCT over millions of involvements (service_users uses it when the
# page's conditions are only the child's attributes and at most one service). ``prev_end`` makes
# "children with an involvement in a period" a count of rows too (aggregates/spells.py).
open_spells = sa.Table(
    "open_spells", metadata,
    _fk("child_id", "children"),
    sa.Column("service", sa.String(8), nullable=False, comment='codes.SERVICE, or "*" for any service'),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("end_date", sa.Date, nullable=True, comment="NULL: still open"),
    *_child_copies(),
    sa.Column("prev_end", sa.Date, nullable=True, comment="end of the child's previous spell of this service; "
                                                            "NULL: the first"),
)

# Child-level tables in load order (parents first).
CHILD_TABLES = (
    children, child_disabilities, cin_episodes, assessments, assessment_factors, section47, cin_plans,
    cp_plans, cp_reviews, ehc_requests, ehc_assessments, ehc_plans, sen_needs, sen_placements,
    *CLA_TABLES, involvements, allocations,
)
# Every row carries its record key (model.recordkeys, from the table and its primary key), so any
# count can be protected by the cell-key method: a figure's adjustment comes from the keys of the
# records it counts. Fact tables also carry their child's key (``child_rkey``, a CHILD_COPIES copy)
# for counts of children.
for _table in CHILD_TABLES:
    _table.append_column(sa.Column("rkey", sa.SmallInteger, nullable=False,
                                   comment="derived: record key in 0..4095 (cell-key protection)"))
REFERENCE_TABLES = (store_metadata, population, teams, workers)
# Tables carrying copies of their child's slicer attributes: copy column -> ``children`` column.
CHILD_COPIES = {"child_sex": "sex", "child_locality": "locality", "child_birth_date": "birth_date",
                "child_rkey": "rkey"}
CHILD_SLICED = tuple(t for t in CHILD_TABLES if "child_sex" in t.c)
EPISODE_COPIES = {"episode_team_id": "team_id", "episode_referral_source": "referral_source",
                  "episode_primary_need": "primary_need", "episode_closure_reason": "closure_reason"}
EPISODE_SLICED = tuple(t for t in CHILD_TABLES if "episode_team_id" in t.c)
ALL_TABLES = REFERENCE_TABLES + CHILD_TABLES  # loaded from frames
KEY_COLUMNS = ("rkey", "child_rkey")  # given by the build (refresh.database), not by the frames loaded


def loaded_columns(table: sa.Table) -> list[str]:
    """The columns a frame for ``table`` carries (the build adds the record keys)."""
    return [c.name for c in table.columns if c.name not in KEY_COLUMNS]
DERIVED_TABLES = (open_spells,)  # computed from them at refresh
ANY_SERVICE = "*"
# The analytics store's layout (its tables and columns), recorded in store_metadata by every build:
# bump it when they change, so an older store is rebuilt (demo) or refused with a clear message.
STORE_LAYOUT = "5"  # 2: child and episode copies on fact tables, open_spells; 3: record keys; 4: SSDA903;
# 5: open_spells.prev_end, spells stored by service and latest end first; involvements and CIN episodes
# stored by end date
# Rows of these tables are stored in this order (NULLs last): a period's ended, started or open rows
# then lie in few row groups, and DuckDB reads only those (its zone maps; the figures do not depend on it).
ROW_ORDER = {"involvements": ("end_date", "start_date"), "cin_episodes": ("closure_date", "referral_date")}

INDEXES = (
    ("cin_episodes", "child_id"), ("cin_episodes", "referral_date"), ("assessments", "child_id"),
    ("cp_plans", "child_id"), ("ehc_plans", "child_id"), ("involvements", "child_id"),
    ("involvements", "team_id"), ("allocations", "child_id"), ("allocations", "worker_id"),
    ("allocations", "team_id"), *CLA_INDEXES,
)
