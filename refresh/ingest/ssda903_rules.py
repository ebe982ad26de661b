"""The SSDA903 rules this loader implements, run child by child (see docs/ingest.md for the list).

``check_child`` runs every registered rule (``ssda903_fields``, ``ssda903_chains``,
``ssda903_others``, ``ssda903_family``, ``ssda903_more``) on one child's rows. ``ledger_problems`` adds the rules
that need last year's return (DfE 502), read from the episodes already in the ledger.
"""

from __future__ import annotations

import datetime as dt

from refresh.ingest import ssda903_chains, ssda903_family, ssda903_fields, ssda903_more, ssda903_others
from refresh.ingest.ssda903_base import RULES, Ctx, Problem, at

MODULES = (ssda903_fields, ssda903_chains, ssda903_others, ssda903_family, ssda903_more)  # register their rules


def _checks() -> list[object]:
    seen: dict[int, object] = {}
    for checks in RULES.values():
        for check in checks:
            seen.setdefault(id(check), check)
    return list(seen.values())


_ALL = _checks()
IMPLEMENTED = tuple(sorted({*RULES, "502"}))


def check_child(ctx: Ctx) -> list[Problem]:
    """Every rule's problems with this child's rows (each check runs once, whatever codes it covers)."""
    out: list[Problem] = []
    for check in _ALL:
        out += check(ctx)  # type: ignore[operator]  # registered checks are Check callables
    return out


def ledger_problems(ctx: Ctx, open_start: dt.date | None) -> list[Problem]:
    """DfE 502: last year's record ended with an open episode (``open_start``: its DECOM, from the ledger), whose
    start must begin this year's record."""
    if not ctx.episodes or open_start is None or any(e.decom == open_start for e in ctx.episodes):
        return []
    first = ctx.episodes[0]
    return [at("episodes", first.row, "DECOM", "502", f"The ledger holds an open episode from {open_start:%d/%m/%Y} "
               f"but this return starts {first.decom:%d/%m/%Y}: Last year's record ended with an open episode. The "
               "date on which that episode started does not match the start date of the first episode on this "
               "year's record.")]
