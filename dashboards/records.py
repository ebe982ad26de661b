"""Records: the children the user may see for their declared purpose, paged and sorted in the database.

Questions it answers:
- Which children on my caseload (caseworker) or my team's (team manager) need my attention?
- For statistical work (analyst): pseudonymised rows, with no direct identifiers.
Every other role is told that child-level records are not available to it; nothing is fetched.
"""

from __future__ import annotations

from urllib.parse import urlencode

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, clientside_callback, dcc, html, no_update

from auth import current_app_user
from dashboards import _components as ui
from dashboards import _drill
from dashboards._grid import code_of, grid_rows
from dashboards._session import declared_purpose, header_text, set_declared_purpose
from data_access import AccessDenied, Refused, records

dash.register_page(__name__, access="records", order=6,
                   path="/records", name="Records", title="Records - Children's Services Insight")

URL, PURPOSE, PURPOSE_SET, BANNER = "records-url", "records-purpose", "records-purpose-set", "records-banner"
GRID, STATUS, MESSAGE = "records-grid", "records-status", "records-message"
DRILL, DRILL_BAR = "records-drill", "records-drill-bar"
DRILL_KEYS = 24  # a page's view state has at most a dozen fields; anything longer is not a drill-through

# Filters run in the database: name and LA child ID "starts with", sex and locality by code or label.
STARTS = {"filter": "agTextColumnFilter", "floatingFilter": True,
          "filterParams": {"filterOptions": ["startsWith"], "maxNumConditions": 1, "debounceMs": 400}}
EQUALS = {"filter": "agTextColumnFilter", "floatingFilter": True,
          "filterParams": {"filterOptions": ["equals"], "maxNumConditions": 1, "debounceMs": 400}}
IDENTIFIABLE_COLUMNS: list[dict[str, object]] = [
    # The name is text from the council's files: shown as text, in a link built from the separate
    # ``href`` field (assets/csi.js ChildLink), never through a markdown or HTML renderer.
    {"field": "name", "headerName": "Name", "cellRenderer": "ChildLink", "sortable": True, **STARTS},
    {"field": "la_child_id", "headerName": "LA child ID", "sortable": True, **STARTS},
    {"field": "upn", "headerName": "UPN"},
    {"field": "birth_date", "headerName": "Date of birth", "sortable": True},
    {"field": "sex", "headerName": "Sex", "sortable": True, **EQUALS},
    {"field": "locality", "headerName": "Locality", "sortable": True, **EQUALS},
    {"field": "ethnicity", "headerName": "Ethnicity"},
    {"field": "religion", "headerName": "Religion"},
    {"field": "lawful_basis", "headerName": "Lawful basis"},
]
PSEUDONYMISED_COLUMNS = [{"field": f, "headerName": f.replace("_", " ").capitalize(),
                          **(EQUALS if f in ("sex", "locality") else {})}
                         for f in ("pseudo_id", "birth_year", "sex", "locality", "lawful_basis")]
SORT_FIELDS = {"name": "surname", "la_child_id": "la_child_id", "birth_date": "birth_date", "sex": "sex",
               "locality": "locality"}


def _drill_of(query: dict[str, str]) -> dict[str, str] | None:
    """A drill-through request from the URL (codes only; data_access validates every value)."""
    if "from" not in query or len(query) > DRILL_KEYS:
        return None
    return {str(k)[:40]: str(v)[:80] for k, v in query.items()}


