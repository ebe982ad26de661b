"""The extract specifications, as data: named and versioned, each field with its source and treatment.

``DBV_SEND`` is what the Delivering Better Value in SEND programme (DfE, delivered by Newton Europe
with CIPFA) asks of a local authority: the SEN2-like journey of each child with an EHC needs
request (request, decision, assessment, plan, setting, ceasing), with no direct identifiers. Its
fields follow the SEN2 modules (data-standards.md section 2: request outcome, 6-week decision,
assessment outcome, 20-week timeliness and exceptions, plan, placement setting, cease reason) and
the de-identification ladder of liia-tools (dates coarsened, ids hashed with a key).

A change of fields is a new version: the manifest names the spec and version the file follows.
"""

from __future__ import annotations

from dataclasses import dataclass

PSEUDONYM = "pseudonym"  # keyed hash of the LA child ID, a different key for each recipient
QUASI = "quasi-identifier"  # coarsened until every combination holds at least k children
ATTRIBUTE = "attribute"  # a code, a flag or a coarse period


@dataclass(frozen=True)
class ExtractField:
    name: str
    treatment: str
    source: str
    description: str


@dataclass(frozen=True)
class ExtractSpec:
    name: str
    version: str
    title: str
    purpose: str  # the data_access purpose the extract is produced under (its lawful bases)
    recipients: dict[str, str]  # code -> organisation
    fields: tuple[ExtractField, ...]

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def quasi_identifiers(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.treatment == QUASI)


DBV_SEND = ExtractSpec(
    name="dbv-send", version="1.0",
    title="Delivering Better Value in SEND: pseudonymised EHC journeys",
    purpose="service_planning",
    recipients={"newton": "Newton Europe", "cipfa": "CIPFA"},
    fields=(
        ExtractField("child_pseudonym", PSEUDONYM, "children.la_child_id",
                     "HMAC-SHA-256 of the LA child ID under the recipient's key (20 hex characters); stable for "
                     "the recipient across extracts, unlinkable between recipients"),
        ExtractField("birth_year", QUASI, "children.birth_date",
                     "Year of birth; a five-year band (e.g. 2010-2014) or 'withheld' where needed for k"),
        ExtractField("sex", QUASI, "children.sex", "M, F or U; 'withheld' where needed for k"),
        ExtractField("locality", QUASI, "children.locality", "Council locality; 'withheld' where needed for k"),
        ExtractField("primary_need", QUASI, "ehc_plans.primary_need",
                     "SEN type of the latest plan (SEN2 5c, rank 1); NONE without a plan; "
                     "'withheld' where needed for k"),
        ExtractField("request_year", ATTRIBUTE, "ehc_requests.received_date",
                     "Financial year the latest EHC needs request was received (e.g. 2024-25)"),
        ExtractField("request_outcome", ATTRIBUTE, "ehc_requests.outcome",
                     "Decision to assess (codes.EHC_REQUEST_OUTCOME)"),
        ExtractField("decided_within_6_weeks", ATTRIBUTE, "ehc_requests.decided_within_6_weeks",
                     "Decision whether to assess within 6 weeks (1/0; blank when undecided)"),
        ExtractField("mediation", ATTRIBUTE, "ehc_requests.mediation", "Mediation on the request (1/0)"),
        ExtractField("tribunal", ATTRIBUTE, "ehc_requests.tribunal", "Tribunal appeal on the request (1/0)"),
        ExtractField("assessment_outcome", ATTRIBUTE, "ehc_assessments.outcome",
                     "Decision to issue a plan (codes.EHC_ASSESSMENT_OUTCOME); blank without an assessment"),
        ExtractField("weeks_to_plan", ATTRIBUTE, "ehc_assessments.weeks_from_request",
                     "Whole weeks from request to plan issue; blank when no plan was issued"),
        ExtractField("within_20_weeks", ATTRIBUTE, "ehc_assessments.within_20_weeks",
                     "Plan issued within 20 weeks (1/0)"),
        ExtractField("exceptions_apply", ATTRIBUTE, "ehc_assessments.exceptions_apply",
                     "20-week exceptions apply, SEND Regulations 2014 reg 10(4) (1/0)"),
        ExtractField("plan_active", ATTRIBUTE, "ehc_plans.ceased_date", "The plan is active on the data date (1/0)"),
        ExtractField("setting", ATTRIBUTE, "sen_placements.setting",
                     "Placement category of the plan's latest placement (codes.SEN_SETTING)"),
        ExtractField("cease_reason", ATTRIBUTE, "ehc_plans.cease_reason", "Why the plan ceased (SEN2 cease reason)"),
    ),
)

SPECS: dict[str, ExtractSpec] = {DBV_SEND.name: DBV_SEND}
