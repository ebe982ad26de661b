"""Forged callback bodies on the retention and extracts pages: data_access refuses them from the
server-side user, whatever the page sent, and audits the refusal."""

from __future__ import annotations

from typing import Any

import pytest
from _attack import call, find_callback, server_callbacks
from _moved import user

import data_access
from appstore import audit
from data_access import extracts, retention


@pytest.fixture
def callbacks(client, auth) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    auth.login("demo-ig")
    found = server_callbacks(client.get("/_dash-dependencies").get_json())
    auth.logout()
    return found


def _refusals(resource: str) -> list[dict[str, Any]]:
    return [e for e in audit.query_events(data_access.current().app, action="access_refused")
            if e["resource"] == resource]


def _message(sent: Any, component: str) -> str:
    assert sent.status == 200, sent.text
    return str(sent.outputs()[component]["children"])


@pytest.mark.parametrize("username", ["demo-caseworker", "demo-analyst", "demo-admin"])
def test_others_cannot_run_a_retention_step_with_a_token(client, auth, callbacks, username: str) -> None:  # type: ignore[no-untyped-def]
    plan = retention.dry_run(user=user("demo-ig"), step="archive")
    auth.login(username)
    run = find_callback(callbacks, output_id="ret-message", input_id="ret-run")
    sent = call(client, run, [1], [{"step": "archive", "token": plan.token}, 0])
    assert "Only information governance officers" in _message(sent, "ret-message")
    assert [e["username"] for e in _refusals("retention")] == [username]
    assert retention.run(user=user("demo-ig"), step="archive", token=plan.token).records == plan.records


@pytest.mark.parametrize(("held", "why"), [({"step": "archive", "token": "A" * 32}, "unknown"),
                                           ("junk", "step"), ({"step": "purge", "token": "A" * 32}, "step"),
                                           ({"step": "destroy", "token": ["x"]}, "dry run first")])
def test_forged_tokens_are_refused_for_ig_too(client, auth, callbacks, held: object, why: str) -> None:  # type: ignore[no-untyped-def]
    auth.login("demo-ig")
    run = find_callback(callbacks, output_id="ret-message", input_id="ret-run")
    assert why in _message(call(client, run, [1], [held, 0]), "ret-message")
    assert [e["username"] for e in _refusals("retention")] == ["demo-ig"]


def test_forged_extract_downloads_and_decisions_are_refused(client, auth, callbacks) -> None:  # type: ignore[no-untyped-def]
    made = extracts.produce_extract(user=user("demo-ig"), recipient="newton")
    download = find_callback(callbacks, output_id="ext-file", input_id="ext-download")
    produce = find_callback(callbacks, output_id="ext-message", input_id="ext-produce")
    decide = find_callback(callbacks, output_id="ext-message", input_id="ext-approve")
    auth.login("demo-caseworker")
    assert "Only the person who produced" in _message(call(client, download, [1], [str(made.extract_id), 0]),
                                                      "ext-message")
    assert "Only information governance" in _message(call(client, produce, [1], ["newton", 0]), "ext-message")
    auth.logout()
    auth.login("demo-analyst")
    assert "Only information governance" in _message(call(client, decide, [1, None], ["1", 0]), "ext-message")
    assert "approved by information governance" in _message(call(client, produce, [1], ["newton", 0]), "ext-message")
    auth.logout()
    auth.login("demo-ig")
    assert "must be an extract number" in _message(call(client, download, [1], ["1 OR 1=1", 0]), "ext-message")
    assert "recipient" in _message(call(client, produce, [1], [{"$ne": 1}, 0]), "ext-message")
    assert [e["username"] for e in _refusals("extracts")] == ["demo-ig", "demo-ig", "demo-analyst", "demo-analyst",
                                                              "demo-caseworker", "demo-caseworker"]
    name, blob = extracts.download_extract(user=user("demo-ig"), extract_id=made.extract_id)  # untouched by all that
    assert name.endswith(".zip") and blob
