"""The analytics store's SSDA903 tables: children looked after, care leavers and adoption.

One table per 903 module (header, episodes, reviews, UASC, missing, OC2, OC3, AD1, placed for
adoption, previous permanence), linked to the same child as the CIN census data: the 903 ``CHILD``
is the LA's child identifier (``children.la_child_id``); header SEX, DOB, ETHNIC and UPN go to
``children``. Column comments name the DfE item. A *collection year* is named by the year it ends
(2024: 1 April 2023 to 31 March 2024).

Derived at refresh (``refresh.derive_903``): ``cla_periods``, the periods of care (a chain of
episodes from a start, RNE S, to a reason ceased other than X1), so "looked after on a day" is a
count of rows; each episode's period and placement; distances over 20 miles. Each period is one
looked-after involvement (``involvements.cla_period_id``) carrying the processing record. Health,
offending and substance-misuse items (OC2) are special category data (Art 9/10).
"""

from __future__ import annotations

import sqlalchemy as sa

from model.schema_parts import child_copies, fk_column, id_column, metadata


def _year() -> sa.Column:
    return sa.Column("year", sa.Integer, nullable=False, autoincrement=False,
                     comment="collection year, named by its end (2024 = 2023-24)")


cla_header = sa.Table(
    "cla_header", metadata,
    fk_column("child_id", "children"),
    _year(),
    *child_copies(),
    sa.Column("mother", sa.Boolean, nullable=True, comment="903 header MOTHER (child is a mother)"),
    sa.Column("mc_dob", sa.Date, nullable=True, comment="903 header MC_DOB (mother's child's date of birth)"),
    sa.PrimaryKeyConstraint("child_id", "year"),
    comment="903 header: one row per child per collection year (SEX, DOB, ETHNIC, UPN are on children).",
)

cla_periods = sa.Table(
    "cla_periods", metadata,
    id_column("cla_period_id"),
    fk_column("child_id", "children"),
    *child_copies(),
    sa.Column("start_date", sa.Date, nullable=False, comment="derived: DECOM of the first episode"),
    sa.Column("end_date", sa.Date, nullable=True, comment="derived: DEC of the last episode; NULL still looked after"),
    sa.Column("reason_ceased", sa.String(3), nullable=True, comment="derived: REC of the last episode"),
    sa.Column("first_legal_status", sa.String(2), nullable=True, comment="derived: LS on starting"),
    sa.Column("episodes", sa.Integer, nullable=False, comment="derived: episodes in the period"),
    sa.Column("placements", sa.Integer, nullable=False, comment="derived: placements in the period"),
    sa.Column("short_breaks_only", sa.Boolean, nullable=False, comment="derived: every episode LS V3/V4"),
    comment="Derived: periods of care (looked-after spells), one per run of episodes joined by REC X1.",
)

cla_episodes = sa.Table(
    "cla_episodes", metadata,
    id_column("cla_episode_id"),
    fk_column("child_id", "children"),
    fk_column("cla_period_id", "cla_periods"),
    *child_copies(),
    sa.Column("start_date", sa.Date, nullable=False, comment="903 DECOM"),
    sa.Column("rne", sa.String(1), nullable=True, comment="903 RNE; codes.REASON_NEW_EPISODE"),
    sa.Column("legal_status", sa.String(2), nullable=True, comment="903 LS; codes.LEGAL_STATUS"),
    sa.Column("category_of_need", sa.String(2), nullable=True, comment="903 CIN; codes.CATEGORY_OF_NEED"),
    sa.Column("placement_type", sa.String(3), nullable=True, comment="903 PLACE; codes.PLACEMENT_TYPE"),
    sa.Column("placement_provider", sa.String(3), nullable=True,
              comment="903 PLACE_PROVIDER; codes.PLACEMENT_PROVIDER"),
    sa.Column("end_date", sa.Date, nullable=True, comment="903 DEC; NULL: open"),
    sa.Column("reason_ceased", sa.String(3), nullable=True, comment="903 REC; codes.REASON_EPISODE_CEASED"),
    sa.Column("reason_place_change", sa.String(6), nullable=True,
              comment="903 REASON_PLACE_CHANGE; codes.REASON_PLACE_CHANGE"),
    sa.Column("home_postcode", sa.String(8), nullable=True, comment="903 HOME_POST (partial postcode)"),
    sa.Column("placement_postcode", sa.String(8), nullable=True, comment="903 PL_POST (partial postcode)"),
    sa.Column("urn", sa.String(8), nullable=True, comment="903 URN (Ofsted), XXXXXXX when none"),
    sa.Column("placement_distance", sa.Float, nullable=True,
              comment="PL_DISTANCE, miles home to placement, when the file gives it (liia-tools derives it)"),
    sa.Column("placement_la", sa.String(9), nullable=True, comment="PL_LA, placement LA, when the file gives it"),
    sa.Column("is_new_placement", sa.Boolean, nullable=False,
              comment="derived: the episode starts a placement (first of its period, or RNE P, T, U or B)"),
    sa.Column("placement_start_date", sa.Date, nullable=False,
              comment="derived: DECOM of the episode that started this placement"),
    sa.Column("over_20_miles", sa.Boolean, nullable=True, comment="derived: placement_distance > 20"),
    sa.Column("placement_group", sa.String(16), nullable=True, comment="derived: codes.PLACEMENT_GROUP"),
    comment="903 episodes: one row per episode of care (a change of legal status or placement starts one).",
)

