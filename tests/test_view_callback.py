"""An aggregate page's one view callback, over HTTP as the browser calls it.

A slicer change is one request: it answers with the new (validated) view state and what that state
shows. Of what the page shows, only the outputs that differ from what it drew last come back (the
page keeps digests of them in its ``drawn`` store); a forged or empty store gets everything again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from model.settings import Settings

try:
    import _attack as attack  # type: ignore[import-not-found]
    from _stores import Login  # type: ignore[import-not-found]
except ImportError:
    from . import _attack as attack  # type: ignore[no-redef]
    from ._stores import Login  # type: ignore[no-redef]


@pytest.fixture(scope="module")
def leader(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, dict[str, Any]]]:
    """A signed-in leader's client and the Children in need page's view callback."""
    import app as app_module
    import data_access

    tmp = tmp_path_factory.mktemp("view-callback")
    settings = Settings.from_env({}, data_dir=tmp, analytics_url=f"duckdb:///{demo_store}",
                                 app_db_url=f"sqlite:///{tmp / 'app.sqlite'}", demo=True)
    application = app_module.create_app(settings)
    application.server.config.update(TESTING=True)
    stores = app_module.stores_of(application)
    with data_access.bound(stores):
        client = application.server.test_client()
        assert Login(client).login("demo-leader").status_code == 302
        callbacks = attack.server_callbacks(client.get("/_dash-dependencies").get_json())
        (view,) = [cb for cb in attack.page_views(callbacks) if "cin-cards" in cb["output"]]
        yield client, view
    stores.close()


def _answer(sent: attack.Sent) -> dict[str, dict[str, Any]]:
    assert sent.status == 200, sent.text[:300]
    return sent.outputs()


def test_a_slicer_change_is_one_request_with_the_state_and_the_page(leader: tuple[Any, dict[str, Any]]) -> None:
    client, view = leader
    out = _answer(attack.view_call(client, view, {"sex": "F"}, via="state"))  # held F; the period changed
    assert out["cin-state"]["data"] == {"sex": "F", "period_months": 3}  # validated, to the store (and URL)
    assert "cin-cards" in out and "figure" in out["cin-by_source"]  # and the page for it, in the same answer
    assert out["cin-drawn"]["data"], "the answer lists the digests of what the page now shows"


def test_only_what_changed_is_sent_again(leader: tuple[Any, dict[str, Any]]) -> None:
    client, view = leader
    first = _answer(attack.view_call(client, view, {"sex": "F"}))
    drawn = first["cin-drawn"]["data"]
    titles = [k for k in first if k.endswith("-title")]
    assert titles, "control: the first answer draws every chart's title"

    same = _answer(attack.view_call(client, view, {"sex": "F"}, drawn=drawn))
    assert not [k for k in same if k.endswith(("-title", "-summary")) or "figure" in same[k]], \
        f"the same view drawn again sent {sorted(same)}"

    other = _answer(attack.view_call(client, view, {"sex": "M"}, drawn=drawn))
    assert "cin-cards" in other and any("figure" in v for v in other.values()), "the new figures are sent"
    assert not [k for k in other if k.endswith("-title")], "titles that did not change are not sent again"
    assert other["cin-drawn"]["data"] != drawn


@pytest.mark.parametrize("forged", [{"charts.by_source.figure": "0" * 16}, ["not", "a", "map"], "x", {1: 2}])
def test_a_forged_drawn_store_gets_the_whole_page(leader: tuple[Any, dict[str, Any]], forged: object) -> None:
    client, view = leader
    out = _answer(attack.view_call(client, view, {"sex": "F"}, drawn=forged))
    assert [k for k in out if k.endswith("-title")] and "cin-cards" in out


def _teams(out: dict[str, dict[str, Any]]) -> set[str]:
    return {o["value"] for o in out["cin-team"]["options"] if o["value"]}


def test_the_team_slicer_lists_the_teams_of_the_view_s_service_in_the_same_answer(
        leader: tuple[Any, dict[str, Any]]) -> None:
    """No callback of their own (it waited for the view's answer: one more round trip to open a page)."""
    client, view = leader
    callbacks = attack.server_callbacks(client.get("/_dash-dependencies").get_json())
    assert not [cb for cb in callbacks if cb["output"] == "cin-team.options"], "no separate team options callback"
    opened = _answer(attack.view_call(client, view, {}))  # the page opens: every team of its services
    everyone = _teams(opened)
    assert {t.split("-")[0] for t in everyone} == {"CSC"} and len(everyone) > 3
    one = _answer(attack.view_call(client, view, {"service": "CSC"}, via="state"))  # held CSC: not changed
    assert "options" not in one.get("cin-team", {}), "a view whose service did not change leaves the team slicer alone"
    changed = _answer(attack.view_call(client, view, {"service": "CSC"}))  # from the URL, held nothing
    assert _teams(changed) == everyone  # Children in need is about one service: the same teams
    other = _answer(attack.view_call(client, view, {"service": "EH"}))  # a service the page is not about
    assert other["cin-service"]["value"] == "EH" and _teams(other) == set()
    forged = _answer(attack.view_call(client, view, {"service": "NOT-A-SERVICE"}))  # refused: the default view
    assert "could not be opened" in json.dumps(forged) and _teams(forged) == everyone
