"""Pseudonymised extracts for Delivering Better Value in SEND (IG officers).

Questions it answers:
- What does the extract for Newton Europe or CIPFA hold (the named, versioned spec and its fields)?
- Produce one for a recipient: how many rows, the k achieved, the key id.
- Download it, once (a second download is refused).
- Which analysts' requests for an extract wait for a decision; approve or reject one.
Every callback asks ``data_access.extracts``, which refuses (and audits) anyone but an IG officer
(or, for producing and downloading, an analyst with an approved request), and audits every step.
The spec shown in the layout is the code's own description of the file, not data about anyone.
"""

from __future__ import annotations

import re

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html, no_update

from auth import current_app_user
from dashboards import _components as ui
from data_access import AccessDenied, InvalidRequest, extracts

dash.register_page(__name__, access="audit", order=15, path="/ig/extracts", name="Extracts",
                   title="Pseudonymised extracts - Children's Services Insight")

URL, REFRESH, MESSAGE, LIST, FORMS = "ext-url", "ext-refresh", "ext-message", "ext-list", "ext-forms"
RECIPIENT, PRODUCE, PICK, DOWNLOAD, FILE = "ext-recipient", "ext-produce", "ext-pick", "ext-download", "ext-file"
REQUESTS, REQUEST_PICK, APPROVE, REJECT = "ext-requests", "ext-request-pick", "ext-approve", "ext-reject"
EXTRACT_SPEC = extracts.DBV_SEND
NUMBER = re.compile(r"[0-9]{1,18}")


def _spec_section() -> html.Section:
    body = [html.Tr([html.Td(f.name), html.Td(f.treatment), html.Td(f.description)]) for f in EXTRACT_SPEC.fields]
    return html.Section([
        html.H2(f"Specification {EXTRACT_SPEC.name} {EXTRACT_SPEC.version}"),
        html.P(f"{EXTRACT_SPEC.title}. One row per child with an EHC needs request. Pseudonyms are keyed per "
               "recipient; "
               "quasi-identifiers are coarsened until every combination holds at least k children."),
        _table("Fields", ("Field", "Treatment", "What it holds"), body)], className="panel")


def layout(**_query: str) -> html.Div:
    """Skeleton and the spec (code, not data): extracts and requests arrive through ``show_extracts``."""
    return html.Div([
        dcc.Location(id=URL), dcc.Store(id=REFRESH, data=0), dcc.Download(id=FILE),
        html.H1("Pseudonymised extracts"),
        html.P("Data shared with Newton Europe and CIPFA for the Delivering Better Value in SEND programme is "
               "pseudonymised first. An extract can be downloaded once; every step is recorded in the audit trail.",
               className="csi-asof"),
        html.Div(id=MESSAGE, role="status", **{"aria-live": "polite"}),  # type: ignore[arg-type]  # aria-*/data-* go to **kwargs; mypy matches the dict to typed props
        html.Div(id=FORMS, hidden=True, children=[
            html.Section([
                html.H2("Produce an extract"),
                html.Label("Recipient", htmlFor=RECIPIENT, className="form-label"),
                dbc.Select(id=RECIPIENT, options=[{"label": name, "value": code} for code, name in
                                                  EXTRACT_SPEC.recipients.items()], placeholder="Choose the recipient"),
                html.Button("Produce extract", id=PRODUCE, className="btn btn-primary mt-2"),
            ], className="panel"),
            html.Section([
                html.H2("Extracts"), html.Div(id=LIST),
                html.Label("Extract", htmlFor=PICK, className="form-label mt-2"),
                dbc.Select(id=PICK, placeholder="Choose an extract not yet downloaded"),
                html.Button("Download (once)", id=DOWNLOAD, className="btn btn-secondary mt-2"),
            ], className="panel"),
            html.Section([
                html.H2("Analysts' requests"), html.Div(id=REQUESTS),
                html.Label("Request", htmlFor=REQUEST_PICK, className="form-label mt-2"),
                dbc.Select(id=REQUEST_PICK, placeholder="Choose a request"),
                html.Div([html.Button("Approve", id=APPROVE, className="btn btn-primary me-2"),
                          html.Button("Reject", id=REJECT, className="btn btn-outline-danger")], className="mt-2"),
            ], className="panel"),
            _spec_section(),
        ]),
    ])


def _table(caption: str, cols: tuple[str, ...], body: list[html.Tr]) -> html.Table:
    head = html.Thead(html.Tr([html.Th(c, scope="col") for c in cols]))
    return html.Table([html.Caption(caption), head, html.Tbody(body)], className="table table-sm data-table")


def _extract_table(listed: list[extracts.Extract]) -> html.Table:
    cols = ("Extract", "Spec", "Recipient", "Rows", "k achieved", "Key id", "Produced", "Downloaded")
    body = [html.Tr([html.Td(str(e.extract_id)), html.Td(f"{e.spec} {e.spec_version}"), html.Td(e.recipient),
                     html.Td(f"{e.row_count:,}"), html.Td(str(e.k_achieved)), html.Td(e.key_id),
                     html.Td(e.produced_at[:16].replace("T", " ")),
                     html.Td(e.downloaded_at[:16].replace("T", " ") if e.downloaded_at else "not yet")],
                    **{"data-extract": str(e.extract_id)})  # type: ignore[arg-type]  # aria-*/data-* go to **kwargs; mypy matches the dict to typed props
            for e in listed]
    return _table(f"{len(listed)} extracts", cols, body)


