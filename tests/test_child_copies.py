"""The child's slicer attributes copied onto fact tables at refresh (schema.CHILD_COPIES), and the
slicers on those copies counting exactly what the semi-join on ``children`` counted."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from data_access.aggregates.scope import AGE_BOUNDS, child_conditions, restrict_children
from data_access.filters import Filters
from model import schema
from refresh import database

DAY = dt.date(2025, 10, 31)
SLICES = [Filters(sex="F"), Filters(sex="M", locality="NORTH"), Filters(locality="SOUTH"),
          Filters(age_band="unborn"), Filters(age_band="0-4", sex="U"),
          *(Filters(age_band=band) for band in AGE_BOUNDS)]


def _children() -> pd.DataFrame:
    return pd.DataFrame({
        "child_id": [3, 1, 7, 5],
        "sex": pd.Series(["F", "M", "U", "F"], dtype="str"),
        "locality": pd.Series(["NORTH", None, "SOUTH", "NORTH"], dtype="str"),
        "birth_date": pd.to_datetime(["2015-05-01", None, "2026-01-01", "2008-02-29"]).astype("datetime64[s]"),
    })


@pytest.mark.parametrize("scale", [1, 10_000])  # dense surrogate ids, and sparse ones (hashed)
def test_copies_take_each_childs_attributes_and_null_for_an_unknown_child(scale: int) -> None:
    children = _children().assign(child_id=lambda f: f["child_id"] * scale)
    facts = pd.DataFrame({"child_id": np.array([5, 3, 9, 1, 3, -2, 7]) * scale, "n": range(7)})
    out = database.child_copies(children)(facts)
    assert out["n"].tolist() == list(range(7))
    assert out["child_sex"].tolist()[:2] == ["F", "F"] and out["child_sex"].tolist()[3:5] == ["M", "F"]
    assert pd.isna(out["child_sex"].iloc[2]) and pd.isna(out["child_sex"].iloc[5])
    assert out["child_locality"].iloc[0] == "NORTH" and pd.isna(out["child_locality"].iloc[3])
    assert out["child_birth_date"].dtype == "datetime64[s]"
    assert out["child_birth_date"].iloc[0] == pd.Timestamp("2008-02-29")
    assert pd.isna(out["child_birth_date"].iloc[3]) and pd.isna(out["child_birth_date"].iloc[2])


def _frames() -> dict[str, pd.DataFrame]:
    """The tiny hand-made store, plus involvements of a child who is not in ``children`` (an orphan row)
    and of children with no birth date and no locality, so NULLs are exercised."""
    import _tiny_store as tiny  # type: ignore[import-not-found]

    frames = tiny.frames()
    kids = frames["children"].copy()
    kids.loc[kids["child_id"] == 3, "birth_date"] = None
    kids.loc[kids["child_id"] == 4, "locality"] = None
    kids.loc[kids["child_id"] == 6, "locality"] = "SOUTH"
    kids.loc[kids["child_id"] == 8, "birth_date"] = dt.date(2026, 3, 1)  # unborn on DAY
    frames["children"] = kids
    inv = frames["involvements"]
    orphan = inv.iloc[[0]].assign(involvement_id=99, child_id=999)
    frames["involvements"] = pd.concat([inv, orphan], ignore_index=True)
    return frames


STORE_FRAMES = _frames  # built on each engine by the ``engine_store`` fixture (tests/_stores.py)


def test_a_refresh_fills_the_copies_from_children(engine_store: sa.Engine) -> None:
    inv, ch = schema.involvements.c, schema.children.c
    with engine_store.connect() as conn:
        rows = conn.execute(sa.select(inv.child_id, inv.child_sex, inv.child_locality, inv.child_birth_date,
                                      ch.sex, ch.locality, ch.birth_date)
                            .select_from(schema.involvements.outerjoin(schema.children, inv.child_id == ch.child_id))
                            .order_by(inv.involvement_id)).all()
    assert len(rows) == 11
    for child, *copied, sex, locality, born in rows:
        assert tuple(copied) == (sex, locality, born), child
    assert rows[-1][1:4] == (None, None, None)  # the orphan row


@pytest.mark.parametrize("filters", SLICES, ids=lambda f: f"{f.sex}-{f.locality}-{f.age_band}")
def test_slicers_on_the_copies_count_what_the_semi_join_counted(engine_store: sa.Engine, filters: Filters) -> None:
    inv = schema.involvements
    semi_join = inv.c.child_id.in_(sa.select(schema.children.c.child_id).where(*child_conditions(filters, DAY)))
    with engine_store.connect() as conn:
        on_copies = conn.execute(sa.select(inv.c.involvement_id).where(*restrict_children(inv, filters, DAY))
                                 .order_by(inv.c.involvement_id)).scalars().all()
        joined = conn.execute(sa.select(inv.c.involvement_id).where(semi_join)
                              .order_by(inv.c.involvement_id)).scalars().all()
    assert on_copies == joined
    assert 99 not in on_copies  # never the orphan row, even for "unborn" (its birth date is NULL)


def test_every_fact_table_carries_the_copies_and_no_semi_join_is_left() -> None:
    from data_access.aggregates._facts import FACT_TABLE

    for table in FACT_TABLE.values():
        assert table in schema.CHILD_SLICED, table.name
        sql = str(sa.select(table.c.child_id).where(*restrict_children(table, Filters(sex="F", age_band="5-9"), DAY)))
        assert "children" not in sql.replace("child_", ""), table.name


def test_a_fact_loaded_before_children_is_refused(tmp_path: Any) -> None:
    frames = _frames()
    order = ["involvements", *[name for name in frames if name != "involvements"]]
    with pytest.raises(ValueError, match="before children"):
        database.build_store(f"duckdb:///{tmp_path / 'b.duckdb'}", lambda: ((n, frames[n]) for n in order))
    assert not (tmp_path / "b.duckdb").exists()


EPISODE_DIMS = [("team", "team_id"), ("need", "primary_need"), ("referral_source", "referral_source"),
                ("closure_reason", "closure_reason")]


@pytest.mark.parametrize("fact", ["assessments", "s47", "cin_plans", "cp_plans"])
def test_episode_dimensions_on_the_copies_count_what_the_semi_join_counted(demo_store: Any, fact: str) -> None:
    """A team slicer or a need / referral source / closure reason selection on a table hanging off a CIN
    episode: the copies give the rows the semi-join on ``cin_episodes`` gave, for every value."""
    from data_access.aggregates._facts import FACT_TABLE, conditions
    from data_access.filters import Selection

    table, E = FACT_TABLE[fact], schema.cin_episodes
    engine = sa.create_engine(f"duckdb:///{demo_store}", connect_args={"read_only": True})
    try:
        with engine.connect() as conn:
            for dim, column in EPISODE_DIMS:
                values = conn.execute(sa.select(E.c[column]).where(E.c[column].is_not(None)).distinct()
                                      .order_by(E.c[column]).limit(6)).scalars().all()
                assert values, column
                seen = 0
                for value in values:
                    if dim == "team":
                        filters = Filters(team=value)
                    else:
                        filters = Filters(selection=Selection("chart", dim, value))
                    scoped = conditions(fact, filters, DAY, services=None)
                    assert "cin_episodes" not in " ".join(str(c) for c in scoped.conds)
                    got = conn.execute(sa.select(sa.func.count()).select_from(table).where(*scoped.conds)).scalar()
                    want = conn.execute(sa.select(sa.func.count()).select_from(table).where(
                        table.c.episode_id.in_(sa.select(E.c.episode_id).where(E.c[column] == value)))).scalar()
                    assert got == want, (dim, value)
                    seen += want
                assert seen > 0, dim  # the comparison counted something
    finally:
        engine.dispose()