def layout(**query: str) -> html.Div:
    """Skeleton only: purposes, rows and counts arrive through callbacks. A drill-through's target
    (page, chart, row code and view state, from the URL) is kept for the grid's requests."""
    drill = _drill_of(query)
    return html.Div([
        dcc.Location(id=URL),
        dcc.Store(id=DRILL, data=drill, storage_type="memory"),
        html.H1("Records" if drill is None else "Records behind a dashboard figure"),
        html.Div(id=DRILL_BAR, role="status"),
        html.Div([
            html.Label("Purpose of this work", htmlFor=PURPOSE, className="form-label"),
            html.Div([
                html.Div(dbc.Select(id=PURPOSE, placeholder="Choose a purpose"),
                         className="col-md-6"),
                html.Div(html.Button("Use this purpose", id=PURPOSE_SET, className="btn btn-primary"),
                         className="col-auto"),
            ], className="row g-2"),
        ], className="panel"),
        html.Div(id=BANNER, role="status"),
        html.Div(id=MESSAGE),
        html.P(id=STATUS, className="chart-summary"),
        dag.AgGrid(id=GRID, rowModelType="infinite", columnDefs=[], className="ag-theme-alpine",
                   dashGridOptions={"cacheBlockSize": 50, "maxBlocksInCache": 4, "rowBuffer": 0,
                                    "suppressMultiSort": True,
                                    # One block request at a time: each response answers the request it was
                                    # made for (the grid's request/response props carry no request id).
                                    "maxConcurrentDatasourceRequests": 1},
                   style={"height": "600px"}),
    ])


@callback(Output(PURPOSE, "options"), Output(PURPOSE, "value"), Output(BANNER, "children"),
          Output(GRID, "columnDefs"), Input(URL, "pathname"))
def show_purposes(_path: str | None) -> tuple:
    user = current_app_user()
    options = [{"label": label, "value": value} for value, label in records.permitted_purposes(user=user)]
    if not options:
        return [], None, ui.message("Child-level records are not available to your role."), []
    current = declared_purpose()
    allowed = {o["value"] for o in options}
    current = current if current in allowed else None
    columns = PSEUDONYMISED_COLUMNS if user is not None and user.role == "analyst" else IDENTIFIABLE_COLUMNS
    return options, current, _banner(current, options), columns


@callback(Output(BANNER, "children", allow_duplicate=True), Output(GRID, "columnDefs", allow_duplicate=True),
          Input(PURPOSE_SET, "n_clicks"), State(PURPOSE, "value"), State(PURPOSE, "options"),
          prevent_initial_call=True)
def choose_purpose(_clicks: int | None, purpose: object, options: list | None) -> tuple:
    user = current_app_user()
    try:
        accepted = records.declare_purpose(user=user, purpose=purpose, previous=declared_purpose())
    except AccessDenied as exc:
        return ui.message(str(exc)), no_update
    set_declared_purpose(accepted)
    labels = [{"label": label, "value": value} for value, label in records.permitted_purposes(user=user)]
    columns = PSEUDONYMISED_COLUMNS if user.role == "analyst" else IDENTIFIABLE_COLUMNS
    return _banner(accepted, labels), [dict(c) for c in columns]  # a new list makes the grid re-fetch


@callback(Output("shell-user", "children", allow_duplicate=True), Input(BANNER, "children"),
          prevent_initial_call=True)
def show_purpose_in_header(_banner: object) -> str:
    """The header names the purpose now in force (from the server-side session, not the page)."""
    return header_text(current_app_user())


# A new purpose means new rows: ask the grid to fetch its pages again (rows never sit in a Store).
clientside_callback(
    """function(_banner) {
        const grid = window.dash_ag_grid;
        const api = grid && grid.getApi ? grid.getApi('records-grid') : null;
        if (api) { api.purgeInfiniteCache(); }
        return window.dash_clientside.no_update;
    }""",
    Output(STATUS, "className"), Input(BANNER, "children"), prevent_initial_call=True,
)


def _banner(purpose: str | None, options: list[dict]) -> html.Div:
    if purpose is None:
        return ui.message("Choose the purpose of your work before viewing records. Your choice is recorded.", "info")
    label = next((o["label"] for o in options if o["value"] == purpose), purpose)
    return html.Div(f"Purpose: {label}. Every record you open is recorded with this purpose.",
                    className="alert alert-secondary csi-alert")


_NO_ROWS = {"rowData": [], "rowCount": 0}
_GRID_OUTPUTS = {"rows": Output(GRID, "getRowsResponse"), "status": Output(STATUS, "children"),
                 "message": Output(MESSAGE, "children"), "drill_bar": Output(DRILL_BAR, "children")}


