"""Small form helpers shared by the information governance pages (``ig_sar``, ``ig_consent``)."""

from __future__ import annotations

from typing import Any

from dash import dcc, html


def options(labels: dict[str, str]) -> list[dict[str, str]]:
    """Select options from a code -> label dict."""
    return [{"label": label, "value": code} for code, label in labels.items()]


def field(label: str, component: Any, width: str = "col-md-4") -> html.Div:
    """A labelled control in a grid column."""
    return html.Div([html.Label(label, htmlFor=component.id, className="form-label"), component], className=width)


def date_input(id_: str) -> dcc.Input:
    """A date typed as YYYY-MM-DD (dcc.Input has no date type); data_access parses and checks it."""
    return dcc.Input(id=id_, type="text", placeholder="YYYY-MM-DD", maxLength=10, autoComplete="off",
                     className="form-control")


def text_input(id_: str, limit: int) -> dcc.Input:
    return dcc.Input(id=id_, type="text", maxLength=limit, autoComplete="off", className="form-control")


def bump(refresh: object) -> int:
    """The next value of a page's refresh counter (a forged non-integer starts again at 1)."""
    return (refresh if isinstance(refresh, int) and not isinstance(refresh, bool) else 0) + 1
