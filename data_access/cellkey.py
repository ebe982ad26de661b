"""Consistent cell-key perturbation (the ABS TableBuilder / ONS Census 2021 method), pure core.

Each counted unit (a child, or an event row for event counts) carries a **record key** in
0..KEY_SPACE-1: an HMAC-SHA256 of its natural id under a secret, so it is stable across refreshes and
unguessable without the secret. A cell's **cell key** is the sum of its records' keys mod KEY_SPACE,
so the same set of records has the same key in every view, order and partition, and (count, keysum)
pairs add up over disjoint sets (``combine``: months roll up to quarters before perturbing). A
**p-table** maps (count, cell key) to a small adjustment; ``publish`` then shows ``"c"`` for perturbed
values in 1..THRESHOLD-1. Equal records give equal published values everywhere, and the difference of
two overlapping views carries the noise of both cells, not the count of the records between them.

Parameters and why (docs/disclosure.md has the sources):

* KEY_SPACE = 4096: ONS's range for administrative data (0-4095; Census 2021 used 0-255). The chance
  that two different cells share a key, which would give them identical noise, is 1/4096.
* MAX_ADJUSTMENT D = 2 and VARIANCE V = 1.0: the sdcTools ``ptable`` parameters (maximum noise D,
  noise variance V), with its maximum-entropy shape p(j) ~ exp(-lam*j^2 + mu*j). For counts >= 2
  this gives 0 (38%), +-1 (24% each), +-2 (6.4% each). The figures stay within 2 of the truth, yet
  two cells carry equal noise only ~28% of the time, so a difference is seldom the true count (noise
  on ~14% of cells, as ONS reports for Census 2021, would give the true difference ~75% of the time).
* Zero mean, exactly: the adjustments of every row (count 1, 2, ...) sum to 0 over the 4096 keys, so
  totals of many perturbed cells are unbiased. True zeros stay 0 (no phantom children); a 1 becomes
  0 for 32% of keys, so a published 0 does not prove absence.
* THRESHOLD = 6: perturbed values 1..5 are shown as ``"c"``, the DfE symbol with the meaning it has
  on the statutory pages (1 to 5), so no count from 1 to 5 is ever published. It uses ONS semantics
  (``count < threshold`` is suppressed), i.e. Settings.suppression_threshold + 1. Whether ``"c"`` is
  shown depends only on (count, cell key), so it too is the same in every view.
* ONS layout: rows for counts 0..750, and counts above 750 reuse rows 501-750 cyclically
  (``ons_pcv``), exactly as the ONS package does; ``PTable.to_ons`` exports the table in its
  (pcv, ckey, pvalue) format and ``PTable.from_ons`` loads one of its tables.
* Rates only from published counts (as NHS Digital computes percentages from rounded ones), and
  ``"c"`` when either count is or the published denominator is below MIN_DENOMINATOR = 10, since
  +-2 noise moves a rate on fewer than 10 by more than 20 points. Means and medians of durations
  need MIN_AVERAGE_N = 8 units (NHS Digital shows those from 1-7 values as ``*``).

A count and its key sum must cover the same units, one row per unit: no ``count(DISTINCT ...)`` next
to a plain ``sum(rkey)``, and no NULL record keys (deduplicate first). Keep the secret and the p-table
for good: new ones give every cell new noise, and old and new figures could then be differenced.
"""

from __future__ import annotations

import hashlib
import math
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Literal, NamedTuple

import numpy as np
import sqlalchemy as sa

from model.recordkeys import KEY_SPACE, MIN_SECRET_BYTES, record_key, record_keys  # noqa: F401  (re-exported)

MAX_ADJUSTMENT = 2
VARIANCE = 1.0
THRESHOLD = 6
PTABLE_ROWS = 750
PTABLE_CYCLE = 250
MIN_DENOMINATOR = 10
MIN_AVERAGE_N = 8
SUPPRESSED: Literal["c"] = "c"
NOT_APPLICABLE: Literal["z"] = "z"
_SEED = b"csi-cellkey-ptable-v1"

