"""An aggregate page's view: its (validated) view state -> one data_access page call -> what it shows.

``view`` is the render half of the page's one callback (``_page``): a slicer change, a chart click,
a table button or the URL gives a new view state, and the same request answers with the cards,
figures, summaries, the card links (records mode) and the data tables whose view is open. One round
trip per change: before, a sync callback wrote the state to a store and a second request rendered
it, which cost a person a second wait on every change.

``show_tables`` fills a table when its view is opened (``assets/csi.js`` keeps the page's list of
open tables). Both take their state as any forged JSON: ``data_access`` validates it and refuses
(and audits) what the user may not see.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dash import Input, Output, State, callback, no_update
from plotly.io.json import to_json_plotly

import data_access
from auth import current_app_user
from dashboards import _drill, _panels
from dashboards._filterbar import fid
from dashboards._render import outputs, render_page, tables

if TYPE_CHECKING:
    from dashboards._page import PageSpec


def view_outputs(spec: PageSpec) -> dict[str, Any]:
    """The outputs the view half of the page's callback writes (grouped as ``render_page`` returns them)."""
    return outputs(spec) | {"card_links": Output(fid(spec.prefix, "card-links"), "children")}


def view(spec: PageSpec, fetch: Callable[..., data_access.PageData], state: object, open_tables: object,
         mode: object, drawn: object) -> tuple[dict[str, Any], dict[str, str]]:
    """What the page shows for the view ``state`` (or the refusal data_access gives, and audits), as
    the outputs that differ from what it drew last, and the digests of what it now shows.

    ``drawn``: the digests of the last view's outputs (the page's ``drawn`` store; forged ones only
    leave outputs undrawn). An output the page already shows is sent as no_update: every prop a
    callback sends makes the browser's renderer update and re-render that component, and a slicer
    change leaves most titles, notes and levels as they were. Closed data tables are left as they
    are (``show_tables`` fills one when it is opened); the card links are always sent."""
    keys = _keys(open_tables)
    try:
        data = _fetched(fetch, state)
    except data_access.Refused as exc:
        out = render_page(spec, None, str(exc)) | {"card_links": None}
    else:
        out = render_page(spec, data, None, shown=keys)
        out["card_links"] = _drill.card_links(spec.page, data, state, mode)
        charts: Any = out["charts"]
        for key, chart in charts.items():
            if key not in keys:
                chart["table"] = no_update
    before = {k: v for k, v in drawn.items() if isinstance(k, str)} if isinstance(drawn, dict) else {}
    digests: dict[str, str] = {}
    _keep_new(out, view_outputs(spec), "", before, digests)
    return out, digests


# Always sent (or left, for a closed table): other callbacks write them too.
UNCACHED = frozenset({"card_links", "table"})


def unchanged(spec: PageSpec) -> dict[str, Any]:
    """``view_outputs`` with no_update everywhere: the view state did not change."""
    return _blank(view_outputs(spec))


def _blank(group: Any) -> Any:
    if isinstance(group, dict):
        return {k: _blank(v) for k, v in group.items()}
    return no_update


def _keep_new(values: dict[str, Any], group: dict[str, Any], prefix: str, before: dict[str, str],
              digests: dict[str, str]) -> None:
    """Replace in ``values`` (shaped as the output ``group``) each output whose digest is in ``before``."""
    for key, spec in group.items():
        if isinstance(spec, dict):
            _keep_new(values[key], spec, f"{prefix}{key}.", before, digests)
            continue
        if key in UNCACHED or values[key] is no_update:
            continue
        path = f"{prefix}{key}"
        digests[path] = hashlib.blake2b(to_json_plotly(values[key]).encode(), digest_size=8).hexdigest()
        if before.get(path) == digests[path]:
            values[key] = no_update


def register(spec: PageSpec, fetch: Callable[..., data_access.PageData]) -> None:
    """The page's show_tables callback; ``fetch`` is its data_access page function."""
    p = spec.prefix

    @callback(output={c.key: Output(_panels.ids(p, c.key)["table"], "children", allow_duplicate=True)
                      for c in spec.charts},
              inputs={"open_tables": Input(fid(p, "tables"), "data")}, state={"state": State(fid(p, "state"), "data")},
              prevent_initial_call=True)
    def show_tables(open_tables: object, state: object) -> dict[str, object]:
        """The data tables whose view was just opened (assets/csi.js lists the open ones)."""
        try:
            data = _fetched(fetch, state)
        except data_access.Refused:
            data = None
        return tables(spec, data, _keys(open_tables))


def _fetched(fetch: Callable[..., data_access.PageData], state: object) -> data_access.PageData:
    """The page's data for the (untrusted) view ``state``; raises Refused (audited by data_access)."""
    if state is not None and not isinstance(state, dict):
        raise data_access.InvalidFilter("The page's filter state is not a set of named values.")
    return fetch(user=current_app_user(), filters=state or {})


def _keys(value: object) -> set[str]:
    """The chart keys in an (untrusted) list of open table views."""
    return {k for k in value if isinstance(k, str)} if isinstance(value, list) else set()
