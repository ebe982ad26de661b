"""Subject access requests: register, track to the ICO deadline, extend, produce the pack (IG officers).

Questions it answers:
- Which subject access requests are open, and when is each due (one calendar month from receipt,
  plus any extension of up to two months, with its reason)? Which are overdue?
- Register a request: case reference, requester and relationship, date received, the child by LA
  child ID or UPN (resolved on the server), and that the requester's identity was verified.
- Produce the pack for a request's child: a readable PDF, or CSV and JSON in a ZIP.
The page holds no child data: the list shows case references, and the pack is built on the server
for each download (``dcc.send_bytes`` in the callback's answer, never kept in a store). Every
callback asks ``data_access.sar`` / ``sar_pack``, which refuse (and audit) anyone but an IG officer
and audit every step.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html, no_update

from auth import current_app_user
from dashboards import _components as ui
from dashboards import _forms as forms
from data_access import Refused, sar, sar_pack

dash.register_page(__name__, access="audit", order=12, path="/ig/subject-access", name="Subject access",
                   title="Subject access requests - Children's Services Insight")

URL, REFRESH, MESSAGE, TABLE, FORMS, DOWNLOAD = ("sar-url", "sar-refresh", "sar-message", "sar-open", "sar-forms",
                                                 "sar-download")
CASE, REQUESTER, RELATION = "sar-case", "sar-requester", "sar-relationship"
RECEIVED, CHILD = "sar-received", "sar-child"
VERIFIED, EVIDENCE, REGISTER = "sar-verified", "sar-evidence", "sar-register"
PICK, PDF, ZIP, MONTHS, REASON, EXTEND, COMPLETE = ("sar-pick", "sar-pdf", "sar-zip", "sar-months", "sar-reason",
                                                    "sar-extend", "sar-complete")
COLUMNS = ("Case", "Requester", "Relationship", "Received", "Due", "Extension", "Days left")




def layout(**_query: str) -> html.Div:
    """Skeleton only: the open requests arrive through ``show_requests``."""
    return html.Div([
        dcc.Location(id=URL), dcc.Store(id=REFRESH, data=0), dcc.Download(id=DOWNLOAD),
        html.H1("Subject access requests"),
        html.P("A subject access request must be answered within one calendar month of receipt, or up to two "
               "further months when it is complex (ICO guidance). The pack holds everything kept about the child "
               "named in the request and nothing about anyone else's child. Every step is recorded in the audit "
               "trail.", className="csi-asof"),
        html.Div(id=MESSAGE, role="status", **{"aria-live": "polite"}),  # type: ignore[arg-type]  # aria-*/data-* go to **kwargs; mypy matches the dict to typed props
        html.Div(id=FORMS, hidden=True, children=[
            html.Section([
                html.H2("Register a request"),
                html.Div([
                    forms.field("Case reference", forms.text_input(CASE, 40)),
                    forms.field("Requester", forms.text_input(REQUESTER, 120)),
                    forms.field("Relationship to the child",
                                dbc.Select(id=RELATION, options=forms.options(sar.RELATIONSHIPS),
                                           placeholder="Choose")),
                    forms.field("Date received (YYYY-MM-DD)", forms.date_input(RECEIVED)),
                    forms.field("Child: LA child ID or UPN", forms.text_input(CHILD, 20)),
                    forms.field("How identity was verified",
                                dbc.Select(id=EVIDENCE, options=forms.options(sar.IDENTITY_EVIDENCE),
                                           placeholder="Choose")),
                ], className="row g-2"),
                dbc.Checkbox(id=VERIFIED, className="mt-2", value=False, label="The requester's identity was verified"),
                html.Button("Register request", id=REGISTER, className="btn btn-primary mt-3"),
            ], className="panel"),
            html.Section([html.H2("Open requests"), html.Div(id=TABLE)], className="panel"),
            html.Section([
                html.H2("Act on a request"),
                forms.field("Request", dbc.Select(id=PICK, placeholder="Choose a request"), "col-md-6"),
                html.Div([
                    html.Button("Download pack (PDF)", id=PDF, className="btn btn-primary me-2"),
                    html.Button("Download pack (CSV and JSON, ZIP)", id=ZIP, className="btn btn-outline-primary me-2"),
                    html.Button("Mark as completed", id=COMPLETE, className="btn btn-outline-secondary"),
                ], className="mt-3"),
                html.H3("Extend the deadline", className="h5 mt-4"),
                forms.field("Further months", dbc.Select(id=MONTHS, options=[{"label": "1", "value": "1"},
                                                                        {"label": "2", "value": "2"}],
                                                    placeholder="Choose"), "col-md-3"),
                html.Label("Reason for the extension", htmlFor=REASON, className="form-label mt-2"),
                dcc.Textarea(id=REASON, className="form-control", maxLength=2000),
                html.Button("Extend", id=EXTEND, className="btn btn-outline-primary mt-2"),
            ], className="panel"),
        ]),
    ])


def _day(value: object) -> str:
    return value.isoformat() if isinstance(value, dt.date) else "-"


def _row(r: dict[str, Any]) -> html.Tr:
    extension = (f"{r['extension_months']} month(s) after the first deadline, {_day(r['first_due'])}: "
                 f"{r['extension_reason']}") if r["extension_months"] else "None"
    left = html.Span(f"Overdue by {-r['days_left']} days", className="badge bg-danger") if r["overdue"] \
        else str(r["days_left"])
    return html.Tr([html.Td(r["case_ref"]), html.Td(r["requester"], className="csi-text"), html.Td(r["relationship"]),
                    html.Td(_day(r["received"])), html.Td(_day(r["due"])), html.Td(extension, className="csi-text"),
                    html.Td(left)], **{"data-sar": str(r["sar_id"])})  # type: ignore[arg-type]  # aria-*/data-* go to **kwargs; mypy matches the dict to typed props


@callback(
    output={"table": Output(TABLE, "children"), "picks": Output(PICK, "options"),
            "message": Output(MESSAGE, "children", allow_duplicate=True), "hidden": Output(FORMS, "hidden")},
    inputs={"path": Input(URL, "pathname"), "refresh": Input(REFRESH, "data")},
    prevent_initial_call="initial_duplicate")
def show_requests(path: object, refresh: object) -> dict[str, object]:
    """The open requests; data_access refuses (and audits) anyone but an IG officer."""
    try:
        rows = sar.open_requests(user=current_app_user())
    except Refused as exc:
        return {"table": None, "picks": [], "message": ui.message(str(exc)), "hidden": True}
    head = html.Thead(html.Tr([html.Th(c, scope="col") for c in COLUMNS]))
    overdue = sum(1 for r in rows if r["overdue"])
    table = html.Table([html.Caption(f"{len(rows)} open, {overdue} overdue"), head,
                        html.Tbody([_row(r) for r in rows])], className="table table-sm data-table")
    picks = [{"label": f"{r['case_ref']} (due {_day(r['due'])})", "value": str(r["sar_id"])} for r in rows]
    return {"table": table, "picks": picks, "message": no_update, "hidden": False}



@callback(
    output={"message": Output(MESSAGE, "children", allow_duplicate=True),
            "refresh": Output(REFRESH, "data", allow_duplicate=True)},
    inputs={"clicks": Input(REGISTER, "n_clicks")},
    state={"case": State(CASE, "value"), "requester": State(REQUESTER, "value"), "relation": State(RELATION, "value"),
           "received": State(RECEIVED, "value"), "child": State(CHILD, "value"), "verified": State(VERIFIED, "value"),
           "evidence": State(EVIDENCE, "value"), "refresh": State(REFRESH, "data")},
    prevent_initial_call=True)
def register(clicks: object, case: object, requester: object, relation: object, received: object, child: object,
             verified: object, evidence: object, refresh: object) -> dict[str, object]:
    """Register the request; the child is resolved (and everything checked and audited) in data_access."""
    try:
        number = sar.register_request(user=current_app_user(), case_ref=case, requester=requester,
                                      relationship=relation, received=received, child=child,
                                      identity_verified=verified is True, identity_evidence=evidence)
    except Refused as exc:
        return {"message": ui.message(str(exc)), "refresh": no_update}
    return {"message": ui.message(f"Registered request {str(case).strip()} (number {number}).", "success"),
            "refresh": forms.bump(refresh)}


@callback(
    output={"message": Output(MESSAGE, "children", allow_duplicate=True),
            "refresh": Output(REFRESH, "data", allow_duplicate=True)},
    inputs={"extend": Input(EXTEND, "n_clicks"), "complete": Input(COMPLETE, "n_clicks")},
    state={"pick": State(PICK, "value"), "months": State(MONTHS, "value"), "reason": State(REASON, "value"),
           "refresh": State(REFRESH, "data")},
    prevent_initial_call=True)
def act(extend: object, complete: object, pick: object, months: object, reason: object,
        refresh: object) -> dict[str, object]:
    """Extend or complete the chosen request (checked and audited in data_access)."""
    user = current_app_user()
    try:
        if ctx.triggered_id == COMPLETE:
            sar.complete_request(user=user, sar_id=pick)
            text = "Marked the request as completed."
        else:
            due = sar.extend_request(user=user, sar_id=pick, months=months, reason=reason)
            text = f"Extended the deadline to {due.isoformat()}."
    except Refused as exc:
        return {"message": ui.message(str(exc)), "refresh": no_update}
    return {"message": ui.message(text, "success"), "refresh": forms.bump(refresh)}


@callback(
    output={"download": Output(DOWNLOAD, "data"), "message": Output(MESSAGE, "children", allow_duplicate=True)},
    inputs={"pdf": Input(PDF, "n_clicks"), "zipped": Input(ZIP, "n_clicks")},
    state={"pick": State(PICK, "value")},
    prevent_initial_call=True)
def download(pdf: object, zipped: object, pick: object) -> dict[str, object]:
    """Build the chosen request's pack on the server for this download (audited in data_access)."""
    try:
        fmt = "zip" if ctx.triggered_id == ZIP else "pdf"
        pack = sar_pack.build_pack(user=current_app_user(), sar_id=pick, fmt=fmt)
    except Refused as exc:
        return {"download": no_update, "message": ui.message(str(exc))}
    return {"download": dcc.send_bytes(pack.content, pack.filename, type=pack.mime),
            "message": ui.message(f"Produced {pack.filename}.", "success")}