Published = int | Literal["c"]


# Record keys and cell keys -------------------------------------------------------------------------

def cell_key(keys: Iterable[int], key_space: int = KEY_SPACE) -> int:
    """The cell key of a set of records: the sum of their record keys mod ``key_space``."""
    return sum(keys) % key_space


class Tally(NamedTuple):
    """A cell before perturbation: its true count and its (reduced) key sum."""

    n: int  # the true count
    keysum: int


def combine(pairs: Iterable[tuple[int, int]], key_space: int = KEY_SPACE) -> Tally:
    """The (count, keysum) of the union of DISJOINT record sets, e.g. a quarter from its months."""
    total = keysum = 0
    for n, k in pairs:
        total, keysum = total + n, keysum + k
    return Tally(total, keysum % key_space)


def cell_key_sum(column: sa.ColumnElement[int]) -> sa.ColumnElement[int]:
    """SQL ``coalesce(CAST(sum(column) AS BIGINT), 0)``: a group's raw key sum (0 when empty), an
    integer on DuckDB (whose sum is HUGEINT), PostgreSQL (NUMERIC for BIGINT input) and SQLite. Pair it
    with ``count(*)`` over the same rows; reduce it (or pass it as is) with ``perturb``/``publish``."""
    return sa.func.coalesce(sa.cast(sa.func.sum(column), sa.BigInteger), 0)


