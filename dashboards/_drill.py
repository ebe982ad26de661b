"""Drill-through from a dashboard to the children's records behind a chart row or KPI card.

Offered only to roles with identifiable rows in their own scope (caseworkers, team managers): the
click-mode control gains "opens the children's records", and the cards gain links to their records.
The link is the records page's URL with the page's view state and the clicked row's code: codes,
never an identifier. ``data_access.records`` checks it again, scopes it and audits it on every use.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from urllib.parse import urlencode

from dash import Input, Output, State, callback, html

import data_access
from auth import current_app_user
from dashboards._filterbar import fid
from data_access import records

PAGE_PATHS = {"overview": "/", "service_users": "/service-users", "children_in_need": "/children-in-need",
              "interventions": "/interventions", "send": "/send", "trends": "/trends",
              "looked_after": "/looked-after", "care_leavers": "/care-leavers"}
MODE_OPTIONS = [{"label": "filters the page", "value": "filter"},
                {"label": "drills down (year, quarter, month; service, team)", "value": "drill"}]
RECORDS_OPTION = {"label": "opens the children's records behind it", "value": "records"}


def target(page: str, state: Mapping[str, object], *, visual: str | None = None, code: str | None = None,
           card: str | None = None) -> dict[str, str]:
    """The drill-through request: the page's view state plus what was clicked (all text, as in a URL)."""
    out = {k: str(v) for k, v in state.items() if v not in (None, "")}
    out["from"] = page
    out.update({"visual": visual, "code": code} if visual is not None else {"card": str(card)})  # type: ignore[dict-item]  # code comes with visual
    return out


def records_href(drill: Mapping[str, str]) -> str:
    return "/records?" + urlencode(sorted(drill.items()))


def mode_options() -> list[dict]:
    """The click-mode choices for the signed-in user: "opens the records" only for roles allowed."""
    return MODE_OPTIONS + ([RECORDS_OPTION] if records.may_drill_through(current_app_user()) else [])


def register(prefix: str, page: str, fetch: Callable[..., data_access.PageData]) -> None:
    """The cards' record links for page ``prefix`` when the click mode changes (only for roles allowed)."""
    @callback(Output(fid(prefix, "card-links"), "children", allow_duplicate=True), Input(fid(prefix, "mode"), "value"),
              State(fid(prefix, "state"), "data"), prevent_initial_call=True)
    def card_links_on_mode(mode: object, state: object) -> object:
        """The links when the click mode changes (the page's render callback sends them with each view)."""
        if mode != "records" or not isinstance(state, dict):
            return None
        try:
            data = fetch(user=current_app_user(), filters=state)
        except data_access.Refused:
            return None
        return card_links(page, data, state, mode)


def card_links(page: str, data: data_access.PageData | None, state: object, mode: object) -> object:
    """Links to the records behind each KPI card, in records mode for roles allowed (else None)."""
    if mode != "records" or data is None or not isinstance(state, dict) or \
            not records.may_drill_through(current_app_user()):
        return None
    links = [html.Li(html.A(k.label, href=records_href(target(page, state, card=k.key))))
             for k in data.cards if k.value is not None and k.value != 0]
    if not links:
        return None
    return html.Nav([html.H2("Open the children's records behind a figure", className="h6"),
                     html.Ul(links, className="card-links")], className="panel drill-links",
                    **{"aria-label": "Records behind the figures"})  # type: ignore[arg-type]  # aria-*/data-* go to **kwargs; mypy matches the dict to typed props
