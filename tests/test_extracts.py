"""Pseudonymised extracts for Delivering Better Value in SEND (``data_access.extracts``), on the demo store:
the spec's fields, keyed pseudonyms per recipient, measured k, the manifest, one download, who may act."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from collections import Counter
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa
from _moved import opened, store_at, user

import data_access
from appstore import audit, users
from data_access import AccessDenied, InvalidRequest, extracts, retention
from data_access.extracts import build

DIRECT = ("la_child_id", "upn", "forename", "surname", "birth_date", "postcode", "postcode_sector")


def _open(blob: bytes) -> tuple[list[dict[str, str]], dict]:
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        names = archive.namelist()
        assert names == ["dbv-send-1.0.csv", "manifest.json"]
        rows = list(csv.DictReader(io.StringIO(archive.read(names[0]).decode())))
        return rows, json.loads(archive.read("manifest.json"))


def _produce(username: str, recipient: str) -> tuple[list[dict[str, str]], dict]:
    made = extracts.produce_extract(user=user(username), recipient=recipient)
    name, blob = extracts.download_extract(user=user(username), extract_id=made.extract_id)
    assert name == f"dbv-send-1.0-{recipient}-{made.extract_id}.zip"
    return _open(blob)


def test_extract_follows_the_spec_is_k_anonymous_and_names_its_key(demo_store: Path, tmp_path: Path) -> None:
    with opened(tmp_path, demo_store):
        rows, manifest = _produce("demo-ig", "newton")
        spec = extracts.DBV_SEND
        assert list(rows[0]) == list(spec.field_names)
        assert (manifest["spec"], manifest["spec_version"], manifest["recipient"]) == ("dbv-send", "1.0", "newton")
        assert manifest["row_count"] == len(rows) > 1000
        assert [f["name"] for f in manifest["fields"]] == list(spec.field_names)
        settings = data_access.current().settings
        assert manifest["key_id"] == build.key_id(settings.extract_key, "newton")
        key = build.recipient_key(settings.extract_key, "newton")
        blob = json.dumps(manifest)
        assert key.hex() not in blob and settings.extract_key.decode() not in blob
        # k measured here, independently of the manifest: every combination of quasi-identifiers >= 5 children
        combos = Counter(tuple(r[q] for q in spec.quasi_identifiers) for r in rows)
        measured = min(combos.values())
        print(f"\nDBV extract on the demo store: {len(rows)} rows, {len(combos)} combinations, measured k = {measured}, "
              f"generalisation {manifest['rows_by_generalisation']}, left out {manifest['children_left_out_for_k']}")
        assert measured >= settings.pseudonymised_k and manifest["k_achieved"] == measured
        assert len({r["child_pseudonym"] for r in rows}) == len(rows)  # one row per child
        con = duckdb.connect(str(demo_store), read_only=True)
        held = con.execute(f"SELECT {', '.join(DIRECT)} FROM children").fetchall()
        text = "\n".join(",".join(r.values()) for r in rows)
        for column, values in zip(DIRECT, zip(*held, strict=True), strict=True):
            tokens = {str(v) for v in values if v is not None and len(str(v)) >= 6}
            assert not tokens & set(text.replace("\n", ",").split(",")), column
        la_ids = [la for (la,) in con.execute("SELECT la_child_id FROM children").fetchall()]
        by_pseudonym = {build.recipient_pseudonym(key, la): la for la in la_ids}
        assert all(r["child_pseudonym"] in by_pseudonym for r in rows)  # the recipient's key, over LA child IDs
        # the attributes come from the store: a row's request year and outcome match its child's latest request
        sample = rows[0]
        la = by_pseudonym[sample["child_pseudonym"]]
        received, outcome = con.execute(
            "SELECT r.received_date, r.outcome FROM ehc_requests r JOIN children c USING (child_id) "
            "WHERE c.la_child_id = ? ORDER BY r.received_date DESC, r.request_id DESC LIMIT 1", [la]).fetchone()
        assert (sample["request_year"], sample["request_outcome"]) == (build._financial_year(received), outcome)


def test_pseudonyms_differ_between_recipients_and_repeat_for_one(demo_store: Path, tmp_path: Path) -> None:
    with opened(tmp_path, demo_store):
        newton, first = _produce("demo-ig", "newton")
        again, second = _produce("demo-ig", "newton")
        cipfa, third = _produce("demo-ig", "cipfa")
    assert [r["child_pseudonym"] for r in newton] == [r["child_pseudonym"] for r in again]
    assert first["key_id"] == second["key_id"] != third["key_id"]
    assert len(newton) == len(cipfa)
    assert not {r["child_pseudonym"] for r in newton} & {r["child_pseudonym"] for r in cipfa}
    strip = [{k: v for k, v in r.items() if k != "child_pseudonym"} for r in newton]
    assert strip == [{k: v for k, v in r.items() if k != "child_pseudonym"} for r in cipfa]  # same rows, same order


def test_downloaded_once_and_audited(demo_store: Path, tmp_path: Path) -> None:
    with opened(tmp_path, demo_store):
        ig = user("demo-ig")
        made = extracts.produce_extract(user=ig, recipient="cipfa")
        extracts.download_extract(user=ig, extract_id=made.extract_id)
        with pytest.raises(AccessDenied, match="downloaded already"):
            extracts.download_extract(user=ig, extract_id=made.extract_id)
        with data_access.current().app.connect() as conn:
            assert conn.execute(sa.text("SELECT content FROM extracts")).scalar() is None  # the file is gone
        events = audit.query_events(data_access.current().app)
        kinds = [(e["action"], e["detail"].get("step")) for e in events if e["resource"] == "extracts"]
        assert kinds[:3] == [("access_refused", None), ("export", "download"), ("extract", "produce")]
        assert events[0]["reason"].startswith("AccessDenied: Extract")
        (listed,) = extracts.list_extracts(user=ig)
        assert listed.downloaded_at is not None and listed.k_achieved >= 5


@pytest.mark.parametrize("username", ["demo-caseworker", "demo-analyst", "demo-leader", "demo-admin"])
def test_others_are_refused_and_audited(demo_store: Path, tmp_path: Path, username: str) -> None:
    with opened(tmp_path, demo_store):
        made = extracts.produce_extract(user=user("demo-ig"), recipient="newton")
        actor = user(username)
        with pytest.raises(AccessDenied):
            extracts.produce_extract(user=actor, recipient="newton")
        with pytest.raises(AccessDenied):
            extracts.download_extract(user=actor, extract_id=made.extract_id)
        with pytest.raises(AccessDenied):
            extracts.list_extracts(user=actor)
        refused = [e for e in audit.query_events(data_access.current().app, action="access_refused")
                   if e["resource"] == "extracts"]
        assert [e["username"] for e in refused] == [username] * 3
        assert extracts.download_extract(user=user("demo-ig"), extract_id=made.extract_id)[1]  # still there


@pytest.mark.parametrize(("recipient", "spec"), [("acme", "dbv-send"), ("newton", "dbv-send-2"), (None, None),
                                                  ({"x": 1}, "dbv-send")])
def test_unknown_recipients_and_specs_are_refused(demo_store: Path, tmp_path: Path, recipient: object,
                                                  spec: object) -> None:
    with opened(tmp_path, demo_store), pytest.raises(InvalidRequest):
        extracts.produce_extract(user=user("demo-ig"), recipient=recipient, spec=spec)


def test_an_analyst_produces_only_with_an_approval_by_another_officer(demo_store: Path, tmp_path: Path) -> None:
    with opened(tmp_path, demo_store):
        analyst, ig = user("demo-analyst"), user("demo-ig")
        with pytest.raises(InvalidRequest):
            extracts.request_extract(user=analyst, recipient="newton", reason="x")
        asked = extracts.request_extract(user=analyst, recipient="newton", reason="DBV diagnostic, phase 2 data pack")
        with pytest.raises(AccessDenied, match="approved"):
            extracts.produce_extract(user=analyst, recipient="newton")
        assert [r["request_id"] for r in extracts.pending_requests(user=ig)] == [asked]
        with pytest.raises(AccessDenied):
            extracts.decide_request(user=analyst, request_id=asked, approve=True)
        assert extracts.decide_request(user=ig, request_id=asked, approve=True) == "approved"
        with pytest.raises(AccessDenied, match="approved"):
            extracts.produce_extract(user=analyst, recipient="cipfa")  # approved for Newton only
        made = extracts.produce_extract(user=analyst, recipient="newton")
        with pytest.raises(AccessDenied, match="approved"):
            extracts.produce_extract(user=analyst, recipient="newton")  # used up
        rows, manifest = _open(extracts.download_extract(user=analyst, extract_id=made.extract_id)[1])
        assert manifest["produced_by"] == "demo-analyst" and len(rows) == manifest["row_count"]
        with pytest.raises(AccessDenied):
            extracts.download_extract(user=ig, extract_id=made.extract_id)  # the producer's alone
        second = users.create_user(data_access.current().app, username="ig-asks", role="ig_officer",
                                   password_hash=None, display_name="IG")
        with pytest.raises(AccessDenied):
            extracts.request_extract(user=second, recipient="newton", reason="IG produce their own directly")


def test_archived_children_leave_the_extract(demo_store: Path, tmp_path: Path) -> None:
    with opened(tmp_path, demo_store):
        before, _ = _produce("demo-ig", "newton")
    with opened(tmp_path, store_at(demo_store, tmp_path, dt.date(2028, 3, 31))):
        ig = user("demo-ig")
        plan = retention.dry_run(user=ig, step="archive")
        retention.run(user=ig, step="archive", token=plan.token)
    with opened(tmp_path, demo_store):  # the original data date: the archived are still within retention
        after, _ = _produce("demo-ig", "newton")
        with data_access.current().app.connect() as conn:
            archived = set(conn.execute(sa.text("SELECT child_id FROM retention_records")).scalars())
        con = duckdb.connect(str(demo_store), read_only=True)
        key = build.recipient_key(data_access.current().settings.extract_key, "newton")
        ids = dict(con.execute("SELECT child_id, la_child_id FROM children").fetchall())
    gone = {build.recipient_pseudonym(key, ids[c]) for c in archived}
    was = {r["child_pseudonym"] for r in before} & gone
    assert plan.records > 0 and len(was) > 10
    assert not {r["child_pseudonym"] for r in after} & gone


def test_steps_on_a_postgresql_app_store(demo_store: Path, tmp_path: Path, fresh_pg_url: str) -> None:
    with opened(tmp_path, store_at(demo_store, tmp_path, dt.date(2030, 3, 31)), app_db_url=fresh_pg_url):
        ig = user("demo-ig")
        plan = retention.dry_run(user=ig, step="archive")
        assert retention.run(user=ig, step="archive", token=plan.token).records == plan.records > 0
        made = extracts.produce_extract(user=ig, recipient="newton")
        rows, manifest = _open(extracts.download_extract(user=ig, extract_id=made.extract_id)[1])
        assert manifest["row_count"] == len(rows) == made.row_count and manifest["k_achieved"] >= 5
        with pytest.raises(AccessDenied, match="downloaded already"):
            extracts.download_extract(user=ig, extract_id=made.extract_id)
