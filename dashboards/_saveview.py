"""A page's "Save this view" form: names the current view (its URL state) and saves it for the user.

The callback sends the page's filter state and the name to ``data_access.saved_views``, which
validates both (as any URL) and refuses (and audits) anything forged. The saved views are listed,
shared and deleted on the Saved views page.
"""

from __future__ import annotations

from dash import Input, Output, State, callback, dcc, html, no_update

from auth import current_app_user
from dashboards import _components as ui
from dashboards._filterbar import fid
from data_access import Refused, saved_views


def save_form(p: str) -> html.Details:
    """The collapsed form (skeleton: no data)."""
    return html.Details([
        html.Summary("Save this view", className="btn-tool"),
        html.Div([
            html.Label("Name", htmlFor=fid(p, "view-name"), className="form-label me-2"),
            dcc.Input(id=fid(p, "view-name"), type="text", maxLength=80, debounce=False,
                      placeholder="e.g. Girls 10 to 15, north", className="form-control form-control-sm me-2"),
            html.Button("Save", id=fid(p, "view-save"), className="btn btn-sm btn-primary"),
        ], className="d-flex align-items-center mt-2"),
        html.Div(id=fid(p, "view-message"), role="status"),
    ], className="csi-save-view")


def register(p: str, page: str) -> None:
    """Register the form's callback for page prefix ``p`` (data_access page name ``page``)."""
    @callback(Output(fid(p, "view-message"), "children"), Output(fid(p, "view-name"), "value"),
              Input(fid(p, "view-save"), "n_clicks"), State(fid(p, "view-name"), "value"),
              State(fid(p, "state"), "data"), prevent_initial_call=True)
    def save_view(clicks: object, name: object, state: object) -> tuple[object, object]:
        if not clicks:
            return no_update, no_update
        try:
            view = saved_views.save_view(user=current_app_user(), page=page,
                                         state=state if isinstance(state, dict) else {}, name=name)
        except Refused as exc:
            return ui.message(f"Not saved: {exc}"), no_update
        text = html.Span(["Saved \u201c", view.name, "\u201d. Open it any time from ",
                          html.A("Saved views", href="/saved-views"), "."])
        return ui.message(text, "success"), ""