cla_reviews = sa.Table(
    "cla_reviews", metadata,
    fk_column("child_id", "children"),
    *child_copies(),
    sa.Column("review_date", sa.Date, nullable=False, comment="903 REVIEW"),
    sa.Column("participation", sa.String(3), nullable=True, comment="903 REVIEW_CODE; codes.REVIEW_PARTICIPATION"),
    sa.PrimaryKeyConstraint("child_id", "review_date"),
    comment="903 reviews: one row per looked-after review.",
)

cla_uasc = sa.Table(
    "cla_uasc", metadata,
    sa.Column("child_id", sa.Integer, primary_key=True, autoincrement=False, comment="-> children"),
    *child_copies(),
    sa.Column("uasc_ceased_date", sa.Date, nullable=True, comment="903 UASC DUC (date UASC status ceased)"),
    comment="903 UASC: unaccompanied asylum-seeking children.",
)

cla_missing = sa.Table(
    "cla_missing", metadata,
    id_column("cla_missing_id"),
    fk_column("child_id", "children"),
    *child_copies(),
    sa.Column("missing_type", sa.String(1), nullable=False, comment="903 MISSING; codes.MISSING_TYPE (M/A)"),
    sa.Column("start_date", sa.Date, nullable=False, comment="903 MIS_START"),
    sa.Column("end_date", sa.Date, nullable=True, comment="903 MIS_END; NULL: still missing"),
    comment="903 missing: periods missing (M) or away without authorisation (A).",
)

_FLAG = "special category (Art 9)"
cla_oc2 = sa.Table(
    "cla_oc2", metadata,
    fk_column("child_id", "children"),
    _year(),
    *child_copies(),
    sa.Column("sdq_score", sa.Integer, nullable=True, comment=f"903 OC2 SDQ_SCORE 0-40; {_FLAG}"),
    sa.Column("sdq_reason", sa.String(4), nullable=True, comment="903 OC2 SDQ_REASON; codes.SDQ_REASON"),
    sa.Column("convicted", sa.Boolean, nullable=True, comment="903 OC2 CONVICTED; criminal offence data (Art 10)"),
    sa.Column("health_check", sa.Boolean, nullable=True, comment=f"903 OC2 HEALTH_CHECK (under 5s); {_FLAG}"),
    sa.Column("immunisations", sa.Boolean, nullable=True, comment=f"903 OC2 IMMUNISATIONS; {_FLAG}"),
    sa.Column("teeth_check", sa.Boolean, nullable=True, comment=f"903 OC2 TEETH_CHECK; {_FLAG}"),
    sa.Column("health_assessment", sa.Boolean, nullable=True, comment=f"903 OC2 HEALTH_ASSESSMENT; {_FLAG}"),
    sa.Column("substance_misuse", sa.Boolean, nullable=True, comment=f"903 OC2 SUBSTANCE_MISUSE; {_FLAG}"),
    sa.Column("intervention_received", sa.Boolean, nullable=True, comment=f"903 OC2 INTERVENTION_RECEIVED; {_FLAG}"),
    sa.Column("intervention_offered", sa.Boolean, nullable=True, comment=f"903 OC2 INTERVENTION_OFFERED; {_FLAG}"),
    sa.PrimaryKeyConstraint("child_id", "year"),
    comment="903 OC2: children looked after continuously for 12 months at 31 March (outcomes).",
)

