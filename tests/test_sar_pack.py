"""The subject access pack, opened and checked against the stores field by field (data_access.sar_pack).

The expected rows are read here with plain SQL (``SELECT * ... WHERE child_id = :c``), not through
the pack's own queries; the PDF is read back with pypdf and the ZIP with zipfile and csv. No other
child's names, LA child IDs or UPNs may appear in either (``_attack.ChildIdentifiers``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile

import _attack as attack
import pytest
import sqlalchemy as sa
from _rights import DETAIL_LEFT_OUT, identifiers, rich_child, store, user
from pypdf import PdfReader

import data_access
from appstore import audit
from data_access import AccessDenied, InvalidRequest, consent, records, sar, sar_pack

TABLES = ("children", "child_disabilities", "cin_episodes", "assessments", "assessment_factors", "section47",
          "cin_plans", "cp_plans", "cp_reviews", "ehc_requests", "ehc_assessments", "ehc_plans", "sen_needs",
          "sen_placements", "involvements", "allocations")


def _expected(child: int) -> dict[str, list[dict]]:
    """Every row about ``child`` in the analytics store, by table, as plain SQL sees it."""
    out = {}
    with store().connect() as conn:
        for table in TABLES:
            rows = [dict(r._mapping) for r in conn.execute(sa.text(f"SELECT * FROM {table} WHERE child_id = :c"),
                                                           {"c": child})]
            out[table] = [{k: v for k, v in r.items() if k not in DETAIL_LEFT_OUT} for r in rows]
    return out


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _key(row: dict) -> tuple:
    return tuple(sorted((k, _text(v)) for k, v in row.items() if k != "worker_name"))


@pytest.fixture
def pack_case(dash_app):  # type: ignore[no-untyped-def]
    """A request for the demo's richest child, with history: a caseworker's read, a rectification."""
    child = rich_child()
    la_id, _upn = identifiers(child)
    ig = user("demo-ig")
    consent.record_rectification(user=ig, child=la_id, field="surname", received=dt.date.today().isoformat(),
                                 correction="Spelt with one 'n', as on the birth certificate.")
    records.child_record(user=ig, purpose="subject_access_request", child_id=child)
    number = sar.register_request(user=ig, case_ref="SAR-PACK-1", requester="Pat Example", relationship="parent",
                                  received=dt.date.today().isoformat(), child=la_id, identity_verified=True,
                                  identity_evidence="documents")
    return child, number


def test_the_zip_holds_every_row_about_the_child_field_by_field(pack_case) -> None:  # type: ignore[no-untyped-def]
    child, number = pack_case
    pack = sar_pack.build_pack(user=user("demo-ig"), sar_id=number, fmt="zip")
    assert pack.mime == "application/zip" and pack.filename.startswith("SAR-SAR-PACK-1-")
    archive = zipfile.ZipFile(io.BytesIO(pack.content))
    document = json.loads(archive.read("pack.json"))
    sections = document["sections"]
    expected = _expected(child)
    by_table = dict(zip(TABLES, ("child", "disabilities", *TABLES[2:]), strict=True))
    assert sum(len(v) for v in expected.values()) > 40  # a child with records in most sections
    for table, rows in expected.items():
        got = sections[by_table[table]]["rows"]
        assert sorted(map(_key, got)) == sorted(map(_key, rows)), table  # every field of every row, nothing more
        name = next(n for n in archive.namelist() if n.endswith(f"_{by_table[table]}.csv"))
        with archive.open(name) as handle:
            from_csv = list(csv.DictReader(io.TextIOWrapper(handle, encoding="utf-8")))
        assert sorted(map(_key, from_csv)) == sorted(map(_key, rows)), name
    workers = {r["worker_id"]: r["worker_name"] for r in sections["allocations"]["rows"]}
    with store().connect() as conn:
        names = dict(conn.execute(sa.text("SELECT worker_id, name FROM workers")).all())
    assert workers and all(names[w] == n for w, n in workers.items())
    (rect,) = sections["rectification_requests"]["rows"]
    assert (rect["field"], rect["outcome"]) == ("surname", "pending") and "one 'n'" in rect["correction"]
    trail = [e for e in audit.query_events(data_access.current().app, limit=10_000) if child in e["child_ids"]]
    exported = [e for e in trail if e["action"] == "export" and e["resource"] == "sar_pack"]
    assert len(exported) == 1 and exported[0]["detail"]["format"] == "zip" and exported[0]["child_ids"] == (child,)
    before = sorted((e for e in trail if e["seq"] < exported[0]["seq"]), key=lambda e: e["seq"])
    shown = sections["access_record"]["rows"]
    assert [r["seq"] for r in shown] == [e["seq"] for e in before]
    assert {(r["username"], r["action"], r["purpose"]) for r in shown} >= {
        ("demo-ig", "record_read", "subject_access_request"), ("demo-ig", "subject_access", "subject_access_request"),
        ("demo-ig", "rectification", "subject_access_request")}
    _assert_only_this_child(child, [archive.read(n).decode() for n in archive.namelist()])


def test_the_pdf_reads_back_with_the_childs_records(pack_case) -> None:  # type: ignore[no-untyped-def]
    child, number = pack_case
    pack = sar_pack.build_pack(user=user("demo-ig"), sar_id=number, fmt="pdf")
    assert pack.content.startswith(b"%PDF") and pack.mime == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pack.content)).pages)
    flat = re.sub(r"\s+", " ", text)
    expected = _expected(child)
    titles = dict(zip(TABLES, (t for _k, t, _tbl in sar_pack.CHILD_SECTIONS), strict=True))
    for table, rows in expected.items():
        assert f"{titles[table]} ({len(rows)})" in flat, table
        for row in rows:
            for column, value in row.items():
                if value is None:
                    continue
                shown = ("yes" if value else "no") if isinstance(value, bool) else \
                    f"{value:g}" if isinstance(value, float) else _text(value)
                assert shown in flat, (table, column, shown)
    la_id, upn = identifiers(child)
    assert f"LA child ID: {la_id}" in flat and f"UPN: {upn}" in flat
    assert "Who accessed this record (audit trail)" in flat and "demo-ig" in flat
    _assert_only_this_child(child, [text])


def _assert_only_this_child(child: int, texts: list[str]) -> None:
    """No identifier of any other child (names, LA child IDs, UPNs, postcodes) in any of ``texts``."""
    ids = attack.ChildIdentifiers.load(store())
    la_id, upn = identifiers(child)
    found_own = False
    for text in texts:
        for hit in ids.scan(text, dates=False):
            assert child in hit.children, f"another child's {hit.kind} {hit.value!r} in the pack"
            found_own |= hit.value in (la_id, upn)
    assert found_own  # a control: the scan does find this child's own identifiers


@pytest.mark.parametrize("username", ["demo-caseworker", "demo-teammanager", "demo-analyst", "demo-admin"])
def test_no_one_else_can_produce_a_pack(pack_case, username: str) -> None:  # type: ignore[no-untyped-def]
    _child, number = pack_case
    with pytest.raises(AccessDenied, match="Only information governance"):
        sar_pack.build_pack(user=user(username), sar_id=number, fmt="pdf")
    refused = audit.query_events(data_access.current().app, action="access_refused", username=username, limit=5)
    assert refused and refused[0]["resource"] == "sar_pack"
    assert not audit.query_events(data_access.current().app, action="export", limit=5)


@pytest.mark.parametrize(("sar_id", "fmt"), [(999, "pdf"), ("1; DROP TABLE", "pdf"), (None, "zip"), (1, "docx"),
                                             (1, None), ([1], "pdf")])
def test_forged_pack_requests_are_refused_and_audited(pack_case, sar_id: object, fmt: object) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidRequest):
        sar_pack.build_pack(user=user("demo-ig"), sar_id=sar_id, fmt=fmt)
    refused = audit.query_events(data_access.current().app, action="access_refused", username="demo-ig", limit=5)
    assert refused and refused[0]["resource"] == "sar_pack"
