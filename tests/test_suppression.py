"""Small-number suppression: worked examples, the attacker's checker, and seeded property tests.

The property tests draw many random tables (seeded numpy; lots of small numbers, zeros, single rows
and columns) and check every guarantee on each: primary cells are 'c', zeros stay 0, other shown
values are unchanged, the line rule holds, no 'c' can be recovered, and the result is stable.
A brute-force enumeration on tiny tables checks the cycle check itself: every 'c' has at least two
possible values among all tables consistent with the view.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from data_access.suppression import (  # the termination guarantee
    NOT_APPLICABLE,
    SUPPRESSED,
    TOTAL,
    Recovered,
    SuppressedTable,
    _rising_cycle,
    _unsafe_cells,
    recoverable_cells,
    suppress_count,
    suppress_grid,
    suppress_line,
    suppress_rate,
    suppress_rates,
    suppress_series,
    suppress_table,
)

C = SUPPRESSED


def _augmented(body: np.ndarray) -> np.ndarray:
    return np.block([[body, body.sum(axis=1, keepdims=True)], [body.sum(axis=0), body.sum()]])


def _random_counts(rng: np.random.Generator, shape: tuple[int, int], kind: str) -> np.ndarray:
    if kind == "small":
        return rng.poisson(2.0, shape)
    if kind == "mixed":
        return np.where(rng.random(shape) < 0.35, rng.integers(0, 7, shape), rng.integers(0, 80, shape))
    if kind == "sparse":
        return rng.integers(1, 40, shape) * (rng.random(shape) < 0.35)
    return np.where(rng.random(shape) < 0.1, rng.integers(1, 12, shape), rng.integers(6, 400, shape))


def _assert_line_rule(shown: np.ndarray, values: np.ndarray, mask: np.ndarray, threshold: int) -> None:
    for grid, hidden in ((values, mask), (values.T, mask.T)):
        for parts, part_hidden, total_hidden in zip(grid[:, :-1], hidden[:, :-1], hidden[:, -1], strict=True):
            if total_hidden:
                assert part_hidden.any() or parts.sum() == 0, "a suppressed total is the sum of its shown cells"
            elif part_hidden.any():
                assert part_hidden.sum() >= 2, "a line with a shown total has a lone 'c'"
                assert parts[part_hidden].sum() > threshold, "a line's 'c' cells add up to a small number"


def _assert_safe_table(counts: pd.DataFrame, result: SuppressedTable, threshold: int) -> None:
    values = _augmented(counts.to_numpy())
    shown, mask = result.frame.to_numpy(dtype=object), result.mask.to_numpy(dtype=bool)
    assert list(result.frame.index) == [*counts.index, TOTAL]
    assert list(result.frame.columns) == [*counts.columns, TOTAL]
    assert ((shown == C) == mask).all()
    assert mask[(values >= 1) & (values <= threshold)].all(), "a count in 1..threshold is shown"
    assert not mask[values == 0].any(), "a true zero is hidden"
    assert (shown[~mask] == values[~mask]).all(), "a shown value differs from the count"
    assert all(type(v) is int for v in shown[~mask])
    _assert_line_rule(shown, values, mask, threshold)
    assert recoverable_cells(result) == []


def _assert_brute_force_safe(body: np.ndarray, mask: np.ndarray) -> None:
    """Every 'c' (cells and totals) takes >= 2 values over all tables consistent with the view."""
    rows, cols = body.shape
    values = _augmented(body)
    unknown = np.argwhere(mask[:rows, :cols])
    top = int(body.max()) + 1  # a unit move along a cycle stays within 1..max+1
    combos = np.indices((top,) * len(unknown)).reshape(len(unknown), -1).T + 1 if len(unknown) else \
        np.zeros((1, 0), dtype=np.int64)
    tables = np.repeat(body[None], len(combos), axis=0)
    for n, (i, j) in enumerate(unknown):
        tables[:, i, j] = combos[:, n]
    full = np.concatenate([np.concatenate([tables, tables.sum(2, keepdims=True)], 2),
                           np.concatenate([tables.sum(1), tables.sum((1, 2))[:, None]], 1)[:, None]], 1)
    consistent = full[np.all(full[:, ~mask] == values[~mask], axis=1)]
    for i, j in np.argwhere(mask):
        assert len(set(consistent[:, i, j])) >= 2, f"cell {(i, j)} is determined"


# --- suppress_count -------------------------------------------------------------------------------

@pytest.mark.parametrize(("n", "threshold", "expected"), [
    (0, 5, 0), (1, 5, C), (5, 5, C), (6, 5, 6), (250, 5, 250), (10, 10, C), (11, 10, 11), (3, 0, 3),
])
def test_count_shown_or_suppressed_by_threshold(n: int, threshold: int, expected: int | str) -> None:
    assert suppress_count(n, threshold) == expected


@pytest.mark.parametrize("bad", [-1, 2.5, float("nan")])
def test_count_rejects_non_counts(bad: float) -> None:
    with pytest.raises(ValueError, match="non-negative whole numbers"):
        suppress_count(bad)  # type: ignore[arg-type]


# --- suppress_series: worked examples -------------------------------------------------------------

@pytest.mark.parametrize(("counts", "expected", "total"), [
    ([10, 3, 20, 0], [C, C, 20, 0], 33),        # lone 'c': the next-smallest non-zero cell joins it
    ([1, 2, 50, 60], [C, C, C, 60], 113),       # 1 + 2 = 3 is small: a third cell is needed
    ([4, 4, 30], [C, C, 30], 38),               # two 'c' adding up to 8 > 5: enough
    ([2, 1, 0], [C, C, 0], C),                  # small total: every non-zero cell goes
    ([3, 0, 0], [C, 0, 0], C),
    ([3, 20], [C, C], 23),
    ([7, 0, 12], [7, 0, 12], 19),
    ([0, 0], [0, 0], 0),
    ([6, 3, 6, 40], [C, C, 6, 40], 55),         # ties go to the first smallest cell
])
def test_series_worked_examples(counts: list[int], expected: list[object], total: object) -> None:
    result = suppress_series(pd.Series(counts, name="referrals"))
    assert result.tolist() == expected
    assert result.total == total
    assert result.mask.tolist() == [v == C for v in expected]
    assert recoverable_cells(result) == []
    assert suppress_line(counts) == (expected, total)  # the pandas-free path the dashboards use


def test_series_without_total_gets_primary_suppression_only() -> None:
    result = suppress_series(pd.Series([3, 10, 0]), total=False)
    assert result.tolist() == [C, 10, 0]
    assert result.total is None
    assert list(result.frame.index) == [0, 1, 2]


def test_series_frame_has_total_row_and_chart_values_have_gaps() -> None:
    result = suppress_series(pd.Series([10, 3, 20], index=["Police", "School", "Health"], name="n"))
    assert result.frame["n"].tolist() == [C, C, 20, 33]
    assert list(result.frame.index) == ["Police", "School", "Health", TOTAL]
    assert result.chart_values() == [None, None, 20.0]


def test_series_extra_cells_are_suppressed_and_zeros_stay_shown() -> None:
    result = suppress_series(pd.Series([30, 40, 0, 50]), extra=pd.Series([True, False, True, False]))
    assert result.tolist() == [C, C, 0, 50]


# --- suppress_table: worked examples --------------------------------------------------------------

def test_table_worked_example_four_cell_rectangle() -> None:
    counts = pd.DataFrame([[10, 3, 20], [12, 15, 30], [25, 40, 50]], index=list("abc"), columns=list("xyz"))
    result = suppress_table(counts)
    assert result.frame.values.tolist() == [
        [C, C, 20, 33], [C, C, 30, 57], [25, 40, 50, 115], [47, 58, 100, 205]]
    _assert_safe_table(counts, result, 5)


def test_table_single_row_suppresses_column_totals_with_cells() -> None:
    counts = pd.DataFrame([[3, 10, 20]])
    result = suppress_table(counts)
    assert result.frame.values.tolist() == [[C, C, 20, 33], [C, C, 20, 33]]
    _assert_safe_table(counts, result, 5)


def test_table_small_grand_total_hides_every_non_zero_number() -> None:
    counts = pd.DataFrame([[1, 2], [0, 1]])
    result = suppress_table(counts)
    assert result.frame.values.tolist() == [[C, C, C], [0, C, C], [C, C, C]]


def test_table_breaks_a_bridge_between_two_blocks() -> None:
    # Two 2x2 blocks of small numbers joined by one small cell: each line has >= 2 'c' adding to > 5,
    # yet the joining cell equals (rows 0-1 suppressed total) - (columns 0-1 suppressed total).
    body = np.full((4, 4), 50)
    body[:2, :2] = [[3, 4], [4, 3]]
    body[2:, 2:] = [[3, 4], [4, 3]]
    body[1, 2] = 2
    counts = pd.DataFrame(body)
    naive = pd.DataFrame(np.where((_augmented(body) <= 5), C, _augmented(body)).astype(object),
                         index=[0, 1, 2, 3, TOTAL], columns=[0, 1, 2, 3, TOTAL])
    assert recoverable_cells(naive) == [Recovered(1, 2, 2)]
    result = suppress_table(counts)
    assert int(result.mask.to_numpy().sum()) > 9
    _assert_safe_table(counts, result, 5)


def test_table_moves_on_when_a_cycle_of_c_cannot_shift() -> None:
    # The line rule alone gives a 6-cycle of 'c' whose two 1s pin it: x00 <= 7 (row 1) and >= 7 (row 2).
    # No single extra cell adds a usable cycle, so the first cell's row, column and grand totals go.
    body = np.array([[7, 0, 7], [1, 6, 0], [0, 6, 1]])
    naive = _view([[C, 0, C, 14], [C, C, 0, 7], [0, C, C, 7], [8, 12, 8, 28]])
    assert [r.value for r in recoverable_cells(naive)] == [7, 7, 1, 6, 6, 1]
    result = suppress_table(pd.DataFrame(body))
    assert result.frame.values.tolist() == [[C, 0, C, C], [C, C, 0, C], [0, C, C, 7], [C, 12, 8, C]]
    _assert_safe_table(pd.DataFrame(body), result, 5)
    _assert_brute_force_safe(body, result.mask.to_numpy())


def test_table_without_margins_gets_primary_suppression_only() -> None:
    result = suppress_table(pd.DataFrame([[3, 10], [20, 30]]), margins=False)
    assert result.frame.values.tolist() == [[C, 10], [20, 30]]


def test_table_helpers_give_chart_values_text_records_and_body() -> None:
    counts = pd.DataFrame({"CIN": [10, 3], "CP": [1200, 15]}, index=pd.Index(["North", "South"], name="team"))
    result = suppress_table(counts)
    assert np.isnan(result.chart_values().loc["South", "CIN"])
    assert result.text().loc[TOTAL, "CP"] == "1,215"
    assert result.text().loc["South", "CIN"] == C
    assert result.to_records()[0] == {"team": "North", "CIN": C, "CP": C, TOTAL: 1210}
    assert result.body().frame.shape == (2, 2)
    assert result.body().mask.loc["South", "CIN"]


def test_table_by_month_keeps_dates_and_raises_no_warnings() -> None:
    months = pd.date_range("2024-04-01", periods=4, freq="MS", name="month")
    counts = pd.DataFrame({"referrals": [40, 2, 35, 50], "rereferrals": [9, 0, 8, 12]}, index=months)
    result = suppress_table(counts)
    assert list(result.frame.index[:-1]) == list(months) and result.frame.index.name == "month"
    assert result.frame.loc[months[1], "rereferrals"] == 0
    assert result.to_records()[1]["month"] == months[1]
    assert recoverable_cells(result.frame) == []
    _assert_safe_table(counts, result, 5)


def test_table_rejects_total_label_and_bad_counts() -> None:
    with pytest.raises(ValueError, match="Total"):
        suppress_series(pd.Series([1, 2], index=["a", TOTAL]))
    with pytest.raises(ValueError, match="Total"):
        suppress_table(pd.DataFrame({TOTAL: [1]}))
    with pytest.raises(ValueError, match="non-negative"):
        suppress_table(pd.DataFrame([[1, -2]]))
    with pytest.raises(ValueError, match="non-negative"):
        suppress_table(pd.DataFrame([[1.0, np.nan]]))


# --- recoverable_cells: the attacker --------------------------------------------------------------

def _view(rows: list[list[object]], *, total_row: bool = True, total_col: bool = True) -> pd.DataFrame:
    index = [*range(len(rows) - total_row), *([TOTAL] if total_row else [])]
    columns = [*range(len(rows[0]) - total_col), *([TOTAL] if total_col else [])]
    return pd.DataFrame(rows, index=index, columns=columns, dtype=object)


def test_attacker_recovers_lone_c_in_a_line_with_shown_total() -> None:
    view = _view([[C, 10, 13], [12, 20, 32], [15, 30, 45]])
    assert recoverable_cells(view) == [Recovered(0, 0, 3)]


def test_attacker_recovers_two_c_adding_up_to_two() -> None:
    view = _view([[C], [C], [10], [12]], total_col=False)
    assert recoverable_cells(view) == [Recovered(0, 0, 1), Recovered(1, 0, 1)]


def test_attacker_recovers_suppressed_total_from_its_cells() -> None:
    view = _view([[10, 20, C], [12, 20, 32], [22, 40, 62]])
    assert recoverable_cells(view) == [Recovered(0, TOTAL, 30)]


def test_attacker_finds_nothing_in_a_protected_rectangle() -> None:
    assert recoverable_cells(_view([[C, C, 33], [C, C, 57], [47, 43, 90]])) == []
    assert recoverable_cells(_view([[C, C, 20]], total_row=False)) == []


def test_attacker_rejects_inconsistent_views() -> None:
    with pytest.raises(ValueError):
        recoverable_cells(_view([[10, 20, 31], [10, 20, 31]]))
    with pytest.raises(ValueError):
        recoverable_cells(_view([[C, C, 1], [C, C, 1]], total_row=False))


# --- suppress_rate(s) -----------------------------------------------------------------------------

@pytest.mark.parametrize(("args", "kwargs", "expected"), [
    ((25, 200), {"decimals": 0}, 13.0),                        # half-up, not banker's rounding
    ((1, 3), {"threshold": 0}, 33.3),
    ((0, 100), {}, 0.0),
    ((3, 100), {}, C),                                         # small numerator
    ((10, 4), {}, C),                                          # small denominator
    ((40, 100), {"numerator_suppressed": True}, C),            # secondarily suppressed numerator
    ((40, 100), {"denominator_suppressed": True}, C),
    ((C, 100), {}, C),                                         # displayed values work too
    ((10, 0), {}, NOT_APPLICABLE),
    ((12, 200), {"per": 10_000}, 600.0),
    ((7, 80), {"threshold": 10}, C),
    ((11, 80), {"threshold": 10, "decimals": 2}, 13.75),
])
def test_rate_values(args: tuple[object, object], kwargs: dict[str, object], expected: object) -> None:
    assert suppress_rate(*args, **kwargs) == expected  # type: ignore[arg-type]


def test_rates_follow_the_table_mask() -> None:
    counts = pd.DataFrame({"within_45_days": [10, 3, 40], "late": [12, 15, 0]}, index=list("abc"))
    table = suppress_table(counts)
    rates = suppress_rates(counts["within_45_days"], counts.sum(axis=1),
                           numerator_mask=table.mask["within_45_days"], denominator_mask=table.mask[TOTAL])
    assert rates.tolist() == [C, C, 100.0]
    assert suppress_rates(table.frame["within_45_days"], table.frame[TOTAL]).tolist() == [C, C, 100.0, 66.3]
    assert suppress_rates(pd.Series([0, 7, 3]), 1000, per=10_000).tolist() == [0.0, 70.0, C]


# --- seeded property tests ------------------------------------------------------------------------

SHAPES = [(1, 1), (1, 2), (1, 7), (2, 1), (7, 1), (2, 2), (3, 3), (2, 5), (5, 4), (12, 3), (8, 9)]
KINDS = ["small", "mixed", "sparse", "large"]


@pytest.mark.parametrize("threshold", [5, 10])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_random_tables_are_safe(shape: tuple[int, int], kind: str, threshold: int) -> None:
    rng = np.random.default_rng([shape[0], shape[1], KINDS.index(kind), threshold])
    for _ in range(4):
        counts = pd.DataFrame(_random_counts(rng, shape, kind),
                              index=[f"r{i}" for i in range(shape[0])], columns=[f"k{j}" for j in range(shape[1])])
        result = suppress_table(counts, threshold=threshold)
        _assert_safe_table(counts, result, threshold)
        assert suppress_grid(counts.to_numpy().tolist(), threshold=threshold) == result.frame.to_numpy().tolist()
        again = suppress_table(counts, threshold=threshold, extra=result.mask)
        assert again.frame.equals(result.frame), "suppressing with its own mask changed the result"
        body = suppress_table(counts, threshold=threshold, margins=False)
        assert body.mask.to_numpy().tolist() == ((counts >= 1) & (counts <= threshold)).to_numpy().tolist()


@pytest.mark.parametrize("threshold", [3, 5, 10])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("length", [1, 2, 3, 6, 12])
def test_random_series_are_safe(length: int, kind: str, threshold: int) -> None:
    rng = np.random.default_rng([length, KINDS.index(kind), threshold, 7])
    for _ in range(6):
        raw = _random_counts(rng, (length,), kind)
        result = suppress_series(pd.Series(raw), threshold=threshold)
        values = np.append(raw, raw.sum())
        mask = np.append(result.mask.to_numpy(), result.total == C)
        shown = np.array([*result.tolist(), result.total], dtype=object)
        assert mask[(values >= 1) & (values <= threshold)].all()
        assert not mask[values == 0].any()
        assert (shown[~mask] == values[~mask]).all()
        _assert_line_rule(shown[None], values[None], mask[None], threshold)
        assert recoverable_cells(result) == []
        full_mask = pd.Series(mask, index=[*range(length), TOTAL])
        again = suppress_series(pd.Series(raw), threshold=threshold, extra=full_mask)
        assert again.tolist() == result.tolist() and again.total == result.total
        assert suppress_line(raw.tolist(), threshold=threshold) == (result.tolist(), result.total)
        assert suppress_line(raw.tolist(), threshold=threshold, total=False) == (
            suppress_series(pd.Series(raw), threshold=threshold, total=False).tolist(), None)
        rates = suppress_rates(pd.Series(raw), int(raw.sum()), threshold=threshold,
                               numerator_mask=result.mask, denominator_mask=pd.Series(result.total == C, range(length)))
        assert all((r == C) == (m or result.total == C) for r, m in zip(rates, result.mask, strict=True))


@pytest.mark.parametrize("seed", range(30))
def test_tiny_tables_every_c_has_two_possible_values(seed: int) -> None:
    rng = np.random.default_rng(seed)
    shape = [(1, 2), (1, 3), (2, 1), (2, 2), (2, 3), (3, 2)][seed % 6]
    for _ in range(5):
        body = np.where(rng.random(shape) < 0.2, 0, rng.integers(1, 7, shape))
        mask = suppress_table(pd.DataFrame(body)).mask.to_numpy()
        if int(body.max(initial=0) + 1) ** int(mask[:-1, :-1].sum()) <= 200_000:
            _assert_brute_force_safe(body, mask)


@pytest.mark.parametrize("seed", range(10))
def test_random_extra_cells_totals_included_stay_safe(seed: int) -> None:
    rng = np.random.default_rng(1000 + seed)
    for _ in range(10):
        shape = (int(rng.integers(1, 6)), int(rng.integers(1, 6)))
        counts = pd.DataFrame(_random_counts(rng, shape, KINDS[seed % 4]))
        extra = pd.DataFrame(rng.random((shape[0] + 1, shape[1] + 1)) < 0.15,
                             index=[*range(shape[0]), TOTAL], columns=[*range(shape[1]), TOTAL])
        result = suppress_table(counts, extra=extra)
        _assert_safe_table(counts, result, 5)
        values = _augmented(counts.to_numpy())
        assert result.mask.to_numpy()[extra.to_numpy() & (values > 0)].all()


@pytest.mark.parametrize("seed", range(10))
def test_last_resort_cycle_through_totals_always_protects(seed: int) -> None:
    # Whatever else is hidden, a non-zero cell hidden with its rising cycle is safe, so _protect ends.
    rng = np.random.default_rng(2000 + seed)
    for _ in range(20):
        shape = (int(rng.integers(1, 5)), int(rng.integers(1, 5)))
        grid = _augmented(_random_counts(rng, shape, KINDS[seed % 4]))
        sup = (rng.random(grid.shape) < 0.3) & (grid > 0)
        for cell in map(tuple, np.argwhere(grid > 0)):
            hidden = sup.copy()
            hidden[cell] = True
            hidden[_rising_cycle(grid, cell)] = True
            assert _unsafe_cells(grid, hidden, only=cell) == []


def test_larger_threshold_suppresses_more() -> None:
    counts = pd.DataFrame([[8, 30, 9], [40, 7, 50], [60, 70, 80]])
    five, ten = suppress_table(counts), suppress_table(counts, threshold=10)
    assert not five.mask.to_numpy().any()
    assert ten.mask.loc[0, 0] and ten.mask.loc[1, 1] and ten.mask.loc[0, 2]
    _assert_safe_table(counts, ten, 10)


def test_suppression_is_deterministic() -> None:
    rng = np.random.default_rng(99)
    counts = pd.DataFrame(rng.poisson(3.0, (6, 5)))
    assert suppress_table(counts).frame.equals(suppress_table(counts).frame)
    assert math.isfinite(float(suppress_table(counts).chart_values().fillna(0).to_numpy().sum()))
