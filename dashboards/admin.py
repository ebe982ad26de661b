"""Users: the user administrator's page (create, disable, re-enable, set role, teams and services, reset password).

Questions it answers:
- Who can sign in, with which role, teams and services, and how (password or single sign-on)?
- Who still has live sessions, and can I end them?
The page shows users and team names only: no child data. Every callback asks
``data_access.accounts``, which refuses (and audits) anyone who is not a user administrator and
audits every change.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import flask
from dash import Input, Output, State, callback, ctx, dcc, html, no_update
from dash.development.base_component import Component

import data_access
from auth import current_app_user
from dashboards import _components as ui
from data_access import AccessDenied, accounts, approvals, codes, policy

dash.register_page(__name__, access="user_admin", order=25,
                   path="/admin", name="Users", title="Users - Children's Services Insight")

URL, REFRESH, MESSAGE, TABLE, FORMS = "admin-url", "admin-refresh", "admin-message", "admin-users", "admin-forms"
PICK, ROLE, TEAMS, SERVICES = "admin-pick", "admin-role", "admin-teams", "admin-services"
SAVE, DISABLE, ENABLE, END = "admin-save", "admin-disable", "admin-enable", "admin-end-sessions"
RESET = "admin-reset-password"
NEW_NAME, NEW_DISPLAY, NEW_ROLE = "admin-new-username", "admin-new-display", "admin-new-role"
NEW_TEAMS, NEW_SERVICES, NEW_WORKER = "admin-new-teams", "admin-new-services", "admin-new-worker"
NEW_SIGN_IN, CREATE = "admin-new-sign-in", "admin-create"
SIGN_IN_OPTIONS = [{"label": "Password, set by the user through a one-time link", "value": "password"},
                   {"label": "Single sign-on only", "value": "sso"}]

ROLE_OPTIONS = [{"label": role.label, "value": name} for name, role in policy.ROLES.items()]
SERVICE_OPTIONS = [{"label": label, "value": code} for code, label in codes.SERVICE.items()]
COLUMNS = ("Username", "Name", "Role", "Teams", "Services", "Signs in with", "Status", "Live sessions")


def _field(label: str, component: Component, component_id: str, width: str = "col-md-4") -> html.Div:
    return html.Div([html.Label(label, htmlFor=component_id, className="form-label"), component], className=width)


def _group(legend: str, component: Component, width: str = "col-md-4") -> html.Fieldset:
    """A set of checkboxes or radio buttons, named by its legend (a label cannot name a group)."""
    return html.Fieldset([html.Legend(legend, className="form-label fs-6"), component], className=width)


def layout(**_query: str) -> html.Div:
    """Skeleton only: the user list and team names arrive through ``show_users``."""
    return html.Div([
        dcc.Location(id=URL), dcc.Store(id=REFRESH, data=0),
        html.H1("Users"),
        html.P("Create accounts, disable or re-enable them, and set roles, teams and services. "
               "Every change is recorded in the audit trail and ends the user's sessions. Giving a role with "
               "child-level records (or user administration), or more teams or services in such a role, waits "
               "for an information governance officer or another administrator to approve it (Approvals page). "
               "You never choose a password: the user sets their own through a one-time link shown here once.",
               className="csi-asof"),
        html.Div(id=MESSAGE, role="status", **{"aria-live": "polite"}),  # type: ignore[arg-type]  # aria-*/data-* go to **kwargs; mypy matches the dict to typed props
        html.Div(id=FORMS, hidden=True, children=[html.Section([
            html.H2("Change a user"),
            html.Div([
                _field("User", dbc.Select(id=PICK, placeholder="Choose a user"), PICK),
                _field("Role", dbc.Select(id=ROLE, options=ROLE_OPTIONS), ROLE),
                _group("Teams", dbc.Checklist(id=TEAMS, value=[])),
                _group("Services", dbc.Checklist(id=SERVICES, options=SERVICE_OPTIONS, value=[])),
            ], className="row g-2"),
            html.Div([
                html.Button("Save role, teams and services", id=SAVE, className="btn btn-primary me-2"),
                html.Button("Disable", id=DISABLE, className="btn btn-outline-danger me-2"),
                html.Button("Re-enable", id=ENABLE, className="btn btn-outline-secondary me-2"),
                html.Button("End their sessions", id=END, className="btn btn-outline-secondary me-2"),
                html.Button("Reset password (new one-time link)", id=RESET, className="btn btn-outline-secondary"),
            ], className="mt-3"),
        ], className="panel"),
        html.Section([
            html.H2("Create a user"),
            html.Div([
                _field("Username", dcc.Input(id=NEW_NAME, className="form-control", autoComplete="off"), NEW_NAME),
                _field("Display name", dcc.Input(id=NEW_DISPLAY, className="form-control"), NEW_DISPLAY),
                _field("Role", dbc.Select(id=NEW_ROLE, options=ROLE_OPTIONS, placeholder="Choose a role"), NEW_ROLE),
                _group("Teams", dbc.Checklist(id=NEW_TEAMS, value=[])),
                _group("Services", dbc.Checklist(id=NEW_SERVICES, options=SERVICE_OPTIONS, value=[])),
                _field("Worker id (caseworkers)", dcc.Input(id=NEW_WORKER, className="form-control"), NEW_WORKER),
                _group("Signs in with", dbc.RadioItems(id=NEW_SIGN_IN, options=SIGN_IN_OPTIONS, value="password",
                                                       inline=True), "col-md-8"),
            ], className="row g-2"),
            html.Button("Create user", id=CREATE, className="btn btn-primary mt-3"),
        ], className="panel"),
        html.Section([html.H2("All users"), html.Div(id=TABLE)], className="panel")]),
    ])


@callback(Output(TABLE, "children"), Output(PICK, "options"), Output(TEAMS, "options"),
          Output(NEW_TEAMS, "options"), Output(MESSAGE, "children", allow_duplicate=True), Output(FORMS, "hidden"),
          Input(URL, "pathname"), Input(REFRESH, "data"), prevent_initial_call="initial_duplicate")
def show_users(_path: str | None, _refresh: int | None) -> tuple:
    try:
        rows = accounts.admin_list_accounts(actor=current_app_user())
    except AccessDenied as exc:
        return None, [], [], [], ui.message(str(exc)), True  # hiding is for clarity; data_access refuses
    known = data_access.known_teams() if data_access.analytics_available() else []  # reference data only
    teams = [{"label": f"{name} ({team_id})", "value": team_id} for team_id, name, _ in known]
    picks = [{"label": f"{r.user.username} ({r.user.display_name})", "value": r.user.username} for r in rows]
    return _table(rows), picks, teams, teams, no_update, False


@callback(Output(ROLE, "value"), Output(TEAMS, "value"), Output(SERVICES, "value"), Input(PICK, "value"),
          prevent_initial_call=True)
def show_pick(username: str | None) -> tuple:
    try:
        rows = accounts.admin_list_accounts(actor=current_app_user())
    except AccessDenied:
        return None, [], []
    found = next((r.user for r in rows if r.user.username == username), None)
    return (found.role, list(found.team_ids), list(found.services)) if found else (None, [], [])


@callback(
    output={"message": Output(MESSAGE, "children"), "refresh": Output(REFRESH, "data")},
    inputs={"clicks": [Input(b, "n_clicks") for b in (SAVE, DISABLE, ENABLE, END, RESET, CREATE)]},
    state={"chosen": {"username": State(PICK, "value"), "role": State(ROLE, "value"), "teams": State(TEAMS, "value"),
                      "services": State(SERVICES, "value")},
           "new": {"username": State(NEW_NAME, "value"), "display_name": State(NEW_DISPLAY, "value"),
                   "role": State(NEW_ROLE, "value"), "teams": State(NEW_TEAMS, "value"),
                   "services": State(NEW_SERVICES, "value"), "worker": State(NEW_WORKER, "value"),
                   "sign_in": State(NEW_SIGN_IN, "value")},
           "refresh": State(REFRESH, "data")},
    prevent_initial_call=True)
def change_user(clicks: list, chosen: dict, new: dict, refresh: object) -> dict[str, object]:
    """Create a user, or change the chosen one; data_access checks (and audits) every step."""
    unchanged = {"refresh": no_update}
    try:
        if ctx.triggered_id == CREATE:
            text: str | Component = _create(new)
        elif not isinstance(chosen.get("username"), str) or not chosen["username"]:
            return {"message": ui.message("Choose a user first."), **unchanged}
        else:
            text = _change(ctx.triggered_id, chosen)
    except (AccessDenied, ValueError, LookupError) as exc:
        return {"message": ui.message(str(exc)), **unchanged}
    count = refresh if isinstance(refresh, int) else 0
    return {"message": ui.message(text, "success"), "refresh": count + 1}


def _create(new: dict) -> str | Component:
    outcome = accounts.admin_create_account(
        actor=current_app_user(), username=str(new.get("username") or "").strip().lower(),
        role=str(new.get("role") or ""),
        display_name=str(new["display_name"]).strip() if new.get("display_name") else None,
        team_ids=_strings(new.get("teams")), services=_strings(new.get("services")),
        worker_id=str(new["worker"]).strip() if new.get("worker") else None,
        local_password=new.get("sign_in") != "sso")
    return outcome_text(outcome, "Created")


def outcome_text(outcome: approvals.Outcome, done: str) -> str | Component:
    """What happened, for the person who did it: applied, waiting for approval, and any link (once)."""
    if outcome.request is not None:
        r = outcome.request
        return (f"Request {r.request_id} ({r.kind.replace('_', ' ')} of {r.target} as {policy.ROLES[r.role].label}) "
                "is waiting for approval by an information governance officer or another administrator. "
                "It applies only once approved.")
    user = outcome.user
    text = f"{done} {user.username} ({policy.ROLES[user.role].label})." if user else f"{done}."
    if outcome.link is None:
        return text
    url = flask.request.host_url.rstrip("/") + outcome.link.path
    return html.Span([text, " Give ", html.Strong(outcome.link.username), " this one-time link to set their "
                      f"password (valid until {ui.uk_time(outcome.link.expires_at)}; it is not "
                      "shown again): ", html.Code(url, id="set-password-link")])


def _change(action: object, chosen: dict) -> str | Component:
    actor, username = current_app_user(), str(chosen["username"])
    if action == SAVE:
        outcome = accounts.admin_set_role(actor=actor, username=username, role=str(chosen.get("role") or ""),
                                          team_ids=_strings(chosen.get("teams")),
                                          services=_strings(chosen.get("services")))
        if outcome.user is None:
            return outcome_text(outcome, "")
        return f"{outcome.user.username} is now {policy.ROLES[outcome.user.role].label}; their sessions have ended."
    if action in (DISABLE, ENABLE):
        user = accounts.admin_set_active(actor=actor, username=username, active=action == ENABLE)
        return f"{user.username} is {'enabled' if user.active else 'disabled; their sessions have ended'}."
    if action == RESET:
        return outcome_text(accounts.admin_reset_password(actor=actor, username=username), "New link for")
    return f"Ended {accounts.admin_end_sessions(actor=actor, username=username)} session(s) of {username}."


def _strings(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def _table(rows: list[accounts.AccountRow]) -> html.Table:
    head = html.Thead(html.Tr([html.Th(c, scope="col") for c in COLUMNS]))
    body = html.Tbody([html.Tr([
        html.Td(r.user.username), html.Td(r.user.display_name), html.Td(policy.ROLES[r.user.role].label),
        html.Td(", ".join(r.user.team_ids) or "-"), html.Td(", ".join(r.user.services) or "-"),
        html.Td(r.sign_in), html.Td("active" if r.user.active else "disabled"), html.Td(str(r.live_sessions)),
    ], **{"data-username": r.user.username}) for r in rows])  # type: ignore[arg-type]  # aria-*/data-* go to **kwargs; mypy matches the dict to typed props
    return html.Table([html.Caption(f"{len(rows)} users"), head, body], className="table table-sm data-table")
