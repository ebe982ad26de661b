"""The audit trail's hash chain: how an entry is hashed, and the walk that verifies the chain.

Each entry's ``entry_hash`` is HMAC-SHA256 under the audit key (``CSI_AUDIT_KEY`` or the generated
``$CSI_DATA_DIR/audit_key``, kept outside the app store) of ``prev_hash`` + canonical JSON of the
entry's content; the first entry chains from 64 zeros. Someone with only database access can edit
rows, drop the triggers and move ``audit_head``, but cannot recompute keyed hashes, so ``verify``
names the first entry they touched.

Trails written before the key was in use hold plain SHA-256 entries. With a key, ``verify`` accepts
such "legacy" entries only as an unbroken prefix of the chain ending no later than ``legacy_until``
(the seq of the first signed checkpoint, which pins that prefix: see ``checkpoints``); an unkeyed
entry after it is reported as rewritten without the key. Without a key (``key=None``) every entry is
checked as plain SHA-256, as before keys existed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from appstore.tables import GENESIS_HASH, audit_events, audit_head

# The columns covered by entry_hash, i.e. everything but the hashes themselves.
HASHED_COLUMNS: tuple[str, ...] = (
    "seq", "occurred_at", "action", "outcome", "username", "user_id", "purpose", "lawful_basis",
    "resource", "child_ids", "fields", "reason", "client", "detail",
)
# Hashed only when set, so entries written before the column existed keep their hashes.
OPTIONAL_HASHED_COLUMNS: tuple[str, ...] = ("pseudonyms",)


@dataclass(frozen=True)
class VerifyResult:
    """What ``verify`` found: ``ok``, entries checked, and the first broken entry if any.

    ``legacy_entries``: how many entries (a prefix of the chain) were accepted as written before the
    audit key was in use (plain SHA-256); ``last_hash``: the hash of the last entry checked.
    """

    ok: bool
    checked: int
    first_broken_seq: int | None
    message: str
    legacy_entries: int = 0
    last_hash: str = GENESIS_HASH


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: the same text on every engine and Python run."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def entry_hash(prev_hash: str, content: Mapping[Any, Any], key: bytes | None = None) -> str:
    """HMAC-SHA256 with ``key`` (sha256 without) of ``prev_hash`` + canonical JSON of the hashed columns."""
    hashed = {c: content[c] for c in HASHED_COLUMNS}
    hashed.update({c: content[c] for c in OPTIONAL_HASHED_COLUMNS if content.get(c) not in (None, "", "[]")})
    material = (prev_hash + canonical_json(hashed)).encode()
    if key:
        return hmac.new(key, material, hashlib.sha256).hexdigest()
    return hashlib.sha256(material).hexdigest()


def verify(engine: sa.Engine, *, key: bytes | None = None, legacy_until: int | None = 0) -> VerifyResult:
    """Walk the whole chain and the head; report the first entry that does not check out.

    Read-only, in one snapshot (PostgreSQL REPEATABLE READ; a SQLite read transaction), so
    concurrent appends are never mistaken for tampering. ``key`` must be the one the trail was
    written with. ``legacy_until``: with a key, unkeyed (plain SHA-256) entries are accepted as a
    prefix up to this seq (``None``: a prefix of any length; the caller then decides, see
    ``checkpoints.verify_all``).
    """
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            head = conn.execute(sa.select(audit_head).where(audit_head.c.id == 1)).one_or_none()
            rows = conn.execution_options(yield_per=1000).execute(
                sa.select(audit_events).order_by(audit_events.c.seq))
            checked, expected_seq, prev, legacy = 0, 1, GENESIS_HASH, 0
            for row in rows.mappings():
                problem, unkeyed = _link_problem(row, expected_seq, prev, key)
                if not problem and unkeyed:
                    problem = _legacy_problem(int(row["seq"]), legacy == checked, legacy_until)
                if problem:
                    rows.close()
                    where = f"entry seq {row['seq']} ({row['occurred_at']}, {row['action']})"
                    return VerifyResult(False, checked, int(row["seq"]), f"BROKEN at {where}: {problem}",
                                        legacy, prev)
                legacy += unkeyed
                checked, expected_seq, prev = checked + 1, row["seq"] + 1, row["entry_hash"]
    result = _head_result(head, checked, expected_seq - 1, prev)
    note = f"; entries 1-{legacy} predate the audit key (plain SHA-256)" if legacy and result.ok else ""
    return VerifyResult(result.ok, checked, result.first_broken_seq, result.message + note, legacy, prev)


def _legacy_problem(seq: int, only_legacy_before: bool, legacy_until: int | None) -> str | None:
    if not only_legacy_before:
        return ("it is hashed without the audit key after keyed entries "
                "(rewritten by someone without the key)")
    if legacy_until is not None and seq > legacy_until:
        return ("it is hashed without the audit key, after the first signed checkpoint "
                f"(seq {legacy_until}): rewritten by someone without the key")
    return None


def _link_problem(row: sa.RowMapping, expected_seq: int, prev: str, key: bytes | None) -> tuple[str | None, bool]:
    """(what is wrong with this link or None, whether it is a plain SHA-256 entry under a key)."""
    if row["seq"] != expected_seq:
        if row["seq"] == expected_seq + 1:
            return f"entry {expected_seq} is missing before it (deleted)", False
        if row["seq"] > expected_seq:
            return f"entries {expected_seq}-{row['seq'] - 1} are missing before it (deleted)", False
        return f"unexpected seq (expected {expected_seq})", False
    if row["prev_hash"] != prev:
        return ("its prev_hash does not match the entry before it "
                "(entries deleted, reordered or rewritten)"), False
    if entry_hash(prev, row, key) == row["entry_hash"]:
        return None, False
    if key and entry_hash(prev, row) == row["entry_hash"]:
        return None, True
    hint = "" if key else "; if the trail was written with a key, verify with that key"
    return f"its content does not match its hash (entry edited){hint}", False


def _head_result(head: sa.Row[Any] | None, checked: int, last_seq: int, last_hash: str) -> VerifyResult:
    if head is None:
        return VerifyResult(False, checked, None, "BROKEN: the audit_head row is missing")
    if head.seq > last_seq:
        return VerifyResult(False, checked, last_seq + 1,
                            f"BROKEN: entries {last_seq + 1}-{head.seq} are missing at the end "
                            f"(the head records seq {head.seq}; tail deleted)")
    if head.seq < last_seq:
        return VerifyResult(False, checked, head.seq + 1,
                            f"BROKEN: entries after seq {head.seq} were not written by the audit "
                            f"writer (the head records seq {head.seq}, the last entry is {last_seq})")
    if head.entry_hash != last_hash:
        return VerifyResult(False, checked, last_seq or None,
                            f"BROKEN at entry seq {last_seq}: it does not match the head's hash "
                            "(last entry replaced)")
    return VerifyResult(True, checked, None, f"OK: {checked} entries verified; head at seq {head.seq}")