def keysum_filtered(column: sa.ColumnElement[int], cond: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    """SQL ``coalesce(CAST(sum(column) FILTER (WHERE cond) AS BIGINT), 0)``: the key sum of the rows that
    ``count(*) FILTER (WHERE cond)`` counts (DuckDB, PostgreSQL, SQLite >= 3.30)."""
    return sa.func.coalesce(sa.cast(sa.func.sum(column).filter(cond), sa.BigInteger), 0)


# The perturbation table ----------------------------------------------------------------------------

def ons_pcv(count: int, rows: int = PTABLE_ROWS, cycle: int = PTABLE_CYCLE) -> int:
    """The p-table row of a count, as ONS: itself up to ``rows``, then rows-cycle+1..rows cyclically."""
    return count if count <= rows else (count - 1) % cycle + rows - cycle + 1


class PTable:
    """Adjustments by (row, cell key): ``rows`` rows of ``key_space`` integers each; row 0 and rows
    absent from the table adjust by 0 (as ONS's left join does)."""

    def __init__(self, table: Mapping[int, Sequence[int]], key_space: int = KEY_SPACE,
                 rows: int = PTABLE_ROWS, cycle: int = PTABLE_CYCLE) -> None:
        if not 0 < cycle <= rows:
            raise ValueError("need 0 < cycle <= rows")
        self.key_space, self.rows, self.cycle = key_space, rows, cycle
        self._table: dict[int, array[int]] = {}
        for pcv, adjustments in table.items():
            if not 0 <= pcv <= rows or len(adjustments) != key_space:
                raise ValueError(f"row {pcv}: need 0 <= row <= {rows} and {key_space} adjustments")
            row = adjustments if isinstance(adjustments, array) and adjustments.typecode == "h" \
                else array("h", adjustments)  # raises OverflowError for an adjustment beyond 16 bits
            if pcv + int(np.frombuffer(row, dtype=np.int16).min()) < 0:
                raise ValueError(f"row {pcv} would publish a negative count")
            self._table[pcv] = row

    def row(self, pcv: int) -> Sequence[int]:
        """The adjustments of row ``pcv`` by cell key (zeros for a row the table does not hold)."""
        return self._table.get(pcv) or array("h", bytes(2 * self.key_space))

    def adjustment(self, count: int, ckey: int) -> int:
        """What the table adds to a true ``count`` whose cell key (or raw key sum) is ``ckey``."""
        row = self._table.get(ons_pcv(count, self.rows, self.cycle))
        return 0 if row is None else row[ckey % self.key_space]

    def to_ons(self) -> Iterator[tuple[int, int, int]]:
        """(pcv, ckey, pvalue) for rows 1..rows: the ptable format of ONS's ``cell_key_perturbation``."""
        for pcv in range(1, self.rows + 1):
            yield from ((pcv, ckey, p) for ckey, p in enumerate(self.row(pcv)))

    @classmethod
    def from_ons(cls, entries: Iterable[tuple[int, int, int]], key_space: int | None = None) -> PTable:
        """A table from (pcv, ckey, pvalue) rows, e.g. ONS's shipped 10-5 table (its cell keys: 0..255).
        Its layout must be ONS's (rows 1..750, reused from 501); absent entries adjust by 0."""
        cells = {(int(p), int(k)): int(v) for p, k, v in entries}
        space = key_space or max(k for _, k in cells) + 1
        pcvs = {p for p, _ in cells}
        return cls({p: [cells.get((p, k), 0) for k in range(space)] for p in pcvs}, key_space=space)


def noise_distribution(low: int, high: int, variance: float = VARIANCE,
                       max_adjustment: int = MAX_ADJUSTMENT) -> dict[int, float]:
    """Maximum-entropy, zero-mean probabilities of the adjustments low..high: p(j) ~ exp(-lam*j^2 +
    mu*j), lam fitted so the full range -D..D has ``variance``, mu so the mean is 0 when a small count
    cuts the range at -count (the ``ptable`` construction of Giessing 2016 / sdcTools)."""
    if not 0 < variance < max_adjustment ** 2 or low >= 0 or high <= 0:
        raise ValueError("need 0 < variance < D^2 and low < 0 < high")

    def probs(lo: int, hi: int, lam: float, mu: float) -> dict[int, float]:
        w = {j: math.exp(-lam * j * j + mu * j) for j in range(lo, hi + 1)}
        return {j: v / sum(w.values()) for j, v in w.items()}

    def solve(f: Callable[[float], float], lo: float, hi: float) -> float:  # f increasing: bisection
        for _ in range(200):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if f(mid) < 0 else (lo, mid)
        return (lo + hi) / 2

    d = max_adjustment
    lam = solve(lambda x: variance - sum(p * j * j for j, p in probs(-d, d, x, 0.0).items()), -20.0, 20.0)
    mu = solve(lambda x: sum(p * j for j, p in probs(low, high, lam, x).items()), -40.0, 40.0)
    return probs(low, high, lam, mu)


def _counts(dist: Mapping[int, float], key_space: int) -> dict[int, int]:
    """How many of the keys get each adjustment: rounded, then made to sum to key_space with mean 0."""
    counts = {j: round(p * key_space) for j, p in dist.items() if j}
    counts[0] = key_space - sum(counts.values())
    excess = sum(j * c for j, c in counts.items())  # move |excess| keys from 0 to -1 or +1
    counts[0] -= abs(excess)
    counts[-1 if excess > 0 else 1] += abs(excess)
    if min(counts.values()) < 0:
        raise ValueError("the key space is too small for this distribution")
    return counts


def _scramble(pcv: int, key_space: int) -> tuple[int, int]:
    """A fixed affine permutation k -> (a*k + b) mod key_space per row (a coprime to key_space), so
    rows with the same distribution place their adjustments on different keys."""
    digest = hashlib.sha256(_SEED + pcv.to_bytes(4, "big")).digest()
    a, b = int.from_bytes(digest[:8], "big") % key_space | 1, int.from_bytes(digest[8:16], "big") % key_space
    while math.gcd(a, key_space) != 1:
        a += 2
    return a, b


def build_ptable(max_adjustment: int = MAX_ADJUSTMENT, variance: float = VARIANCE, key_space: int = KEY_SPACE,
                 rows: int = PTABLE_ROWS, cycle: int = PTABLE_CYCLE) -> PTable:
    """The p-table, deterministically: row n (1..rows) gives ``_counts`` keys to each adjustment of
    ``noise_distribution(max(-D, -n), D)`` in order, then permutes keys with ``_scramble(n)``; row 0
    is all zeros. Counts above ``rows`` reuse the last ``cycle`` rows (all rows n >= D share one
    distribution, so the reuse keeps every count unbiased)."""
    table: dict[int, array[int]] = {0: array("h", bytes(2 * key_space))}
    layouts: dict[int, np.ndarray] = {}  # lowest adjustment -> the adjustments of keys 0.. in order
    keys = np.arange(key_space, dtype=np.int64)
    for n in range(1, rows + 1):
        low = max(-max_adjustment, -n)
        if low not in layouts:
            dist = noise_distribution(low, max_adjustment, variance, max_adjustment)
            layouts[low] = np.array([j for j, c in sorted(_counts(dist, key_space).items()) for _ in range(c)],
                                    dtype=np.int16)
        a, b = _scramble(n, key_space)
        # Row n's key k gets ordered[(a*k + b) mod key_space] (numpy: a worker builds the table at start).
        table[n] = array("h", layouts[low][(a * keys + b) % key_space].tobytes())
    return PTable(table, key_space, rows, cycle)


@cache
def default_ptable() -> PTable:
    """The p-table of the module constants (built once per process, in under a second)."""
    return build_ptable()


# Publishing ----------------------------------------------------------------------------------------

def perturb(count: int, ckey: int, ptable: PTable | None = None) -> int:
    """The perturbed count of a cell with true ``count`` and cell key (or raw key sum) ``ckey``."""
    if count < 0:
        raise ValueError("a count cannot be negative")
    return count + (ptable or default_ptable()).adjustment(count, ckey)


def publish(count: int, ckey: int, threshold: int = THRESHOLD, ptable: PTable | None = None) -> Published:
    """The displayed value: the perturbed count, or ``"c"`` when it is in 1..threshold-1. It depends on
    (count, ckey) only, so the same records show the same value in every view."""
    value = perturb(count, ckey, ptable)
    return SUPPRESSED if 0 < value < threshold else value


def publish_tally(tally: tuple[int, int], threshold: int = THRESHOLD, ptable: PTable | None = None) -> Published:
    """``publish`` of a (count, keysum) pair, e.g. one row of a batch query or of ``combine``."""
    return publish(tally[0], tally[1], threshold, ptable)


def _usable(numerator: Published, denominator: Published,
            minimum: int) -> tuple[int, int] | Literal["c", "z"]:
    if SUPPRESSED in (numerator, denominator):
        return SUPPRESSED
    num, den = int(numerator), int(denominator)
    if den == 0:
        return NOT_APPLICABLE
    return SUPPRESSED if den < minimum else (min(num, den), den)


def rate(numerator: Published, denominator: Published, *, minimum: int = MIN_DENOMINATOR, per: int = 100,
         decimals: int = 1) -> float | Literal["c", "z"]:
    """``numerator / denominator * per`` from PUBLISHED counts, rounded half-up: ``"c"`` when either is
    ``"c"`` or the denominator is below ``minimum``, ``"z"`` when it is 0. A numerator that noise took
    above its denominator counts as the denominator (no 103%)."""
    usable = _usable(numerator, denominator, minimum)
    if isinstance(usable, str):
        return usable
    value = Decimal(usable[0] * per) / Decimal(usable[1])
    return float(value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def n_of_d(numerator: Published, denominator: Published, *, minimum: int = MIN_DENOMINATOR) -> str:
    """``"12 of 40"`` from published counts, under the same rules as ``rate``."""
    usable = _usable(numerator, denominator, minimum)
    return usable if isinstance(usable, str) else f"{usable[0]:,} of {usable[1]:,}"