def _grid(rows: object = no_update, status: object = no_update, message: object = no_update,
          drill_bar: object = no_update) -> dict[str, object]:
    return {"rows": rows, "status": status, "message": message, "drill_bar": drill_bar}


def _first_sort(model: object) -> dict:
    """The grid's first sort entry, or {} for anything that is not a list of dicts (forged)."""
    first = model[0] if isinstance(model, list) and model else None
    return first if isinstance(first, dict) else {}


@callback(output=_GRID_OUTPUTS, inputs={"request": Input(GRID, "getRowsRequest")},
          state={"drill": State(DRILL, "data")})
def fetch_rows(request: object, drill: object) -> dict[str, object]:
    """One page of the grid, from data_access (which checks and audits it); never a whole caseload."""
    if not request:
        return _grid()
    start, end = (request.get("startRow"), request.get("endRow")) if isinstance(request, dict) else (None, None)
    if not isinstance(request, dict) or not isinstance(start, int) or not isinstance(end, int) or end <= start:
        return _grid(_NO_ROWS, "", ui.message("That page request was not understood."))  # forged: any JSON
    purpose = declared_purpose()
    if purpose is None:
        if drill is not None:  # no purpose yet: still check (and audit) a drill-through the role may not use
            try:
                records.check_drill_through(user=current_app_user(), drill=drill)
            except Refused as exc:
                return _grid(_NO_ROWS, "", ui.message(str(exc)), _drill_bar(None, drill))
        return _grid(_NO_ROWS, "", None)
    sort = _first_sort(request.get("sortModel"))
    search, filters = _filter_model(request.get("filterModel"))
    column = sort.get("colId")
    sort_key = SORT_FIELDS.get(column, "surname") if isinstance(column, str) else "surname"
    try:
        page = records.child_records(user=current_app_user(), purpose=purpose, page=start // (end - start),
                                     page_size=end - start, sort=sort_key, descending=sort.get("sort") == "desc",
                                     drill=drill, search=search or None, filters=filters)
    except Refused as exc:
        return _grid(_NO_ROWS, "", ui.message(str(exc)), _drill_bar(None, drill))
    return _grid({"rowData": grid_rows(page.rows), "rowCount": page.total}, _status(page), None,
                 _drill_bar(page, drill))


def _status(page: records.Page) -> str:
    if page.drill is not None:
        return f"{page.total:,} of the children counted are in your scope for this purpose. {_hidden(page)}"
    return f"{page.total:,} children in your scope for this purpose."


def _filter_model(model: object) -> tuple[dict[str, object], dict[str, object]]:
    """The grid's column filters as (search, filters) for data_access, which validates every value."""
    search: dict[str, object] = {}
    filters: dict[str, object] = {}
    if not isinstance(model, dict):
        return search, filters
    for column, entry in model.items():
        value = entry.get("filter") if isinstance(entry, dict) else None
        if column in ("name", "la_child_id"):
            search[column] = value  # anything but text is refused by data_access (InvalidRequest)
        elif column in ("sex", "locality"):
            filters[column] = code_of(column, value)
    return search, filters


def _hidden(page: records.Page) -> str:
    hidden = page.drill.hidden  # type: ignore[union-attr]  # called for a drill-through only
    if hidden == "none":
        return "No child counted is outside your scope."
    return f"Children counted outside your scope, not listed: {hidden} (shown in bands, never exactly)."


def _drill_bar(page: records.Page | None, drill: object) -> object:
    """What the list is: the figure drilled from, with a way back to it and to the whole caseload."""
    if not isinstance(drill, dict):
        return None
    back = _drill.PAGE_PATHS.get(str(drill.get("from")), "/")
    state = {k: v for k, v in drill.items() if k not in ("from", "visual", "code", "card")}
    title = page.drill_title if page is not None and page.drill_title else "a dashboard figure"
    return html.Div([
        html.Span(f"Drill-through: {title}. "),
        html.A("Back to the dashboard", href=back + (("?" + urlencode(sorted(state.items()))) if state else "")),
        " · ", html.A("All the records in your scope", href="/records"),
    ], className="alert alert-info csi-alert", id="records-drill-title")
