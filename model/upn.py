"""Unique Pupil Numbers: format, check letter and LA code (DfE UPN guidance; CIN rules 1510-1560).

A UPN is 13 characters: a check letter, the 3-digit LA number the UPN was issued by, 8 digits, and
a final digit (permanent UPN) or letter (temporary UPN). The check letter is worked out from
characters 2-13 with weights 2-13; the sum modulo 23 indexes ``UPN_LETTERS``. A letter in position
13 counts as its index in the same list (A=0, B=1, ... Z=22). I, O and S are never used. The LA
numbers come from DfE's list of LA codes (``model.la_codes``, shipped as ``model/la_codes.csv``).
"""

from __future__ import annotations

import re

from model.la_codes import UPN_LA_CODES

UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"  # the 23 check letters (no I, O or S)
FORMAT = re.compile(r"[A-Za-z]\d{11}[0-9A-Za-z]")

# LA numbers that may appear in characters 2-4 (rule 1530): DfE's list, model/la_codes.csv.
LA_CODES = UPN_LA_CODES


def check_letter(upn: str) -> str | None:
    """The check letter for characters 2-13 of ``upn``, or None when they cannot carry one."""
    body = upn[1:13].upper()
    if len(body) != 12 or not body[:11].isdigit():
        return None
    last = body[11]
    values = [int(c) for c in body[:11]]
    if last.isdigit():
        values.append(int(last))
    elif last in UPN_LETTERS:
        values.append(UPN_LETTERS.index(last))
    else:
        return None
    return UPN_LETTERS[sum(v * w for v, w in zip(values, range(2, 14), strict=True)) % 23]


def problems(upn: str) -> list[tuple[str, str]]:
    """(rule, message) for every way ``upn`` is malformed; empty when it is a valid UPN."""
    if not FORMAT.fullmatch(upn):
        return [("1540" if len(upn) == 13 else "", f"UPN '{upn}' is not a letter followed by 11 digits and a "
                 "digit or letter (13 characters)")]
    found: list[tuple[str, str]] = []
    upper = upn.upper()
    if upper[1:4] not in LA_CODES:
        found.append(("1530", f"UPN '{upn}': characters 2-4 ({upper[1:4]}) are not an LA number in DfE's list "
                      "of LA codes"))
    if upper[12].isalpha() and upper[12] not in UPN_LETTERS:
        found.append(("1550", f"UPN '{upn}': the 13th character '{upper[12]}' is not an allowed letter"))
        return found
    expected = check_letter(upper)
    if expected != upper[0]:
        found.append(("1510", f"UPN '{upn}' has the wrong check letter: with these digits it should start "
                      f"with '{expected}'"))
    return found
