"""The SSDA903 tables' derived columns (model.schema_903), computed from the data alone, as a refresh would.

Used by the demo generator and the loader alike (through ``refresh.derive.derive_all``): periods of
care from the episodes, each episode's period and placement, distances over 20 miles, and the care
leavers' age, EET and suitable accommodation flags. Frames the caller does not supply start empty,
so a store without 903 data has the tables, with no rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import sqlalchemy as sa

from model import codes_903, schema, schema_903

DISTANCE_MILES = 20


def empty_frame(table: sa.Table) -> pd.DataFrame:
    """A frame with ``table``'s loaded columns and no rows, in the dtypes the store expects."""
    return pd.DataFrame({c.name: pd.Series([], dtype=_dtype(c)) for c in table.columns
                         if c.name not in schema.KEY_COLUMNS})


def _dtype(column: sa.Column) -> str:
    kind = type(column.type)
    if kind is sa.Date:
        return "datetime64[s]"
    if kind in (sa.Integer, sa.SmallInteger):
        return "Int64" if column.nullable else "int64"
    if kind is sa.Boolean:
        return "boolean" if column.nullable else "bool"
    if kind is sa.Float:
        return "float64"
    return "str" if not column.nullable else "object"


def episode_periods(episodes: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(episodes with cla_period_id and the placement columns, cla_periods).

    A period of care starts with a child's first episode, an episode with RNE S, or an episode after
    one that ceased with a reason other than X1; the rest continue the period. A placement starts
    with each period and with each RNE P, T, U or B. Period ids are numbered in (child, start) order.
    """
    if episodes.empty:
        periods = empty_frame(schema_903.cla_periods)
        out = episodes.assign(cla_period_id=pd.Series([], dtype="int64"), is_new_placement=pd.Series([], dtype=bool),
                              placement_start_date=episodes["start_date"], over_20_miles=pd.Series([], dtype="boolean"),
                              placement_group=pd.Series([], dtype=object))
        return out, periods
    ep = episodes.sort_values(["child_id", "start_date", "cla_episode_id"], kind="stable")
    first = ep["child_id"].ne(ep["child_id"].shift())
    previous_rec = ep["reason_ceased"].shift()
    new_period = first | ep["rne"].eq("S").fillna(False) | (previous_rec.notna() & previous_rec.ne("X1"))
    period = new_period.to_numpy(dtype=bool).cumsum().astype(np.int64)
    new_placement = new_period | ep["rne"].isin(codes_903.NEW_PLACEMENT_RNE)
    placement_start = ep["start_date"].where(new_placement).ffill()
    distance = pd.to_numeric(ep["placement_distance"], errors="coerce")
    far = pd.array((distance > DISTANCE_MILES).to_numpy(dtype=bool), dtype="boolean")
    far[distance.isna().to_numpy()] = pd.NA
    short_break = ep["legal_status"].isin(codes_903.SHORT_BREAK_LS).to_numpy(dtype=bool)
    ep = ep.assign(cla_period_id=period, is_new_placement=new_placement.to_numpy(dtype=bool),
                   placement_start_date=placement_start.astype("datetime64[s]"), over_20_miles=far,
                   placement_group=ep["placement_type"].map(codes_903.PLACEMENT_GROUP).astype(object))
    grouped = ep.groupby("cla_period_id", sort=True)
    last = grouped.tail(1).set_index("cla_period_id")
    head = grouped.head(1).set_index("cla_period_id")
    periods = pd.DataFrame({
        "cla_period_id": head.index.to_numpy(dtype=np.int64),
        "child_id": head["child_id"].to_numpy(dtype=np.int64),
        "start_date": head["start_date"].to_numpy(dtype="datetime64[s]"),
        "end_date": last["end_date"].to_numpy(dtype="datetime64[s]"),
        "reason_ceased": last["reason_ceased"].to_numpy(dtype=object),
        "first_legal_status": head["legal_status"].to_numpy(dtype=object),
        "episodes": grouped.size().to_numpy(dtype=np.int64),
        "placements": grouped["is_new_placement"].sum().to_numpy(dtype=np.int64),
        "short_breaks_only": pd.Series(short_break, index=ep.index).groupby(ep["cla_period_id"]).all().to_numpy(
            dtype=bool),
    })
    return ep.sort_index(), periods


def care_leavers(oc3: pd.DataFrame, children: pd.DataFrame) -> pd.DataFrame:
    """OC3 age at the birthday in the collection year, in EET, and in suitable accommodation."""
    born = oc3[["child_id"]].merge(children[["child_id", "birth_date"]], on="child_id", how="left")["birth_date"]
    born = pd.to_datetime(born)
    # The year runs 1 April to 31 March: a birthday from January to March falls in the year's last calendar year.
    age = oc3["year"].to_numpy(dtype=np.int64) - born.dt.year.to_numpy() - (born.dt.month.to_numpy() >= 4)
    age_col = pd.array(np.nan_to_num(age, nan=0).astype(np.int64), dtype="Int64")
    age_col[born.isna().to_numpy()] = pd.NA
    activity, accommodation = oc3["activity"], oc3["accommodation"]
    eet = pd.array(activity.isin(codes_903.EET_ACTIVITY).to_numpy(dtype=bool), dtype="boolean")
    eet[activity.isna().to_numpy()] = pd.NA
    text = accommodation.astype(str)
    suitable = pd.array((text.str.len().eq(2) & text.str.endswith("1")).to_numpy(dtype=bool), dtype="boolean")
    suitable[accommodation.isna().to_numpy()] = pd.NA
    return oc3.assign(age=age_col, in_eet=eet, suitable_accommodation=suitable)


def derive(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The 903 tables (empty where not supplied) with their derived columns; involvements get
    ``cla_period_id`` (NULL) when the caller did not link any to a period of care."""
    out = dict(frames)
    for table in schema_903.CLA_TABLES:
        if table.name not in out:
            out[table.name] = empty_frame(table)
    out["cla_episodes"], out["cla_periods"] = episode_periods(out["cla_episodes"])
    out["cla_oc3"] = care_leavers(out["cla_oc3"], out["children"])
    if "involvements" in out and "cla_period_id" not in out["involvements"]:
        inv = out["involvements"]
        out["involvements"] = inv.assign(cla_period_id=pd.array([pd.NA] * len(inv), dtype="Int64"))
    return out
