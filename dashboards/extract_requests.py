"""Extract requests (analysts): ask information governance for a pseudonymised extract, then produce it
and download it once.

Questions it answers:
- Ask for a Delivering Better Value in SEND extract for Newton Europe or CIPFA, saying why.
- Which of my requests wait for a decision, were approved or rejected, and what was produced from each
  (rows, the k achieved, whether it has been downloaded)?
- Produce the extract an approved request allows, then download it, once.
Every callback asks ``data_access.extracts`` with the signed-in user: it refuses (and audits) anyone but an
analyst, a production without an approved request, a download of someone else's extract or a second one.
The layout is a skeleton; requests arrive through ``show_requests``. Reasons render as text.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from auth import current_app_user
from dashboards import _components as ui
from dashboards import _forms as forms
from data_access import AccessDenied, InvalidRequest, extracts

dash.register_page(__name__, access="pseudonymised", order=9, path="/extract-requests", name="Extract requests",
                   title="Extract requests - Children's Services Insight")

URL, REFRESH, MESSAGE, FORMS, LIST = "xr-url", "xr-refresh", "xr-message", "xr-forms", "xr-list"
RECIPIENT, REASON, ASK = "xr-recipient", "xr-reason", "xr-ask"
PRODUCE_PICK, PRODUCE, DOWNLOAD_PICK, DOWNLOAD, FILE = "xr-produce-pick", "xr-produce", "xr-download-pick", \
    "xr-download", "xr-file"
DBV = extracts.DBV_SEND
STATUS = {"pending": "Waiting for information governance", "approved": "Approved: ready to produce",
          "rejected": "Rejected", "used": "Produced"}


def layout(**_query: str) -> html.Div:
    """Skeleton only: the analyst's requests arrive through ``show_requests``."""
    return html.Div([
        dcc.Location(id=URL), dcc.Store(id=REFRESH, data=0), dcc.Download(id=FILE),
        html.H1("Extract requests"),
        html.P(f"{DBV.title}: a pseudonymised extract (spec {DBV.name} {DBV.version}) for an external "
               "recipient. Information governance approves each request; you then produce the extract and "
               "download it once. Every step is recorded in the audit trail.", className="csi-asof"),
        html.Div(id=MESSAGE, role="status", **{"aria-live": "polite"}),  # type: ignore[arg-type]  # aria-*/data-* go to **kwargs; mypy matches the dict to typed props
        html.Div(id=FORMS, hidden=True, children=[
            html.Section([
                html.H2("Ask for an extract"),
                html.Div([
                    forms.field("Recipient", dbc.Select(id=RECIPIENT, options=forms.options(dict(DBV.recipients)),
                                                        placeholder="Choose the recipient")),
                    forms.field("Why it is needed", dcc.Textarea(id=REASON, maxLength=2000, className="form-control",
                                                                 style={"minHeight": "5rem"}), "col-md-8"),
                ], className="row g-3"),
                html.Button("Send request", id=ASK, className="btn btn-primary mt-2"),
            ], className="panel"),
            html.Section([
                html.H2("Your requests"), html.Div(id=LIST),
                html.Div([
                    forms.field("Approved request", dbc.Select(id=PRODUCE_PICK,
                                                               placeholder="Choose an approved request")),
                    forms.field("Extract", dbc.Select(id=DOWNLOAD_PICK,
                                                      placeholder="Choose an extract not yet downloaded")),
                ], className="row g-3 mt-1"),
                html.Div([html.Button("Produce extract", id=PRODUCE, className="btn btn-primary me-2"),
                          html.Button("Download (once)", id=DOWNLOAD, className="btn btn-secondary")],
                         className="mt-2"),
            ], className="panel"),
        ]),
    ])


def _to(recipient: str) -> str:
    return DBV.recipients.get(recipient, recipient)


def _extract_cell(r: extracts.ExtractRequest) -> str:
    if r.extract_id is None:
        return "-"
    return f"#{r.extract_id}: {r.row_count or 0:,} rows, k achieved {r.k_achieved}"


def _table(mine: list[extracts.ExtractRequest]) -> html.Table:
    cols = ("Request", "Recipient", "Reason", "Asked", "Status", "Extract", "Downloaded")
    head = html.Thead(html.Tr([html.Th(c, scope="col") for c in cols]))
    body = [html.Tr([html.Th(str(r.request_id), scope="row"), html.Td(_to(r.recipient)),
                     html.Td(r.reason, className="csi-text"), html.Td(ui.uk_time(r.requested_at)),
                     html.Td(STATUS.get(r.status, r.status)), html.Td(_extract_cell(r)),
                     html.Td("-" if r.extract_id is None else "yes" if r.downloaded else "not yet")],
                    **{"data-request": str(r.request_id)})  # type: ignore[arg-type]  # aria-*/data-* go to **kwargs; mypy matches the dict to typed props
            for r in mine]
    caption = f"Your {len(mine)} extract requests, newest first" if mine else "You have not asked for an extract yet"
    return html.Table([html.Caption(caption), head, html.Tbody(body)], className="table table-sm data-table")


