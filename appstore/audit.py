"""The audit trail: typed events appended to a hash chain in the app store.

Every identifiable read, export, refusal, login and admin change is one ``AuditEvent``: who,
when, what (resource, opaque child ids, field NAMES), why (purpose, lawful basis) and from where;
never the data itself, never credentials (ASVS 16.2.1, 16.2.5, 16.3.x).

Tamper evidence (ASVS 16.4.2, 16.4.3). Each row carries ``prev_hash`` and ``entry_hash``, an
HMAC-SHA256 under the audit key kept outside the app store (``appstore.chain``); ``audit_head``
holds the last seq and hash and moves in the same transaction as each append. ``chain.verify``
detects an edited row (hash mismatch), a deleted or reordered row (seq gap or prev_hash mismatch),
a deleted tail (head ahead of the last row) and a rewrite by someone without the key. Signed
checkpoints of the head in a file outside the database (``appstore.checkpoints``) catch a
truncation with the head moved back, and a consistent rewrite. Triggers refusing UPDATE/DELETE
are defence in depth; on PostgreSQL the app's role is granted no UPDATE/DELETE/TRUNCATE on
``audit_events`` at all (``appstore.dbroles``).

Run ``python -m appstore.audit verify --url sqlite:///var/app.sqlite --key-file var/audit_key
--checkpoints var/audit-checkpoints.log`` to check a store (``app.py verify-audit`` does this).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import math
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa

from appstore import tables
from appstore.chain import HASHED_COLUMNS, VerifyResult, canonical_json, entry_hash, verify
from appstore.checkpoints import Checkpoint, CheckpointLog, verify_all
from appstore.tables import OUTCOMES, audit_events, audit_head, iso_utc, write_transaction

__all__ = ["AuditAction", "AuditEvent", "record", "append", "chain_head", "verify", "entry_hash", "canonical_json",
           "VerifyResult", "HASHED_COLUMNS", "query_events", "StoreCheck", "check_store", "main"]

Outcome = Literal["allowed", "refused", "success", "failure"]
DetailValue = str | int | float | bool | None

# Free text is cleaned and cut to these lengths (the columns' sizes).
TEXT_LIMITS = {"username": 64, "purpose": 64, "lawful_basis": 64, "resource": 64, "reason": 2000,
               "client": 200}
# detail is for small non-identifying facts; these keys would smuggle identity or credentials in.
FORBIDDEN_DETAIL_KEYS = frozenset({
    "name", "first_name", "last_name", "surname", "forename", "full_name", "dob", "date_of_birth",
    "birth_date", "upn", "la_child_id", "nhs_number", "address", "postcode", "email", "phone",
    "password", "password_hash", "token", "session_id", "secret",
})
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]{0,63}")
_PSEUDONYM = re.compile(r"[0-9a-f]{8,64}")  # keyed-hash pseudonyms (hex): ids, never values
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class AuditAction(StrEnum):
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    RECORD_READ = "record_read"
    EXPORT = "export"
    BREAK_GLASS = "break_glass"
    BREAK_GLASS_LIMIT = "break_glass_limit"  # asked past the per-user limit: refused, IG alerted
    BREAK_GLASS_REVIEW = "break_glass_review"
    ACCESS_REFUSED = "access_refused"
    REQUEST_FAILED = "request_failed"  # a signed-in user's request answered 4xx/5xx, not otherwise audited
    PURPOSE_CHANGED = "purpose_changed"
    USER_ADMIN = "user_admin"
    AGGREGATE_READ = "aggregate_read"
    AUDIT_SEARCH = "audit_search"  # an IG officer searched the trail (reading the trail is an access too)
    AUDIT_VERIFY = "audit_verify"  # the chain and its checkpoints were verified from the app
    SUBJECT_ACCESS = "subject_access"  # a subject access request registered, extended or completed
    CONSENT_WITHDRAWAL = "consent_withdrawal"
    RECTIFICATION = "rectification"  # a rectification request recorded or decided
    RETENTION = "retention"  # a retention report, dry run or run (archive / destroy)
    DESTRUCTION_CERTIFICATE = "destruction_certificate"  # what was destroyed, when, by whom, under which rule
    EXTRACT = "extract"  # a pseudonymised extract for an external recipient: requested, produced, downloaded


@dataclass(frozen=True, kw_only=True)
class AuditEvent:
    """One auditable fact. Holds no data values by construction: only ids, field names and codes.

    Free-text fields (username, purpose, lawful_basis, resource, reason, client) may come from a
    request, so control characters are replaced and over-long text is cut rather than refused:
    an attacker's odd username must still be audited. Structural mistakes (a child id that is not
    an int, a field name that is not a name, a nested or identifying ``detail``) raise
    ``TypeError``/``ValueError``: those are programming errors.
    """

    action: AuditAction
    outcome: Outcome
    resource: str = ""  # defaults to "session"/"users" for login, logout, purpose and admin events
    username: str | None = None
    user_id: int | None = None
    purpose: str | None = None
    lawful_basis: str | None = None
    child_ids: tuple[int, ...] = ()
    fields: tuple[str, ...] = ()
    pseudonyms: tuple[str, ...] = ()  # the pseudonyms shown in a pseudonymised read
    reason: str | None = None
    client: str | None = None
    detail: Mapping[str, DetailValue] = field(default_factory=dict)

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: normalise once, here
        set_(self, "action", AuditAction(self.action))
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}, not {self.outcome!r}")
        set_(self, "resource", self.resource or _DEFAULT_RESOURCE.get(self.action, ""))
        for name, limit in TEXT_LIMITS.items():
            set_(self, name, _clean_text(getattr(self, name), limit))
        if not self.resource:
            raise ValueError("an audit event needs a resource, e.g. 'records' or 'overview'")
        if self.user_id is not None and not _is_int(self.user_id):
            raise TypeError("user_id must be an int or None")
        if not all(_is_int(c) for c in self.child_ids):
            raise TypeError("child_ids must be opaque integer child_ids, never names or statutory ids")
        set_(self, "child_ids", tuple(self.child_ids))
        if not all(isinstance(f, str) and _NAME.fullmatch(f) for f in self.fields):
            raise ValueError("fields must be field NAMES (identifiers), never values")
        set_(self, "fields", tuple(self.fields))
        if not all(isinstance(p, str) and _PSEUDONYM.fullmatch(p) for p in self.pseudonyms):
            raise ValueError("pseudonyms must be keyed-hash pseudonyms (hex), never values")
        set_(self, "pseudonyms", tuple(self.pseudonyms))
        set_(self, "detail", _checked_detail(self.detail))


_DEFAULT_RESOURCE = {AuditAction.LOGIN: "session", AuditAction.LOGIN_FAILED: "session",
                     AuditAction.LOGOUT: "session", AuditAction.PURPOSE_CHANGED: "session",
                     AuditAction.USER_ADMIN: "users"}


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _clean_text(value: object, limit: int) -> str | None:
    """Control characters replaced (no log injection) and cut to ``limit``; None stays None."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__}")
    text = _CONTROL.sub("?", value)
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _checked_detail(detail: Mapping[str, DetailValue]) -> dict[str, DetailValue]:
    if len(detail) > 20:
        raise ValueError("detail is for a few small facts (at most 20 keys)")
    for key, value in detail.items():
        if not isinstance(key, str) or not _NAME.fullmatch(key) or key.lower() in FORBIDDEN_DETAIL_KEYS:
            raise ValueError(f"detail key {key!r} is not allowed (identifying, credential or not a name)")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"detail[{key!r}] must be a finite number")
        if value is not None and not isinstance(value, str | int | float | bool):
            raise TypeError(f"detail[{key!r}] must be a scalar, not {type(value).__name__}")
        if isinstance(value, str) and len(value) > 200:
            raise ValueError(f"detail[{key!r}] is longer than 200 characters")
    return dict(detail)


