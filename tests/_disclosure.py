"""The attacker's view of a perturbed table: which ``c`` cells its published figures pin down.

Under cell-key perturbation (``data_access.cellkey``) a total is a count of its own records, so it
need not equal the sum of the cells shown, and ``suppression.recoverable_cells`` (which assumes it
does) no longer models the attack. Here every published figure stands for the set of true counts it
can come from, an interval: ``v`` for v-D..v+D (D = ``cellkey.MAX_ADJUSTMENT``), ``0`` for 0..D (a
true count of 1 or 2 can be published as 0), ``"c"`` for 1..threshold+D (a true 0 is always 0). Each
line (cells and their total) must add up in TRUE counts. Interval propagation over the lines finds
every ``c`` whose true count is then certain: exactly the differencing attack, with the noise.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from data_access import cellkey

TOTAL = "Total"  # the row and column label of totals (as ``suppression.TOTAL``)


class Pinned(NamedTuple):
    row: object
    column: object
    value: int


def _interval(value: object, threshold: int) -> tuple[float, float]:
    d = cellkey.MAX_ADJUSTMENT
    if value == cellkey.SUPPRESSED:
        return 1.0, float(threshold + d)
    v = int(value)  # type: ignore[call-overload]  # a published count
    return float(max(v - d, 0)), float(v + d)


def pinned_cells(frame: pd.DataFrame, threshold: int) -> list[Pinned]:
    """``c`` cells of ``frame`` whose true count its published figures fix (a ``"Total"`` last column:
    each row sums to it; a ``"Total"`` last row: each column does). Raises ValueError when the
    figures cannot all be within D of counts that add up (a total not counting its cells' records)."""
    grid = frame.to_numpy(dtype=object)
    low = np.empty(grid.shape)
    high = np.empty(grid.shape)
    for (i, j), value in np.ndenumerate(grid):
        low[i, j], high[i, j] = _interval(value, threshold)
    rows, cols = grid.shape
    lines: list[list[tuple[int, int]]] = []  # each line: its cells, then its total
    if frame.columns[-1:].tolist() == [TOTAL]:
        lines += [[(i, j) for j in range(cols)] for i in range(rows)]
    if frame.index[-1:].tolist() == [TOTAL]:
        lines += [[(i, j) for i in range(rows)] for j in range(cols)]
    for _ in range(200):
        changed = False
        for line in lines:
            *cells, total = line
            lo_sum, hi_sum = sum(low[c] for c in cells), sum(high[c] for c in cells)
            new = (max(low[total], lo_sum), min(high[total], hi_sum))
            if new != (low[total], high[total]):
                low[total], high[total], changed = *new, True
            for c in cells:
                new = (max(low[c], low[total] - (hi_sum - high[c])), min(high[c], high[total] - (lo_sum - low[c])))
                if new != (low[c], high[c]):
                    lo_sum, hi_sum = lo_sum - low[c] + new[0], hi_sum - high[c] + new[1]
                    low[c], high[c], changed = *new, True
            if any(low[c] > high[c] for c in line):
                raise ValueError("the figures shown cannot come from counts that add up")
        if not changed:
            break
    return [Pinned(frame.index[i], frame.columns[j], int(low[i, j]))
            for (i, j), value in np.ndenumerate(grid) if value == cellkey.SUPPRESSED and low[i, j] == high[i, j]]
