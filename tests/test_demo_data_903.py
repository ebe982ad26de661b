"""The demo's children looked after and care leavers (SSDA903): calibration to DfE's national figures,
valid codes for each collection year, periods of care that hang together with the CIN data, and the
looked-after involvements with their processing record.

Rates are recomputed with DfE's definitions in ``tests/_cla_measures.py`` (plain pandas, not the
store's derived columns); ``python -m tests._cla_measures`` prints the calibration table.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from model import codes, codes_903
from refresh.demo import DEFAULT_SEED, generate
from tests._cla_measures import TARGETS, measures

AS_OF = dt.date(2025, 10, 31)


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return generate(seed=DEFAULT_SEED, scale=1.0, as_of=AS_OF)


@pytest.fixture(scope="module")
def measured(frames) -> dict[str, float]:  # type: ignore[no-untyped-def]
    return measures(frames)


@pytest.mark.parametrize("measure", list(TARGETS))
def test_each_published_rate_is_within_its_tolerance(measured, measure: str) -> None:  # type: ignore[no-untyped-def]
    target, tolerance, _source = TARGETS[measure]
    assert abs(measured[measure] - target) <= tolerance, (measure, measured[measure], target)


def test_another_seed_is_calibrated_too() -> None:
    got = measures(generate(seed=7, scale=1.0, as_of=AS_OF))
    misses = {k: (got[k], t) for k, (t, tol, _) in TARGETS.items() if abs(got[k] - t) > tol}
    assert not misses


def test_codes_are_valid_for_their_collection_year(frames) -> None:  # type: ignore[no-untyped-def]
    ep = frames["cla_episodes"]
    year = (ep["start_date"].dt.year + (ep["start_date"].dt.month >= 4)).clip(lower=codes_903.FIRST_YEAR)
    for column, code_list, years in (("placement_type", codes_903.PLACEMENT_TYPE, codes_903.PLACEMENT_TYPE_YEARS),
                                     ("reason_ceased", codes_903.REASON_EPISODE_CEASED,
                                      codes_903.REASON_EPISODE_CEASED_YEARS)):
        for code, y in zip(ep[column], year, strict=True):
            if isinstance(code, str):
                assert code in codes_903.valid_in(code_list, years, int(y)), (column, code, y)
    assert ep["rne"].isin(list(codes.REASON_NEW_EPISODE)).all()
    assert ep["legal_status"].isin(list(codes.LEGAL_STATUS)).all()
    assert ep["category_of_need"].isin(list(codes.CATEGORY_OF_NEED)).all()
    assert ep["placement_provider"].dropna().isin(list(codes.PLACEMENT_PROVIDER)).all()
    assert ep["placement_provider"][ep["placement_type"].isin(codes_903.NO_PROVIDER_PLACEMENTS)].isna().all()
    assert ep["reason_place_change"].dropna().isin(list(codes.REASON_PLACE_CHANGE)).all()
    oc3 = frames["cla_oc3"]
    for code, y in zip(oc3["activity"], oc3["year"], strict=True):
        if isinstance(code, str):  # blank for a young person who died or returned home (rule 344)
            assert code in codes_903.valid_in(codes.ACTIVITY, codes_903.ACTIVITY_YEARS, int(y)), (code, y)
    assert oc3["in_touch"].isin(list(codes.IN_TOUCH)).all()
    assert oc3["accommodation"].dropna().isin(list(codes.ACCOMMODATION)).all()
    blank = oc3["activity"].isna()
    assert blank.any() and oc3["in_touch"][blank].isin(["DIED", "RHOM"]).all()
    assert (oc3["accommodation"].isna() == blank).all()
    assert frames["cla_missing"]["missing_type"].isin(["M", "A"]).all()
    assert frames["cla_reviews"]["participation"].isin(list(codes.REVIEW_PARTICIPATION)).all()


def test_episodes_chain_into_periods_that_end_by_the_18th_birthday(frames) -> None:  # type: ignore[no-untyped-def]
    ep = frames["cla_episodes"].sort_values(["child_id", "start_date"])
    nxt = ep.groupby("cla_period_id")["start_date"].shift(-1)
    continued = nxt.notna()
    assert (ep["end_date"][continued] == nxt[continued]).all()  # DEC of one = DECOM of the next (rule 433)
    assert (ep["reason_ceased"][continued] == "X1").all() and not (ep["reason_ceased"][~continued] == "X1").any()
    assert (ep["end_date"].isna() == ep["reason_ceased"].isna()).all()  # rule 148
    first = ~ep["cla_period_id"].duplicated()
    assert (ep["rne"][first] == "S").all() and not (ep["rne"][~first] == "S").any()
    periods = frames["cla_periods"]
    adult = periods["child_birth_date"] + pd.DateOffset(years=18)
    assert (periods["end_date"].fillna(pd.Timestamp(AS_OF)) <= adult + pd.Timedelta(days=1)).all()
    assert periods["end_date"].isna().sum() == ep["end_date"].isna().sum()  # one open episode per open period
    assert (periods["start_date"] < periods["end_date"].fillna(pd.Timestamp("2100-01-01"))).all()


def test_every_looked_after_child_is_a_child_in_need_at_the_time(frames) -> None:  # type: ignore[no-untyped-def]
    periods, cin = frames["cla_periods"], frames["cin_episodes"]
    merged = periods.merge(cin, on="child_id")
    covered = (merged["referral_date"] <= merged["start_date"]) & (
        merged["closure_date"].isna() | (merged["closure_date"] >= merged["end_date"].fillna(pd.Timestamp(AS_OF))))
    assert covered.groupby(merged["cla_period_id"]).any().reindex(periods["cla_period_id"]).all()


def test_one_looked_after_involvement_per_period_with_its_processing_record(frames) -> None:  # type: ignore[no-untyped-def]
    inv, periods = frames["involvements"], frames["cla_periods"]
    lac = inv[inv["intervention_type"] == "LAC"]
    assert lac["cla_period_id"].notna().all() and lac["cla_period_id"].is_unique
    assert inv["cla_period_id"][inv["intervention_type"] != "LAC"].isna().all()
    m = lac.merge(periods, on="cla_period_id", suffixes=("", "_p"))
    assert len(m) == len(periods)
    assert (m["child_id"] == m["child_id_p"]).all() and (m["start_date"] == m["start_date_p"]).all()
    assert ((m["end_date"] == m["end_date_p"]) | (m["end_date"].isna() & m["end_date_p"].isna())).all()
    assert ((m["outcome"] == "OPEN") == m["end_date"].isna()).all() and (m["service"] == "CSC").all()
    assert lac["lawful_basis"].isin(["legal_obligation", "public_task"]).all()
    assert (lac["lawful_basis"] == "legal_obligation").mean() > 0.75
    assert lac["art9_condition"].isin(["social_protection", "substantial_public_interest"]).all()
    assert inv["involvement_id"].is_unique


def test_health_outcomes_only_for_children_looked_after_12_months(frames) -> None:  # type: ignore[no-untyped-def]
    oc2, periods = frames["cla_oc2"], frames["cla_periods"]
    day = pd.to_datetime(oc2["year"].astype(str) + "-03-31")
    m = oc2.assign(day=day).merge(periods, on="child_id")
    ok = (m["start_date"] <= m["day"] - pd.Timedelta(days=365)) & (m["end_date"].isna() | (m["end_date"] > m["day"]))
    assert ok.groupby([m["child_id"], m["year"]]).any().all()
    age = (day - oc2["child_birth_date"]).dt.days / 365.25
    assert oc2["health_check"][age >= 5].isna().all() and oc2["health_check"][age < 5].notna().all()
    assert oc2["sdq_score"].dropna().between(0, 40).all()


def test_care_leavers_are_17_to_21_and_left_care_before_the_birthday(frames) -> None:  # type: ignore[no-untyped-def]
    oc3, periods = frames["cla_oc3"], frames["cla_periods"]
    assert oc3["age"].between(17, 21).all()
    left = periods.dropna(subset=["end_date"]).groupby("child_id")["end_date"].min()
    assert oc3["child_id"].isin(left.index).all()
    birthday = oc3["child_birth_date"] + pd.to_timedelta(oc3["age"].astype(int) * 365.25, unit="D")
    assert (oc3["child_id"].map(left) <= birthday + pd.Timedelta(days=2)).all()
    assert (oc3["in_eet"] == oc3["activity"].isin(codes.EET_ACTIVITY)).all()


def test_missing_reviews_and_adoption_rows_hang_together(frames) -> None:  # type: ignore[no-untyped-def]
    missing = frames["cla_missing"].sort_values(["child_id", "start_date"])
    assert (missing["end_date"].isna() | (missing["end_date"] >= missing["start_date"])).all()
    nxt = missing.groupby("child_id")["start_date"].shift(-1)
    assert not (nxt.notna() & (missing["end_date"].isna() | (missing["end_date"] >= nxt))).any()  # rule 574
    looked_after = set(frames["cla_periods"]["child_id"])
    for table in ("cla_missing", "cla_reviews", "cla_oc2", "cla_oc3", "cla_uasc", "cla_adoptions"):
        assert set(frames[table]["child_id"]) <= looked_after, table
    adopted = frames["cla_periods"]["reason_ceased"].isin(["E11", "E12"]).sum()
    assert len(frames["cla_adoptions"]) == adopted > 0
    header = frames["cla_header"]
    assert set(header["child_id"]) == looked_after and not header.duplicated(["child_id", "year"]).any()


def test_the_demo_return_passes_the_903_rules(frames, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The demo's 2024-25 return, written as module CSVs, judged by the 903 loader's rules: the codes the
    generator was fixed for never fire, and what is left is a handful (see docs/looked-after.md)."""
    import collections

    from refresh.ingest.ssda903 import read_903

    try:
        from _demo_903_return import write_return  # type: ignore[import-not-found]
    except ImportError:  # pragma: no cover
        from ._demo_903_return import write_return  # type: ignore[no-redef]

    batch = read_903([write_return(frames, 2025, tmp_path / "return")], year=2025)
    rules = collections.Counter(f.rule for f in batch.findings)
    assert batch.children > 600
    fixed = {"225", "226", "182", "191", "547", "158", "378", "373", "379", "380", "381", "361", "516", "345", "344",
             "304", "460", "620", "621", "514", "524", "1014", "3001", "628"}
    assert not fixed & set(rules), rules
    assert sum(rules.values()) <= 0.04 * batch.children, rules
