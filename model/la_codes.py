"""DfE local authority codes (the 3-digit "LA numbers"), read from ``la_codes.csv`` beside this module.

The list is Get Information about Schools' (GIAS) "Local authority name and associated codes" (English,
Welsh and other LA codes; source, date and how to update in the file's header), plus the pseudo-LA codes
DfE CIN validation rule 1530 accepts. A code stays in the list when its council is abolished: GIAS keeps
such codes as "Pre LGR (year) name" (local government reorganisation), and a UPN keeps the number of
the LA that issued it for life.

    UPN_LA_CODES    codes allowed in characters 2-4 of a UPN (rule 1530: an LA code in use after
                    April 1998, or a pseudo-LA code)
    CURRENT_CODES   codes of councils that exist today (a census <LEA> should be one of them)
    name_of(code)   the LA's name, or None
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

SOURCE = Path(__file__).with_name("la_codes.csv")
_ENDED = re.compile(r"^Pre[- ]LGR \(?(\d{4})\)?\s")  # "Pre LGR (2009) Cheshire", "Pre-LGR 2023 Cumbria"
_NOT_AN_LA = frozenset({"000", "999"})  # GIAS "Does not apply" and "Not recorded"


@dataclass(frozen=True)
class LocalAuthority:
    code: str
    name: str
    gss_code: str
    group: str  # England | Wales | Other | Pseudo
    ended: int | None  # year of the reorganisation that abolished it, None while it exists


def _read(path: Path) -> dict[str, LocalAuthority]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = csv.DictReader(line for line in fh if not line.startswith("#"))
        out = {}
        for row in rows:
            ended = _ENDED.match(row["name"])
            out[row["code"]] = LocalAuthority(row["code"], row["name"], row["gss_code"], row["group"],
                                              int(ended.group(1)) if ended else None)
    return out


AUTHORITIES = _read(SOURCE)
UPN_LA_CODES = frozenset(code for code, la in AUTHORITIES.items()
                         if code not in _NOT_AN_LA and (la.ended is None or la.ended > 1998))
CURRENT_CODES = frozenset(code for code, la in AUTHORITIES.items()
                          if la.group in ("England", "Wales") and la.ended is None)


def name_of(code: str) -> str | None:
    """The LA's name for a 3-digit code, or None when the code is not in the list."""
    la = AUTHORITIES.get(code)
    return la.name if la else None
