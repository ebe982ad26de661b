"""Every callback's inputs, outputs and states name components that exist.

The app runs with ``suppress_callback_exceptions=True`` (layouts are skeletons, so Dash must not
build a validation layout), which also hides a typo in a callback's ids. This test does Dash's job:
each plain id must be in the shell or some page's layout; each pattern-matching id must match a
component in a layout or in what a page's render callback returns.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import dash
import plotly.io.json

import data_access


def _ids(node: Any) -> Iterator[Any]:
    """Every component id in a component tree (or its JSON form)."""
    if isinstance(node, dash.development.base_component.Component):
        node = json.loads(plotly.io.json.to_json_plotly(node))
    if isinstance(node, dict):
        props = node.get("props") if "namespace" in node else node
        if isinstance(props, dict):
            if "id" in props:
                yield props["id"]
            for value in props.values():
                yield from _ids(value)
    elif isinstance(node, list | tuple):
        for item in node:
            yield from _ids(item)


def _layouts(application: dash.Dash) -> list[Any]:
    shell = application.layout() if callable(application.layout) else application.layout
    pages = [page["layout"]() if callable(page["layout"]) else page["layout"] for page in dash.page_registry.values()]
    return [shell, *pages]


def _rendered(application: dash.Dash) -> list[Any]:
    """What each aggregate page's render callback returns for a leader (pattern ids appear there)."""
    import importlib

    from dashboards._render import render_page

    class Leader:
        role, user_id, username, team_ids, services, worker_id = "leadership", 0, "ids-test", (), (), None
        display_name = "Ids test"

    out = []
    fetch = {"overview": data_access.overview_page, "service_users": data_access.service_users_page,
             "children_in_need": data_access.children_in_need_page, "interventions": data_access.interventions_page,
             "send": data_access.send_page, "trends": data_access.trends_page,
             "looked_after": data_access.looked_after_page, "care_leavers": data_access.care_leavers_page}
    for page in dash.page_registry.values():
        spec = getattr(importlib.import_module(page["module"]), "SPEC", None)
        if spec is not None:
            out.append(render_page(spec, fetch[spec.page](user=Leader(), filters=dict(spec.defaults)), None))
    assert len(out) == len(fetch)
    return out


def _parse(dep: str) -> list[tuple[Any, str]]:
    """'id.prop' or '..a.p...b.q..' (several outputs) as [(id, prop)]; ids may be JSON (patterns)."""
    parts = dep.strip(".").split("...") if dep.startswith("..") else [dep]
    out = []
    for part in parts:
        ident, _dot, prop = part.rpartition(".")
        out.append((json.loads(ident) if ident.startswith("{") else ident, prop))
    return out


def _matches(pattern: dict, concrete: Any) -> bool:
    if not isinstance(concrete, dict) or set(concrete) != set(pattern):
        return False
    return all(isinstance(v, list) or v in ("ALL", "MATCH", "ALLSMALLER") or concrete[k] == v
               for k, v in pattern.items())


def test_every_callback_id_exists_in_a_layout(dash_app: dash.Dash) -> None:
    found = list(_ids(_layouts(dash_app)))
    with data_access.bound(data_access.current()):
        found += list(_ids(_rendered(dash_app)))
    plain = {i for i in found if isinstance(i, str)}
    patterned = [i for i in found if isinstance(i, dict)]
    deps = dash_app._callback_list  # type: ignore[attr-defined]
    missing = []
    for callback in deps:
        names = _parse(callback["output"]) + [(d["id"], d["property"]) for d in
                                               callback.get("inputs", []) + callback.get("state", [])]
        for ident, prop in names:
            if isinstance(ident, str) and ident not in plain:
                missing.append(f"{ident}.{prop}")
            elif isinstance(ident, dict) and not any(_matches(ident, c) for c in patterned):
                missing.append(f"{ident}.{prop}")
    assert deps and missing == []


def test_the_checker_finds_a_typo() -> None:
    assert _parse("..a.value...b.children..") == [("a", "value"), ("b", "children")]
    assert _matches({"type": "pick", "page": "ov", "code": ["ALL"]}, {"type": "pick", "page": "ov", "code": "x"})
    assert not _matches({"type": "pick", "page": "ov"}, {"type": "pick", "page": "other"})
    assert "typo-id" not in set(_ids(dash.html.Div([dash.html.Span(id="real-id")])))
    assert "real-id" in set(_ids(dash.html.Div([dash.html.Span(id="real-id")])))
