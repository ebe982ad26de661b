"""The page container, served with the page the browser opened already in it: no routing round trip.

Dash's pages router fills its container with a callback that fires when the container's
``dcc.Location`` mounts, so a page's own callbacks could leave only after that answer had come back
and been drawn: one more round trip before every signed-in page settled. Here the layout Dash
serves a document (``/_dash-layout``, fetched by the page whose address is its Referer: same origin,
``Referrer-Policy: same-origin``) holds that page's skeleton already, and the router's first call
for the same address changes nothing (``PreventUpdate``). Links followed inside the app route as
before, and without a usable Referer the router fills the container as Dash does.

The skeleton is the one the router would send: layouts carry no data and no user, and every
callback in them authorises each call in ``data_access``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import dash
from dash import Input, State, dcc, html
from dash import _pages as pages  # Dash's own page registry helpers (the router's lookup)
from dash.dash import _ID_CONTENT, _ID_DUMMY, _ID_LOCATION, _ID_STORE
from dash.development.base_component import Component
from dash.exceptions import PreventUpdate
from flask import has_request_context, request

ROUTED = "csi_routed"  # the router's store, passed to every page layout by the router
# ``dash.Dash(routing_callback_inputs=...)``
ROUTING_INPUTS: dict[str, Input | State] = {ROUTED: State(_ID_STORE, "data")}
_ORIGINAL = "csi_layout"  # a page's own layout, kept in its registry entry


def container() -> html.Div:
    """``dash.page_container``'s components, with the opened page's skeleton in it (when known)."""
    content, store = _opened_page()
    return html.Div([
        dcc.Location(id=_ID_LOCATION, refresh="callback-nav"),
        html.Div(content, id=_ID_CONTENT, disable_n_clicks=True),
        dcc.Store(id=_ID_STORE, data=store),
        html.Div(id=_ID_DUMMY, disable_n_clicks=True),
    ])


def route_pages() -> None:
    """Wrap every registered page's layout so the router's first call for the page already served
    changes nothing (idempotent: the registry is the process's, shared by every app in it)."""
    for page in dash.page_registry.values():
        if _ORIGINAL not in page:
            page[_ORIGINAL] = page.get("layout")
            page["layout"] = _routed(page[_ORIGINAL])


def _routed(layout: object) -> Callable[..., object]:
    def page_layout(**kwargs: Any) -> object:
        routed = kwargs.pop(ROUTED, None)  # any JSON (the store is the browser's): only a match counts
        if isinstance(routed, dict) and isinstance(routed.get("shown"), str) and routed["shown"] == _asked():
            raise PreventUpdate  # the container already shows this page (served with the layout)
        return layout(**kwargs) if callable(layout) else layout
    return page_layout


def _asked() -> str | None:
    """The address the router was called for (path and query), inside its callback."""
    try:
        inputs = dash.callback_context.inputs
    except Exception:  # noqa: BLE001  (outside a callback: nothing asked)
        return None
    path, search = inputs.get(f"{_ID_LOCATION}.pathname"), inputs.get(f"{_ID_LOCATION}.search")
    return f"{path}{search or ''}" if isinstance(path, str) and isinstance(search, str | None) else None


def _opened_page() -> tuple[Component | None, dict[str, object] | None]:
    """The skeleton and router store of the page whose document asked for the layout, if any."""
    if not has_request_context() or not request.path.endswith("/_dash-layout"):
        return None, None
    opened = urlsplit(request.referrer or "")
    if opened.scheme not in ("http", "https") or opened.netloc != request.host:
        return None, None
    page, variables = pages._path_to_page(dash.get_app().strip_relative_path(opened.path))  # noqa: SLF001  (as the router)
    if not page:
        return None, None
    search = f"?{opened.query}" if opened.query else ""
    layout, title = page.get(_ORIGINAL, page.get("layout")), page.get("title")
    kwargs = {**(variables or {}), **pages._parse_query_string(search)}  # noqa: SLF001  (as the router)
    try:
        content = layout(**kwargs) if callable(layout) else layout
    except Exception:  # noqa: BLE001  (a query the page's layout refuses: the router answers it, as before)
        return None, None
    if not isinstance(content, Component):
        return None, None  # not a layout the container can hold here: the router fills it as Dash does
    title = title(**(variables or {})) if callable(title) else title
    return content, {"title": title, "shown": opened.path + search}
