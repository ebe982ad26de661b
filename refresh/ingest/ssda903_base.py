"""What the SSDA903 rules see: one child's rows from every module, the collection year, typed values.

A rule is a function of a ``Ctx`` yielding ``Problem``s (module, line, column, DfE code, message);
``rule(code)`` registers it. Rule codes are DfE's (as numbered in the 903 validation rules and in
data-to-insight's csc-validator-be-903); the INT checks are csc-validator's own integrity checks.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from refresh.ingest.ssda903_files import Row


class Problem(NamedTuple):
    module: str
    line: int  # 0: the child as a whole
    column: str
    rule: str
    message: str


@dataclass(frozen=True)
class Year:
    """A collection year, named by its end: 2024 runs from 1 April 2023 to 31 March 2024."""

    year: int

    @property
    def start(self) -> dt.date:
        return dt.date(self.year - 1, 4, 1)

    @property
    def end(self) -> dt.date:
        return dt.date(self.year, 3, 31)


_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def parse_date(text: str) -> dt.date | None:
    """dd/mm/yyyy (DfE) or yyyy-mm-dd; None when blank; ValueError when not a date."""
    text = text.strip().split(" ")[0]
    if not text:
        return None
    if m := _DMY.fullmatch(text):
        return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    if m := _ISO.fullmatch(text):
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    raise ValueError(text)


def date_or_none(text: str) -> dt.date | None:
    """The date, or None when blank or not a date (the field rules report those)."""
    try:
        return parse_date(text)
    except ValueError:
        return None


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def age_on(born: dt.date | None, day: dt.date | None) -> int | None:
    """Age in whole years on ``day``."""
    if born is None or day is None:
        return None
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


@dataclass
class Episode:
    row: Row
    decom: dt.date
    dec: dt.date | None

    def __getattr__(self, column: str) -> str:  # ep.RNE, ep.LS, ... : the cell text
        if column.isupper():
            return self.row.get(column)
        raise AttributeError(column)


@dataclass
class Ctx:
    """One child's rows in the return, and what rules need about them."""

    child: str
    year: Year
    modules: dict[str, list[Row]]
    earlier_episodes: bool = False  # the ledger holds episodes of this child before those in the file
    episodes: list[Episode] = field(default_factory=list)

    def __post_init__(self) -> None:
        eps = []
        for row in self.modules.get("episodes", []):
            start = date_or_none(row.get("DECOM"))
            if start is not None:
                eps.append(Episode(row, start, date_or_none(row.get("DEC"))))
        self.episodes = sorted(eps, key=lambda e: (e.decom, e.row.line))

    def rows(self, module: str) -> list[Row]:
        return self.modules.get(module, [])

    @property
    def header(self) -> Row | None:
        rows = self.rows("header")
        return rows[0] if rows else None

    @property
    def header_dob(self) -> str:
        return self.header.get("DOB") if self.header else ""

    @property
    def dob(self) -> dt.date | None:
        return date_or_none(self.header.get("DOB")) if self.header else None

    @property
    def sex(self) -> str:
        return self.header.get("SEX") if self.header else ""

    def age_on(self, day: dt.date | None) -> int | None:
        return age_on(self.dob, day)

    def in_year(self, day: dt.date | None) -> bool:
        return day is not None and self.year.start <= day <= self.year.end

    def continuously_looked_after(self) -> bool:
        """Looked after continuously for 12 months at 31 March (DfE; as csc-validator's utils): in care
        during the year, with no start (RNE S) after 1 April, no ceasing (REC not X1) before 31 March,
        and no V3/V4 episode in the year."""
        y = self.year
        during = [e for e in self.episodes if e.decom <= y.end and (e.dec is None or e.dec >= y.start)]
        if not during:
            return False
        for e in self.episodes:
            if e.RNE == "S" and y.start < e.decom <= y.end:
                return False
            if e.REC != "X1" and e.dec is not None and y.start <= e.dec < y.end:
                return False
        return not any(e.LS in ("V3", "V4") for e in during)


Check = Callable[[Ctx], Iterable[Problem]]
RULES: dict[str, list[Check]] = {}


def rule(*codes: str) -> Callable[[Check], Check]:
    """Register a check under the DfE code(s) it implements."""
    def register(check: Check) -> Check:
        for code in codes:
            RULES.setdefault(code, []).append(check)
        return check
    return register


def at(module: str, row: Row, column: str, code: str, message: str) -> Problem:
    return Problem(module, row.line, column, code, message)


def each(ctx: Ctx, module: str) -> Iterator[Row]:
    yield from ctx.rows(module)