@callback(
    output={"list": Output(LIST, "children"), "produce": Output(PRODUCE_PICK, "options"),
            "download": Output(DOWNLOAD_PICK, "options"),
            "message": Output(MESSAGE, "children", allow_duplicate=True), "hidden": Output(FORMS, "hidden")},
    inputs={"path": Input(URL, "pathname"), "refresh": Input(REFRESH, "data")},
    prevent_initial_call="initial_duplicate")
def show_requests(path: object, refresh: object) -> dict[str, object]:
    """The analyst's own requests; data_access refuses (and audits) anyone else."""
    try:
        mine = extracts.my_extract_requests(user=current_app_user())
    except AccessDenied as exc:
        return {"list": None, "produce": [], "download": [], "message": ui.message(str(exc)),
                "hidden": True}  # hiding is for clarity; every action is checked again
    approved = {r.recipient: _to(r.recipient) for r in mine if r.status == "approved"}
    downloads = [{"label": f"#{r.extract_id}: {_to(r.recipient)}", "value": str(r.extract_id)}
                 for r in mine if r.extract_id is not None and not r.downloaded]
    return {"list": _table(mine), "produce": forms.options(approved), "download": downloads, "message": no_update,
            "hidden": False}


@callback(
    output={"message": Output(MESSAGE, "children"), "refresh": Output(REFRESH, "data"),
            "reason": Output(REASON, "value")},
    inputs={"clicks": Input(ASK, "n_clicks")},
    state={"recipient": State(RECIPIENT, "value"), "reason": State(REASON, "value"),
           "refresh": State(REFRESH, "data")}, prevent_initial_call=True)
def ask(clicks: object, recipient: object, reason: object, refresh: object) -> dict[str, object]:
    """Send a request to information governance (data_access checks the user, recipient and reason; audited)."""
    try:
        asked = extracts.request_extract(user=current_app_user(), recipient=recipient, reason=reason)
    except (AccessDenied, InvalidRequest) as exc:
        return {"message": ui.message(str(exc)), "refresh": no_update, "reason": no_update}
    text = f"Request {asked} sent to information governance. It is listed below with its status."
    return {"message": ui.message(text, "success"), "refresh": forms.bump(refresh), "reason": ""}


@callback(
    output={"message": Output(MESSAGE, "children", allow_duplicate=True),
            "refresh": Output(REFRESH, "data", allow_duplicate=True)},
    inputs={"clicks": Input(PRODUCE, "n_clicks")},
    state={"recipient": State(PRODUCE_PICK, "value"), "refresh": State(REFRESH, "data")}, prevent_initial_call=True)
def produce(clicks: object, recipient: object, refresh: object) -> dict[str, object]:
    """Produce the extract an approved request allows (data_access needs the approval and uses it up; audited)."""
    try:
        made = extracts.produce_extract(user=current_app_user(), recipient=recipient)
    except (AccessDenied, InvalidRequest) as exc:
        return {"message": ui.message(str(exc)), "refresh": no_update}
    text = (f"Produced extract {made.extract_id} for {DBV.recipients[made.recipient]}: {made.row_count:,} rows, "
            f"k achieved {made.k_achieved}, key id {made.key_id}. It can be downloaded once.")
    return {"message": ui.message(text, "success"), "refresh": forms.bump(refresh)}


@callback(
    output={"file": Output(FILE, "data"), "message": Output(MESSAGE, "children", allow_duplicate=True),
            "refresh": Output(REFRESH, "data", allow_duplicate=True)},
    inputs={"clicks": Input(DOWNLOAD, "n_clicks")},
    state={"chosen": State(DOWNLOAD_PICK, "value"), "refresh": State(REFRESH, "data")}, prevent_initial_call=True)
def download(clicks: object, chosen: object, refresh: object) -> dict[str, object]:
    """The chosen extract's ZIP, once, for the analyst who produced it; data_access refuses (and audits) the rest."""
    try:
        name, blob = extracts.download_extract(user=current_app_user(), extract_id=forms.number(chosen))
    except (AccessDenied, InvalidRequest) as exc:
        return {"file": no_update, "message": ui.message(str(exc)), "refresh": forms.bump(refresh)}
    return {"file": dcc.send_bytes(blob, name, type="application/zip"),
            "message": ui.message(f"Downloaded {name}. It cannot be downloaded again.", "success"),
            "refresh": forms.bump(refresh)}
