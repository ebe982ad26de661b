"""Retention: archive records at the 25th birthday and destroy them 25 years later (IG officers).

Questions it answers:
- How many records have reached their retention date (25th birthday) and wait to be archived, and
  how many reach it in the next 12 months?
- How many archived records have reached the end of the archive period (25 more years)?
- What would the archive or destruction step do now (dry run), and then do exactly that (run).
Counts only: no child is named on this page. Every callback asks ``data_access.retention``, which
refuses (and audits) anyone who is not an IG officer and audits every report, dry run and run. The
dry run's token rides in a ``dcc.Store``: it names no child, and the run is refused unless it is the
same officer's live, unused dry run and the records due are still those it counted.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from auth import current_app_user
from dashboards import _components as ui
from data_access import AccessDenied, InvalidRequest, retention

dash.register_page(__name__, access="audit", order=14, path="/ig/retention", name="Retention",
                   title="Retention - Children's Services Insight")

URL, REFRESH, MESSAGE, REPORT, FORMS = "ret-url", "ret-refresh", "ret-message", "ret-report", "ret-forms"
STEP, DRY, PLAN, RUN, TOKEN = "ret-step", "ret-dry", "ret-plan", "ret-run", "ret-token"
STEPS = [{"label": "Archive records past the 25th birthday", "value": "archive"},
         {"label": "Destroy archived records 25 years on", "value": "destroy"}]
DONE = {"archive": "Archived", "destroy": "Destroyed"}


def layout(**_query: str) -> html.Div:
    """Skeleton only: the report arrives through ``show_report``, dry runs and runs through their callbacks."""
    return html.Div([
        dcc.Location(id=URL), dcc.Store(id=REFRESH, data=0), dcc.Store(id=TOKEN, data=None),
        html.H1("Retention"),
        html.P("Records are kept from birth to the 25th birthday, then archived for 25 more years, then destroyed "
               "(the council's privacy notice). An archived record is out of reach of every purpose except subject "
               "access and legal claims; a destroyed one of every purpose. Each step shows a dry run first and then "
               "does exactly what the dry run showed. Every step is recorded in the audit trail; destruction leaves "
               "a destruction certificate there.", className="csi-asof"),
        html.Div(id=MESSAGE, role="status", **{"aria-live": "polite"}),  # type: ignore[arg-type]  # aria-*/data-* go to **kwargs; mypy matches the dict to typed props
        html.Div(id=FORMS, hidden=True, children=[
            html.Section([html.H2("Records due"), html.Div(id=REPORT)], className="panel"),
            html.Section([
                html.H2("Dry run, then run"),
                dbc.RadioItems(id=STEP, options=STEPS, value="archive"),
                html.Button("Dry run", id=DRY, className="btn btn-secondary mt-2"),
                html.Div(id=PLAN, className="mt-3", role="status"),
                html.Button("Run", id=RUN, className="btn btn-danger mt-2", disabled=True),
            ], className="panel"),
        ]),
    ])


def _report_table(r: retention.RetentionReport) -> html.Table:
    rows: list[tuple[str, str, str | int]] = [
            ("data_date", "Data date", r.data_date.isoformat()),
            ("due_archive", "Past the 25th birthday, not yet archived", r.due_archive),
            ("upcoming_archive", "Reaching the 25th birthday in the next 12 months", r.upcoming_archive),
            ("archived", "Archived", r.archived),
            ("due_destroy", "Archived, archive period ended (due for destruction)", r.due_destroy),
            ("upcoming_destroy", "Archive period ending in the next 12 months", r.upcoming_destroy),
            ("destroyed", "Destroyed", r.destroyed)]
    return html.Table([html.Caption("Records by retention state (counts)"),
                       html.Tbody([html.Tr([html.Th(label, scope="row"),
                                            html.Td(f"{value:,}" if isinstance(value, int) else value)],
                                           **{"data-state": key})  # type: ignore[arg-type]  # aria-*/data-* go to **kwargs; mypy matches the dict to typed props
                                   for key, label, value in rows])], className="table table-sm data-table")


@callback(
    output={"report": Output(REPORT, "children"), "message": Output(MESSAGE, "children", allow_duplicate=True),
            "hidden": Output(FORMS, "hidden")},
    inputs={"path": Input(URL, "pathname"), "refresh": Input(REFRESH, "data")},
    prevent_initial_call="initial_duplicate")
def show_report(path: object, refresh: object) -> dict[str, object]:
    """The counts; data_access refuses (and audits) anyone but an IG officer."""
    try:
        report = retention.retention_report(user=current_app_user())
    except AccessDenied as exc:
        return {"report": None, "message": ui.message(str(exc)), "hidden": True}  # hiding is for clarity
    return {"report": _report_table(report), "message": no_update, "hidden": False}


def _plan_text(plan: retention.DryRun) -> html.Div:
    verb = "archive" if plan.step == "archive" else "destroy"
    span = f" ({'retention dates' if plan.step == 'archive' else 'archive periods ending'} {plan.earliest} to " \
           f"{plan.latest})" if plan.earliest else ""
    column = "Year of the 25th birthday" if plan.step == "archive" else "Year the archive period ended"
    years = html.Table([html.Caption("Records the run would change, by year"),
                        html.Thead(html.Tr([html.Th(column, scope="col"), html.Th("Records", scope="col")])),
                        html.Tbody([html.Tr([html.Td(str(y)), html.Td(f"{n:,}")]) for y, n in plan.by_year])],
                       className="table table-sm data-table") if plan.by_year else None
    return html.Div([
        html.P(f"Dry run at data date {plan.data_date}: the run would {verb} {plan.records:,} records{span} under "
               f"rule {plan.rule}. Nothing has changed yet."), years,
        html.P(f"Run it before {plan.expires_at[:16].replace('T', ' ')} UTC; a later run, a run after the data "
               "change, or a second run of this dry run is refused.", className="small"),
    ], className="alert alert-info", **{"data-records": str(plan.records)})  # type: ignore[arg-type]  # aria-*/data-* go to **kwargs; mypy matches the dict to typed props


@callback(
    output={"plan": Output(PLAN, "children"), "token": Output(TOKEN, "data"), "run": Output(RUN, "disabled"),
            "label": Output(RUN, "children")},
    inputs={"clicks": Input(DRY, "n_clicks")}, state={"step": State(STEP, "value")}, prevent_initial_call=True)
def dry_run(clicks: object, step: object) -> dict[str, object]:
    """Dry run of the chosen step; data_access validates the step and the user (audited)."""
    try:
        plan = retention.dry_run(user=current_app_user(), step=step)
    except (AccessDenied, InvalidRequest) as exc:
        return {"plan": ui.message(str(exc)), "token": None, "run": True, "label": "Run"}
    label = f"{'Archive' if plan.step == 'archive' else 'Destroy'} {plan.records:,} records"
    return {"plan": _plan_text(plan), "token": {"step": plan.step, "token": plan.token}, "run": plan.records == 0,
            "label": label}


@callback(
    output={"message": Output(MESSAGE, "children"), "refresh": Output(REFRESH, "data"),
            "plan": Output(PLAN, "children", allow_duplicate=True),
            "token": Output(TOKEN, "data", allow_duplicate=True),
            "run": Output(RUN, "disabled", allow_duplicate=True)},
    inputs={"clicks": Input(RUN, "n_clicks")},
    state={"held": State(TOKEN, "data"), "refresh": State(REFRESH, "data")}, prevent_initial_call=True)
def run_step(clicks: object, held: object, refresh: object) -> dict[str, object]:
    """Carry out the dry run shown; data_access refuses a forged, spent or stale token (audited)."""
    given: dict[str, Any] = held if isinstance(held, dict) else {}
    try:
        done = retention.run(user=current_app_user(), step=given.get("step"), token=given.get("token"))
    except (AccessDenied, InvalidRequest) as exc:
        return {"message": ui.message(str(exc)), "refresh": no_update, "plan": no_update, "token": None,
                "run": True}
    count = refresh if isinstance(refresh, int) and not isinstance(refresh, bool) else 0
    what = f"{DONE[done.step]} {done.records:,} records (run {done.run_id}; audit entry {done.audit_seq}"
    what += ", the destruction certificate)." if done.step == "destroy" else ")."
    return {"message": ui.message(what, "success"), "refresh": count + 1, "plan": None, "token": None, "run": True}
