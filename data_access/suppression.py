"""Small-number suppression (statistical disclosure control) applied before anything leaves data_access.

Rules (DfE children's social care convention; shared/reference/security-and-disclosure.md §4):

* Primary: a count in 1..threshold (default 5), totals included, is shown as ``"c"``; 0 stays 0.
* Line rule (secondary, per view). A line is some cells and the total the view shows for them (each
  row and column of a table, the rows/columns of totals, a series and its total). If its total is
  shown and a cell is ``c``, at least two are and they add up to more than the threshold, so "total
  minus shown cells" is neither one cell nor a small number. If its total is ``c``, so is a cell
  (else the total is their sum). The extra cell is the line's smallest non-zero shown cell (zeros are
  known, so protect nothing; ties go to the first); with none left, the line's total is suppressed.
* Cycle check, for what the line rule misses (two blocks of ``c`` joined by one cell give it away by
  differencing). The attacker knows every shown number and that every ``c`` is >= 1. A ``c`` is safe
  iff another consistent table gives it another value, i.e. iff it lies on a cycle of ``c`` cells
  (row, column, row, ...) along which 1 can be moved without taking a ``c`` below 1 (the difference
  of two solutions splits into such cycles). An unsafe ``c`` gets the smallest single extra ``c``
  that makes it safe, else its row, column and grand totals; then the line rule again, to a fixpoint.
* Rates are ``"c"`` when their numerator or denominator is, ``"z"`` when the denominator is 0.

Suppress per rendered view, with the totals that view shows (``margins``/``total``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

import numpy as np
import pandas as pd

SUPPRESSED = "c"
NOT_APPLICABLE = "z"
TOTAL = "Total"
Shown = int | str  # a displayed count: an int, or SUPPRESSED


@dataclass(frozen=True, eq=False)
class SuppressedTable:
    """A suppressed two-way table. ``frame``: object dtype, ints or ``"c"``, with a ``"Total"`` row and
    column when margins are shown; ``mask``: bool, same labels, True where suppressed."""

    frame: pd.DataFrame
    mask: pd.DataFrame

    def chart_values(self) -> pd.DataFrame:
        """Floats for a chart, NaN where suppressed (draw as gaps; say ``"c"`` in the hover)."""
        return self.frame.mask(self.mask, np.nan).astype(float)

    def text(self) -> pd.DataFrame:
        """Strings for hover text and accessible tables: ``"c"`` or the count with thousands separators."""
        return self.frame.map(lambda v: v if v == SUPPRESSED else f"{v:,}")

    def body(self) -> SuppressedTable:
        """The table without its total row and column (e.g. for a chart)."""
        rows, cols = self.frame.index != TOTAL, self.frame.columns != TOTAL
        return SuppressedTable(self.frame.loc[rows, cols], self.mask.loc[rows, cols])

    def to_records(self) -> list[dict[Hashable, Shown]]:
        """One dict per displayed row (index under its name, or ``"index"``), totals included."""
        return self.frame.reset_index().to_dict("records")


@dataclass(frozen=True, eq=False)
class SuppressedSeries:
    """A suppressed one-way breakdown: ``values`` (object: ints or ``"c"``) and ``mask`` without the
    total; ``total`` is the displayed total, or None when the view shows no total."""

    values: pd.Series
    mask: pd.Series
    total: Shown | None

    def tolist(self) -> list[Shown]:
        """The displayed values in order (no total)."""
        return self.values.tolist()

    def chart_values(self) -> list[float | None]:
        """Floats for a chart, None where suppressed."""
        return [None if m else float(v) for v, m in zip(self.values, self.mask, strict=True)]

    @property
    def frame(self) -> pd.DataFrame:
        """One column of displayed values with a ``"Total"`` row when the total is shown."""
        shown = self.values if self.total is None else pd.concat(
            [self.values, pd.Series([self.total], index=[TOTAL], dtype=object)])
        return shown.rename_axis(self.values.index.name).to_frame(  # type: ignore[call-overload]  # pandas-stubs: a Hashable name
            self.values.name if self.values.name is not None else "count")


class Recovered(NamedTuple):
    """A suppressed cell an attacker can work out from a view, and its value."""

    row: Hashable
    column: Hashable
    value: int


def suppress_count(n: int, threshold: int = 5) -> Shown:
    """One count as shown: ``"c"`` if 1..threshold, otherwise the count (0 stays 0)."""
    counts = _as_counts(np.array([n]))
    return SUPPRESSED if 1 <= counts[0] <= threshold else int(counts[0])


def suppress_series(counts: pd.Series, *, threshold: int = 5, total: bool = True,
                    extra: pd.Series | None = None) -> SuppressedSeries:
    """Suppress a one-way breakdown. With ``total`` (the view shows the total), the line rule holds for
    the cells and their total, and no ``c`` can be worked out; a total of 1..threshold is ``"c"``
    (and then so is every non-zero cell). Without it, primary suppression only. ``extra``: cells to
    suppress as well (labels as in the result, ``"Total"`` included; e.g. suppressed in a linked
    view or a previous result's mask); zeros there are ignored."""
    if total and TOTAL in counts.index:
        raise ValueError(f"counts already has a {TOTAL!r} label")
    values = counts.to_numpy(dtype=float, na_value=np.nan)
    shown, sup, shown_total = _line(values, _forced(extra, _with_total(counts.index)), threshold, total)
    return SuppressedSeries(pd.Series(shown, index=counts.index, name=counts.name, dtype=object),
                            pd.Series(sup, index=counts.index, name=counts.name, dtype=bool), shown_total)


def suppress_line(counts: Sequence[int], *, threshold: int = 5, total: bool = True) \
        -> tuple[list[Shown], Shown | None]:
    """``suppress_series`` for a plain list of counts (no labels, no ``extra``): the displayed values
    and the displayed total (None without ``total``). The same rules; no pandas on the way, since a
    dashboard suppresses dozens of short lines per request."""
    shown, _sup, shown_total = _line(np.asarray(counts, dtype=float), None, threshold, total)
    return shown, shown_total


def _line(values: np.ndarray, forced: np.ndarray | None, threshold: int, total: bool) \
        -> tuple[list[Shown], list[bool], Shown | None]:
    """One line and its total: (displayed cells, their mask, displayed total or None)."""
    values = _as_counts(values)
    row = np.append(values, values.sum())
    grid = np.vstack([row, row])  # the series as a 1 x n table: its column totals repeat its cells
    sup = (grid >= 1) & (grid <= threshold)
    if forced is not None:
        sup |= forced & (grid > 0)
    sup = _protect(grid, sup, threshold)[0] if total else np.append(sup[0, :-1], False)
    cells = [SUPPRESSED if hidden else int(v) for v, hidden in zip(row.tolist(), sup.tolist(), strict=True)]
    return cells[:-1], sup[:-1].tolist(), (cells[-1] if total else None)


def suppress_table(counts: pd.DataFrame, *, threshold: int = 5, margins: bool = True,
                   extra: pd.DataFrame | None = None) -> SuppressedTable:
    """Suppress a two-way table. With ``margins`` the result has a ``"Total"`` row and column (row,
    column and grand totals); the line rule holds for every row and column, the totals included, and
    no ``c`` can be worked out (cycle check). Without margins, primary suppression only: pass
    ``margins=True`` whenever the view shows any total of this table. ``extra`` as for series."""
    if margins and (TOTAL in counts.index or TOTAL in counts.columns):
        raise ValueError(f"counts already has a {TOTAL!r} label")
    index, columns = counts.index, counts.columns
    if margins:
        index, columns = _with_total(index), _with_total(columns)
    shown, sup = _grid(counts.to_numpy(dtype=float, na_value=np.nan).reshape(counts.shape),
                       _forced(extra, index, columns) if extra is not None else None, threshold, margins)
    return SuppressedTable(pd.DataFrame(shown, index=index, columns=columns, dtype=object),
                           pd.DataFrame(sup, index=index, columns=columns))


def suppress_grid(counts: Sequence[Sequence[int]], *, threshold: int = 5) -> list[list[Shown]]:
    """``suppress_table`` with margins for a plain rows x columns list of counts (no labels, no
    ``extra``): the displayed rows, each ending with its total, then the row of column totals ending
    with the grand total. The same rules; no pandas on the way."""
    values = np.asarray(counts, dtype=float).reshape(len(counts), -1)
    return _grid(values, None, threshold, True)[0].tolist()


def _grid(values: np.ndarray, forced: np.ndarray | None, threshold: int, margins: bool) \
        -> tuple[np.ndarray, np.ndarray]:
    """A table (with its margins added when ``margins``): (displayed cells as objects, mask)."""
    body = _as_counts(values).reshape(values.shape)
    if margins:
        body = np.block([[body, body.sum(axis=1, keepdims=True)], [body.sum(axis=0), body.sum()]])
    sup = (body >= 1) & (body <= threshold)
    if forced is not None:
        sup |= forced & (body > 0)
    if margins:
        sup = _protect(body, sup, threshold)
    return np.where(sup, SUPPRESSED, body.astype(object)), sup


def suppress_rate(numerator: Shown, denominator: Shown, *, threshold: int = 5, per: int = 100,
                  decimals: int = 1, numerator_suppressed: bool = False,
                  denominator_suppressed: bool = False) -> float | str:
    """``numerator / denominator * per`` rounded half-up to ``decimals``; ``"c"`` if either count is
    ``"c"``, in 1..threshold, or flagged as suppressed (secondary); ``"z"`` if the denominator is 0."""
    if numerator_suppressed or denominator_suppressed or SUPPRESSED in (numerator, denominator):
        return SUPPRESSED
    num, den = (int(v) for v in _as_counts(np.array([numerator, denominator], dtype=float)))
    if 1 <= num <= threshold or 1 <= den <= threshold:
        return SUPPRESSED
    if den == 0:
        return NOT_APPLICABLE
    rate = Decimal(num * per) / Decimal(den)
    return float(rate.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def suppress_rates(numerators: pd.Series, denominators: pd.Series | int, *, threshold: int = 5,
                   per: int = 100, decimals: int = 1, numerator_mask: pd.Series | None = None,
                   denominator_mask: pd.Series | None = None) -> pd.Series:
    """``suppress_rate`` element-wise (object Series on ``numerators``' index). Inputs may be raw counts
    with masks (True = suppressed, aligned by index) or displayed values containing ``"c"``."""
    index = numerators.index
    dens = denominators.reindex(index) if isinstance(denominators, pd.Series) else [denominators] * len(index)
    num_sup, den_sup = _forced(numerator_mask, index), _forced(denominator_mask, index)
    rates = [suppress_rate(n, d, threshold=threshold, per=per, decimals=decimals,
                           numerator_suppressed=bool(a), denominator_suppressed=bool(b))
             for n, d, a, b in zip(numerators, dens, num_sup, den_sup, strict=True)]
    return pd.Series(rates, index=index, name=numerators.name, dtype=object)


def recoverable_cells(view: pd.DataFrame | SuppressedTable | SuppressedSeries) -> list[Recovered]:
    """The attacker's view: ``c`` cells of a displayed table whose value is determined by what it shows.

    A ``"Total"`` last column makes each row a line summing to it; a ``"Total"`` last row makes each
    column one. Every ``c`` is taken as an unknown integer >= 1 (zeros are shown). Finds cells fixed
    by the line equations alone (zero in every null-space vector) and cells whose bounds collapse
    under interval propagation (e.g. two ``c`` summing to 2). Sound, not complete: the suppression
    itself uses the exact cycle check. Raises ValueError if the view is inconsistent."""
    frame = view if isinstance(view, pd.DataFrame) else view.frame
    grid = frame.to_numpy(dtype=object).ravel()
    unknown = grid == SUPPRESSED
    ids, known = np.cumsum(unknown) - 1, np.where(unknown, 0, grid).astype(np.int64)
    cells = np.arange(grid.size).reshape(frame.shape)  # each line: its cells, then its total
    lines = [*(cells if frame.columns[-1:].tolist() == [TOTAL] else [])]
    lines += [*(cells.T if frame.index[-1:].tolist() == [TOTAL] else [])]
    equations: list[tuple[list[tuple[int, int]], int]] = []  # ([(unknown id, +1 or -1)], constant)
    for line in lines:
        signs = np.append(np.ones(len(line) - 1, dtype=np.int64), -1)
        terms = [(int(ids[p]), int(a)) for p, a in zip(line, signs, strict=True) if unknown[p]]
        constant = -int((signs * known[line]).sum())
        if not terms and constant:
            raise ValueError("the view's totals do not add up")
        equations.append((terms, constant))
    n = int(unknown.sum())
    low, high = _propagate(equations, n)
    found = {j: int(low[j]) for j in range(n) if low[j] == high[j]}
    if n and equations:
        matrix = np.zeros((len(equations), n))
        for r, (terms, _) in enumerate(equations):
            matrix[r, [j for j, _ in terms]] = [a for _, a in terms]
        constants = np.array([c for _, c in equations], dtype=float)
        _, singular, vt = np.linalg.svd(matrix)
        null = vt[int((singular > 1e-9).sum()):]
        solution = np.linalg.lstsq(matrix, constants, rcond=None)[0]
        found |= {j: round(float(solution[j])) for j in range(n) if np.all(np.abs(null[:, j]) < 1e-9)}
    where = [divmod(int(p), frame.shape[1]) for p in np.flatnonzero(unknown)]
    return [Recovered(frame.index[where[j][0]], frame.columns[where[j][1]], value)
            for j, value in sorted(found.items())]


def _propagate(equations: Sequence[tuple[list[tuple[int, int]], int]], n: int) -> tuple[list[float], ...]:
    """Interval propagation of ``sum(a * x) = constant`` with every x >= 1 (integer bounds)."""
    low, high = [1.0] * n, [float("inf")] * n
    for _ in range(500):
        changed = False
        for terms, constant in equations:
            for m, sign in terms:
                rest_low = sum(low[k] if a > 0 else -high[k] for k, a in terms if k != m)
                rest_high = sum(high[k] if a > 0 else -low[k] for k, a in terms if k != m)
                lo, hi = (constant - rest_high, constant - rest_low) if sign > 0 else \
                    (rest_low - constant, rest_high - constant)
                if lo > low[m] or hi < high[m]:
                    low[m], high[m], changed = max(lo, low[m]), min(hi, high[m]), True
                if low[m] > high[m]:
                    raise ValueError("the view is inconsistent with non-negative counts")
        if not changed:
            break
    return low, high


def _as_counts(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    if np.isnan(values).any() or (values < 0).any() or (values != np.floor(values)).any():
        raise ValueError("counts must be non-negative whole numbers")
    return values.astype(np.int64)


def _with_total(labels: pd.Index) -> pd.Index:
    return labels.append(pd.Index([TOTAL])).rename(labels.name)


def _forced(extra: pd.Series | pd.DataFrame | None, index: pd.Index, columns: pd.Index | None = None) \
        -> np.ndarray:
    """``extra`` (True = suppress) aligned to the labels; missing labels are False."""
    if extra is None:
        return np.zeros((len(index),) if columns is None else (len(index), len(columns)), dtype=bool)
    aligned = extra.reindex(index, fill_value=False) if columns is None else \
        extra.reindex(index=index, columns=columns, fill_value=False)  # type: ignore[call-arg]  # with columns: a DataFrame
    return aligned.to_numpy(dtype=bool)


def _protect(grid: np.ndarray, sup: np.ndarray, threshold: int) -> np.ndarray:
    """Add secondary suppressions to ``grid`` (a table whose last row and column are its totals)."""
    sup = sup.copy()
    while True:
        if _apply_line_rule(grid, sup, threshold):
            continue
        unsafe = _unsafe_cells(grid, sup)
        if not unsafe:
            return sup
        before = int(sup.sum())
        _shield(grid, sup, unsafe[0])
        if int(sup.sum()) == before:  # cannot happen: a cell rising with its totals is always possible
            raise RuntimeError(f"suppression cannot protect cell {unsafe[0]}")


def _apply_line_rule(grid: np.ndarray, sup: np.ndarray, threshold: int) -> bool:
    changed = False
    for values, mask in ((grid, sup), (grid.T, sup.T)):  # rows, then columns (sup.T is a view)
        for k in range(values.shape[0]):
            parts, hidden, total = values[k, :-1], mask[k, :-1], values[k, -1]
            if mask[k, -1]:
                pick = None if hidden.any() or total == 0 else _smallest(parts, hidden)
            elif not hidden.any() or (hidden.sum() >= 2 and parts[hidden].sum() > threshold):
                pick = None
            else:
                pick = _smallest(parts, hidden)
                pick = len(parts) if pick is None else pick  # no cell left: suppress the total
            if pick is not None:
                mask[k, pick], changed = True, True
    return changed


def _smallest(values: np.ndarray, hidden: np.ndarray) -> int | None:
    free = np.flatnonzero((values > 0) & ~hidden)
    return None if free.size == 0 else int(free[np.argmin(values[free])])


def _unsafe_cells(grid: np.ndarray, sup: np.ndarray, only: tuple[int, int] | None = None) \
        -> list[tuple[int, int]]:
    """Suppressed cells on no cycle along which one can be moved keeping every ``c`` >= 1.

    Nodes are rows (0..R) and columns (R+1..); a ``c`` at (i, j) is an edge. Moving +1 along
    row->column adds ``s`` to the cell (s = +1 for body cells and the grand total, -1 for the other
    totals), column->row subtracts it; a move may take a cell down only if it is at least 2."""
    nrows, last_row, last_col = grid.shape[0], grid.shape[0] - 1, grid.shape[1] - 1
    cells = [(int(i), int(j)) for i, j in np.argwhere(sup)]
    arcs: dict[int, list[tuple[int, int]]] = {}
    for e, (i, j) in enumerate(cells):
        sign, big = (1 if (i < last_row) == (j < last_col) else -1), grid[i, j] >= 2
        if sign > 0 or big:
            arcs.setdefault(i, []).append((nrows + j, e))
        if sign < 0 or big:
            arcs.setdefault(nrows + j, []).append((i, e))
    unsafe = []
    for e, (i, j) in enumerate(cells):
        if only is not None and (i, j) != only:
            continue
        ends = [(a, b) for a, b in ((i, nrows + j), (nrows + j, i)) if (b, e) in arcs.get(a, [])]
        if not any(_reaches(arcs, start=b, goal=a, skip=e) for a, b in ends):
            unsafe.append((i, j))
    return unsafe


def _reaches(arcs: dict[int, list[tuple[int, int]]], *, start: int, goal: int, skip: int) -> bool:
    seen, queue = {start}, deque([start])
    while queue:
        node = queue.popleft()
        for nxt, e in arcs.get(node, []):
            if e != skip and nxt not in seen:
                if nxt == goal:
                    return True
                seen.add(nxt)
                queue.append(nxt)
    return False


def _shield(grid: np.ndarray, sup: np.ndarray, cell: tuple[int, int]) -> None:
    """Make ``cell`` safe: the smallest single extra ``c`` that does, else a cycle through the totals."""
    free = np.argwhere((grid > 0) & ~sup)
    for i, j in free[np.argsort(grid[free[:, 0], free[:, 1]], kind="stable")]:
        sup[i, j] = True
        if not _unsafe_cells(grid, sup, only=cell):
            return
        sup[i, j] = False
    sup[_rising_cycle(grid, cell)] = True


def _rising_cycle(grid: np.ndarray, cell: tuple[int, int]) -> tuple[list[int], list[int]]:
    """Four cells including non-zero ``cell`` that can all rise by 1 together: a body cell with its
    row, column and grand totals (for a total, through its smallest non-zero body cell)."""
    last_row, last_col = grid.shape[0] - 1, grid.shape[1] - 1
    body = np.where(grid[:-1, :-1] > 0, grid[:-1, :-1], np.iinfo(np.int64).max)
    i, j = cell
    if i == last_row and j == last_col:
        i, j = (int(v) for v in np.unravel_index(np.argmin(body), body.shape))
    elif i == last_row or j == last_col:
        i, j = (int(np.argmin(body[:, j])), j) if i == last_row else (i, int(np.argmin(body[i])))
    return [i, i, last_row, last_row], [j, last_col, j, last_col]
