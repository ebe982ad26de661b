"""``open_spells`` (derived at refresh): on every day, one open spell per child (and per child and
service) exactly when the child has an involvement open then; on DuckDB, SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from data_access.aggregates.scope import open_on
from model import schema
from refresh import database

FIRST = dt.date(2024, 1, 1)
SERVICES = ("CSC", "EH", "SEND")


def _frames() -> dict[str, pd.DataFrame]:
    """The tiny store with its involvements replaced by awkward ones: overlapping, nested, touching
    (one ends the day the next starts), duplicated, zero-length, open-ended, and out of order."""
    import _tiny_store as tiny  # type: ignore[import-not-found]

    frames = tiny.frames()
    children = frames["children"]["child_id"].tolist()
    rng = np.random.default_rng(20251205)
    rows = []
    for i in range(260):
        start = FIRST + dt.timedelta(days=int(rng.integers(0, 600)))
        length = int(rng.choice([0, 1, 5, 30, 90, 200, -1]))  # -1: still open
        rows.append((i + 1, int(rng.choice(children)), str(rng.choice(SERVICES)), start,
                     None if length < 0 else start + dt.timedelta(days=length)))
    # Hand-made edge cases for child 1 in EH: touching spells and a duplicate.
    rows += [(900, children[0], "EH", dt.date(2024, 3, 1), dt.date(2024, 4, 1)),
             (901, children[0], "EH", dt.date(2024, 4, 1), dt.date(2024, 5, 1)),
             (902, children[0], "EH", dt.date(2024, 4, 1), dt.date(2024, 5, 1)),
             (903, children[0], "EH", dt.date(2024, 6, 1), dt.date(2024, 6, 1))]
    template = frames["involvements"].iloc[[0] * len(rows)].reset_index(drop=True)
    ids, kids, services, starts, ends = zip(*rows, strict=True)
    frames["involvements"] = template.assign(
        involvement_id=list(ids), child_id=list(kids), service=list(services),
        start_date=pd.to_datetime(list(starts)).astype("datetime64[s]"),
        end_date=pd.to_datetime(list(ends)).astype("datetime64[s]"),
        intervention_type=[{"CSC": "CSC", "EH": "EHA", "SEND": "EHCP"}.get(s, "CSC") for s in services])
    frames["allocations"] = frames["allocations"].iloc[0:0]
    return frames


STORE_FRAMES = _frames  # built on each engine by the ``engine_store`` fixture (tests/_stores.py)


def test_open_spells_count_the_children_open_on_every_day(engine_store: sa.Engine) -> None:
    inv, sp = schema.involvements.c, schema.open_spells.c
    days = [FIRST + dt.timedelta(days=d) for d in range(0, 820, 7)] + [dt.date(2024, 4, 1), dt.date(2024, 5, 1),
                                                                        dt.date(2024, 6, 1)]
    with engine_store.connect() as conn:
        for day in days:
            for service in (schema.ANY_SERVICE, *SERVICES):
                of_service = [] if service == schema.ANY_SERVICE else [inv.service == service]
                expected = conn.execute(sa.select(inv.child_id, inv.child_sex, inv.child_birth_date)
                                        .where(open_on(inv.start_date, inv.end_date, day), *of_service)
                                        .distinct()).all()
                spells = conn.execute(sa.select(sp.child_id, sp.child_sex, sp.child_birth_date)
                                      .where(open_on(sp.start_date, sp.end_date, day), sp.service == service)).all()
                assert sorted(spells) == sorted(expected), (day, service)  # one row per child, no DISTINCT
        touching = conn.execute(sa.select(sp.start_date, sp.end_date).where(
            sp.child_id == int(conn.execute(sa.select(sa.func.min(inv.child_id)).where(
                inv.involvement_id == 900)).scalar_one()), sp.service == "EH",
            sp.start_date <= dt.date(2024, 3, 1), sp.end_date >= dt.date(2024, 5, 1))).all()
        assert touching, "spells that touch (one ends the day the next starts) are merged"


def test_spells_of_a_child_and_service_are_disjoint(engine_store: sa.Engine) -> None:
    sp = schema.open_spells.c
    with engine_store.connect() as conn:
        rows = conn.execute(sa.select(sp.child_id, sp.service, sp.start_date, sp.end_date)
                            .order_by(sp.child_id, sp.service, sp.start_date)).all()
    assert rows
    for before, after in zip(rows, rows[1:], strict=False):
        if before[:2] == after[:2]:
            assert before[3] is not None and str(before[3]) < str(after[2]), (before, after)


@pytest.mark.parametrize("services", [None, ("EH",)])
def test_base_population_from_spells_equals_from_involvements(engine_store: sa.Engine, monkeypatch, services) -> None:  # type: ignore[no-untyped-def]
    """A view's base population (children with an involvement in the period) counted from the first
    overlapping spells (``spells.children_in_period``, no DISTINCT) is the DISTINCT over involvements:
    the same children and the same key sum (mod 4096), for periods around every kind of spell edge."""
    from data_access.aggregates import limits, spells
    from data_access.aggregates.context import run_batch
    from data_access.aggregates.scope import Period
    from data_access.filters import Filters
    from model.recordkeys import KEY_SPACE

    ends = [FIRST + dt.timedelta(days=d) for d in range(-20, 820, 23)] + [dt.date(2024, 4, 1), dt.date(2024, 5, 1)]
    windows = [Period(end - dt.timedelta(days=n), end) for end in ends for n in (1, 31, 365)]
    for filters in (Filters(sex="F"), Filters(age_band="5-9"), Filters(age_band="unborn"), Filters(service="SEND"),
                    Filters(service="EH", sex="M")):
        if services is not None and filters.service not in (None, *services):
            continue
        fast = {f"p{i}": limits.base_query(filters, w, services=services) for i, w in enumerate(windows)}
        assert all(q is not None and q.source is schema.open_spells for q in fast.values())
        with monkeypatch.context() as forced:  # the general path: DISTINCT over the involvements
            forced.setattr(spells, "spell_service", lambda *_args: None)
            slow = {f"q{i}": limits.base_query(filters, w, services=services) for i, w in enumerate(windows)}
        with engine_store.connect() as conn:
            got = run_batch(conn, {**fast, **slow})  # type: ignore[dict-item]  # none is None (asserted)
        for i, window in enumerate(windows):
            (a,), (b,) = got[f"p{i}"][0], got[f"q{i}"][0]
            assert (int(a), a.keysum % KEY_SPACE) == (int(b), b.keysum % KEY_SPACE), (filters, window)
        assert filters.age_band == "unborn" or any(int(got[f"p{i}"][0][0]) for i in range(len(windows))), filters


class _User:
    def __init__(self, role: str, services: tuple[str, ...] = ()) -> None:
        self.role, self.services, self.user_id, self.username = role, services, 1, f"spells-{role}"
        self.team_ids: tuple[str, ...] = ()
        self.worker_id = None


LEADER, ONE_SERVICE, TWO_SERVICES = _User("leadership"), _User("service_manager", ("EH",)), \
    _User("service_manager", ("CSC", "SEND"))
VIEWS = [
    (LEADER, {}), (LEADER, {"sex": "F"}), (LEADER, {"age_band": "10-15", "locality": "NORTH"}),
    (LEADER, {"age_band": "unborn"}), (LEADER, {"service": "CSC"}), (LEADER, {"period": "last_census_year"}),
    (LEADER, {"selection": "by_service:service:SEND"}), (LEADER, {"selection": "by_sex:sex:M", "service": "EH"}),
    (LEADER, {"selection": "by_age:age_band:0-4"}), (LEADER, {"selection": "by_service:service:CSC", "service": "EH"}),
    (LEADER, {"selection": "flow:time:2025-03-01_2025-03-31", "grain": "month"}),
    (LEADER, {"drill_org": "EH"}), (LEADER, {"team": "CSC-SGA"}), (LEADER, {"need": "N1"}),
    (ONE_SERVICE, {}), (ONE_SERVICE, {"sex": "M"}), (TWO_SERVICES, {}), (TWO_SERVICES, {"service": "SEND"}),
]


@pytest.mark.parametrize(("user", "view"), VIEWS, ids=[f"{u.username}-{sorted(v.items())}" for u, v in VIEWS])
def test_service_users_from_spells_equals_from_involvements(configured, monkeypatch, user, view) -> None:  # type: ignore[no-untyped-def]
    """The page built from ``open_spells`` and the same page forced through the DISTINCT over
    involvements (the general path) show the same cards and charts, cell for cell."""
    import data_access
    from data_access.aggregates import service_users

    def shown() -> tuple[list, dict]:
        data_access.current().pages.clear()
        data = data_access.views.service_users_page(user=user, filters=view)
        return [(k.key, k.value) for k in data.cards], {key: (v.cols, v.totals) for key, v in data.visuals.items()}

    used = []
    real = service_users._spell_service
    monkeypatch.setattr(service_users, "_spell_service", lambda ctx, visual: used.append(real(ctx, visual)) or used[-1])
    fast = shown()
    monkeypatch.setattr(service_users, "_spell_service", lambda ctx, visual: None)
    assert shown() == fast
    withheld = all(value is None for _key, value in fast[0])  # a view of too few children shows no figure
    assert fast[0] and (any(v[0]["code"] for v in fast[1].values()) or withheld)
    # Spells served it unless a team or need slicer, or a user with several (not all) services and no
    # service chosen, needed the involvements themselves.
    spells_apply = not view.keys() & {"team", "need"} and (user is not TWO_SERVICES or "service" in view)
    assert any(u is not None for u in used) == spells_apply


def test_a_store_built_by_an_older_version_is_refused_with_how_to_rebuild(tmp_path: Any) -> None:
    """Every build records the store layout; an older store stops the app at start-up (not demo)."""
    import _tiny_store as tiny  # type: ignore[import-not-found]

    import app as app_module
    import data_access
    from model.settings import Settings

    url = f"duckdb:///{tmp_path / 'old.duckdb'}"
    database.build_store(url, lambda: iter(tiny.frames().items()))
    settings = Settings.from_env({}, data_dir=tmp_path, analytics_url=url, app_db_url=f"sqlite:///{tmp_path / 'a.db'}")
    with data_access.bound(data_access.open_stores(settings)) as stores:
        assert data_access.store_facts()["layout"] == schema.STORE_LAYOUT
        assert data_access.store_layout_problem() is None
    stores.close()
    engine = sa.create_engine(url)
    with engine.begin() as conn:  # as a build before the layout was recorded left it
        conn.execute(schema.store_metadata.delete().where(schema.store_metadata.c.key == "layout"))
    with engine.connect() as conn:
        conn.execute(sa.text("CHECKPOINT"))
    engine.dispose()
    with pytest.raises(RuntimeError, match=r"older version.*layout 1.*needs .*load refresh"):
        app_module.create_app(settings)
