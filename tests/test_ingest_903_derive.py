"""The 903 derived columns: periods of care, placements, distance over 20 miles, care-leaver flags."""

from __future__ import annotations

import pandas as pd

from refresh import derive_903


def episodes(*rows: tuple[int, str, str | None, str, str, str, str | None, float | None]) -> pd.DataFrame:
    cols = ["child_id", "start_date", "end_date", "rne", "legal_status", "placement_type", "reason_ceased",
            "placement_distance"]
    frame = pd.DataFrame(rows, columns=cols)
    frame["start_date"] = pd.to_datetime(frame["start_date"]).astype("datetime64[s]")
    frame["end_date"] = pd.to_datetime(frame["end_date"]).astype("datetime64[s]")
    return frame.assign(cla_episode_id=range(1, len(frame) + 1))


def test_periods_split_where_care_ceased_and_count_placements() -> None:
    ep = episodes(
        (1, "2020-01-01", "2020-06-01", "S", "C1", "U4", "X1", 5.0),
        (1, "2020-06-01", "2021-01-01", "L", "C2", "U4", "X1", 25.0),  # legal status only: same placement
        (1, "2021-01-01", "2021-05-01", "P", "C2", "K2", "E4A", None),
        (1, "2022-03-01", None, "S", "V3", "R1", None, None),  # a new period after returning home
        (2, "2023-01-01", "2023-01-04", "S", "V3", "R1", "E8", 30.0),
    )
    out, periods = derive_903.episode_periods(ep)
    assert out["cla_period_id"].tolist() == [1, 1, 1, 2, 3]
    assert out["is_new_placement"].tolist() == [True, False, True, True, True]
    assert out["placement_start_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2020-01-01", "2020-01-01", "2021-01-01", "2022-03-01", "2023-01-01"]
    assert out["over_20_miles"].tolist() == [False, True, pd.NA, pd.NA, True]
    assert out["placement_group"].tolist() == ["foster", "foster", "residential", "residential", "residential"]
    assert periods["episodes"].tolist() == [3, 1, 1] and periods["placements"].tolist() == [2, 1, 1]
    assert periods["reason_ceased"].tolist()[0] == "E4A" and pd.isna(periods["end_date"].iloc[1])
    assert periods["short_breaks_only"].tolist() == [False, True, True]
    assert periods["first_legal_status"].tolist() == ["C1", "V3", "V3"]


def test_care_leavers_age_eet_and_suitable_accommodation() -> None:
    oc3 = pd.DataFrame({"child_id": [1, 2, 3], "year": [2024, 2024, 2024], "in_touch": ["YES", "YES", "NO"],
                        "activity": ["F4", "G5", None], "accommodation": ["U1", "S2", None]})
    children = pd.DataFrame({"child_id": [1, 2, 3], "birth_date": pd.to_datetime(
        ["2004-07-01", "2005-02-10", "2002-04-01"])})
    out = derive_903.care_leavers(oc3, children)
    assert out["age"].tolist() == [19, 19, 21]  # birthdays in 2023-24: July 2023, February 2024, 1 April 2023
    assert out["in_eet"].tolist() == [True, False, pd.NA]
    assert out["suitable_accommodation"].tolist() == [True, False, pd.NA]
