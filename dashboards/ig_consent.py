"""Consent and rectification: record a withdrawal of consent and rectification requests (IG officers).

Questions it answers:
- Which of a child's involvements are held under consent, and has consent been withdrawn (in the
  source, or recorded here)? The child is named by LA child ID or UPN, resolved on the server.
- Record a withdrawal: which involvement, for which purpose, from which date. It applies to every
  read from then on (a caseworker relying on that consent can no longer open the record).
- Record a rectification request (the field and the correction asked for) and, later, its outcome.
Involvements are shown by number, service, type and month; no names or identifiers. Every callback
asks ``data_access.consent``, which refuses (and audits) anyone but an IG officer and audits every step.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from auth import current_app_user
from dashboards import _components as ui
from dashboards import _forms as forms
from data_access import Refused, consent

dash.register_page(__name__, access="audit", order=13, path="/ig/consent", name="Consent and rectification",
                   title="Consent and rectification - Children's Services Insight")

URL, REFRESH, FORMS, MESSAGE = "cons-url", "cons-refresh", "cons-forms", "cons-message"
CHILD, FIND, INVOLVEMENTS = "cons-child", "cons-find", "cons-involvements"
INVOLVEMENT, PURPOSE, WHEN = "cons-involvement", "cons-purpose", "cons-date"
NOTE, WITHDRAW = "cons-note", "cons-withdraw"
FIELD, CORRECTION, RECEIVED, RECORD = "rect-field", "rect-correction", "rect-received", "rect-record"
WAITING, PICK, OUTCOME, OUTCOME_NOTE, DECIDE = "rect-open", "rect-pick", "rect-outcome", "rect-note", "rect-decide"
INV_COLUMNS = ("Involvement", "Service", "Type", "Started", "Ended", "Consent for", "Given", "Withdrawn (source)",
               "Withdrawn (recorded here)")




def layout(**_query: str) -> html.Div:
    """Skeleton only: involvements and requests arrive through callbacks."""
    return html.Div([
        dcc.Location(id=URL), dcc.Store(id=REFRESH, data=0),
        html.H1("Consent and rectification"),
        html.P("A withdrawal of consent recorded here applies to every read of the child's record from its date: "
               "nobody can rely on that consent again, even after the data is refreshed. Rectification requests "
               "are recorded with their outcome. Every step is recorded in the audit trail.", className="csi-asof"),
        html.Div(id=MESSAGE, role="status", **{"aria-live": "polite"}),  # type: ignore[arg-type]  # aria-*/data-* go to **kwargs; mypy matches the dict to typed props
        html.Div(id=FORMS, hidden=True, children=[
            html.Section([
                html.H2("The child"),
                html.Div([forms.field("LA child ID or UPN", forms.text_input(CHILD, 20))],
                         className="row g-2"),
                html.Button("Show involvements held under consent", id=FIND, className="btn btn-primary mt-2"),
                html.Div(id=INVOLVEMENTS, className="mt-3"),
            ], className="panel"),
            html.Section([
                html.H2("Record a withdrawal of consent"),
                html.Div([
                    forms.field("Involvement", dbc.Select(id=INVOLVEMENT, placeholder="Choose an involvement")),
                    forms.field("Purpose", dbc.Select(id=PURPOSE, options=forms.options(consent.CONSENT_PURPOSES),
                                                 value="all")),
                    forms.field("Withdrawn from (YYYY-MM-DD)", forms.date_input(WHEN)),
                ], className="row g-2"),
                html.Label("Note", htmlFor=NOTE, className="form-label mt-2"),
                dcc.Textarea(id=NOTE, className="form-control", maxLength=2000),
                html.Button("Record withdrawal", id=WITHDRAW, className="btn btn-primary mt-2"),
            ], className="panel"),
            html.Section([
                html.H2("Record a rectification request"),
                html.Div([
                    forms.field("Field", dbc.Select(id=FIELD, options=forms.options(consent.RECTIFIABLE_FIELDS),
                                               placeholder="Choose a field")),
                    forms.field("Date received (YYYY-MM-DD)", forms.date_input(RECEIVED)),
                ], className="row g-2"),
                html.Label("Correction asked for", htmlFor=CORRECTION, className="form-label mt-2"),
                dcc.Textarea(id=CORRECTION, className="form-control", maxLength=2000),
                html.Button("Record request", id=RECORD, className="btn btn-primary mt-2"),
            ], className="panel"),
            html.Section([
                html.H2("Rectification requests waiting for a decision"),
                html.Div(id=WAITING),
                html.Div([
                    forms.field("Request", dbc.Select(id=PICK, placeholder="Choose a request")),
                    forms.field("Outcome", dbc.Select(id=OUTCOME, options=forms.options(consent.DECISIONS),
                                                 placeholder="Choose the outcome")),
                ], className="row g-2"),
                html.Label("Note (required when refused)", htmlFor=OUTCOME_NOTE, className="form-label mt-2"),
                dcc.Textarea(id=OUTCOME_NOTE, className="form-control", maxLength=2000),
                html.Button("Record outcome", id=DECIDE, className="btn btn-primary mt-2"),
            ], className="panel"),
        ]),
    ])


def _table(caption: str, head: tuple[str, ...], rows: list[list[str]]) -> html.Table:
    return html.Table([html.Caption(caption), html.Thead(html.Tr([html.Th(c, scope="col") for c in head])),
                       html.Tbody([html.Tr([html.Td(v, className="csi-text") for v in r]) for r in rows])],
                      className="table table-sm data-table")


@callback(
    output={"hidden": Output(FORMS, "hidden"), "waiting": Output(WAITING, "children"), "picks": Output(PICK, "options"),
            "message": Output(MESSAGE, "children", allow_duplicate=True)},
    inputs={"path": Input(URL, "pathname"), "refresh": Input(REFRESH, "data")},
    prevent_initial_call="initial_duplicate")
def show_waiting(path: object, refresh: object) -> dict[str, object]:
    """The rectification requests waiting; data_access refuses (and audits) anyone but an IG officer."""
    try:
        rows = consent.open_rectifications(user=current_app_user())
    except Refused as exc:
        return {"hidden": True, "waiting": None, "picks": [], "message": ui.message(str(exc))}
    table = _table(f"{len(rows)} waiting", ("Request", "Field", "Correction asked for", "Received"),
                   [[str(r["rectification_id"]), r["field"], r["correction"], r["received"]] for r in rows])
    picks = [{"label": f"#{r['rectification_id']}: {r['field']}", "value": str(r["rectification_id"])} for r in rows]
    return {"hidden": False, "waiting": table, "picks": picks, "message": no_update}


@callback(
    output={"table": Output(INVOLVEMENTS, "children"), "choices": Output(INVOLVEMENT, "options"),
            "message": Output(MESSAGE, "children", allow_duplicate=True)},
    inputs={"clicks": Input(FIND, "n_clicks"), "refresh": Input(REFRESH, "data")},
    state={"child": State(CHILD, "value")},
    prevent_initial_call=True)
def show_involvements(clicks: object, refresh: object, child: object) -> dict[str, object]:
    """The named child's involvements held under consent (resolved, checked and audited in data_access)."""
    if not child:
        return {"table": None, "choices": [], "message": no_update}
    try:
        rows = consent.consent_involvements(user=current_app_user(), child=child)
    except Refused as exc:
        return {"table": None, "choices": [], "message": ui.message(str(exc))}
    body = [[str(r["involvement_id"]), r["service"], r["type"], r["start"], r["end"] or "open", r["consent_purpose"],
             r["consent_given"], r["withdrawn_in_source"] or "-", r["withdrawn_here"] or "-"] for r in rows]
    choices = [{"label": f"#{r['involvement_id']}: {r['type']}, from {r['start']}", "value": str(r["involvement_id"])}
               for r in rows]
    return {"table": _table(f"{len(rows)} involvements held under consent", INV_COLUMNS, body), "choices": choices,
            "message": no_update}



