"""Cell-key perturbation (data_access.cellkey): consistency, the p-table's guarantees, a differencing
attack, the SQL key sums on real engines, and cell-for-cell agreement with ONS's own package.

All randomness is seeded (``random.Random``/numpy with fixed seeds, record keys from a fixed test
secret), so every figure below is the same on every run; the bounds have margin over those figures.
"""

from __future__ import annotations

import hashlib
import importlib.util
import itertools
import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from data_access import cellkey as ck
from data_access.aggregates.context import Grouped, run_batch

SECRET = b"test-secret-not-for-production-0001"
ONS_MISSING = "the ONS package cell-key-perturbation is not installed (pip install '.[test]')"
D, T = ck.MAX_ADJUSTMENT, ck.THRESHOLD


def _keys(ids: Sequence[str | int], table: str = "children") -> list[int]:
    return ck.record_keys(SECRET, table, ids)


# Record keys ---------------------------------------------------------------------------------------

def test_record_keys_are_stable_keyed_and_uniform() -> None:
    ids = [f"child-{i}" for i in range(40_960)]
    keys = _keys(ids)
    assert keys == _keys(ids) and keys[:50] == [ck.record_key(SECRET, "children", i) for i in ids[:50]]
    assert all(0 <= k < ck.KEY_SPACE for k in keys)
    buckets = Counter(k // 256 for k in keys)  # 16 buckets of 2,560 expected (sd ~48)
    assert len(buckets) == 16 and all(abs(n - 2_560) < 250 for n in buckets.values())
    other_secret = ck.record_keys(SECRET[::-1], "children", ids)
    other_table = _keys(ids, "referrals")
    assert sum(a == b for a, b in zip(keys, other_secret, strict=True)) < 40  # 1/4096 by chance: ~10
    assert sum(a == b for a, b in zip(keys, other_table, strict=True)) < 40
    assert ck.record_key(SECRET, "t", 42) == ck.record_key(SECRET, "t", "42") == ck.record_key(SECRET, "t", np.int64(42))
    assert ck.record_key(SECRET, "t", "x", key_space=256) < 256


@pytest.mark.parametrize("bad", [True, 4.0, None, b"42"])
def test_record_key_refuses_ids_that_are_not_str_or_int(bad: object) -> None:
    with pytest.raises(TypeError):
        ck.record_key(SECRET, "t", bad)  # type: ignore[arg-type]


def test_record_key_needs_a_real_secret() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        ck.record_key(b"short", "t", 1)


# Consistency ---------------------------------------------------------------------------------------

def test_same_records_same_key_and_value_in_any_order_or_partition() -> None:
    rng = random.Random(11)
    keys = _keys(range(5_000))
    for size in (1, 2, 5, 17, 250, 2_000):
        chosen = rng.sample(keys, size)
        expected = (ck.cell_key(chosen), ck.publish(size, ck.cell_key(chosen)))
        for _ in range(5):
            rng.shuffle(chosen)
            cuts = sorted(rng.sample(range(size + 1), min(size + 1, 4)))
            parts = [chosen[a:b] for a, b in zip([0, *cuts], [*cuts, size], strict=True)]
            tally = ck.combine((len(p), sum(p)) for p in parts)
            assert (ck.cell_key(chosen), ck.publish(size, ck.cell_key(chosen))) == expected
            assert (tally.n, tally.keysum) == (size, expected[0])
            assert ck.publish_tally(tally) == expected[1]
            assert ck.publish(size, sum(chosen)) == expected[1]  # a raw (unreduced) key sum is reduced


def test_monthly_pairs_roll_up_to_the_quarter() -> None:
    rng = random.Random(12)
    events = [(f"ev-{i}", rng.randrange(12), rng.choice("ABC")) for i in range(6_000)]
    keys = dict(zip((e[0] for e in events), _keys([e[0] for e in events], "referrals"), strict=True))
    monthly: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    for ev, month, team in events:
        monthly[month, team][0] += 1
        monthly[month, team][1] += keys[ev]
    for quarter in range(4):
        for team in "ABC":
            rolled = ck.combine((monthly[m, team][0], monthly[m, team][1]) for m in range(3 * quarter, 3 * quarter + 3))
            direct = [keys[ev] for ev, m, t in events if m // 3 == quarter and t == team]
            assert rolled == (len(direct), ck.cell_key(direct))
            assert ck.publish_tally(rolled) == ck.publish(len(direct), ck.cell_key(direct))


# The p-table ---------------------------------------------------------------------------------------

def test_ptable_rows_are_zero_mean_bounded_and_never_negative() -> None:
    pt = ck.default_ptable()
    assert set(pt.row(0)) == {0}
    for n in range(1, ck.PTABLE_ROWS + 1):
        row = pt.row(n)
        assert len(row) == ck.KEY_SPACE
        assert sum(row) == 0, n  # exactly unbiased over the 4096 keys
        assert max(map(abs, row)) <= D and n + min(row) >= 0
    for n in (D, 100, 750):  # the maximum-entropy shape, V = 1
        counts = Counter(pt.row(n))
        assert counts == {0: 1570, -1: 1002, 1: 1002, -2: 261, 2: 261}
        assert sum(j * j * c for j, c in counts.items()) / ck.KEY_SPACE == pytest.approx(ck.VARIANCE, abs=0.01)
    assert Counter(pt.row(1)) == {-1: 1299, 0: 1695, 1: 905, 2: 197}  # a 1 goes to 0 for 32% of keys


def test_large_counts_reuse_rows_501_to_750_like_ons() -> None:
    pt = ck.default_ptable()
    assert [ck.ons_pcv(n) for n in (0, 1, 750, 751, 1000, 1001, 1250, 1251)] == [0, 1, 750, 501, 750, 501, 750, 501]
    for n in (751, 999, 1_000, 12_345, 10**9):
        for key in range(0, ck.KEY_SPACE, 97):
            assert ck.perturb(n, key) == n + pt.row(ck.ons_pcv(n))[key]


def test_no_published_count_in_one_to_threshold_minus_one_and_zeros_stay_zero() -> None:
    pt = ck.default_ptable()
    assert {ck.publish(0, key) for key in range(ck.KEY_SPACE)} == {0}
    seen: set[ck.Published] = set()
    for n in range(0, 1_300):  # every row, and the reused rows above 750
        row = pt.row(ck.ons_pcv(n))
        for adjustment in set(row):  # one key per distinct outcome of this count: exhaustive
            value = ck.publish(n, row.index(adjustment))
            seen.add(value)
            assert value == ck.SUPPRESSED or value == 0 or value >= T
            assert value == ck.SUPPRESSED or abs(value - n) <= D
            if 1 <= n < T:
                assert value != n  # a small count is never published as itself
    assert {ck.SUPPRESSED, 0, T} <= seen and not seen & set(range(1, T))
    for n in range(0, 40):  # the full grid for the small counts, through publish itself
        assert not {ck.publish(n, key) for key in range(ck.KEY_SPACE)} & set(range(1, T))


@pytest.mark.parametrize(("max_adjustment", "variance"), [(1, 0.5), (2, 1.0), (3, 1.5), (3, 2.5)])
def test_build_ptable_holds_for_other_parameters(max_adjustment: int, variance: float) -> None:
    pt = ck.build_ptable(max_adjustment, variance, rows=12, cycle=4)
    for n in range(1, 13):
        row = pt.row(n)
        assert sum(row) == 0 and max(map(abs, row)) <= max_adjustment and n + min(row) >= 0
    full = pt.row(12)
    assert sum(j * j for j in full) / ck.KEY_SPACE == pytest.approx(variance, abs=0.01)


def test_ptable_is_deterministic_and_pinned() -> None:
    """A change to the table changes published figures, letting users difference old against new:
    it must be a deliberate decision (update this digest, and say so in the release notes)."""
    pt = ck.default_ptable()
    digest = hashlib.sha256(b"".join(bytes(np.asarray(pt.row(n), dtype=np.int8)) for n in range(751)))
    assert [list(pt.row(n)) for n in (1, 2, 750)] == [list(ck.build_ptable().row(n)) for n in (1, 2, 750)]
    assert digest.hexdigest() == "d20951bdf788ef13ebc8686aa96a78274a0fc25ab70f8b61a8219c4f59c84e94"


def test_ons_format_round_trip() -> None:
    pt = ck.build_ptable(key_space=256, rows=60, cycle=20)
    entries = list(pt.to_ons())
    assert len(entries) == 60 * 256 and entries[0][:2] == (1, 0)
    back = ck.PTable.from_ons(entries)
    assert back.key_space == 256
    assert all(list(back.row(n)) == list(pt.row(n)) for n in range(61))


# Rates ---------------------------------------------------------------------------------------------

def test_rates_come_from_published_counts_only() -> None:
    assert ck.rate(12, 40) == 30.0 and ck.rate(1, 3 * 10, decimals=2) == 3.33
    assert ck.rate(ck.SUPPRESSED, 40) == ck.SUPPRESSED and ck.rate(12, ck.SUPPRESSED) == ck.SUPPRESSED
    assert ck.rate(6, 9) == ck.SUPPRESSED and ck.rate(6, 9, minimum=6) == 66.7
    assert ck.rate(0, 0) == ck.NOT_APPLICABLE and ck.rate(0, 12) == 0.0
    assert ck.rate(13, 12) == 100.0  # noise never shows more than 100%
    assert ck.n_of_d(1_234, 5_678) == "1,234 of 5,678" and ck.n_of_d(ck.SUPPRESSED, 50) == "c"
    assert ck.n_of_d(7, 8) == "c" and ck.n_of_d(0, 0) == "z"
    for n, d, key_n, key_d in [(30, 120, 5, 900), (3, 40, 77, 1)]:
        shown = ck.rate(ck.publish(n, key_n), ck.publish(d, key_d))
        assert shown == ck.rate(ck.publish(n, key_n + 4096), ck.publish(d, key_d + 4096))


# A differencing attack -----------------------------------------------------------------------------

def _attack_pairs(pairs: int = 20_000) -> list[tuple[int, int, int, int, int]]:
    """Period views of one team (>= 20 events, as a slicer would pick them) against the same views
    ending just late enough to take in d = 1..4 more events (d cycling, so a blind guess is right 25%
    of the time): (d, published A, published B, true A, true B)."""
    rng = random.Random(2024)
    teams = {t: _keys([f"{t}-ev-{i}" for i in range(600)], "events") for t in ("T1", "T2", "T3", "T4")}
    out = []
    for i in range(pairs):
        keys = teams[rng.choice(list(teams))]
        d = 1 + i % 4
        start = rng.randrange(0, 300)
        end = rng.randrange(start + 20, 590)
        a, b = keys[start:end], keys[start:end + d]
        pub_a, pub_b = ck.publish(len(a), sum(a)), ck.publish(len(b), sum(b))
        assert isinstance(pub_a, int) and isinstance(pub_b, int)  # never "c": views have >= 20 events
        out.append((d, pub_b, pub_a, len(b), len(a)))
    return out


def test_differencing_two_views_does_not_reveal_the_records_between_them() -> None:
    pairs = _attack_pairs()
    assert all(true_b - true_a == d for d, _, _, true_b, true_a in pairs)  # unprotected: always exact
    shown = [(d, pub_b - pub_a) for d, pub_b, pub_a, _, _ in pairs]
    exact = sum(d == diff for d, diff in shown) / len(shown)
    noise = ck.noise_distribution(-D, D)
    assert exact == pytest.approx(sum(p * p for p in noise.values()), abs=0.02)  # theory: 0.275
    assert exact < 0.35
    # The best attacker knows the p-table and the spread of d, and picks the likeliest d for each
    # difference seen (fitted on these very pairs, which flatters them); blind guessing scores 25%.
    joint = Counter(shown)
    by_diff: dict[int, Counter[int]] = defaultdict(Counter)
    for (d, diff), n in joint.items():
        by_diff[diff][d] += n
    best = sum(max(c.values()) for c in by_diff.values()) / len(shown)
    assert best < 0.5  # wrong more often than right (theory: 0.456)
    # Certain only when the difference is so far out that one d in 1..4 is within +-2D of it (both
    # cells pushed D the opposite ways): theory 0.2% of pairs.
    pinned = [d for d, diff in shown if sum(abs(diff - x) <= 2 * D for x in range(1, 5)) == 1]
    assert len(pinned) / len(shown) < 0.01
    single = [diff for d, diff in shown if d == 1]  # one child's event between the two views
    assert sum(diff == 1 for diff in single) / len(single) < 0.35  # shown as a difference of 1 in ~27%


# SQL key sums on real engines ----------------------------------------------------------------------

_META = sa.MetaData()
EVENTS = sa.Table("ck_events", _META, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                  sa.Column("rkey", sa.SmallInteger, nullable=False), sa.Column("team", sa.String, nullable=False),
                  sa.Column("month", sa.Integer, nullable=False), sa.Column("need", sa.String, nullable=False))


def _rows() -> list[dict[str, object]]:
    rng = random.Random(7)
    keys = _keys(range(3_000), "events")
    return [{"id": i, "rkey": keys[i], "team": rng.choice(["A", "B", "C", "D"]), "month": rng.randrange(1, 13),
             "need": rng.choice(["N1", "N2", "N3"])} for i in range(3_000)]


def _check_engine(url: str) -> None:
    rows = _rows()
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            _META.create_all(conn)
            conn.execute(EVENTS.insert(), rows)
        with engine.connect() as conn:
            n1 = EVENTS.c.need == "N1"
            got = conn.execute(sa.select(EVENTS.c.team, EVENTS.c.month, sa.func.count(), ck.cell_key_sum(EVENTS.c.rkey),
                                         sa.func.count().filter(n1), ck.keysum_filtered(EVENTS.c.rkey, n1))
                               .group_by(EVENTS.c.team, EVENTS.c.month)).all()
            # the helpers as measures of the app's batch runner (UNION ALL, measures cast to BIGINT)
            batch = run_batch(conn, {"by_team": Grouped(keys=[EVENTS.c.team], source=EVENTS, measures=[
                sa.func.count().filter(n1), ck.keysum_filtered(EVENTS.c.rkey, n1)])})
            empty = conn.execute(sa.select(sa.func.count(), ck.cell_key_sum(EVENTS.c.rkey),
                                           ck.keysum_filtered(EVENTS.c.rkey, n1)).where(EVENTS.c.team == "Z")).one()
    finally:
        engine.dispose()
    assert tuple(empty) == (0, 0, 0)
    want: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for r in rows:
        cell = want[r["team"], r["month"]]  # type: ignore[index]
        cell[0] += 1
        cell[1] += r["rkey"]  # type: ignore[operator]
        if r["need"] == "N1":
            cell[2] += 1
            cell[3] += r["rkey"]  # type: ignore[operator]
    assert len(got) == len(want) == 48
    for team, month, count, keysum, count_n1, keysum_n1 in got:
        assert all(type(v) is int for v in (count, keysum, count_n1, keysum_n1))
        assert [count, keysum, count_n1, keysum_n1] == want[team, month]
    for team, count_n1, keysum_n1 in batch["by_team"]:  # months rolled up to the year, in Python
        year = ck.combine((want[team, m][2], want[team, m][3]) for m in range(1, 13))
        assert (count_n1, keysum_n1 % ck.KEY_SPACE) == year
        assert ck.publish(count_n1, keysum_n1) == ck.publish_tally(year)


def test_sql_key_sums_on_duckdb() -> None:
    _check_engine("duckdb:///:memory:")


def test_sql_key_sums_on_sqlite(tmp_path: Path) -> None:
    _check_engine(f"sqlite:///{tmp_path}/ck.db")


def test_sql_key_sums_on_postgresql(fresh_pg_url: str) -> None:
    _check_engine(fresh_pg_url)


# The ONS package, cell for cell --------------------------------------------------------------------

def _microdata(key_space: int) -> pd.DataFrame:
    rng = np.random.default_rng(2021)
    # cells of ~1,100 (above 750: the reused rows), ~300, ~50, ~7, ~3 and ~1
    sizes = {"E06000001": 9_000, "E06000002": 2_500, "E06000003": 400, "E06000004": 60, "E06000005": 25,
             "E06000006": 8}
    frames = []
    for la, size in sizes.items():
        ages = ["0-4", "5-9", "10-15", "16-17"] if size > 100 else ["0-4", "5-9", "10-15"]  # zero cells
        frames.append(pd.DataFrame({"la": la, "sex": rng.choice(["F", "M"], size), "age": rng.choice(ages, size)}))
    data = pd.concat(frames, ignore_index=True)
    data["child_id"] = [f"child-{i}" for i in range(len(data))]
    data["rkey"] = ck.record_keys(SECRET, "children", data["child_id"], key_space=key_space)
    return data


def _ours(data: pd.DataFrame, key_space: int) -> dict[tuple[str, str, str], ck.Tally]:
    cells: dict[tuple[str, str, str], list[tuple[int, int]]] = defaultdict(list)
    for la, sex, age, rkey in data[["la", "sex", "age", "rkey"]].itertuples(index=False):
        cells[la, sex, age].append((1, rkey))
    return {cell: ck.combine(pairs, key_space) for cell, pairs in cells.items()}


def _compare_with_ons(ptable_frame: pd.DataFrame, ours_table: ck.PTable, threshold: int) -> Counter[str]:
    """Compares every cell; returns how many were empty, small (below the threshold) and large (above
    the table's rows, so looked up in the reused rows)."""
    from cell_key_perturbation.create_perturbed_table import create_perturbed_table

    data = _microdata(ours_table.key_space)
    ours = _ours(data, ours_table.key_space)
    raw, shown = (create_perturbed_table(data=data, ptable=ptable_frame, geog=["la"], tab_vars=["sex", "age"],
                                         record_key="rkey", use_existing_ons_id=False, threshold=t)
                  for t in (0, threshold))
    assert raw[["la", "sex", "age"]].equals(shown[["la", "sex", "age"]])
    assert {tuple(c) for c in raw[["la", "sex", "age"]].itertuples(index=False)} >= set(ours)
    kinds: Counter[str] = Counter()
    for (la, sex, age, n, ckey, count), ons_shown in zip(
            raw[["la", "sex", "age", "pre_sdc_count", "ckey", "count"]].itertuples(index=False), shown["count"],
            strict=True):
        tally = ours.get((la, sex, age), ck.Tally(0, 0))
        assert (int(n), int(ckey)) == tally, (la, sex, age)
        assert int(count) == ck.perturb(*tally, ptable=ours_table), (la, sex, age)
        published = ck.publish(*tally, threshold=threshold, ptable=ours_table)
        withheld = published == 0 or published == ck.SUPPRESSED
        assert (None if withheld else published) == (None if pd.isna(ons_shown) else int(ons_shown))
        kinds["empty" if n == 0 else "small" if n < threshold else "large" if n > ours_table.rows else "other"] += 1
    return kinds


@pytest.mark.skipif(importlib.util.find_spec("cell_key_perturbation") is None, reason=ONS_MISSING)
def test_our_ptable_through_the_ons_package_gives_our_counts() -> None:
    """Our record keys and our p-table, exported in ONS's format, run through ONS's own
    ``create_perturbed_table``: the same cell keys and the same perturbed counts, cell for cell, and
    the same cells withheld (ONS withholds every value below the threshold, zeros too)."""
    pt = ck.default_ptable()
    frame = pd.DataFrame({"pcv": np.repeat(np.arange(1, pt.rows + 1), pt.key_space),
                          "ckey": np.tile(np.arange(pt.key_space), pt.rows),
                          "pvalue": np.concatenate([np.asarray(pt.row(n), dtype=np.int64)
                                                    for n in range(1, pt.rows + 1)])})
    head = 2 * pt.key_space  # the frame is to_ons(), built faster
    assert list(frame.iloc[:head].itertuples(index=False, name=None)) == list(itertools.islice(pt.to_ons(), head))
    kinds = _compare_with_ons(frame, pt, T)
    assert min(kinds["empty"], kinds["small"], kinds["large"]) > 0, kinds


@pytest.mark.skipif(importlib.util.find_spec("cell_key_perturbation") is None, reason=ONS_MISSING)
def test_the_ons_10_5_ptable_loaded_into_ours_gives_the_ons_counts() -> None:
    """ONS's 10-5 p-table (cell keys 0-255; the package's generator, equal to its shipped CSV) loaded
    with ``PTable.from_ons``, record keys mod 256: our ``perturb``/``publish`` reproduce the package,
    so the row lookup, its reuse above 750 and the modulus are the same."""
    from cell_key_perturbation.utils.generate_test_ptable import generate_ptable_10_5_rule

    frame = generate_ptable_10_5_rule()
    loaded = ck.PTable.from_ons(frame[["pcv", "ckey", "pvalue"]].itertuples(index=False, name=None))
    assert loaded.key_space == 256
    kinds = _compare_with_ons(frame, loaded, 10)
    assert min(kinds["empty"], kinds["small"], kinds["large"]) > 0, kinds
