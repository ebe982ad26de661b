"""An analyst's own extract requests (``data_access.extracts.my_extract_requests``), on the demo store: only
the asker's requests, each with its status and the extract produced from it; anyone else is refused and
audited."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from _attack import call, find_callback, server_callbacks
from _moved import opened, user

import data_access
from appstore import audit, users
from data_access import AccessDenied, extracts


def test_an_analyst_sees_only_their_own_requests_and_what_came_of_them(demo_store: Path, tmp_path: Path) -> None:
    with opened(tmp_path, demo_store):
        analyst, ig = user("demo-analyst"), user("demo-ig")
        other = users.create_user(data_access.current().app, username="analyst-two", role="analyst",
                                  password_hash=None, display_name="Another analyst")
        assert extracts.my_extract_requests(user=analyst) == []
        first = extracts.request_extract(user=analyst, recipient="newton", reason="DBV diagnostic, phase 2 pack")
        theirs = extracts.request_extract(user=other, recipient="cipfa", reason="Someone else's request for CIPFA")
        second = extracts.request_extract(user=analyst, recipient="cipfa", reason="CIPFA benchmarking return")
        extracts.decide_request(user=ig, request_id=first, approve=True)
        extracts.decide_request(user=ig, request_id=second, approve=False)

        mine = extracts.my_extract_requests(user=analyst)
        assert [(r.request_id, r.recipient, r.status, r.extract_id) for r in mine] == [
            (second, "cipfa", "rejected", None), (first, "newton", "approved", None)]  # newest first, not theirs
        assert mine[1].reason == "DBV diagnostic, phase 2 pack" and mine[1].spec == "dbv-send"
        assert mine[1].requested_at[:4].isdigit()
        assert [r.request_id for r in extracts.my_extract_requests(user=other)] == [theirs]

        made = extracts.produce_extract(user=analyst, recipient="newton")
        produced = extracts.my_extract_requests(user=analyst)[1]
        assert (produced.status, produced.extract_id, produced.row_count, produced.k_achieved, produced.downloaded) == (
            "used", made.extract_id, made.row_count, made.k_achieved, False)
        assert produced.k_achieved is not None and produced.k_achieved >= 5
        extracts.download_extract(user=analyst, extract_id=made.extract_id)
        assert extracts.my_extract_requests(user=analyst)[1].downloaded
        assert extracts.my_extract_requests(user=other)[0].extract_id is None  # the other analyst produced nothing


@pytest.mark.parametrize("username", ["demo-ig", "demo-caseworker", "demo-leader", "demo-manager", "demo-admin"])
def test_everyone_but_analysts_is_refused_and_audited(demo_store: Path, tmp_path: Path, username: str) -> None:
    with opened(tmp_path, demo_store):
        extracts.request_extract(user=user("demo-analyst"), recipient="newton", reason="DBV diagnostic, phase 2")
        with pytest.raises(AccessDenied, match="Only analysts"):
            extracts.my_extract_requests(user=user(username))
        refused = [e for e in audit.query_events(data_access.current().app, action="access_refused")
                   if e["resource"] == "extracts"]
        assert [e["username"] for e in refused] == [username]


def test_no_user_is_refused_and_audited(demo_store: Path, tmp_path: Path) -> None:
    with opened(tmp_path, demo_store):
        with pytest.raises(AccessDenied):
            extracts.my_extract_requests(user=None)
        refused = [e for e in audit.query_events(data_access.current().app, action="access_refused")
                   if e["resource"] == "extracts"]
        assert len(refused) == 1


def _message(sent: Any) -> str:
    assert sent.status == 200, sent.text
    return str(sent.outputs()["xr-message"]["children"])


def test_forged_callbacks_on_the_page_are_refused_by_data_access(client, auth) -> None:  # type: ignore[no-untyped-def]
    auth.login("demo-analyst")
    callbacks = server_callbacks(client.get("/_dash-dependencies").get_json())
    show = find_callback(callbacks, output_id="xr-list", input_id="xr-url")
    ask = find_callback(callbacks, output_id="xr-message", input_id="xr-ask")
    produce = find_callback(callbacks, output_id="xr-message", input_id="xr-produce")
    download = find_callback(callbacks, output_id="xr-file", input_id="xr-download")
    theirs = extracts.produce_extract(user=user("demo-ig"), recipient="newton")
    assert "recipient" in _message(call(client, ask, [1], [{"$ne": 1}, "DBV diagnostic, phase 2", 0]))
    assert "Say why" in _message(call(client, ask, [1], ["newton", ["DBV diagnostic, phase 2"], 0]))
    assert "approved by information governance" in _message(call(client, produce, [1], ["newton", 0]))
    assert "Only the person who produced" in _message(call(client, download, [1], [str(theirs.extract_id), 0]))
    assert "must be an extract number" in _message(call(client, download, [1], ["1 OR 1=1", 0]))
    assert "must be an extract number" in _message(call(client, download, [1], [1, 0]))  # a number, not text
    auth.logout()
    auth.login("demo-caseworker")
    assert "Only analysts" in _message(call(client, show, ["/extract-requests", 0]))
    assert "Only analysts" in _message(call(client, ask, [1], ["newton", "DBV diagnostic, phase 2", 0]))
    refused = [e["username"] for e in audit.query_events(data_access.current().app, action="access_refused")
               if e["resource"] == "extracts"]
    assert refused == ["demo-caseworker"] * 2 + ["demo-analyst"] * 6
    assert extracts.my_extract_requests(user=user("demo-analyst")) == []  # nothing was asked for
    assert extracts.download_extract(user=user("demo-ig"), extract_id=theirs.extract_id)[1]  # untouched