def record(engine: sa.Engine, event: AuditEvent, *, key: bytes | None = None) -> int:
    """Append ``event`` to the trail in its own committed transaction; returns its seq.

    ``key``: the audit key (HMAC-SHA256); the app always passes one (``Trail``). Access rule: none
    here; callers record what the policy decided. Side effects: one audit row and the head moved,
    under a write lock (SQLite ``BEGIN IMMEDIATE``; PostgreSQL ``SELECT ... FOR UPDATE`` of the
    head row, which needs no UPDATE, DELETE or TRUNCATE right on ``audit_events``) so concurrent
    writers cannot fork the chain. Raises if the trail cannot be written: callers about to show
    identifiable data must then not show it.
    """
    return append(engine, event, key)[0]


def append(engine: sa.Engine, event: AuditEvent, key: bytes | None) -> tuple[int, str]:
    """``record``, returning the new entry's seq and hash."""
    with write_transaction(engine) as conn:
        head = conn.execute(sa.select(audit_head.c.seq, audit_head.c.entry_hash)
                            .where(audit_head.c.id == 1).with_for_update()).one_or_none()
        if head is None:
            raise RuntimeError("the audit trail has no head row: run `python -m appstore.audit verify`")
        # Chain from the head, not from max(seq): if the tail was deleted, new entries leave
        # a visible gap instead of quietly papering over it.
        row: dict[str, Any] = {f.name: getattr(event, f.name) for f in dataclasses.fields(event)}
        row.update(seq=head.seq + 1, occurred_at=iso_utc(), action=str(event.action),
                   child_ids=canonical_json(list(event.child_ids)), fields=canonical_json(list(event.fields)),
                   pseudonyms=canonical_json(list(event.pseudonyms)) if event.pseudonyms else None,
                   detail=canonical_json(dict(event.detail)), prev_hash=head.entry_hash)
        row["entry_hash"] = entry_hash(head.entry_hash, row, key)
        conn.execute(audit_events.insert().values(**row))
        conn.execute(audit_head.update().where(audit_head.c.id == 1).values(
            seq=row["seq"], entry_hash=row["entry_hash"], updated_at=row["occurred_at"]))
    return int(row["seq"]), str(row["entry_hash"])


