"""The app's audit writer: the app store, the audit key kept outside it, and the checkpoint file."""

from __future__ import annotations

import dataclasses
import logging

import sqlalchemy as sa

from appstore.audit import AuditEvent, append
from appstore.chain import entry_hash
from appstore.checkpoints import Checkpoint, CheckpointLog
from appstore.tables import audit_events, audit_head

_LOG = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Trail:
    """The app's audit writer: the app store, the audit key, and the checkpoint file.

    ``record`` appends under the key and signs a checkpoint every ``every`` entries (0: never);
    ``checkpoint`` signs the current head (app start, worker exit). A checkpoint that cannot be
    written is logged, never fatal: the entry is already in the chain.
    """

    engine: sa.Engine
    key: bytes | None = dataclasses.field(default=None, repr=False)
    checkpoints: CheckpointLog | None = None
    every: int = 0

    def record(self, event: AuditEvent) -> int:
        seq, digest = append(self.engine, event, self.key)
        if self.checkpoints is not None and self.every > 0 and seq % self.every == 0:
            self._write(seq, digest)
        return seq

    def checkpoint(self) -> Checkpoint | None:
        """Sign the head, if its last entry checks out under the key; a trail from before the key
        is signed (pinned) only by the very first checkpoint. Returns the line written, or None."""
        if self.checkpoints is None or not self.key:
            return None
        with self.engine.connect() as conn:
            seq, digest = conn.execute(sa.select(audit_head.c.seq, audit_head.c.entry_hash)
                                       .where(audit_head.c.id == 1)).one()
            last = conn.execute(sa.select(audit_events).where(audit_events.c.seq == seq)).mappings().first()
        if seq and (last is None or last["entry_hash"] != digest or not self._signable(last)):
            _LOG.warning("audit head (seq %s) does not check out under the audit key: not signed; "
                         "run `app.py verify-audit`", seq)
            return None
        return self._write(int(seq), str(digest))

    def _signable(self, last: sa.RowMapping) -> bool:
        if entry_hash(last["prev_hash"], last, self.key) == last["entry_hash"]:
            return True
        first = self.checkpoints is not None and not self.checkpoints.path.exists()
        return first and entry_hash(last["prev_hash"], last) == last["entry_hash"]

    def _write(self, seq: int, digest: str) -> Checkpoint | None:
        try:
            return self.checkpoints.append(seq, digest) if self.checkpoints else None
        except OSError as exc:
            _LOG.error("could not write the audit checkpoint for seq %s: %s", seq, exc)
            return None
