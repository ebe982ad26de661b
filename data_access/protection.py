"""Protected figures: what a count may be published as, the same in every view that counts it.

A count comes out of the engine as a ``Count``: the true number of records and the sum of their
record keys (``model.recordkeys``). ``Count``s add up only with each other (the union of disjoint
record sets: months into quarters, cells into totals), never with a bare int, so a figure cannot
lose its key on the way to the page without an error. ``shown`` turns one into the published value
with the cell-key method (``cellkey.publish``): the true count plus a small adjustment fixed by the
set of records, and ``"c"`` for 1 to the threshold. The same records give the same value on every
page, chart, card, export and drill-through, so subtracting two views gives noise, not a child.

Totals are counts of their own records (a ``Count`` sum), perturbed like any cell, so they need not
equal the sum of the published cells. Rates and "n of d" come from published counts only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal

from data_access import cellkey
from data_access.cellkey import NOT_APPLICABLE, SUPPRESSED

Shown = int | float | str


class Count(int):
    """A true count with the raw key sum of the records it counts. Never shown as it is."""

    keysum: int  # an instance attribute: int subtypes cannot have non-empty __slots__

    def __new__(cls, n: int, keysum: int) -> Count:
        obj = super().__new__(cls, n)
        obj.keysum = int(keysum)
        return obj

    def __add__(self, other: object) -> Count:  # closed over Count: keys add up
        if isinstance(other, Count):
            return Count(int(self) + int(other), self.keysum + other.keysum)
        if type(other) is int and other == 0:  # sum() starts from 0: the empty set
            return self
        raise TypeError("a protected count adds only to another protected count")

    __radd__ = __add__

    def __sub__(self, other: object) -> int:  # differences have no keys
        raise TypeError("a protected count cannot be subtracted: count the records in question instead")

    __rsub__ = __sub__

    def __repr__(self) -> str:
        return f"Count({int(self)}, keysum={self.keysum})"


ZERO = Count(0, 0)


def total(counts: Iterable[Count | int]) -> Count:
    """The count of the union of disjoint cells (their records together)."""
    out = ZERO
    for c in counts:
        out = out + c
    return out


def _checked(count: object) -> Count:
    if isinstance(count, Count):
        return count
    if type(count) is int and count == 0:  # no records at all: 0 is 0 in every view
        return ZERO
    raise TypeError(f"{count!r} has no record keys: only protected counts (Count) can be published")


def shown(count: Count | int, *, threshold: int) -> int | str:
    """The published value of a count: perturbed by its cell key, ``"c"`` for 1..threshold."""
    c = _checked(count)
    return cellkey.publish(int(c), c.keysum, threshold=threshold + 1)


def line(counts: Sequence[Count | int], *, threshold: int) -> tuple[list[int | str], int | str]:
    """A one-way breakdown's published cells and its published total (a count of its own)."""
    return [shown(c, threshold=threshold) for c in counts], shown(total(counts), threshold=threshold)


def grid(counts: Sequence[Sequence[Count | int]], *, threshold: int) -> list[list[int | str]]:
    """A two-way table with a total column and a total row, every cell published on its own."""
    width = len(counts[0]) if counts else 0
    rows = [[*(shown(c, threshold=threshold) for c in row), shown(total(row), threshold=threshold)]
            for row in counts]
    columns = [total(row[j] for row in counts) for j in range(width)]
    margin = [*(shown(c, threshold=threshold) for c in columns), shown(total(columns), threshold=threshold)]
    return [*rows, margin]


def rate(numerator: Shown, denominator: Shown, *, per: int = 100, decimals: int = 1) -> float | str:
    """A rate from PUBLISHED counts only: ``"c"`` when either is ``"c"`` or the published denominator
    is below ``cellkey.MIN_DENOMINATOR``; ``"z"`` for a zero denominator."""
    if isinstance(numerator, str) or isinstance(denominator, str):
        return SUPPRESSED if SUPPRESSED in (numerator, denominator) else NOT_APPLICABLE
    return cellkey.rate(int(numerator), int(denominator), per=per, decimals=decimals)


def population_rate(numerator: Shown, population: int | None, *, per: int = 10_000,
                    decimals: int = 1) -> float | str:
    """A published count per ``per`` of a PUBLIC population (ONS estimates): only the count is protected."""
    if population is None or population <= 0:
        return NOT_APPLICABLE
    if isinstance(numerator, str):
        return numerator
    value = Decimal(int(numerator) * per) / Decimal(population)  # half-up, as published rates
    return float(value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def average_allowed(count: Count | int, *, threshold: int) -> bool:
    """Whether a mean or median over these units may be shown: their PUBLISHED number is at least
    ``cellkey.MIN_AVERAGE_N`` (NHS Digital shows averages of 1-7 values as ``*``), decided from the
    published count so the decision is the same in every view."""
    value = shown(count, threshold=threshold)
    return isinstance(value, int) and value >= cellkey.MIN_AVERAGE_N
