"""Keeping children's identifiers that others smuggled into the trail out of the access log.

The trail holds no data values by construction, but some of its text came from requests: the
username typed at a failed sign-in, a forged purpose, the path of a refused request, a value named
in a refusal. Anyone could type a child's LA child ID, UPN or name there, and an IG officer searching
the trail must not be shown it. So every free-text field of the entries a search returns is checked,
token by token, against the analytics store's children (LA child ID, UPN, former UPN, forename,
surname; one statement per 500 tokens), and a match, a postcode or a date is replaced by WITHHELD.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import sqlalchemy as sa

from model import schema

WITHHELD = "[withheld]"
_TOKEN = re.compile(r"[A-Za-z0-9]+")
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'-]*[A-Za-z0-9]")  # a double-barrelled name ("ZZ-Crendley")
_DATE = re.compile(r"\b\d{4}-\d{1,2}-\d{1,2}\b|\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b")
_POSTCODE = re.compile(r"\b[A-Za-z]{1,2}\d[A-Za-z\d]? ?\d[A-Za-z]{2}\b")
_CHUNK = 500


def identifying_tokens(analytics: sa.Connection, texts: Iterable[str]) -> frozenset[str]:
    """The tokens of ``texts`` that are some child's LA child ID, UPN, former UPN, forename or surname."""
    tokens = sorted({t for text in texts for pattern in (_TOKEN, _WORD) for t in pattern.findall(text)})
    ch = schema.children.c
    found: set[str] = set()
    for start in range(0, len(tokens), _CHUNK):
        chunk = tokens[start:start + _CHUNK]
        variants = sorted({v for t in chunk for v in (t, t.upper(), t.capitalize())})
        for row in analytics.execute(sa.select(ch.la_child_id, ch.upn, ch.former_upn, ch.forename, ch.surname).where(
                sa.or_(ch.la_child_id.in_(variants), ch.upn.in_(variants), ch.former_upn.in_(variants),
                       ch.forename.in_(variants), ch.surname.in_(variants)))):
            found.update(str(v).lower() for v in row if v)
    return frozenset(t for t in tokens if t.lower() in found)


def clean(text: str | None, bad: frozenset[str]) -> str:
    """``text`` with dates, postcodes and the ``bad`` tokens replaced by WITHHELD."""
    if not text:
        return ""
    text = _POSTCODE.sub(WITHHELD, _DATE.sub(WITHHELD, text))
    for pattern in (_WORD, _TOKEN):
        text = pattern.sub(lambda m: WITHHELD if m.group(0) in bad else m.group(0), text)
    return text
