"""Protected counts: keys travel with every count from the engine to the page, and only they publish."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from data_access import cellkey, protection
from data_access.aggregates.context import Grouped, children, run_batch, tally
from data_access.protection import ZERO, Count
from model import schema
from model.recordkeys import SYNTHETIC_SECRET, record_key
from refresh import database


def test_counts_add_with_their_keys_and_refuse_bare_numbers() -> None:
    a, b = Count(3, 100), Count(4, 4000)
    assert a + b == 7 and (a + b).keysum == 4100
    assert sum([a, b]) == 7 and sum([a, b]).keysum == 4100  # sum() starts from 0: the empty set
    assert (0 + a).keysum == 100 and (a + 0).keysum == 100
    with pytest.raises(TypeError):
        a + 5  # noqa: B018  (a bare number has no records' keys)
    with pytest.raises(TypeError):
        5 + a  # noqa: B018
    with pytest.raises(TypeError):
        a - b  # noqa: B018  (a difference of views is exactly what must not be published)
    with pytest.raises(TypeError, match="no record keys"):
        protection.shown(7, threshold=5)
    assert protection.shown(0, threshold=5) == 0 and protection.shown(ZERO, threshold=5) == 0


def test_published_values_are_the_cell_key_method() -> None:
    for n in range(0, 40):
        for keysum in (0, 17, 4095, 4096 * 3 + 5):
            value = protection.shown(Count(n, keysum), threshold=5)
            assert value == cellkey.publish(n, keysum, threshold=6)
            assert value == 0 if n == 0 else (value == "c" or value >= 6)
            if value != "c":
                assert abs(value - n) <= cellkey.MAX_ADJUSTMENT


def test_a_total_is_its_own_cell_not_the_sum_of_shown_cells() -> None:
    cells = [Count(n, 977 * n + 13) for n in (3, 7, 11, 40)]
    shown, total = protection.line(cells, threshold=5)
    assert total == protection.shown(protection.total(cells), threshold=5)
    grid = protection.grid([cells[:2], cells[2:]], threshold=5)
    assert grid[-1][-1] == total  # the grand total counts the same records: the same value
    assert grid[0][-1] == protection.shown(cells[0] + cells[1], threshold=5)


def test_rates_come_from_published_counts_only() -> None:
    assert protection.rate("c", 40) == "c" and protection.rate(3, "c") == "c"
    assert protection.rate(0, 0) == "z"
    assert protection.rate(6, 9) == "c"  # a published denominator below 10
    assert protection.rate(11, 12) == pytest.approx(91.7)
    assert protection.population_rate("c", 70_000) == "c"
    assert protection.population_rate(70, 70_000) == 10.0
    assert not protection.average_allowed(Count(3, 5), threshold=5)


FRAMES_DAY = dt.date(2025, 3, 31)


@pytest.fixture(params=["duckdb", "sqlite", "postgresql"])
def keyed_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    """The tiny test store, built (with record keys) on each engine."""
    import _tiny_store as tiny

    if request.param == "duckdb":
        url = f"duckdb:///{tmp_path / 'k.duckdb'}"
    elif request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'k.sqlite'}"
    else:
        url = request.getfixturevalue("fresh_pg_url")
    database.build_store(url, lambda: iter(tiny.frames().items()))
    engine = sa.create_engine(url)
    yield engine
    engine.dispose()


def test_every_row_has_its_key_and_fact_rows_their_childs(keyed_store: sa.Engine) -> None:
    with keyed_store.connect() as conn:
        kids = {int(c): int(k) for c, k in conn.execute(sa.select(schema.children.c.child_id,
                                                                   schema.children.c.rkey))}
        episodes = conn.execute(sa.select(schema.involvements.c.involvement_id, schema.involvements.c.child_id,
                                          schema.involvements.c.rkey, schema.involvements.c.child_rkey)).all()
        spells = conn.execute(sa.select(schema.open_spells.c.child_id, schema.open_spells.c.child_rkey)).all()
    assert kids and episodes and spells
    assert all(k == record_key(SYNTHETIC_SECRET, "children", c) for c, k in kids.items())
    for episode, child, key, child_key in episodes:
        assert key == record_key(SYNTHETIC_SECRET, "involvements", episode) and child_key == kids[child]
    assert all(child_key == kids[child] for child, child_key in spells)


def test_batch_counts_carry_the_key_sums_of_exactly_their_rows(keyed_store: sa.Engine) -> None:
    inv = schema.involvements
    ended = inv.c.end_date.is_not(None)
    with keyed_store.connect() as conn:
        rows = conn.execute(sa.select(inv.c.service, inv.c.end_date, inv.c.child_id, inv.c.rkey,
                                      inv.c.child_rkey)).all()
        result = run_batch(conn, {
            "by_service": Grouped([inv.c.service], [tally(), tally(ended)], inv),
            "kids": Grouped([], [children(inv.c.child_id), children(inv.c.child_id, ended)], inv),
        })
    assert result["by_service"]
    for service, n, n_ended in result["by_service"]:
        mine = [r for r in rows if r.service == service]
        assert isinstance(n, Count) and n == len(mine) and n.keysum == sum(r.rkey for r in mine)
        done = [r for r in mine if r.end_date is not None]
        assert n_ended == len(done) and n_ended.keysum == sum(r.rkey for r in done)
    kids, kids_ended = result["kids"][0]
    distinct = {r.child_id: r.child_rkey for r in rows}
    assert kids == len(distinct) and kids.keysum % 4096 == sum(distinct.values()) % 4096
    again = {r.child_id: r.child_rkey for r in rows if r.end_date is not None}
    assert kids_ended == len(again) and kids_ended.keysum % 4096 == sum(again.values()) % 4096


def test_keys_are_stable_across_rebuilds_and_follow_the_secret(tmp_path: Path) -> None:
    import _tiny_store as tiny

    def keys(url: str, **secret: bytes) -> dict[int, int]:
        database.build_store(url, lambda: iter(tiny.frames().items()), **secret)
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            out = {int(a): int(b) for a, b in conn.execute(sa.select(schema.involvements.c.involvement_id,
                                                                      schema.involvements.c.rkey))}
        engine.dispose()
        return out

    first = keys(f"duckdb:///{tmp_path / 'a.duckdb'}")
    assert keys(f"duckdb:///{tmp_path / 'b.duckdb'}") == first
    council = keys(f"duckdb:///{tmp_path / 'c.duckdb'}", record_secret=b"a council's own secret, kept apart")
    assert council != first and set(council) == set(first)


def test_a_councils_refresh_uses_the_secret_kept_outside_the_store(tmp_path: Path) -> None:
    from model.settings import Settings
    from refresh.ingest.sources import IngestConfig

    settings = Settings.from_env({}, data_dir=tmp_path)
    config = IngestConfig.from_settings(settings)
    assert config.record_secret == settings.record_key_secret != SYNTHETIC_SECRET
    assert (tmp_path / "record_key").stat().st_mode & 0o777 == 0o600
    assert Settings.from_env({}, data_dir=tmp_path).record_key_secret == settings.record_key_secret
