"""Saved views: the user's named dashboard views, to open, share by link, or delete.

Questions it answers:
- Which views have I saved, of which page, and when?
- Which are shared, and what is the link to send a colleague? (A colleague opening it sees only what
  their own access allows: the link carries slicer codes, never data.)
Every callback asks ``data_access.saved_views``, which lets a user act on their own views only.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html, no_update

from auth import current_app_user
from dashboards import _components as ui
from data_access import Refused, saved_views

dash.register_page(__name__, access="aggregates", order=8, path="/saved-views", name="Saved views",
                   title="Saved views - Children's Services Insight")

URL, REFRESH, MESSAGE, TABLE, PICK = "sv-url", "sv-refresh", "sv-message", "sv-table", "sv-pick"
SHARE, UNSHARE, DELETE = "sv-share", "sv-unshare", "sv-delete"


def layout(**_query: str) -> html.Div:
    """Skeleton only: the views arrive through ``show_views``."""
    return html.Div([
        dcc.Location(id=URL), dcc.Store(id=REFRESH, data=0),
        html.H1("Saved views"),
        html.P("Save a view from any dashboard with \u201cSave this view\u201d. A shared link opens the same slicers "
               "for a colleague, who sees only what their own access allows.", className="csi-asof"),
        html.Div(id=MESSAGE, role="status"),
        html.Section([html.H2("Your views"), html.Div(id=TABLE)], className="panel"),
        html.Section([
            html.H2("Share or delete a view"),
            html.Label("View", htmlFor=PICK, className="form-label"),
            dbc.Select(id=PICK),  # a native select: keyboard and screen-reader friendly
            html.Div([html.Button("Share by link", id=SHARE, className="btn btn-primary me-2"),
                      html.Button("Stop sharing", id=UNSHARE, className="btn btn-outline-secondary me-2"),
                      html.Button("Delete", id=DELETE, className="btn btn-outline-danger")], className="mt-3"),
        ], className="panel"),
    ])


def _table(views: list[saved_views.View]) -> html.Table | html.P:
    if not views:
        return html.P("You have no saved views yet.")
    head = html.Thead(html.Tr([html.Th(h, scope="col") for h in ("Name", "Page", "Saved", "Shared link")]))
    rows = [html.Tr([html.Td(html.A(v.name, href=v.url)), html.Td(v.page_title), html.Td(v.saved),
                     html.Td(html.Code(v.share_path) if v.share_path else "not shared")]) for v in views]
    return html.Table([html.Caption("Your saved views"), head, html.Tbody(rows)],
                      className="table table-sm data-table", id="sv-views")


@callback(Output(TABLE, "children"), Output(PICK, "options"), Output(PICK, "value"),
          Input(URL, "pathname"), Input(REFRESH, "data"))
def show_views(_path: str | None, _refresh: int | None) -> tuple[object, object, object]:
    """The user's own views (data_access refuses, and audits, roles without dashboards)."""
    try:
        views = saved_views.my_views(user=current_app_user())
    except Refused as exc:
        return ui.message(str(exc)), [], None
    options = [{"label": v.name, "value": str(v.view_id)} for v in views]
    return _table(views), options, options[0]["value"] if options else None


@callback(Output(MESSAGE, "children"), Output(REFRESH, "data"),
          Input(SHARE, "n_clicks"), Input(UNSHARE, "n_clicks"), Input(DELETE, "n_clicks"),
          State(PICK, "value"), State(REFRESH, "data"), prevent_initial_call=True)
def act(_share: object, _unshare: object, _delete: object, picked: object, refresh: object) -> tuple[object, object]:
    """Share, stop sharing or delete the chosen view (the user's own only; data_access checks)."""
    if ctx.triggered_id not in (SHARE, UNSHARE, DELETE):
        return no_update, no_update
    view_id = int(picked) if isinstance(picked, str) and picked.isdigit() else None  # anything else is forged
    user = current_app_user()
    try:
        if ctx.triggered_id == DELETE:
            saved_views.delete_view(user=user, view_id=view_id)
            text = "Deleted."
        else:
            view = saved_views.share_view(user=user, view_id=view_id, shared=ctx.triggered_id == SHARE)
            text = f"Share this link: {view.share_path}" if view.share_path else f"\u201c{view.name}\u201d is private."
    except Refused as exc:
        return ui.message(str(exc)), no_update
    return ui.message(text, "success"), (refresh if isinstance(refresh, int) else 0) + 1
