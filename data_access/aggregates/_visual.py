"""One dashboard visual's data, already suppressed: what a chart, its table and its export show.

Builders take raw counts (inside data_access only) and return a ``Visual`` whose frame holds the
displayed values (ints or ``"c"``). Charts, hover text, ``customdata``, accessible tables and
exports are all made from that frame, never from the raw counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import pandas as pd

from data_access import suppression
from data_access.suppression import SUPPRESSED, Shown


@dataclass(frozen=True)
class Visual:
    """A chart's suppressed data. ``frame``: columns ``code``, ``label`` and one per ``values`` entry
    (ints, floats for rates, or ``"c"``/``"z"``), one row per category, no total row; ``totals`` are
    the displayed totals when the view shows them. ``dim`` names the dimension a click on a row
    selects (None: the chart does not cross-filter)."""

    key: str
    title: str
    frame: pd.DataFrame
    values: Mapping[str, str]
    dim: str | None = None
    kind: str = "bar"  # "bar" (vertical), "hbar", "time", "stack" (stacked bars over categories)
    unit: str = "count"  # "count" or "percent"
    totals: Mapping[str, Shown] | None = None
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

    @property
    def suppressed_cells(self) -> int:
        return int(sum((self.frame[c] == SUPPRESSED).sum() for c in self.values))

    def with_notes(self, *notes: str) -> Visual:
        return replace(self, notes=self.notes + tuple(n for n in notes if n))


def unavailable(key: str, title: str, message: str, values: Mapping[str, str] | None = None) -> Visual:
    """A placeholder for a chart the user may not see (outside their services or role)."""
    cols = dict(values or {"count": "Count"})
    return Visual(key, title, pd.DataFrame(columns=["code", "label", *cols]), cols, available=False,
                  message=message)


def series(key: str, title: str, counts: Mapping[str, int], labels: Mapping[str, str] | Sequence[str], *,
           threshold: int, value: str = "count", value_label: str = "Count", show_total: bool = True,
           **options: object) -> Visual:
    """A one-way breakdown suppressed as a line with its total (the line rule holds even when the
    total is not drawn: suppression assumes the worst case, that it is known)."""
    codes = list(labels) if not isinstance(labels, Mapping) else list(labels.keys())
    names = labels if isinstance(labels, Mapping) else {c: c for c in codes}
    raw = pd.Series([int(counts.get(c, 0)) for c in codes], index=codes, dtype="int64")
    shown = suppression.suppress_series(raw, threshold=threshold, total=True)
    frame = pd.DataFrame({"code": codes, "label": [names[c] for c in codes], value: shown.tolist()})
    totals = {value: shown.total} if show_total and shown.total is not None else None
    return Visual(key, title, frame, {value: value_label}, totals=totals, **options)  # type: ignore[arg-type]


def columns(key: str, title: str, rows: Sequence[tuple[str, str]], counts: Mapping[str, Mapping[str, int]],
            values: Mapping[str, str], *, threshold: int, show_total: bool = True, **options: object) -> Visual:
    """Several independent count series over the same categories (e.g. started and ended per month):
    each column is suppressed as a line with its total."""
    frame = pd.DataFrame({"code": [r[0] for r in rows], "label": [r[1] for r in rows]})
    totals: dict[str, Shown] = {}
    for column in values:
        raw = pd.Series([int(counts.get(column, {}).get(code, 0)) for code, _ in rows], dtype="int64")
        shown = suppression.suppress_series(raw, threshold=threshold, total=True)
        frame[column] = shown.tolist()
        totals[column] = shown.total  # type: ignore[assignment]
    return Visual(key, title, frame, dict(values), totals=totals if show_total else None,
                  **options)  # type: ignore[arg-type]


def table(key: str, title: str, counts: pd.DataFrame, row_labels: Mapping[str, str],
          col_labels: Mapping[str, str], *, threshold: int, **options: object) -> Visual:
    """A two-way table (rows = categories, columns = series) shown with row, column and grand totals:
    suppressed with margins, so no ``c`` can be worked out from the others."""
    counts = counts.reindex(index=list(row_labels), columns=list(col_labels), fill_value=0).fillna(0)
    shown = suppression.suppress_table(counts.astype("int64"), threshold=threshold, margins=True)
    body = shown.frame.drop(index=suppression.TOTAL).drop(columns=suppression.TOTAL)
    frame = pd.DataFrame({"code": list(row_labels), "label": list(row_labels.values())})
    for column in col_labels:
        frame[column] = body[column].tolist()
    frame["total"] = shown.frame[suppression.TOTAL].drop(index=suppression.TOTAL).tolist()
    totals = {c: shown.frame.loc[suppression.TOTAL, c] for c in col_labels}
    totals["total"] = shown.frame.loc[suppression.TOTAL, suppression.TOTAL]
    return Visual(key, title, frame, {**col_labels, "total": "Total"}, totals=totals,
                  kind=options.pop("kind", "stack"), **options)  # type: ignore[arg-type]


def rate(numerator: Shown, denominator: Shown, *, threshold: int, per: int = 100) -> float | str:
    return suppression.suppress_rate(numerator, denominator, threshold=threshold, per=per, decimals=1)
