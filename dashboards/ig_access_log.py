"""Access log: information governance searches the audit trail (IG officers; their landing page).

Questions it answers:
- Who saw this child (by LA child ID or UPN), when, for what purpose, under which lawful basis?
- What did this user do, or who did this action, between these days?
- Is anything unusual: reads outside a caseload, break-glass above a user's usual rate, reads out
  of hours? Export the result as CSV.
The identifier typed stays in its input and travels only in the callback's body (never the URL or a
``dcc.Store``); ``data_access.access_log`` resolves it, refuses (and audits) every role but IG and
malformed criteria, and audits every search and export. The results show no child's identity: the
trail holds none.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from auth import current_app_user
from dashboards import _components as ui
from data_access import Refused, access_log

dash.register_page(__name__, access="audit", order=10, path="/ig/access-log", name="Access log",
                   title="Access log - Children's Services Insight")

CHILD, USER, ACTION, SINCE, UNTIL = "alog-child", "alog-user", "alog-action", "alog-since", "alog-until"
SEARCH, EXPORT, DOWNLOAD = "alog-search", "alog-export", "alog-download"
MESSAGE, FLAGS, RESULTS = "alog-message", "alog-flags", "alog-results"
ACTION_OPTIONS = [{"label": "Any action", "value": ""}] + [
    {"label": a.replace("_", " ").capitalize(), "value": a} for a in access_log.ACTIONS]
COLUMNS = ("When (London)", "User", "Action", "Outcome", "What", "Purpose", "Lawful basis", "Children", "Flags",
           "Reason")


def _field(label: str, component_id: str, component: Any, width: str = "col-md-4") -> html.Div:
    return html.Div([html.Label(label, htmlFor=component_id, className="form-label"), component], className=width)


def _text(component_id: str, limit: int, placeholder: str = "") -> dcc.Input:
    return dcc.Input(id=component_id, type="text", maxLength=limit, autoComplete="off", placeholder=placeholder,
                     className="form-control")


def layout(**_query: str) -> html.Div:
    """Skeleton only: entries and patterns arrive through ``run_search``."""
    return html.Div([
        html.H1("Access log"),
        html.P("Search the audit trail: who saw a child's record, when, for what purpose and under which lawful "
               "basis. Searches and exports are themselves recorded in the audit trail.", className="csi-asof"),
        html.Section([
            html.H2("Search"),
            html.Div([
                _field("Child: LA child ID or UPN", CHILD, _text(CHILD, 20)),
                _field("User (username)", USER, _text(USER, 64)),
                _field("Action", ACTION, dbc.Select(id=ACTION, options=ACTION_OPTIONS, value="")),
                _field("From (YYYY-MM-DD)", SINCE, _text(SINCE, 10, "30 days ago"), "col-md-3"),
                _field("To (YYYY-MM-DD)", UNTIL, _text(UNTIL, 10, "today"), "col-md-3"),
            ], className="row g-2"),
            html.Button("Search", id=SEARCH, className="btn btn-primary mt-3"),
            html.Button("Export CSV", id=EXPORT, className="btn btn-outline-secondary mt-3 ms-2"),
            dcc.Download(id=DOWNLOAD),
        ], className="panel"),
        html.Div(id=MESSAGE, role="status", **{"aria-live": "polite"}),  # type: ignore[arg-type]  # aria-*/data-* go to **kwargs; mypy matches the dict to typed props
        html.Section([html.H2("Unusual patterns"), html.Div(id=FLAGS)], className="panel"),
        html.Section([html.H2("Entries"), html.Div(id=RESULTS)], className="panel"),
    ])


def _row(e: access_log.Entry) -> html.Tr:
    flags = [html.Span(access_log.FLAG_LABEL.get(f, f), className="badge bg-warning text-dark me-1") for f in e.flags]
    children = f"{e.children}" + (" (pseudonymised)" if e.pseudonymised else "")
    return html.Tr([html.Td(e.when), html.Td(f"{e.username} ({e.role})"), html.Td(e.action), html.Td(e.outcome),
                    html.Td(e.resource), html.Td(e.purpose), html.Td(e.lawful_basis), html.Td(children),
                    html.Td(flags), html.Td(e.reason, className="csi-text")],
                   **{"data-seq": str(e.seq)})  # type: ignore[arg-type]  # aria-*/data-* go to **kwargs; mypy matches the dict to typed props


def _table(log: access_log.AccessLog) -> html.Table | html.P:
    c = log.criteria
    if log.child_found is False:
        return html.P("No child has that LA child ID or UPN.")
    if not log.entries:
        return html.P(f"No entries from {c.since} to {c.until}.")
    more = f" (the newest {len(log.entries)} are shown; export for up to {access_log.EXPORT_ROWS:,})" \
        if log.truncated else ""
    caption = f"{log.total:,} entries from {c.since} to {c.until}, newest first{more}"
    head = html.Thead(html.Tr([html.Th(col, scope="col") for col in COLUMNS]))
    return html.Table([html.Caption(caption), head, html.Tbody([_row(e) for e in log.entries])],
                      className="table table-sm data-table")


def _patterns(log: access_log.AccessLog) -> html.Ul | html.P:
    if not log.patterns:
        return html.P("Nothing unusual for the users in these entries.")
    return html.Ul([html.Li([html.Span(access_log.FLAG_LABEL.get(f.kind, f.kind), className="badge bg-danger me-2"),
                             f.text], **{"data-flag": f.kind})  # type: ignore[arg-type]  # aria-*/data-* go to **kwargs; mypy matches the dict to typed props
                    for f in log.patterns], className="list-unstyled")


FORM = {"child": State(CHILD, "value"), "username": State(USER, "value"), "action": State(ACTION, "value"),
        "since": State(SINCE, "value"), "until": State(UNTIL, "value")}


@callback(output={"message": Output(MESSAGE, "children"), "flags": Output(FLAGS, "children"),
                  "results": Output(RESULTS, "children")},
          inputs={"clicks": Input(SEARCH, "n_clicks")}, state=FORM, prevent_initial_call=True)
def run_search(clicks: object, **form: object) -> dict[str, object]:
    """Search with what the form holds, as sent; data_access checks the role and every value, and
    audits the search or its refusal."""
    try:
        log = access_log.search(user=current_app_user(), criteria=form)
    except Refused as exc:
        return {"message": ui.message(str(exc)), "flags": None, "results": None}
    return {"message": None, "flags": _patterns(log), "results": _table(log)}


@callback(output={"message": Output(MESSAGE, "children", allow_duplicate=True), "file": Output(DOWNLOAD, "data")},
          inputs={"clicks": Input(EXPORT, "n_clicks")}, state=FORM, prevent_initial_call=True)
def export(clicks: object, **form: object) -> dict[str, object]:
    """The search as CSV; data_access checks and audits the export (or its refusal)."""
    try:
        file = access_log.export_csv(user=current_app_user(), criteria=form)
    except Refused as exc:
        return {"message": ui.message(str(exc)), "file": no_update}
    return {"message": ui.message(f"Exported {file.filename}; the export is recorded in the audit trail.", "info"),
            "file": dcc.send_bytes(file.content, file.filename, type=file.mimetype)}
