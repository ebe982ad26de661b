"""Building a pseudonymised extract: rows for a spec, keyed pseudonyms per recipient, k-anonymity, manifest.

No access rule here: ``data_access.extracts`` checks the user and audits before and after calling.

- **Who is in it**: each child with an EHC needs request and a SEND involvement held under a basis
  covering the spec's purpose (service planning: legal obligation or public task), within their
  retention date and neither archived nor destroyed (``retention.withheld_children``).
- **One row per child**: the latest request, its assessment, the latest plan and that plan's latest
  placement.
- **Pseudonyms**: HMAC-SHA-256 of the LA child ID under the recipient's own key, derived from
  ``Settings.extract_key``; the manifest names the key by ``key_id`` (a fingerprint), never holds it.
- **k-anonymity**: the quasi-identifiers (birth year, sex, locality, primary need) go through the same
  SQL generalisation as analysts' rows (``records.kanon``): exact where at least k children share
  them, else a five-year band with locality withheld, else all withheld, else left out.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from data_access import policy
from data_access.extracts.spec import ExtractSpec
from data_access.policy import Purpose
from data_access.records.kanon import k_achieved, k_anonymous, visible
from model import schema

S = schema
CH, INV = S.children.c, S.involvements.c
KEY_VERSION = "k1"  # bump (with a new derivation label) to rotate every recipient's key


def recipient_key(secret: bytes, recipient: str) -> bytes:
    """The recipient's pseudonym key: HMAC-SHA-256 of a label under the extract secret."""
    return hmac.new(secret, f"csi-extract-recipient-{KEY_VERSION}:{recipient}".encode(), hashlib.sha256).digest()


def key_id(secret: bytes, recipient: str) -> str:
    """Names the recipient's key without revealing it: recipient, key version, a fingerprint."""
    fingerprint = hashlib.sha256(b"csi-key-id:" + recipient_key(secret, recipient)).hexdigest()[:12]
    return f"{recipient}-{KEY_VERSION}-{fingerprint}"


def recipient_pseudonym(key: bytes, la_child_id: str) -> str:
    return hmac.new(key, la_child_id.encode(), hashlib.sha256).hexdigest()[:20]


@dataclass(frozen=True)
class Built:
    rows: list[dict[str, Any]]
    k_achieved: int
    combinations: int
    levels: dict[int, int]  # rows per generalisation level (1 exact, 2 banded, 3 all withheld)
    left_out: int  # children who could not be shown at any level


def _latest(table: sa.Table, order: tuple[sa.ColumnElement, ...], partition: sa.ColumnElement,
            name: str) -> sa.Subquery:
    """``table`` with ``rn`` = 1 on the first row of each ``partition`` in ``order``."""
    rank = sa.func.row_number().over(partition_by=partition, order_by=order).label("rn")
    return sa.select(table, rank).subquery(name)


def _flag(value: object) -> str:
    return "" if value is None else str(int(bool(value)))


def _financial_year(day: dt.date | None) -> str:
    if day is None:
        return ""
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}-{str(start + 1)[2:]}"


