"""The page frame every page sits in: skip link, navbar (collapsing on narrow screens), user, sign out.

No data: the links the signed-in user's role may use are filled by ``for_user`` (a callback), from each
page's declared ``access`` (``policy.may_open_page``); ``landing_path`` is where a role
without dashboards lands.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from auth import current_app_user
from dashboards import _router
from dashboards._session import header_text
from data_access import policy


def layout() -> html.Div:
    """The page frame; no data. The links are filled per user by ``for_user`` (a callback)."""
    return html.Div([
        html.A("Skip to main content", href="#main", className="skip-link"),
        dcc.Location(id="shell-url"),
        dbc.Navbar(dbc.Container([
            dbc.NavbarBrand("Children's Services Insight", href="/"),
            _toggler(),
            dbc.Collapse([
                dbc.Nav(id="shell-nav", navbar=True, className="me-auto"),
                html.Span(id="shell-user", className="csi-user me-3"),
                html.A("Sign out", href="/logout", className="nav-link csi-user"),
            ], id="shell-collapse", is_open=False, navbar=True),
        ], fluid=True), className="csi-navbar", dark=True, expand="lg"),
        html.Main(_router.container(), id="main", className="csi-page", tabIndex="-1"),
    ])


def _toggler() -> html.Button:
    """The narrow-screen navigation button (a named button: dbc.NavbarToggler takes no aria-label)."""
    attributes: dict[str, object] = {"aria-label": "Show or hide the navigation", "aria-controls": "shell-collapse"}
    return html.Button(html.Span(className="navbar-toggler-icon"), id="shell-toggler", n_clicks=0, type="button",
                       className="navbar-toggler", **attributes)  # type: ignore[arg-type]  # aria-* are valid props


def _pages_for(user: policy.Principal | None) -> list[dict[str, object]]:
    """The navigation pages ``user``'s role may use, in page order (from each page's ``access``)."""
    pages = sorted((p for p in dash.page_registry.values() if p.get("nav", True)),
                   key=lambda p: (p.get("order") if isinstance(p.get("order"), int | float) else 999, p["name"]))
    return [p for p in pages if policy.may_open_page(user, str(p.get("access", "")))]


def landing_path(user: policy.Principal | None) -> str:
    """Where ``user`` lands after signing in: the first page their role may use ("/" when none)."""
    pages = _pages_for(user)
    return str(pages[0]["relative_path"]) if pages else "/"


def for_user(pathname: str | None) -> dict[str, object]:
    """The header's user text and the navigation links the signed-in user's role may use."""
    user = current_app_user()
    links = [dbc.NavItem(dbc.NavLink(p["name"], href=p["relative_path"], active="exact")) for p in _pages_for(user)]
    return {"user": header_text(user), "nav": links}