def _request_table(pending: list[dict[str, object]]) -> html.Table:
    cols = ("Request", "Analyst", "Recipient", "Reason", "Asked")
    body = [html.Tr([html.Td(str(r["request_id"])), html.Td(str(r["username"])), html.Td(str(r["recipient"])),
                     html.Td(str(r["reason"]), className="csi-text"), html.Td(str(r["requested_at"])[:16])])
            for r in pending]
    return _table(f"{len(pending)} waiting", cols, body)


@callback(
    output={"list": Output(LIST, "children"), "picks": Output(PICK, "options"),
            "requests": Output(REQUESTS, "children"),
            "request_picks": Output(REQUEST_PICK, "options"),
            "message": Output(MESSAGE, "children", allow_duplicate=True), "hidden": Output(FORMS, "hidden")},
    inputs={"path": Input(URL, "pathname"), "refresh": Input(REFRESH, "data")},
    prevent_initial_call="initial_duplicate")
def show_extracts(path: object, refresh: object) -> dict[str, object]:
    """Extracts and pending requests; data_access refuses (and audits) anyone but an IG officer."""
    user = current_app_user()
    try:
        listed = extracts.list_extracts(user=user)
        pending = extracts.pending_requests(user=user)
    except AccessDenied as exc:
        return {"list": None, "picks": [], "requests": None, "request_picks": [], "message": ui.message(str(exc)),
                "hidden": True}  # hiding is for clarity; every action is checked again
    picks = [{"label": f"#{e.extract_id}: {e.recipient}, {e.row_count:,} rows", "value": str(e.extract_id)}
             for e in listed if e.downloaded_at is None]
    request_picks = [{"label": f"#{r['request_id']}: {r['username']} for {r['recipient']}",
                      "value": str(r["request_id"])} for r in pending]
    return {"list": _extract_table(listed), "picks": picks, "requests": _request_table(pending),
            "request_picks": request_picks, "message": no_update, "hidden": False}


def _bump(refresh: object) -> int:
    return (refresh if isinstance(refresh, int) and not isinstance(refresh, bool) else 0) + 1


def _number(value: object) -> int | None:
    """A native select sends a number as text; anything else is forged (data_access refuses None)."""
    return int(value) if isinstance(value, str) and NUMBER.fullmatch(value) else None


@callback(
    output={"message": Output(MESSAGE, "children"), "refresh": Output(REFRESH, "data")},
    inputs={"clicks": Input(PRODUCE, "n_clicks")},
    state={"recipient": State(RECIPIENT, "value"), "refresh": State(REFRESH, "data")}, prevent_initial_call=True)
def produce(clicks: object, recipient: object, refresh: object) -> dict[str, object]:
    """Produce an extract for the chosen recipient (data_access checks the user and recipient; audited)."""
    try:
        made = extracts.produce_extract(user=current_app_user(), recipient=recipient)
    except (AccessDenied, InvalidRequest) as exc:
        return {"message": ui.message(str(exc)), "refresh": no_update}
    to = EXTRACT_SPEC.recipients[made.recipient]
    text = (f"Produced extract {made.extract_id} for {to}: {made.row_count:,} rows, "
            f"k achieved {made.k_achieved}, key id {made.key_id}. It can be downloaded once.")
    return {"message": ui.message(text, "success"), "refresh": _bump(refresh)}


@callback(
    output={"file": Output(FILE, "data"), "message": Output(MESSAGE, "children", allow_duplicate=True),
            "refresh": Output(REFRESH, "data", allow_duplicate=True)},
    inputs={"clicks": Input(DOWNLOAD, "n_clicks")},
    state={"chosen": State(PICK, "value"), "refresh": State(REFRESH, "data")}, prevent_initial_call=True)
def download(clicks: object, chosen: object, refresh: object) -> dict[str, object]:
    """The chosen extract's ZIP, once; a second download is refused by data_access (audited)."""
    try:
        name, blob = extracts.download_extract(user=current_app_user(), extract_id=_number(chosen))
    except (AccessDenied, InvalidRequest) as exc:
        return {"file": no_update, "message": ui.message(str(exc)), "refresh": no_update}
    return {"file": dcc.send_bytes(blob, name, type="application/zip"),
            "message": ui.message(f"Downloaded {name}. It cannot be downloaded again.", "success"),
            "refresh": _bump(refresh)}


@callback(
    output={"message": Output(MESSAGE, "children", allow_duplicate=True),
            "refresh": Output(REFRESH, "data", allow_duplicate=True)},
    inputs={"approve": Input(APPROVE, "n_clicks"), "reject": Input(REJECT, "n_clicks")},
    state={"chosen": State(REQUEST_PICK, "value"), "refresh": State(REFRESH, "data")}, prevent_initial_call=True)
def decide(approve: object, reject: object, chosen: object, refresh: object) -> dict[str, object]:
    """Approve or reject an analyst's request (never one's own; data_access checks and audits)."""
    try:
        status = extracts.decide_request(user=current_app_user(), request_id=_number(chosen),
                                         approve=ctx.triggered_id == APPROVE)
    except (AccessDenied, InvalidRequest) as exc:
        return {"message": ui.message(str(exc)), "refresh": no_update}
    return {"message": ui.message(f"Request {chosen} {status}.", "success"), "refresh": _bump(refresh)}
