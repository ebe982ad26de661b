"""Password rules and hashing: argon2id above the OWASP ASVS 5.0 Appendix C minimum.

Rules (ASVS 6.2.x): 12 to 128 characters, any characters, no composition rules, no rotation.
Refused: a password in the shipped common-passwords list (``common_passwords.txt``, 19,640 entries
from Django's list), such a password with a few digits or symbols added at the end
("password2024!"), one short pattern repeated ("abcabcabcabc"), or one containing the username.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# m = 46 MiB, t = 1, p = 1: OWASP ASVS 5.0 Appendix C's argon2id setting (m >= 46 MiB with t = 1, p = 1).
# It was m = 64 MiB, t = 3, p = 4: about 0.2-0.3 s of every sign-in on a 2-core server (a third of
# the 1 s a person should wait for a settled Overview) for no requirement met; hashes made with the
# old parameters still verify, and are replaced at the next sign-in (``needs_rehash``).
MEMORY_KIB, TIME_COST, PARALLELISM = 46 * 1024, 1, 1
_HASHER = PasswordHasher(time_cost=TIME_COST, memory_cost=MEMORY_KIB, parallelism=PARALLELISM)
# Verified against when the username does not exist, so both paths cost the same time.
_DUMMY_HASH = _HASHER.hash("no such user: timing equaliser")

MIN_LENGTH, MAX_LENGTH = 12, 128
COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent / "common_passwords.txt"
_TRAILING_DECORATION = re.compile(r"[\d\W_]{1,6}$")


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list, lower-cased (everything after the ``#! begin`` line)."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines[lines.index("#! begin") + 1:] if line.strip())


def password_problem(password: str, *, username: str | None = None) -> str | None:
    """Why ``password`` may not be used (a sentence for the person choosing it), or None if it may."""
    if not isinstance(password, str) or not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        return f"Passwords must be {MIN_LENGTH} to {MAX_LENGTH} characters long."
    lowered = password.lower()
    common = common_passwords()
    stem = _TRAILING_DECORATION.sub("", lowered)
    if lowered in common or (len(stem) >= 4 and stem in common):
        return "That password is too common. Choose a longer phrase that is not a well-known password."
    if any(lowered == lowered[:size] * (len(lowered) // size) for size in range(1, len(lowered) // 2 + 1)
           if len(lowered) % size == 0):
        return "That password is one short pattern repeated. Choose a longer phrase."
    if username and len(username) >= 3 and username.lower() in lowered:
        return "The password must not contain your username."
    return None


def hash_password(password: str, *, username: str | None = None) -> str:
    """An argon2id hash of ``password``; raises ValueError (with the reason) if the rules refuse it."""
    problem = password_problem(password, username=username)
    if problem:
        raise ValueError(problem)
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; a missing hash still costs one verification."""
    if len(password) > MAX_LENGTH:  # never hash megabytes sent by a client
        password = password[:MAX_LENGTH + 1]
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when ``password_hash`` (already verified) was made with other parameters than today's."""
    try:
        return _HASHER.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return False


def rehash(password: str) -> str:
    """A hash of a password that has just been verified, with today's parameters (no password rules:
    it is already the account's password; the rules apply when one is chosen)."""
    return _HASHER.hash(password)
