"""Approvals: the second pair of eyes on identifiable access (IG officers and user administrators).

Questions it answers:
- Which grants of identifiable access (new accounts, roles, wider teams or services, password
  resets of such accounts) are waiting, who asked for them, and for whom?
- Approve or reject one; after approving a new local account or a reset, the one-time
  set-password link to hand to the user (shown once).
No child data. Every callback asks ``data_access.approvals``, which refuses (and audits) anyone
else, refuses a person deciding their own request or a request about themselves, and audits every
decision.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html, no_update

from auth import current_app_user
from dashboards import _components as ui
from dashboards.admin import outcome_text
from data_access import AccessDenied, approvals, policy

dash.register_page(__name__, access="approve", order=30,
                   path="/approvals", name="Approvals", title="Approvals - Children's Services Insight")

URL, REFRESH, MESSAGE, TABLE, FORMS = "appr-url", "appr-refresh", "appr-message", "appr-requests", "appr-forms"
PICK, APPROVE, REJECT = "appr-pick", "appr-approve", "appr-reject"
COLUMNS = ("Request", "Asked", "For", "Change", "Role", "Teams", "Services", "Asked by")


def layout(**_query: str) -> html.Div:
    """Skeleton only: the pending requests arrive through ``show_requests``."""
    return html.Div([
        dcc.Location(id=URL), dcc.Store(id=REFRESH, data=0),
        html.H1("Approvals"),
        html.P("Grants of child-level access wait here until an information governance officer or a second "
               "administrator approves them. You cannot decide a request you made or one about your own account. "
               "Every decision is recorded in the audit trail.", className="csi-asof"),
        html.Div(id=MESSAGE, role="status", **{"aria-live": "polite"}),  # type: ignore[arg-type]  # aria-*/data-* go to **kwargs; mypy matches the dict to typed props
        html.Div(id=FORMS, hidden=True, children=[
            html.Section([
                html.H2("Decide a request"),
                html.Label("Request", htmlFor=PICK, className="form-label"),
                dbc.Select(id=PICK, placeholder="Choose a request"),  # native: keyboard and screen-reader friendly
                html.Div([
                    html.Button("Approve", id=APPROVE, className="btn btn-primary me-2"),
                    html.Button("Reject", id=REJECT, className="btn btn-outline-danger"),
                ], className="mt-3"),
            ], className="panel"),
            html.Section([html.H2("Waiting for approval"), html.Div(id=TABLE)], className="panel")]),
    ])


def _label(r: approvals.AccessRequest) -> str:
    return f"#{r.request_id}: {r.kind.replace('_', ' ')} {r.target} as {policy.ROLES[r.role].label}"


@callback(Output(TABLE, "children"), Output(PICK, "options"), Output(MESSAGE, "children", allow_duplicate=True),
          Output(FORMS, "hidden"), Input(URL, "pathname"), Input(REFRESH, "data"),
          prevent_initial_call="initial_duplicate")
def show_requests(_path: str | None, _refresh: int | None) -> tuple:
    try:
        pending = approvals.list_pending(actor=current_app_user())
        names = approvals.requester_names(actor=current_app_user())
    except AccessDenied as exc:
        return None, [], ui.message(str(exc)), True  # hiding is for clarity; data_access refuses
    head = html.Thead(html.Tr([html.Th(c, scope="col") for c in COLUMNS]))
    body = html.Tbody([html.Tr([
        html.Td(str(r.request_id)), html.Td(ui.uk_time(r.requested_at)), html.Td(r.target),
        html.Td(r.kind.replace("_", " ")), html.Td(policy.ROLES[r.role].label),
        html.Td("(unchanged)" if r.team_ids is None else ", ".join(r.team_ids) or "-"),
        html.Td("(unchanged)" if r.services is None else ", ".join(r.services) or "-"),
        html.Td(names.get(r.requested_by, str(r.requested_by))),
    ], **{"data-request": str(r.request_id)}) for r in pending])  # type: ignore[arg-type]  # aria-*/data-* go to **kwargs; mypy matches the dict to typed props
    table = html.Table([html.Caption(f"{len(pending)} waiting"), head, body], className="table table-sm data-table")
    return table, [{"label": _label(r), "value": str(r.request_id)} for r in pending], no_update, False


@callback(
    output={"message": Output(MESSAGE, "children"), "refresh": Output(REFRESH, "data")},
    inputs={"clicks": [Input(APPROVE, "n_clicks"), Input(REJECT, "n_clicks")]},
    state={"chosen": State(PICK, "value"), "refresh": State(REFRESH, "data")},
    prevent_initial_call=True)
def decide(clicks: list, chosen: object, refresh: object) -> dict[str, object]:
    """Approve or reject the chosen request; data_access checks (and audits) every step."""
    # A native select sends the request number as text; anything else is forged.
    chosen = int(chosen) if isinstance(chosen, str) and chosen.isdigit() and len(chosen) < 10 else None
    if chosen is None:
        return {"message": ui.message("Choose a request first."), "refresh": no_update}
    try:
        if ctx.triggered_id == APPROVE:
            text = outcome_text(approvals.approve(actor=current_app_user(), request_id=chosen), "Approved:")
        else:
            rejected = approvals.reject(actor=current_app_user(), request_id=chosen)
            text = f"Rejected request {rejected.request_id}: it will not apply."
    except (AccessDenied, ValueError, LookupError) as exc:
        return {"message": ui.message(str(exc)), "refresh": no_update}
    count = refresh if isinstance(refresh, int) else 0
    return {"message": ui.message(text, "success"), "refresh": count + 1}
