"""Break-glass review: information governance reviews every emergency access grant (IG officers).

Questions it answers:
- Which emergency (break-glass) grants, and requests refused at the per-user limit, have not been
  reviewed yet: who opened them, for which child's record, why, and when?
- Which are overdue (unreviewed for longer than ``CSI_BREAK_GLASS_REVIEW_DAYS``)?
- For each: its justification, how long it was granted for, and what was opened under it (the reads
  the audit trail holds for that user and child while the grant was live: how many, when, which fields).
- Record the outcome of a review (justified, or flagged: not justified / referred for investigation,
  which need a note); reviewed grants keep their reviewer, outcome and note in the history below.
The child is shown only as a link to its record by opaque reference: no name or LA child ID (the
record page applies its own access rules). Every callback asks ``data_access.records``, which
refuses (and audits) anyone who is not an IG officer and audits every review.
"""

from __future__ import annotations

import re
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from auth import current_app_user
from dashboards import _components as ui
from data_access import AccessDenied, codes, records

dash.register_page(__name__, access="audit", order=20, path="/break-glass-review", name="Break-glass review",
                   title="Break-glass review - Children's Services Insight")

URL, REFRESH, MESSAGE, TABLE, FORMS = "bgr-url", "bgr-refresh", "bgr-message", "bgr-queue", "bgr-forms"
HISTORY = "bgr-history"
PICK, OUTCOME, NOTE, SAVE = "bgr-pick", "bgr-outcome", "bgr-note", "bgr-save"
COLUMNS = ("Grant", "Opened", "Expires", "Who", "Record", "Status", "Reason", "Justification", "What was opened",
           "Review")
HISTORY_COLUMNS = ("Grant", "Opened", "Who", "Record", "Status", "Reason", "Justification", "What was opened",
                   "Reviewed by", "Reviewed", "Outcome", "Note")
OUTCOME_OPTIONS = [{"label": label, "value": code} for code, label in codes.BREAK_GLASS_REVIEW_OUTCOME.items()]
STATUS = {"granted": "Granted", "refused_limit": "Refused: over the 24-hour limit"}


def layout(**_query: str) -> html.Div:
    """Skeleton only: the review queue arrives through ``show_queue``."""
    return html.Div([
        dcc.Location(id=URL), dcc.Store(id=REFRESH, data=0),
        html.H1("Break-glass review"),
        html.P("Every emergency (break-glass) access grant, and every request refused at the limit, waits here "
               "until an information governance officer records the outcome of a review. One not reviewed in time "
               "is marked overdue. Every review is recorded in the audit trail.", className="csi-asof"),
        html.Div(id=MESSAGE, role="status", **{"aria-live": "polite"}),  # type: ignore[arg-type]  # aria-*/data-* go to **kwargs; mypy matches the dict to typed props
        html.Div(id=FORMS, hidden=True, children=[
            html.Section([
                html.H2("Record a review"),
                html.Div([
                    html.Div([html.Label("Grant", htmlFor=PICK, className="form-label"),
                              dbc.Select(id=PICK, placeholder="Choose a grant")], className="col-md-4"),
                    html.Div([html.Label("Outcome", htmlFor=OUTCOME, className="form-label"),
                              dbc.Select(id=OUTCOME, options=OUTCOME_OPTIONS, placeholder="Choose the outcome")],
                             className="col-md-4"),
                ], className="row g-2"),
                html.Label("Note (needed when the grant is not justified or referred)", htmlFor=NOTE,
                           className="form-label mt-2"),
                dcc.Textarea(id=NOTE, className="form-control", maxLength=2000),
                html.Button("Record review", id=SAVE, className="btn btn-primary mt-3"),
            ], className="panel"),
            html.Section([html.H2("Waiting for review"), html.Div(id=TABLE)], className="panel"),
            html.Section([html.H2("Reviewed"), html.Div(id=HISTORY)], className="panel")]),
    ])


def _when(value: object) -> str:
    return ui.uk_time(value)


def _opened(r: dict[str, Any]) -> list[Any] | str:
    """What was opened under the grant, from the audit trail: reads, when, which fields (names only)."""
    if r.get("status") != "granted":
        return "Nothing: the request was refused"
    hours = f"Granted for {float(r.get('granted_hours') or 0):.0f} h. "
    if not r.get("reads"):
        return hours + "No record was opened under it."
    reads = f"{r['reads']} read{'s' if r['reads'] != 1 else ''} of the record, {_when(r.get('first_read'))}"
    if r.get("last_read") != r.get("first_read"):
        reads += f" to {_when(r.get('last_read'))}"
    fields = ", ".join(r.get("fields") or ())
    return [hours + reads + ".", html.Details([html.Summary(f"{len(r.get('fields') or ())} fields"), fields])]


def _record(r: dict[str, Any]) -> html.Td:
    return html.Td(dcc.Link("Open record", href="/child?ref=" + records.record_ref(int(r["child_id"]))))