cla_oc3 = sa.Table(
    "cla_oc3", metadata,
    fk_column("child_id", "children"),
    _year(),
    *child_copies(),
    sa.Column("in_touch", sa.String(4), nullable=True, comment="903 OC3 IN_TOUCH; codes.IN_TOUCH"),
    sa.Column("activity", sa.String(2), nullable=True, comment="903 OC3 ACTIV; codes.ACTIVITY"),
    sa.Column("accommodation", sa.String(2), nullable=True, comment="903 OC3 ACCOM; codes.ACCOMMODATION"),
    sa.Column("age", sa.Integer, nullable=True, comment="derived: age at the birthday in the year (17-21)"),
    sa.Column("in_eet", sa.Boolean, nullable=True, comment="derived: ACTIV is education, employment or training"),
    sa.Column("suitable_accommodation", sa.Boolean, nullable=True, comment="derived: ACCOM ends in 1"),
    sa.PrimaryKeyConstraint("child_id", "year"),
    comment="903 OC3: care leavers whose 17th to 21st birthday fell in the year.",
)

cla_adoptions = sa.Table(
    "cla_adoptions", metadata,
    id_column("cla_adoption_id"),
    fk_column("child_id", "children"),
    *child_copies(),
    sa.Column("decision_date", sa.Date, nullable=True, comment="903 AD1 DATE_INT (decision child should be placed)"),
    sa.Column("match_date", sa.Date, nullable=True, comment="903 AD1 DATE_MATCH (matched with adopters)"),
    sa.Column("foster_care", sa.Boolean, nullable=True, comment="903 AD1 FOSTER_CARE (adopted by foster carers)"),
    sa.Column("number_adopters", sa.Integer, nullable=True, comment="903 AD1 NB_ADOPTR"),
    sa.Column("sex_adopters", sa.String(2), nullable=True, comment="903 AD1 SEX_ADOPTR; codes.SEX_OF_ADOPTERS"),
    sa.Column("legal_status_adopters", sa.String(3), nullable=True,
              comment="903 AD1 LS_ADOPTR; codes.LEGAL_STATUS_OF_ADOPTERS"),
    comment="903 AD1: children adopted.",
)

cla_placed_for_adoption = sa.Table(
    "cla_placed_for_adoption", metadata,
    fk_column("child_id", "children"),
    *child_copies(),
    sa.Column("decision_date", sa.Date, nullable=False, comment="903 DATE_PLACED (decision to place for adoption)"),
    sa.Column("ceased_date", sa.Date, nullable=True, comment="903 DATE_PLACED_CEASED"),
    sa.Column("reason_ceased", sa.String(3), nullable=True,
              comment="903 REASON_PLACED_CEASED; codes.REASON_PLACED_CEASED"),
    sa.PrimaryKeyConstraint("child_id", "decision_date"),
    comment="903 placed for adoption (sbpfa): decisions that a child should be placed for adoption.",
)

cla_previous_permanence = sa.Table(
    "cla_previous_permanence", metadata,
    fk_column("child_id", "children"),
    _year(),
    sa.Column("previous_permanence", sa.String(2), nullable=True, comment="903 PREV_PERM; codes.PREVIOUS_PERMANENCE"),
    sa.Column("la_perm", sa.String(9), nullable=True, comment="903 LA_PERM (LA that made the order)"),
    sa.Column("date_perm", sa.String(10), nullable=True, comment="903 DATE_PERM as given (may be partial: zz/MM/YYYY)"),
    sa.PrimaryKeyConstraint("child_id", "year"),
    comment="903 previous permanence: for children starting a period of care.",
)

# In load order (periods before episodes, which point at them).
CLA_TABLES = (cla_header, cla_periods, cla_episodes, cla_reviews, cla_uasc, cla_missing, cla_oc2, cla_oc3,
              cla_adoptions, cla_placed_for_adoption, cla_previous_permanence)
CLA_INDEXES = (("cla_periods", "child_id"), ("cla_periods", "start_date"), ("cla_episodes", "child_id"),
               ("cla_episodes", "cla_period_id"), ("cla_missing", "child_id"))
