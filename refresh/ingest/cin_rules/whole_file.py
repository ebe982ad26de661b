"""Rules on the return as a whole (DfE codes; Q = query): reported with no child, as the DfE raises
them "at LA level". A return-level error (100, 2883) refuses the file; a query (2886Q, 2887Q, 2888Q)
is reported and the file loads. Also the file-wide duplicates, 8510 (LAchildID) and 1520 (UPN),
which are reported on each child concerned.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

from refresh.ingest.cin_rules.base import Data, Period, Problem, episodes_of, ids_of


@dataclass
class Tally:
    """Counts gathered child by child (``add``) for the return-level rules (``problems``)."""

    period: Period
    children: int = 0
    no_sex: int = 0  # 2886Q: sex missing or U, and not unborn
    codes: set[str] = field(default_factory=set)  # 2887Q: disability codes used, NONE aside
    several: bool = False  # 2888Q: a child with more than one disability
    disabled: bool = False
    plans_started: int = 0  # 2883
    conferences: int = 0

    def add(self, child: Data) -> None:
        self.children += 1
        ids = ids_of(child)
        if ids.get("Sex") in (None, "U") and not ids.get("ExpectedPersonBirthDate"):
            self.no_sex += 1
        listed = [d for d in child.get("ChildCharacteristics", {}).get("Disabilities", {}).get("Disability", [])
                  if d != "NONE"]
        if listed:
            self.codes.update(listed)
            self.disabled = True
            self.several = self.several or len(set(listed)) > 1
        inside = self.period.contains
        for e in episodes_of(child):
            if e.get("DateOfInitialCPC") and inside(e["DateOfInitialCPC"]):
                self.conferences += 1
            self.conferences += sum(1 for s in e.get("Section47", [])
                                    if s.get("DateOfInitialCPC") and inside(s["DateOfInitialCPC"]))
            self.plans_started += sum(1 for p in e.get("ChildProtectionPlans", [])
                                      if p.get("CPPstartDate") and inside(p["CPPstartDate"]))

    def problems(self, year: int | None) -> Iterator[Problem]:
        expected = dt.date(year, 3, 31) if year and dt.MINYEAR <= year <= dt.MAXYEAR else None
        if self.period.end != expected:
            yield ("Header/CollectionDetails/ReferenceDate", "100",
                   f"ReferenceDate {self.period.end} is not 31 March of the collection year "
                   f"({year if year else 'no valid <Year> in the header'})")
        if self.plans_started > self.conferences:
            yield ("ChildProtectionPlans/CPPstartDate", "2883",
                   f"{self.plans_started:,} child protection plans start in the census year but only "
                   f"{self.conferences:,} initial conferences are recorded in it")
        if self.children and self.no_sex / self.children > 0.02:
            yield ("ChildIdentifiers/Sex", "2886Q",
                   f"{self.no_sex:,} of {self.children:,} children ({self.no_sex / self.children:.1%}), not unborn, "
                   "have no sex recorded (missing or U): more than 2%")
        if self.children and len(self.codes) <= 7:
            yield ("ChildCharacteristics/Disabilities", "2887Q",
                   f"Only {len(self.codes)} different disability codes (NONE aside) are used in the return; "
                   "more than 7 are expected")
        if self.disabled and not self.several:
            yield ("ChildCharacteristics/Disabilities", "2888Q",
                   "Every child with a disability has exactly one code: record several where a child has them")


def duplicates(ids: list[tuple[str | None, str | None]]) -> Iterator[tuple[int, Problem]]:
    """(child position, problem) for duplicate LAchildIDs (8510) and UPNs (1520); ``ids`` is (LAchildID, UPN)."""
    seen_id: dict[str, list[int]] = {}
    seen_upn: dict[str, list[int]] = {}
    for position, (la_id, upn) in enumerate(ids):
        if la_id:
            seen_id.setdefault(la_id, []).append(position)
        if upn:
            seen_upn.setdefault(upn.upper(), []).append(position)
    for la_id, positions in seen_id.items():
        if len(positions) > 1:
            for position in positions:
                yield position, ("ChildIdentifiers/LAchildID", "8510",
                                 f"LAchildID '{la_id}' is used by {len(positions)} children in this file")
    for upn, positions in seen_upn.items():
        if len(positions) > 1:
            for position in positions:
                yield position, ("ChildIdentifiers/UPN", "1520",
                                 f"UPN '{upn}' is used by {len(positions)} children in this file")
