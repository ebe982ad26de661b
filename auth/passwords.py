"""Password hashing with argon2id (parameters above the OWASP ASVS 5.0 Appendix C minimum)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# m = 64 MiB, t = 3, p = 4: stronger than ASVS's m >= 19 MiB with t = 2.
_HASHER = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4)
# Verified against when the username does not exist, so both paths cost the same time.
_DUMMY_HASH = _HASHER.hash("no such user: timing equaliser")

MIN_LENGTH, MAX_LENGTH = 12, 128


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``; raises ValueError if it breaks the length rules."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise ValueError(f"Passwords must be {MIN_LENGTH} to {MAX_LENGTH} characters long.")
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; a missing hash still costs one verification."""
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