def _row(r: dict[str, Any]) -> html.Tr:
    status = str(r.get("status"))
    review = html.Span("Overdue", className="badge bg-danger") if r.get("overdue") else "Due"
    return html.Tr([
        html.Td(str(r["grant_id"])), html.Td(_when(r.get("granted_at"))),
        html.Td(_when(r.get("expires_at")) if status == "granted" else "-"), html.Td(str(r.get("username"))),
        _record(r), html.Td(STATUS.get(status, status)), html.Td(str(r.get("reason"))),
        html.Td(str(r.get("justification") or ""), className="csi-text"), html.Td(_opened(r)), html.Td(review),
    ], className="csi-overdue" if r.get("overdue") else None,
        **{"data-grant": str(r["grant_id"])})  # type: ignore[arg-type]  # aria-*/data-* go to **kwargs; mypy matches the dict to typed props


def _reviewed(r: dict[str, Any]) -> html.Tr:
    status = str(r.get("status"))
    return html.Tr([
        html.Td(str(r["grant_id"])), html.Td(_when(r.get("granted_at"))), html.Td(str(r.get("username"))),
        _record(r), html.Td(STATUS.get(status, status)), html.Td(str(r.get("reason"))),
        html.Td(str(r.get("justification") or ""), className="csi-text"), html.Td(_opened(r)),
        html.Td(str(r.get("reviewer") or "-")), html.Td(_when(r.get("reviewed_at"))), html.Td(str(r.get("outcome"))),
        html.Td(str(r.get("review_note") or ""), className="csi-text"),
    ], **{"data-reviewed": str(r["grant_id"])})  # type: ignore[arg-type]  # aria-*/data-* go to **kwargs; mypy matches the dict to typed props


def _history_table(history: list[dict[str, Any]]) -> html.Table:
    head = html.Thead(html.Tr([html.Th(c, scope="col") for c in HISTORY_COLUMNS]))
    return html.Table([html.Caption(f"{len(history)} reviewed, most recent first"), head,
                       html.Tbody([_reviewed(r) for r in history])], className="table table-sm data-table")


@callback(
    output={"table": Output(TABLE, "children"), "picks": Output(PICK, "options"),
            "history": Output(HISTORY, "children"),
            "message": Output(MESSAGE, "children", allow_duplicate=True), "hidden": Output(FORMS, "hidden")},
    inputs={"path": Input(URL, "pathname"), "refresh": Input(REFRESH, "data")},
    prevent_initial_call="initial_duplicate")
def show_queue(path: object, refresh: object) -> dict[str, object]:
    """The unreviewed grants and the reviewed ones; data_access refuses (and audits) anyone but IG."""
    try:
        queue = records.break_glass_review_list(user=current_app_user())
        history = records.break_glass_review_history(user=current_app_user())
    except AccessDenied as exc:
        return {"table": None, "picks": [], "history": None, "message": ui.message(str(exc)),
                "hidden": True}  # hiding is for clarity
    overdue = sum(1 for r in queue if r.get("overdue"))
    head = html.Thead(html.Tr([html.Th(c, scope="col") for c in COLUMNS]))
    table = html.Table([html.Caption(f"{len(queue)} waiting, {overdue} overdue"), head,
                        html.Tbody([_row(r) for r in queue])], className="table table-sm data-table")
    picks = [{"label": f"#{r['grant_id']}: {r['username']}, {_when(r.get('granted_at'))}"
                       + (" (overdue)" if r.get("overdue") else ""), "value": str(r["grant_id"])} for r in queue]
    return {"table": table, "picks": picks, "history": _history_table(history), "message": no_update, "hidden": False}


@callback(
    output={"message": Output(MESSAGE, "children"), "refresh": Output(REFRESH, "data")},
    inputs={"clicks": Input(SAVE, "n_clicks")},
    state={"grant": State(PICK, "value"), "outcome": State(OUTCOME, "value"), "note": State(NOTE, "value"),
           "refresh": State(REFRESH, "data")},
    prevent_initial_call=True)
def record_review(clicks: object, grant: object, outcome: object, note: object, refresh: object) -> dict[str, object]:
    """Record the review of the chosen grant; data_access checks (and audits) every step."""
    try:
        # A native select sends the grant number as text; anything else is forged (data_access refuses None).
        chosen = int(grant) if isinstance(grant, str) and re.fullmatch(r"[0-9]{1,18}", grant) else None
        records.review_break_glass(user=current_app_user(), grant_id=chosen, outcome=outcome,
                                   note=note if isinstance(note, str) else "")
    except (AccessDenied, ValueError, LookupError) as exc:
        return {"message": ui.message(str(exc)), "refresh": no_update}
    label = codes.BREAK_GLASS_REVIEW_OUTCOME.get(str(outcome), str(outcome))
    count = refresh if isinstance(refresh, int) and not isinstance(refresh, bool) else 0
    return {"message": ui.message(f"Recorded the review of grant {chosen}: {label}.", "success"), "refresh": count + 1}
