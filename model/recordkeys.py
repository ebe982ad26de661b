"""Record keys for consistent disclosure control: every counted unit carries a fixed random key.

A unit (a child, or an event row such as a referral) gets a key in 0..KEY_SPACE-1: an HMAC-SHA256
of its table and natural id under a secret, so the same unit gets the same key at every refresh and
nobody without the secret can compute it. The refresh stores the keys (``rkey``, and the child's key
as ``child_rkey`` on fact tables); ``data_access.cellkey`` turns the keys of the records a figure
counts into that figure's adjustment. Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import hmac
import operator
from collections.abc import Iterable
from typing import SupportsIndex

KEY_SPACE = 4096
MIN_SECRET_BYTES = 16
# The secret of synthetic (demo and test) stores only. A council's refresh passes its own secret,
# kept outside the store (Settings.record_key_secret): with a public secret, anyone who knew a
# child's internal id could work out their key.
SYNTHETIC_SECRET = b"csi-synthetic-data-record-keys-v1"


def record_keys(secret: bytes, table: str, natural_ids: Iterable[str | SupportsIndex],
                key_space: int = KEY_SPACE) -> list[int]:
    """Record keys of many units (any iterable: a list, a pandas Series, a numpy array)."""
    if len(secret) < MIN_SECRET_BYTES:
        raise ValueError(f"the record-key secret must have at least {MIN_SECRET_BYTES} bytes")
    base = hmac.new(secret, f"{len(table)}:{table}:".encode(), hashlib.sha256)
    out = []
    for natural_id in natural_ids:
        mac = base.copy()
        mac.update(_id_text(natural_id).encode())
        out.append(int.from_bytes(mac.digest()[:8], "big") % key_space)
    return out


def _id_text(natural_id: object) -> str:
    """A natural id as text: a str as is, an integer (Python or numpy) in decimal."""
    if isinstance(natural_id, str):
        return natural_id
    if isinstance(natural_id, SupportsIndex) and not isinstance(natural_id, bool):
        return str(operator.index(natural_id))  # int, numpy integer
    raise TypeError(f"a natural id is a str or an int, not {type(natural_id).__name__}")


def record_key(secret: bytes, table: str, natural_id: str | SupportsIndex, key_space: int = KEY_SPACE) -> int:
    """The unit's record key in 0..key_space-1: HMAC-SHA256(secret, table + id), so the same child or
    event gets the same key at every refresh and nobody without the secret can compute it. ``table``
    separates kinds of unit (a child's key is unrelated to their referrals' keys); an int id and its
    decimal text give the same key. The secret needs at least 16 bytes."""
    return record_keys(secret, table, (natural_id,), key_space)[0]
