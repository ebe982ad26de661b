"""Signed checkpoints of the audit chain's head, kept OUTSIDE the app store.

The hash chain shows an edited or deleted entry, but someone with the database can delete the last
entries and move ``audit_head`` back (dropping its trigger), or rewrite the whole trail. So the
head (seq and entry hash) is also written to an append-only file, by default
``$CSI_DATA_DIR/audit-checkpoints.log`` (``CSI_AUDIT_CHECKPOINTS``), one line per checkpoint::

    v1 <seq> <entry hash> <UTC time> <HMAC-SHA256 of the first four fields under the audit key>

and, with ``CSI_AUDIT_SYSLOG=1``, to syslog as well (logger ``csi.audit.checkpoints``). Lines are
written when a process opens the stores (app start, every command), every
``CSI_AUDIT_CHECKPOINT_EVERY`` entries, when a server worker exits normally, and by every
``verify-audit`` that finds the trail intact. ``verify_all`` checks the chain and every line: a
line whose HMAC does not check out is forged or damaged; a signed seq with no entry means the trail
was truncated; a signed seq whose entry hash differs means it was rewritten (re-chained). The first
signed line also fixes where keyed hashing began (``chain.verify``'s ``legacy_until``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import logging.handlers
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from appstore import chain
from appstore.tables import GENESIS_HASH, audit_events, iso_utc

LOGGER = logging.getLogger("csi.audit.checkpoints")
_LINE = re.compile(r"v1 (\d+) ([0-9a-f]{64}) (\S+) ([0-9a-f]{64})")


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    entry_hash: str
    at: str

    @property
    def body(self) -> str:
        return f"v1 {self.seq} {self.entry_hash} {self.at}"


def _mac(key: bytes, body: str) -> str:
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class CheckpointLog:
    """The append-only checkpoint file (and syslog, when enabled) for one audit key."""

    path: Path
    key: bytes = field(repr=False)

    def append(self, seq: int, entry_hash: str) -> Checkpoint:
        """Append one signed line (one ``write`` with O_APPEND: lines from several processes never
        interleave); the file is created with mode 0600. Also logged to ``csi.audit.checkpoints``."""
        point = Checkpoint(seq, entry_hash, iso_utc())
        line = f"{point.body} {_mac(self.key, point.body)}\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)
        LOGGER.info("audit checkpoint %s", line.strip())
        return point

    def read(self) -> tuple[list[Checkpoint], list[str]]:
        """(the signed checkpoints in file order, problems with lines that are not)."""
        points: list[Checkpoint] = []
        problems: list[str] = []
        for number, line in enumerate(self.path.read_text(errors="replace").splitlines(), 1):
            match = _LINE.fullmatch(line.strip())
            if match is None:
                problems.append(f"BROKEN checkpoint line {number}: not a checkpoint line (damaged or forged)")
                continue
            point = Checkpoint(int(match[1]), match[2], match[3])
            if not hmac.compare_digest(_mac(self.key, point.body), match[4]):
                problems.append(f"BROKEN checkpoint line {number} (seq {point.seq}, {point.at}): its signature "
                                "does not match (forged, or written with another audit key)")
                continue
            points.append(point)
        return points, problems


def enable_syslog(address: str | tuple[str, int] = "/dev/log") -> None:
    """Send checkpoint lines to syslog too (idempotent); a missing socket is reported, not fatal."""
    if any(isinstance(h, logging.handlers.SysLogHandler) for h in LOGGER.handlers):
        return
    try:
        handler = logging.handlers.SysLogHandler(address=address)
    except OSError as exc:
        logging.getLogger(__name__).warning("audit checkpoints: no syslog at %s (%s)", address, exc)
        return
    handler.setFormatter(logging.Formatter("csi-insight: %(message)s"))
    LOGGER.addHandler(handler)
    LOGGER.setLevel(logging.INFO)


def mismatches(engine: sa.Engine, points: list[Checkpoint]) -> list[str]:
    """Each signed checkpoint the trail no longer matches: its entry gone (truncated) or changed."""
    wanted = sorted({p.seq for p in points if p.seq > 0})
    found: dict[int, str] = {}
    with engine.connect() as conn:
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            found.update((int(s), str(h)) for s, h in conn.execute(
                sa.select(audit_events.c.seq, audit_events.c.entry_hash).where(audit_events.c.seq.in_(chunk))))
    problems: list[str] = []
    for point in points:
        have = GENESIS_HASH if point.seq == 0 else found.get(point.seq)
        if have is None:
            problems.append(f"BROKEN against the checkpoint of {point.at}: entry {point.seq} is missing "
                            "(entries deleted from the end: trail truncated)")
        elif have != point.entry_hash:
            problems.append(f"BROKEN against the checkpoint of {point.at}: entry {point.seq} has another hash "
                            "(the trail was rewritten and re-chained)")
    return problems


@dataclass(frozen=True)
class Report:
    ok: bool
    lines: list[str]
    chain: chain.VerifyResult
    latest: Checkpoint | None


def verify_all(engine: sa.Engine, key: bytes, log: CheckpointLog) -> Report:
    """The chain under ``key``, and every checkpoint line against it. Read-only.

    No checkpoint file: fine only while the trail holds no keyed entry (a trail from before keys and
    checkpoints, which the caller should pin now); otherwise the file was deleted or moved.
    """
    if not log.path.exists():
        result = chain.verify(engine, key=key, legacy_until=None)
        missing = result.ok and result.checked > result.legacy_entries
        note = (f"BROKEN: no checkpoint file at {log.path}, yet the trail holds keyed entries "
                "(the file was deleted or moved)") if missing else f"no checkpoints yet at {log.path}"
        return Report(result.ok and not missing, [result.message, note], result, None)
    points, problems = log.read()
    result = chain.verify(engine, key=key, legacy_until=points[0].seq if points else 0)
    problems += mismatches(engine, points)
    latest = max(points, key=lambda p: p.seq) if points else None
    lines = [result.message, *problems]
    if latest is not None and not problems:
        lines.append(f"checkpoints: {len(points)} signed lines match; latest at seq {latest.seq} ({latest.at})")
    return Report(result.ok and not problems, lines, result, latest)