def build_rows(conn: sa.Connection, spec: ExtractSpec, *, key: bytes, day: dt.date, k: int,
               withheld: tuple[int, ...]) -> Built:
    """The extract's rows (field name -> text) for ``spec``, pseudonymised under ``key``."""
    bases = sorted(policy.bases_covering(Purpose(spec.purpose)))
    involved = sa.select(INV.child_id).where(INV.service == "SEND", INV.lawful_basis.in_(bases))
    req = _latest(S.ehc_requests, (S.ehc_requests.c.received_date.desc(), S.ehc_requests.c.request_id.desc()),
                  S.ehc_requests.c.child_id, "req")
    plan = _latest(S.ehc_plans, (S.ehc_plans.c.start_date.desc(), S.ehc_plans.c.plan_id.desc()),
                   S.ehc_plans.c.child_id, "plan")
    where = [req.c.rn == 1, CH.child_id.in_(involved), sa.or_(CH.retention_date.is_(None), CH.retention_date > day),
             req.c.received_date <= day]
    if withheld:
        where.append(CH.child_id.not_in(withheld))
    year = sa.cast(sa.extract("year", CH.birth_date), sa.Integer)
    # kanon generalises a fourth quasi-identifier kept at level 2 under the name lawful_basis: here the primary need.
    need = sa.func.coalesce(plan.c.primary_need, "NONE")
    base = (sa.select(CH.child_id, CH.la_child_id, year.label("birth_year"), CH.sex, CH.locality,
                      need.label("lawful_basis"))
            .join(req, req.c.child_id == CH.child_id)
            .outerjoin(plan, sa.and_(plan.c.child_id == CH.child_id, plan.c.rn == 1)).where(*where))
    shown = k_anonymous(base, k)
    eligible = conn.execute(sa.select(sa.func.count()).select_from(base.subquery())).scalar_one()
    ass, pl = S.ehc_assessments.c, S.sen_placements
    place = _latest(pl, (pl.c.start_date.desc(), pl.c.placement_id.desc()), pl.c.plan_id, "place")
    query = (sa.select(shown, req.c.received_date, req.c.outcome.label("request_outcome"),
                       req.c.decided_within_6_weeks, req.c.mediation, req.c.tribunal,
                       ass.outcome.label("assessment_outcome"), ass.weeks_from_request, ass.within_20_weeks,
                       ass.exceptions_apply, plan.c.ceased_date, plan.c.cease_reason, plan.c.plan_id,
                       place.c.setting)
             .join(req, sa.and_(req.c.child_id == shown.c.child_id, req.c.rn == 1))
             .outerjoin(S.ehc_assessments, ass.request_id == req.c.request_id)
             .outerjoin(plan, sa.and_(plan.c.child_id == shown.c.child_id, plan.c.rn == 1))
             .outerjoin(place, sa.and_(place.c.plan_id == plan.c.plan_id, place.c.rn == 1))
             .order_by(shown.c.child_id))
    rows, levels = [], {1: 0, 2: 0, 3: 0}
    for r in conn.execute(query):
        levels[int(r.level)] += 1
        seen = visible(r.level, r.birth_year, r.band, r.sex, r.locality, r.lawful_basis)
        active = r.plan_id is not None and (r.ceased_date is None or r.ceased_date > day)
        rows.append({
            "child_pseudonym": recipient_pseudonym(key, r.la_child_id), "birth_year": seen["birth_year"] or "",
            "sex": seen["sex"] or "", "locality": seen["locality"] or "", "primary_need": seen["lawful_basis"] or "",
            "request_year": _financial_year(r.received_date), "request_outcome": r.request_outcome or "",
            "decided_within_6_weeks": _flag(r.decided_within_6_weeks), "mediation": _flag(r.mediation),
            "tribunal": _flag(r.tribunal), "assessment_outcome": r.assessment_outcome or "",
            "weeks_to_plan": "" if r.weeks_from_request is None or r.assessment_outcome != "Y"
            else str(round(r.weeks_from_request)),
            "within_20_weeks": _flag(r.within_20_weeks), "exceptions_apply": _flag(r.exceptions_apply),
            "plan_active": _flag(active) if r.plan_id is not None else "", "setting": r.setting or "",
            "cease_reason": r.cease_reason or ""})
    k_min, combinations = k_achieved(tuple(row[q] for q in spec.quasi_identifiers) for row in rows)
    return Built(rows, k_min, combinations, levels, int(eligible) - len(rows))


def package(spec: ExtractSpec, built: Built, manifest: dict[str, Any]) -> bytes:
    """The ZIP the recipient receives: ``<spec>-<version>.csv`` and ``manifest.json``."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(spec.field_names), lineterminator="\n")
    writer.writeheader()
    writer.writerows(built.rows)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{spec.name}-{spec.version}.csv", text.getvalue())
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, sort_keys=True))
    return out.getvalue()


def manifest(spec: ExtractSpec, built: Built, *, recipient: str, key_id: str, k: int, day: dt.date,
             extract_id: int, produced_by: str, produced_at: str) -> dict[str, Any]:
    """What the recipient (and the council) can check the file against."""
    return {
        "spec": spec.name, "spec_version": spec.version, "title": spec.title, "recipient": recipient,
        "recipient_name": spec.recipients[recipient], "key_id": key_id, "extract_id": extract_id,
        "data_date": day.isoformat(), "produced_at": produced_at, "produced_by": produced_by,
        "row_count": len(built.rows), "k_required": k, "k_achieved": built.k_achieved,
        "quasi_identifiers": list(spec.quasi_identifiers), "combinations": built.combinations,
        "rows_by_generalisation": {"exact": built.levels[1], "banded_locality_withheld": built.levels[2],
                                   "all_withheld": built.levels[3]},
        "children_left_out_for_k": built.left_out,
        "fields": [{"name": f.name, "treatment": f.treatment, "source": f.source, "description": f.description}
                   for f in spec.fields],
    }