@callback(
    output={"message": Output(MESSAGE, "children", allow_duplicate=True),
            "refresh": Output(REFRESH, "data", allow_duplicate=True)},
    inputs={"clicks": Input(WITHDRAW, "n_clicks")},
    state={"child": State(CHILD, "value"), "involvement": State(INVOLVEMENT, "value"),
           "purpose": State(PURPOSE, "value"), "when": State(WHEN, "value"), "note": State(NOTE, "value"),
           "refresh": State(REFRESH, "data")},
    prevent_initial_call=True)
def withdraw(clicks: object, child: object, involvement: object, purpose: object, when: object, note: object,
             refresh: object) -> dict[str, object]:
    """Record the withdrawal (checked and audited in data_access)."""
    try:
        consent.record_withdrawal(user=current_app_user(), child=child, involvement_id=involvement, purpose=purpose,
                                  withdrawn_on=when, note=note)
    except Refused as exc:
        return {"message": ui.message(str(exc)), "refresh": no_update}
    label = consent.CONSENT_PURPOSES.get(str(purpose), str(purpose))
    return {"message": ui.message(f"Recorded the withdrawal of consent on involvement {involvement} ({label}) "
                                  f"from {when}.", "success"), "refresh": forms.bump(refresh)}


@callback(
    output={"message": Output(MESSAGE, "children", allow_duplicate=True),
            "refresh": Output(REFRESH, "data", allow_duplicate=True)},
    inputs={"clicks": Input(RECORD, "n_clicks")},
    state={"child": State(CHILD, "value"), "field": State(FIELD, "value"), "correction": State(CORRECTION, "value"),
           "received": State(RECEIVED, "value"), "refresh": State(REFRESH, "data")},
    prevent_initial_call=True)
def rectify(clicks: object, child: object, field: object, correction: object, received: object,
            refresh: object) -> dict[str, object]:
    """Record a rectification request for the named child (checked and audited in data_access)."""
    try:
        number = consent.record_rectification(user=current_app_user(), child=child, field=field,
                                              correction=correction, received=received)
    except Refused as exc:
        return {"message": ui.message(str(exc)), "refresh": no_update}
    return {"message": ui.message(f"Recorded rectification request {number}.", "success"),
            "refresh": forms.bump(refresh)}


@callback(
    output={"message": Output(MESSAGE, "children", allow_duplicate=True),
            "refresh": Output(REFRESH, "data", allow_duplicate=True)},
    inputs={"clicks": Input(DECIDE, "n_clicks")},
    state={"pick": State(PICK, "value"), "outcome": State(OUTCOME, "value"), "note": State(OUTCOME_NOTE, "value"),
           "refresh": State(REFRESH, "data")},
    prevent_initial_call=True)
def decide(clicks: object, pick: object, outcome: object, note: object, refresh: object) -> dict[str, object]:
    """Record the outcome of the chosen rectification request (checked and audited in data_access)."""
    try:
        consent.decide_rectification(user=current_app_user(), rectification_id=pick, outcome=outcome, note=note)
    except Refused as exc:
        return {"message": ui.message(str(exc)), "refresh": no_update}
    label = consent.DECISIONS.get(str(outcome), str(outcome))
    return {"message": ui.message(f"Recorded the outcome of request {pick}: {label}.", "success"),
            "refresh": forms.bump(refresh)}