def chain_head(engine: sa.Engine) -> tuple[int, str]:
    """The last seq and its entry hash, to anchor in a separate system (e.g. a daily log line)."""
    with engine.connect() as conn:
        head = conn.execute(sa.select(audit_head.c.seq, audit_head.c.entry_hash)
                            .where(audit_head.c.id == 1)).one()
    return int(head.seq), str(head.entry_hash)


def query_events(engine: sa.Engine, *, action: AuditAction | str | None = None,
                 username: str | None = None, since: dt.datetime | None = None,
                 until: dt.datetime | None = None,
                 limit: int = 200) -> list[dict[str, Any]]:
    """Newest-first audit entries for the IG officer's audit view, JSON columns decoded.

    Access rule: none here; the caller must have passed the policy's audit-trail check (IG
    officer) before calling. ``since``/``until`` are datetimes (naive = UTC), inclusive/exclusive.
    ``limit`` is clamped to 1..10000. Side effects: none. Hash columns are left out.
    """
    table = audit_events
    query = sa.select(*[table.c[c] for c in (*HASHED_COLUMNS, "pseudonyms")]).order_by(table.c.seq.desc())
    if action is not None:
        query = query.where(table.c.action == str(AuditAction(action)))
    if username is not None:
        query = query.where(table.c.username == username)
    if since is not None:
        query = query.where(table.c.occurred_at >= iso_utc(since))
    if until is not None:
        query = query.where(table.c.occurred_at < iso_utc(until))
    query = query.limit(max(1, min(int(limit), 10_000)))
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
    for row in rows:
        row["child_ids"] = tuple(json.loads(row["child_ids"]))
        row["fields"] = tuple(json.loads(row["fields"]))
        row["pseudonyms"] = tuple(json.loads(row["pseudonyms"] or "[]"))
        row["detail"] = json.loads(row["detail"])
    return rows


@dataclass(frozen=True)
class StoreCheck:
    """What ``check_store`` found: ``ok``, the report's lines, entries verified, the latest signed
    checkpoint (the one signed now, when ``sign``; None without a checkpoint file)."""

    ok: bool
    lines: tuple[str, ...]
    checked: int
    latest: Checkpoint | None


def check_store(engine: sa.Engine, key: bytes | None, log: CheckpointLog | None, *, sign: bool = False) -> StoreCheck:
    """The check ``verify-audit`` runs (and the IG officer's page, through data_access): the chain under
    ``key`` and, with ``log``, every signed checkpoint against it; when intact and ``sign``, the verified
    head is signed as a new checkpoint. Read-only on the store; appends to the checkpoint file only."""
    if log is None or not key:
        result = verify(engine, key=key)
        return StoreCheck(result.ok, (result.message,), result.checked, None)
    report = verify_all(engine, key, log)
    lines, latest = list(report.lines), report.latest
    if report.ok and sign:
        latest = log.append(report.chain.checked, report.chain.last_hash)
        lines.append(f"signed a checkpoint at seq {latest.seq}")
    return StoreCheck(report.ok, tuple(lines), report.chain.checked, latest)


def main(argv: Sequence[str] | None = None, *, key: bytes | None = None) -> int:
    """CLI: ``verify --url URL [--key-file PATH] [--checkpoints PATH [--checkpoint]]``.

    Exit 0 when intact, 1 when broken, 2 on error. ``key`` (``app.py verify-audit`` passes the
    configured one) is used when no ``--key-file`` is given. With ``--checkpoints`` (needs a key)
    the signed checkpoints are checked too, and ``--checkpoint`` signs the verified head afterwards.
    """
    parser = argparse.ArgumentParser(prog="python -m appstore.audit", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("verify", help="check the audit trail's hash chain, head and checkpoints")
    check.add_argument("--url", required=True, help="app store URL, e.g. sqlite:///var/app.sqlite")
    check.add_argument("--key-file", type=Path, help="file holding the HMAC key the trail was written with")
    check.add_argument("--checkpoints", type=Path, help="the signed checkpoint file to check the trail against")
    check.add_argument("--checkpoint", action="store_true", help="when intact, sign the verified head")
    args = parser.parse_args(argv)
    key = args.key_file.read_bytes().strip() if args.key_file else key
    if args.checkpoints and not key:
        parser.error("--checkpoints needs the audit key (--key-file)")
    url = sa.engine.make_url(args.url)
    shown = url.render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
        print(f"no app store at {shown}", file=sys.stderr)  # and do not create an empty one
        return 2
    engine = tables.app_engine(args.url)
    try:
        log = CheckpointLog(args.checkpoints, key) if args.checkpoints and key else None
        found = check_store(engine, key, log, sign=args.checkpoint)
        ok, lines = found.ok, list(found.lines)
    except sa.exc.SQLAlchemyError as exc:
        print(f"cannot read the audit trail at {shown}: {type(exc).__name__}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print("\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
