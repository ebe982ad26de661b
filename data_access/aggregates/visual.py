"""One dashboard visual's data, already protected: what a chart, its table and its export show.

Builders take protected counts (``protection.Count``, inside data_access only) and return a
``Visual`` whose frame holds the published values (ints or ``"c"``). Charts, hover text,
``customdata``, accessible tables and exports are all made from that frame, never from the raw counts.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from data_access import protection
from data_access.protection import Shown


class _Frame:
    """``Visual.frame``: given as a DataFrame, or as the column lists a builder made, in which case
    the DataFrame is built on first use. A dashboard request renders from ``cols`` and never needs
    it (a small DataFrame costs ~0.5 ms to build, a page has a dozen); exports and tests do."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = f"_{name}"

    def __get__(self, obj: object, objtype: type | None = None) -> pd.DataFrame:
        if obj is None:
            raise AttributeError("frame has no default")  # a required field, for dataclass
        value = obj.__dict__[self.slot]
        if not isinstance(value, pd.DataFrame):
            value = obj.__dict__[self.slot] = pd.DataFrame(value)
        return value

    def __set__(self, obj: object, value: pd.DataFrame | Mapping[str, Sequence]) -> None:
        if not isinstance(value, pd.DataFrame):
            value = {str(c): list(v) for c, v in value.items()}
            obj.__dict__["cols"] = {c: list(v) for c, v in value.items()}  # cached_property's slot
        obj.__dict__[self.slot] = value


@dataclass(frozen=True)
class Visual:
    """A chart's suppressed data. ``frame``: columns ``code``, ``label`` and one per ``values`` entry
    (ints, floats for rates, or ``"c"``/``"z"``), one row per category, no total row; ``totals`` are
    the displayed totals when the view shows them. ``dim`` names the dimension a click on a row
    selects (None: the chart does not cross-filter)."""

    key: str
    title: str
    frame: _Frame = _Frame()  # a DataFrame, or {column: list} (built when read)
    values: Mapping[str, str]  # type: ignore[misc]  # frame has no default: _Frame.__get__ raises on the class
    dim: str | None = None
    kind: str = "bar"  # "bar" (vertical), "hbar", "time", "stack" (stacked bars over categories)
    unit: str = "count"  # "count" or "percent"
    totals: Mapping[str, Shown | float] | None = None  # float: a rate
    selected: str | None = None
    notes: tuple[str, ...] = ()
    level: str | None = None  # drillable charts: "service"/"team" or "year"/"quarter"/"month"
    drill: str | None = None  # "time" or "org" when the chart can drill down
    drill_label: str | None = None  # what is drilled into, e.g. "CY 2024-25" or "Early help"
    available: bool = True
    message: str | None = None
    definition: str | None = None
    extra: Mapping[str, object] = field(default_factory=dict)

    @property
    def plotted(self) -> list[str]:
        """The value columns a chart draws (a percentage chart draws the rate only, not its counts)."""
        cols = [c for c in self.values if c != "total"]
        return cols[:1] if self.unit == "percent" else cols

    @functools.cached_property
    def cols(self) -> dict[str, list]:
        """The frame as plain lists, column by column: what the renderers read (a pandas column
        lookup costs ~0.1 ms, and a page's charts, summaries and tables made ~80 of them)."""
        return {str(c): self.frame[c].tolist() for c in self.frame.columns}

    @property
    def rows(self) -> int:
        """How many categories (rows) the visual has."""
        return len(self.cols.get("code", ()))


def unavailable(key: str, title: str, message: str, values: Mapping[str, str] | None = None) -> Visual:
    """A placeholder for a chart the user may not see (outside their services or role)."""
    cols = dict(values or {"count": "Count"})
    return Visual(key, title, pd.DataFrame(columns=["code", "label", *cols]), cols, available=False,
                  message=message)


def series(key: str, title: str, counts: Mapping[str, int], labels: Mapping[str, str] | Sequence[str], *,
           threshold: int, value: str = "count", value_label: str = "Count", show_total: bool = True,
           **options: Any) -> Visual:
    """A one-way breakdown: each cell and the total (a count of its own records) protected on their
    own (``protection.line``), so the same records show the same value in every view."""
    codes = list(labels) if not isinstance(labels, Mapping) else list(labels.keys())
    names = labels if isinstance(labels, Mapping) else {c: c for c in codes}
    shown, total = protection.line([counts.get(c, 0) for c in codes], threshold=threshold)
    data: dict[str, list] = {"code": codes, "label": [names[c] for c in codes], value: shown}
    totals = {value: total} if show_total and total is not None else None
    return Visual(key, title, data, {value: value_label}, totals=totals, **options)


def columns(key: str, title: str, rows: Sequence[tuple[str, str]], counts: Mapping[str, Mapping[str, int]],
            values: Mapping[str, str], *, threshold: int, show_total: bool = True, **options: Any) -> Visual:
    """Several independent count series over the same categories (e.g. started and ended per month):
    each cell and each column's total protected on their own."""
    data: dict[str, list] = {"code": [r[0] for r in rows], "label": [r[1] for r in rows]}
    totals: dict[str, Shown] = {}
    for column in values:
        by_code = counts.get(column, {})
        shown, total = protection.line([by_code.get(code, 0) for code, _ in rows], threshold=threshold)
        data[column] = shown
        totals[column] = total
    return Visual(key, title, data, dict(values), totals=totals if show_total else None,
                  **options)


def cross(cells: Iterable[Sequence], rows: Iterable[str], cols: Iterable[str]) -> list[list[int]]:
    """(row, column, n) triples summed into a rows x cols grid (0 where none), in the order given;
    triples outside ``rows`` or ``cols`` (e.g. NULL keys) are left out."""
    row_at = {r: i for i, r in enumerate(rows)}
    col_at = {c: j for j, c in enumerate(cols)}
    grid = [[0] * len(col_at) for _ in row_at]
    for row, col, n in cells:
        i, j = row_at.get(row), col_at.get(col)
        if i is not None and j is not None:
            grid[i][j] += n  # protected counts add up with their keys
    return grid


def table(key: str, title: str, counts: Sequence[Sequence[int]], row_labels: Mapping[str, str],
          col_labels: Mapping[str, str], *, threshold: int, **options: Any) -> Visual:
    """A two-way table (rows = categories, columns = series; ``counts`` in the labels' order, e.g.
    from ``cross``) shown with row, column and grand totals: suppressed with margins, so no ``c``
    can be worked out from the others."""
    shown = protection.grid(counts, threshold=threshold) if len(row_labels) else [[0] * (len(col_labels) + 1)]
    body, margin = shown[:-1], shown[-1]
    data: dict[str, list] = {"code": list(row_labels), "label": list(row_labels.values())}
    for j, column in enumerate(col_labels):
        data[column] = [row[j] for row in body]
    data["total"] = [row[-1] for row in body]
    totals: dict[str, Shown] = {c: margin[j] for j, c in enumerate(col_labels)}
    totals["total"] = margin[-1]
    return Visual(key, title, data, {**col_labels, "total": "Total"}, totals=totals,
                  kind=options.pop("kind", "stack"), **options)


def rate(numerator: Shown, denominator: Shown, *, threshold: int, per: int = 100) -> float | str:
    """A rate from two PUBLISHED counts (``protection.rate``); ``threshold`` is kept for callers."""
    return protection.rate(numerator, denominator, per=per, decimals=1)
