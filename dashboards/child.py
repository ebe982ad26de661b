"""Child record: one child's details, timeline, involvements (with their lawful basis) and allocations.

Questions it answers:
- What has happened for this child, in order: referrals, assessments, S47s, plans, EHC process?
- Who is working with the child, under what lawful basis, Art 9 condition and consent?
- When is the record due for archiving?
- For a child looked after: periods of care, legal status and placements, reviews, missing incidents and
  annual health outcomes (special category items withheld unless the access allows them)?
Reached by an opaque reference (``/child?ref=...``); refused unless the declared purpose and the
user's relationship to the child allow it. Break-glass (emergency access) is offered when refused.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from auth import current_app_user
from dashboards import _care
from dashboards import _components as ui
from dashboards._session import declared_purpose
from data_access import Refused, codes, records

dash.register_page(__name__, access="records",
                   path="/child", name="Child record", title="Child record - Children's Services Insight",
                   nav=False)

URL, BODY = "child-url", "child-body"
GLASS_REASON, GLASS_TEXT = "child-glass-reason", "child-glass-text"
GLASS_GO, GLASS_MSG = "child-glass-go", "child-glass-msg"


def layout(**_query: str) -> html.Div:
    """Skeleton only; the reference is read from the URL by the callback, never rendered here."""
    return html.Div([
        dcc.Location(id=URL),
        html.H1("Child record"),
        dcc.Loading(html.Div(id=BODY)),
        html.Section([
            html.H2("Emergency access (break-glass)"),
            html.P("Only to protect a child's vital interests when the record is outside your work. Access is "
                   "limited to this child for a few hours and to a few uses a day, recorded, and reviewed by "
                   "information governance."),
            html.Fieldset([
                html.Legend("Reason", className="form-label fs-6"),
                dbc.RadioItems(id=GLASS_REASON, options=[{"label": label, "value": code}
                                                         for code, label in codes.BREAK_GLASS_REASON.items()]),
            ]),
            html.Label("What has happened, and why do you need this record now?", htmlFor=GLASS_TEXT,
                       className="form-label"),
            dcc.Textarea(id=GLASS_TEXT, className="form-control", style={"height": "5rem"}),
            html.Button("Open in an emergency", id=GLASS_GO, className="btn btn-outline-danger mt-2"),
            html.Div(id=GLASS_MSG, role="status"),
        ], className="panel", id="child-glass"),
    ])


def _ref(search: object) -> str | None:
    if not isinstance(search, str):  # a forged request can send any JSON value as the URL's search
        return None
    values = parse_qs(search.lstrip("?")).get("ref", [])
    return values[0] if len(values) == 1 else None


def _render(record: records.ChildRecord, purpose: str) -> html.Div:
    d = record.details
    glass = purpose == "vital_interests"
    rows = [("LA child ID", d["la_child_id"]), ("UPN", d["upn"] or "Not recorded"),
            ("Date of birth", d["birth_date"]), ("Sex", codes.label(codes.SEX, d["sex"])),
            ("Postcode", d["postcode"]), ("Locality", codes.label(codes.LOCALITY, d["locality"])),
            ("Ethnicity", codes.label(codes.ETHNICITY, d["ethnicity"])),
            ("Religion", codes.label(codes.RELIGION, d["religion"])), ("Disabilities", d["disabilities"]),
            ("Record archived from", d["retention_date"]),
            ("Access through", codes.label(codes.LAWFUL_BASIS, record.lawful_basis))]
    return html.Div([
        html.Div("Emergency access is active for this record; it ends on its own and is under review.",
                 className="alert alert-danger csi-alert", role="alert") if glass else None,
        html.H2(f"{d['forename']} {d['surname']}"),
        html.Dl([item for k, v in rows for item in (html.Dt(k), html.Dd(str(v)))], className="row-cols-2"),
        html.H2("Timeline"),
        _table([(str(e["date"]), e["event"], e["detail"]) for e in record.timeline], ("Date", "Event", "Detail"),
               "Events in date order"),
        html.H2("Involvements and their lawful basis"),
        _table([(codes.label(codes.SERVICE, i["service"]), _intervention(i["intervention_type"]),
                 i["team_id"], str(i["start_date"]), str(i["end_date"] or "open"),
                 codes.label(codes.LAWFUL_BASIS, i["lawful_basis"]),
                 codes.label(codes.ART9_CONDITION, i["art9_condition"]) if i["art9_condition"] else "none recorded",
                 _consent(i)) for i in record.involvements],
               ("Service", "Type", "Team", "Start", "End", "Art 6 basis", "Art 9 condition", "Consent"),
               "Involvements"),
        html.H2("Allocations"),
        _table([(a["team_id"], a["worker"], str(a["start_date"]), str(a["end_date"] or "current"))
                for a in record.allocations], ("Team", "Worker", "From", "To"), "Allocations"),
        _care.section(record.care, _table),
    ])


def _intervention(code: str) -> str:
    return codes.INTERVENTION_TYPE.get(code, ("", code))[1]


def _consent(involvement: dict[str, Any]) -> str:
    if involvement["lawful_basis"] != "consent":
        return "not the basis"
    if involvement["consent_withdrawn_date"]:
        return f"withdrawn {involvement['consent_withdrawn_date']}"
    return f"given {involvement['consent_given_date']}"


def _table(rows: list[tuple], headers: tuple[str, ...], caption: str) -> html.Table:
    return html.Table([html.Caption(caption), html.Thead(html.Tr([html.Th(h, scope="col") for h in headers])),
                       html.Tbody([html.Tr([html.Td(str(c)) for c in r]) for r in rows])],
                      className="table table-sm data-table")


def _open(ref: str | None) -> Any:
    user = current_app_user()
    child_id = records.ref_to_child(ref, user=user)
    purpose = declared_purpose()
    if child_id is None:
        return ui.message("That record reference is not valid.")
    if child_id in records.live_break_glass_children(user):
        purpose = "vital_interests"
    try:
        return _render(records.child_record(user=user, purpose=purpose, child_id=child_id), purpose or "")
    except Refused as exc:
        return ui.message(f"{exc} Choose a purpose on the Records page, or use emergency access below if a "
                          "child's safety depends on it.")


@callback(Output(BODY, "children"), Input(URL, "search"))
def show_record(search: str | None) -> Any:
    return _open(_ref(search))


@callback(Output(GLASS_MSG, "children"), Output(BODY, "children", allow_duplicate=True),
          Input(GLASS_GO, "n_clicks"), State(GLASS_REASON, "value"), State(GLASS_TEXT, "value"), State(URL, "search"),
          prevent_initial_call=True)
def break_glass(_clicks: int | None, reason: object, justification: object, search: str | None) -> tuple:
    child_id = records.ref_to_child(_ref(search), user=current_app_user())
    if child_id is None:
        return ui.message("That record reference is not valid."), dash.no_update
    try:
        expires = records.open_break_glass(user=current_app_user(), child_id=child_id, reason=reason,
                                           justification=justification)
    except Refused as exc:
        return ui.message(str(exc)), dash.no_update
    return ui.message(f"Emergency access granted until {ui.uk_time(expires)}.", "danger"), _open(_ref(search))
