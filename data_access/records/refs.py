"""Opaque record references for URLs and component ids: a signed token, never a statutory identifier.

A reference names a surrogate ``child_id`` (meaningless outside this system) with an HMAC so that
references cannot be guessed or altered; every use is still authorised in full.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

_SALT = b"csi-record-ref-v1:"


def make_ref(key: bytes, child_id: int) -> str:
    """The URL-safe reference for ``child_id``."""
    body = base64.urlsafe_b64encode(child_id.to_bytes(8, "big")).decode().rstrip("=")
    return f"{body}.{_sign(key, body)}"


def parse_ref(key: bytes, ref: object) -> int | None:
    """The child_id behind a reference, or None when it is malformed or its signature is wrong."""
    if not isinstance(ref, str) or len(ref) > 64 or ref.count(".") != 1:
        return None
    body, sig = ref.split(".")
    if not hmac.compare_digest(sig, _sign(key, body)):
        return None
    try:
        return int.from_bytes(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)), "big")
    except ValueError:
        return None


def _sign(key: bytes, body: str) -> str:
    return hmac.new(key, _SALT + body.encode(), hashlib.sha256).hexdigest()[:24]
