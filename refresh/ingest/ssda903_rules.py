"""The SSDA903 rules this loader implements, run child by child (see docs/ingest.md for the list).

``check_child`` runs every registered rule (``ssda903_fields``, ``ssda903_chains``,
``ssda903_others``, ``ssda903_family``, ``ssda903_more``, ``ssda903_extra``) on one child's rows.
``ledger_problems`` adds the rules that need last year's return (DfE 502, 503A-H, 202-208), read
from what earlier returns put in the ledger.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from model.codes_903 import SEX_903_TO_SEX, UPN_UNKNOWN_903
from refresh.ingest import (
    ssda903_chains,
    ssda903_extra,
    ssda903_family,
    ssda903_fields,
    ssda903_more,
    ssda903_others,
)
from refresh.ingest.ssda903_base import RULES, Ctx, Problem, at, date_or_none

MODULES = (ssda903_fields, ssda903_chains, ssda903_others, ssda903_family, ssda903_more,  # register their rules
           ssda903_extra)


def _checks() -> list[object]:
    seen: dict[int, object] = {}
    for checks in RULES.values():
        for check in checks:
            seen.setdefault(id(check), check)
    return list(seen.values())


_ALL = _checks()
LEDGER_RULES = ("502", "503A", "503B", "503C", "503D", "503E", "503F", "503G", "503H", "202", "203", "204", "207",
                "208")
IMPLEMENTED = tuple(sorted({*RULES, *LEDGER_RULES}))


def check_child(ctx: Ctx) -> list[Problem]:
    """Every rule's problems with this child's rows (each check runs once, whatever codes it covers)."""
    out: list[Problem] = []
    for check in _ALL:
        out += check(ctx)  # type: ignore[operator]  # registered checks are Check callables
    return out


# 503A-503H: the item of this year's first episode, the ledger column of last year's open episode, the item's name.
CARRIED = (("503A", "RNE", "rne", "reason for new episode"), ("503B", "LS", "legal_status", "legal status"),
           ("503C", "CIN", "category_of_need", "category of need"), ("503D", "PLACE", "placement_type",
                                                                      "placement type"),
           ("503E", "PLACE_PROVIDER", "placement_provider", "placement provider"), ("503F", "URN", "urn", "Ofsted URN"),
           ("503G", "PL_DISTANCE", "placement_distance", "distance"), ("503H", "PL_LA", "placement_la",
                                                                         "placement LA"))
# 202-208: this year's header item, last year's ledger column, the item's name.
HEADER_AGAIN = (("202", "SEX", "sex", "gender"), ("203", "DOB", "birth_date", "date of birth"),
                ("204", "ETHNIC", "ethnicity", "ethnic origin"), ("208", "UPN", "upn", "Unique Pupil Number (UPN)"))


def _blank(value: object) -> bool:
    return value is None or value == "" or (isinstance(value, float) and value != value) or value is pd.NaT


def _same(column: str, now: str, then: object) -> bool:
    if column == "SEX":
        return SEX_903_TO_SEX.get(now) == then
    if column == "DOB":
        return date_or_none(now) == then
    if column == "PL_DISTANCE":
        try:
            return abs(float(now) - float(str(then))) < 0.05
        except ValueError:
            return False
    return now == str(then)


def ledger_problems(ctx: Ctx, open_episode: dict[str, Any] | None, last_header: dict[str, Any] | None) -> list[Problem]:
    """The rules that need last year's return, read from the ledger: 502 and 503A-503H (last year's open episode
    must begin this year's record, unchanged), 202-204, 207 and 208 (the header agrees with last year's)."""
    out: list[Problem] = []
    header = ctx.header
    if header is not None and last_header is not None:
        for code, column, field, what in HEADER_AGAIN:
            now, then = header.get(column), last_header.get(field)
            if column == "UPN" and (now in UPN_UNKNOWN_903 or _blank(then) or str(then) in UPN_UNKNOWN_903):
                continue
            if now and not _blank(then) and not _same(column, now, then):
                out.append(at("header", header, column, code, f"{column} '{now}', last year '{then}': The {what} "
                                                              "disagrees with that already recorded for this child."))
        if last_header.get("mother") is True and header.get("MOTHER") != "1":
            out.append(at("header", header, "MOTHER", "207", "Mother status for the current year disagrees with the "
                                                             "mother status already recorded for this child."))
    if not ctx.episodes or open_episode is None:
        return out
    open_start = pd.Timestamp(open_episode["start_date"]).date()
    same = [e for e in ctx.episodes if e.decom == open_start]
    if not same:
        first = ctx.episodes[0]
        return out + [at("episodes", first.row, "DECOM", "502", f"Last year's record ended with an open episode from "
                         f"{open_start:%d/%m/%Y} but this return starts {first.decom:%d/%m/%Y}: the date on which that "
                         "episode started does not match the start date of the first episode on this year's record.")]
    for code, column, field, what in CARRIED:
        now, then = getattr(same[0], column), open_episode.get(field)
        if not (_blank(then) and not now) and not (now and not _blank(then) and _same(column, now, then)):
            out.append(at("episodes", same[0].row, column, code, f"{column} '{now}', last year '"
                          f"{'' if _blank(then) else then}': The {what} in the first episode does not match the open "
                          "episode at the end of last year."))
    return out
