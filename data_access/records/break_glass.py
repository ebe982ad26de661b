"""Break-glass: emergency access to one child's record, in a way a council can defend.

A caseworker or team manager (the roles that do direct work) chooses a reason from a short list
(``codes.BREAK_GLASS_REASON``) and writes a justification in real words; junk (repeated characters,
keyboard mash, fewer than four real words) is refused. A grant covers one child for
``Settings.break_glass_hours`` (4). A user may open at most ``Settings.break_glass_limit`` (3) grants
in any 24 hours: a request past it is refused, kept as a ``refused_limit`` row (never live) and
audited as ``break_glass_limit``, so information governance sees it. Every grant and every refused
request waits on the IG review list until reviewed (``glass_review``).
"""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from appstore import audit, tables
from data_access import policy
from data_access.errors import InvalidRequest, Refused
from data_access.policy import AccessDenied, Purpose
from data_access.refusals import record_refusal
from data_access.stores import current, record_event
from model import codes

MIN_CHARACTERS, MIN_WORDS = 20, 4
GRANTED, REFUSED_LIMIT = "granted", "refused_limit"
_WORD = re.compile(r"[A-Za-z]{2,}")
_REPEATED = re.compile(r"(.)\1{4,}")  # five of the same character in a row
_VOWEL = re.compile(r"[aeiouy]")
_CONSONANTS = re.compile(r"[^aeiouy]{5,}")
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
# Runs along a keyboard row: any five letters, or four from a row's end ("asdf", "hjkl", "qwer").
_MASH = frozenset({row[i:i + 5] for row in _ROWS + tuple(r[::-1] for r in _ROWS) for i in range(len(row) - 4)}
                  | {r[:4] for r in _ROWS + tuple(r[::-1] for r in _ROWS)} | {"hjkl", "uiop", "lkjh", "poiu"})


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _real_word(word: str) -> bool:
    """A word of two or more letters that could be English: a vowel, not one letter repeated, no long
    consonant run, and not a run along a keyboard row."""
    w = word.lower()
    return (len(set(w)) > 1 or len(w) == 2) and bool(_VOWEL.search(w)) and not _CONSONANTS.search(w) \
        and not any(w[i:i + 4] in _MASH or w[i:i + 5] in _MASH for i in range(len(w) - 3))


def justification_problem(text: str) -> str | None:
    """Why ``text`` is not a justification a reviewer could act on, or None when it is."""
    if len(text) < MIN_CHARACTERS:
        return f"Give a written justification of at least {MIN_CHARACTERS} characters."
    if _REPEATED.search(text):
        return "The justification repeats a character: write what has happened and why you need the record."
    words = {w.lower() for w in _WORD.findall(text) if _real_word(w)}
    if len(words) < MIN_WORDS:
        return (f"Write the justification in words (at least {MIN_WORDS} different ones): what has happened and "
                "why you need the record now.")
    return None


def live_break_glass_children(user: policy.Principal | None) -> tuple[int, ...]:
    """Children this user holds a live (granted, unexpired) break-glass grant for."""
    if user is None:
        return ()
    g = tables.break_glass_grants.c
    with current().app.connect() as conn:
        rows = conn.execute(sa.select(g.child_id).where(
            g.user_id == user.user_id, g.status == GRANTED, g.expires_at > tables.iso_utc(now()))).all()
    return tuple(sorted({int(r[0]) for r in rows}))


def _granted_since(user_id: int, since: dt.datetime) -> int:
    g = tables.break_glass_grants.c
    with current().app.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).where(
            g.user_id == user_id, g.status == GRANTED, g.granted_at > tables.iso_utc(since))).scalar_one())


def _store(user_id: int, child_id: int, reason: str, text: str, granted: dt.datetime, expires: dt.datetime,
           status: str) -> None:
    with tables.write_transaction(current().app) as conn:
        conn.execute(tables.break_glass_grants.insert().values(
            user_id=user_id, child_id=child_id, reason_code=reason, justification=text[:2000],
            granted_at=tables.iso_utc(granted), expires_at=tables.iso_utc(expires), status=status))


def open_break_glass(*, user: policy.Principal | None, child_id: object, justification: object,
                     reason: object = None) -> dt.datetime:
    """Grant the user emergency access to one child for the configured hours; returns the expiry.

    Raises AccessDenied unless the role may break glass, ``reason`` is a code of
    ``codes.BREAK_GLASS_REASON``, the justification is real words, and the user is within the limit
    of grants per 24 hours (past it the request is kept for review and audited as
    ``break_glass_limit``). Grants are audited and wait on the IG review list.
    """
    # A reference decodes to at most 8 bytes; anything else (negative, past int64, not an int) is forged.
    requested = (child_id,) if isinstance(child_id, int) and not isinstance(child_id, bool) \
        and 0 < child_id < 2**63 else ()
    text = justification.strip() if isinstance(justification, str) else ""
    try:
        role = policy.role_of(user)
        if not role.break_glass:
            raise AccessDenied("Your role cannot use emergency (break-glass) access.")
        if not requested:
            raise InvalidRequest("Field 'child_id' must be a record reference.")
        if not isinstance(reason, str) or reason not in codes.BREAK_GLASS_REASON:
            raise AccessDenied("Choose the reason for emergency access from the list.")
        problem = justification_problem(text)
        if problem:
            raise AccessDenied(problem)
    except Refused as exc:  # audited with the child asked for
        record_refusal(user, "break_glass", exc, purpose=Purpose.VITAL_INTERESTS.value, child_ids=requested)
        raise
    settings, at = current().settings, now()
    assert user is not None  # role_of refused None
    used = _granted_since(user.user_id, at - dt.timedelta(hours=24))
    if used >= settings.break_glass_limit:
        _store(user.user_id, requested[0], reason, text, at, at, REFUSED_LIMIT)
        record_event(audit.AuditEvent(
            action=audit.AuditAction.BREAK_GLASS_LIMIT, outcome="refused", resource="break_glass",
            username=user.username, user_id=user.user_id, purpose=Purpose.VITAL_INTERESTS.value,
            child_ids=requested, reason=f"break-glass limit of {settings.break_glass_limit} in 24 hours reached: "
                                        "information governance alerted",
            detail={"reason_code": reason, "granted_in_24h": used}))
        raise AccessDenied(f"You have opened emergency access {used} times in the last 24 hours, the most allowed. "
                           "Information governance has been alerted; ask your manager or the duty manager.")
    expires = at + dt.timedelta(hours=settings.break_glass_hours)
    _store(user.user_id, requested[0], reason, text, at, expires, GRANTED)
    record_event(audit.AuditEvent(
        action=audit.AuditAction.BREAK_GLASS, outcome="allowed", resource="child", username=user.username,
        user_id=user.user_id, purpose=Purpose.VITAL_INTERESTS.value, lawful_basis="vital_interests",
        child_ids=requested, reason="break-glass: flagged for IG review",
        detail={"expires_at": tables.iso_utc(expires), "reason_code": reason}))
    return expires
