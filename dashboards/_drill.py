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


def register(prefix: str, page: str, fetch: Callable[..., data_access.PageData]) -> None:
    """The click-mode options and the cards' record links for page ``prefix`` (only for roles allowed)."""
    @callback(Output(fid(prefix, "mode"), "options"), Input(fid(prefix, "url"), "pathname"))
    def mode_options(_path: object) -> list[dict]:
        allowed = records.may_drill_through(current_app_user())
        return MODE_OPTIONS + ([RECORDS_OPTION] if allowed else [])

    @callback(Output(fid(prefix, "card-links"), "children"), Input(fid(prefix, "mode"), "value"),
              Input(fid(prefix, "state"), "data"), State(fid(prefix, "mode"), "options"))
    def card_links(mode: object, state: object, _options: object) -> object:
        user = current_app_user()
        if mode != "records" or not isinstance(state, dict) or not records.may_drill_through(user):
            return None
        try:
            data = fetch(user=user, filters=state)
        except data_access.Refused:
            return None
        links = [html.Li(html.A(k.label, href=records_href(target(page, state, card=k.key))))
                 for k in data.cards if k.value is not None and k.value != 0]
        if not links:
            return None
        return html.Nav([html.H2("Open the children's records behind a figure", className="h6"),
                         html.Ul(links, className="card-links")], className="panel drill-links",
                        **{"aria-label": "Records behind the figures"})  # type: ignore[arg-type]  # aria-*/data-* go to **kwargs; mypy matches the dict to typed props
