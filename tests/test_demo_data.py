"""The demo generator: calibration to published rates, CIN census validity, synthetic identities,
demo users' caseloads, reproducibility, and loading into DuckDB.

Rates are recomputed here from the generated frames with the official definitions (independently of
the generator's own derived columns, which are checked against these recomputations too).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from model import codes, schema
from model.demo_accounts import DEMO_USERS
from refresh.demo import DEFAULT_SEED, build, generate, last_day_of_previous_month
from refresh.demo.__main__ import main as cli_main

AS_OF = dt.date(2025, 10, 31)
YEAR_START, YEAR_END = pd.Timestamp("2024-04-01"), pd.Timestamp("2025-03-31")  # last full census year
UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
REAL_FORENAMES = {"Oliver", "George", "Harry", "Jack", "Noah", "Olivia", "Amelia", "Isla", "Ava", "Emily",
                  "Mohammed", "Muhammad", "Sophia", "Grace", "Lily", "Jacob", "Thomas", "James", "William"}


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return generate(seed=DEFAULT_SEED, scale=1.0, as_of=AS_OF)


def in_year(dates: pd.Series) -> pd.Series:
    return (dates >= YEAR_START) & (dates <= YEAR_END)


def open_on(start: pd.Series, end: pd.Series, day: pd.Timestamp) -> pd.Series:
    return (start <= day) & (end.isna() | (end > day))


def pct(mask: pd.Series) -> float:
    return 100.0 * float(mask.mean())


def busdays(start: pd.Series, end: pd.Series) -> np.ndarray:
    """Working days after start up to end, England and Wales 2018-2026 bank holidays, written out."""
    holidays = ["2018-01-01", "2018-03-30", "2018-04-02", "2018-05-07", "2018-05-28", "2018-08-27", "2018-12-25",
                "2018-12-26", "2019-01-01", "2019-04-19", "2019-04-22", "2019-05-06", "2019-05-27", "2019-08-26",
                "2019-12-25", "2019-12-26", "2020-01-01", "2020-04-10", "2020-04-13", "2020-05-08", "2020-05-25",
                "2020-08-31", "2020-12-25", "2020-12-28", "2021-01-01", "2021-04-02", "2021-04-05", "2021-05-03",
                "2021-05-31", "2021-08-30", "2021-12-27", "2021-12-28", "2022-01-03", "2022-04-15", "2022-04-18",
                "2022-05-02", "2022-06-02", "2022-06-03", "2022-08-29", "2022-09-19", "2022-12-26", "2022-12-27",
                "2023-01-02", "2023-04-07", "2023-04-10", "2023-05-01", "2023-05-08", "2023-05-29", "2023-08-28",
                "2023-12-25", "2023-12-26", "2024-01-01", "2024-03-29", "2024-04-01", "2024-05-06", "2024-05-27",
                "2024-08-26", "2024-12-25", "2024-12-26", "2025-01-01", "2025-04-18", "2025-04-21", "2025-05-05",
                "2025-05-26", "2025-08-25", "2025-12-25", "2025-12-26"]
    assert start.min() >= pd.Timestamp("2018-01-01") and end.max() <= pd.Timestamp("2025-12-31")
    one = np.timedelta64(1, "D")
    s, e = start.to_numpy().astype("datetime64[D]"), end.to_numpy().astype("datetime64[D]")
    return np.busday_count(s + one, e + one, holidays=np.array(holidays, dtype="datetime64[D]"))


# --- Shape -------------------------------------------------------------------------------------------

def test_every_table_has_exactly_the_schema_columns(frames) -> None:  # type: ignore[no-untyped-def]
    assert list(frames) == [t.name for t in schema.ALL_TABLES]
    for table in schema.ALL_TABLES:
        frame = frames[table.name]
        assert list(frame.columns) == schema.loaded_columns(table), table.name  # the build adds the keys
        for column in (c for c in table.columns if c.name in frame):
            values = frame[column.name]
            if not column.nullable:
                assert values.notna().all(), f"{table.name}.{column.name} has nulls"
            kind = type(column.type).__name__
            if kind == "Date":
                assert values.dtype == "datetime64[s]", f"{table.name}.{column.name}"
            elif kind == "Boolean":
                assert values.dtype in (bool, "boolean"), f"{table.name}.{column.name}"
            elif kind == "String" and values.notna().any():  # (a 903 table is empty until the demo fills it)
                assert values.dropna().str.len().max() <= column.type.length, f"{table.name}.{column.name}"
        keys = [c.name for c in table.primary_key.columns]
        assert not frame.duplicated(keys).any(), f"{table.name} primary key"


def test_child_ids_resolve_and_every_child_is_known_to_a_service(frames) -> None:  # type: ignore[no-untyped-def]
    ids = set(frames["children"]["child_id"])
    used: set[int] = set()
    for name in ("cin_episodes", "ehc_requests", "ehc_plans", "involvements"):
        used |= set(frames[name]["child_id"])
    for table in schema.CHILD_TABLES[1:]:
        assert set(frames[table.name]["child_id"]) <= ids, table.name
    assert used == ids
    ages = (pd.Timestamp(AS_OF) - frames["children"]["birth_date"]).dt.days / 365.25
    assert (ages < 5).any() and (ages > 18).any()
    # Nobody was 26 when the history window opened (the store keeps about 6.5 years).
    assert ages.max() < 26 + 6.6


# --- Volumes ----------------------------------------------------------------------------------------

def test_population_is_a_metropolitan_borough_over_the_whole_history(frames) -> None:  # type: ignore[no-untyped-def]
    pop = frames["population"]
    first_referral = frames["cin_episodes"]["referral_date"].min()
    assert pop["year"].min() <= 2019 and pop["year"].max() >= 2025
    assert pop["children_0_17"].between(69_500, 72_500).all()
    assert pop.sort_values("year")["children_0_17"].iloc[-1] > pop.sort_values("year")["children_0_17"].iloc[0]
    assert first_referral <= pd.Timestamp(AS_OF) - pd.DateOffset(years=6)


def test_referrals_children_in_need_and_cp_plans_per_year(frames) -> None:  # type: ignore[no-untyped-def]
    ep, cp = frames["cin_episodes"], frames["cp_plans"]
    for year in range(2020, 2026):
        start, end = pd.Timestamp(f"{year - 1}-04-01"), pd.Timestamp(f"{year}-03-31")
        referrals = ep["referral_date"].between(start, end).sum()
        assert 3_000 <= referrals <= 3_800, (year, referrals)
        cin = open_on(ep["referral_date"], ep["closure_date"], end).sum()
        assert 2_100 <= cin <= 2_800, (year, cin)
        cp_open = open_on(cp["start_date"], cp["end_date"], end).sum()
        assert 190 <= cp_open <= 300, (year, cp_open)
        assert 250 <= cp["start_date"].between(start, end).sum() <= 400
    assert 2_100 <= ep["closure_date"].isna().sum() <= 2_800


def test_ehc_plans_grow_to_about_3800(frames) -> None:  # type: ignore[no-untyped-def]
    plans, requests = frames["ehc_plans"], frames["ehc_requests"]
    active = [open_on(plans["start_date"], plans["ceased_date"], pd.Timestamp(f"{y}-01-15")).sum()
              for y in range(2020, 2026)]
    growth = [100 * (b / a - 1) for a, b in zip(active, active[1:], strict=False)]
    assert all(3 <= g <= 12 for g in growth), growth
    assert 5 <= np.mean(growth) <= 10
    assert 3_400 <= plans["ceased_date"].isna().sum() <= 4_300
    per_year = requests["received_date"].dt.year.value_counts()
    assert 780 <= per_year[2024] <= 1_020 and all(650 <= per_year[y] <= 1_000 for y in (2022, 2023))
    before = plans["start_date"] < pd.Timestamp("2019-04-01")
    assert before.sum() > 1_000 and plans["request_id"][before].isna().all()


# --- Calibration (England 2024-25 unless stated) ----------------------------------------------------

def test_rereferrals_are_derived_and_near_22_6_percent(frames) -> None:  # type: ignore[no-untyped-def]
    ep = frames["cin_episodes"].sort_values(["child_id", "referral_date"])
    gap = (ep["referral_date"] - ep.groupby("child_id")["referral_date"].shift()).dt.days
    assert (ep["is_rereferral"] == (gap <= 365)).all()
    rate = pct(ep["is_rereferral"][in_year(ep["referral_date"])])
    assert abs(rate - 22.6) <= 3, rate


def test_assessments_within_45_working_days_near_86_percent(frames) -> None:  # type: ignore[no-untyped-def]
    a = frames["assessments"]
    done = a[a["authorisation_date"].notna()]
    recent = done[done["start_date"] >= pd.Timestamp("2018-01-01")]
    assert (recent["working_days"].to_numpy() == busdays(recent["start_date"], recent["authorisation_date"])).all()
    assert (done["within_45_days"] == (done["working_days"] <= 45)).all()
    assert a["working_days"][a["authorisation_date"].isna()].isna().all()
    rate = pct(done["within_45_days"][in_year(done["authorisation_date"])].astype(bool))
    assert abs(rate - 86) <= 4, rate


def test_icpc_within_15_working_days_near_81_percent(frames) -> None:  # type: ignore[no-untyped-def]
    s = frames["section47"]
    held = s[s["icpc_date"].notna()]
    recent = held[held["start_date"] >= pd.Timestamp("2018-01-01")]
    assert (recent["icpc_working_days"].to_numpy() == busdays(recent["start_date"], recent["icpc_date"])).all()
    assert (held["icpc_date"].dt.day_of_week < 5).all()
    rate = pct(held["icpc_working_days"][in_year(held["icpc_date"])] <= 15)
    assert abs(rate - 81.4) <= 5, rate


def test_second_or_subsequent_cp_plans_near_24_5_percent(frames) -> None:  # type: ignore[no-untyped-def]
    cp = frames["cp_plans"].sort_values(["child_id", "start_date"])
    earlier = cp.groupby("child_id").cumcount()
    assert (cp["number_of_previous_cpp"] == earlier).all()
    assert (cp["is_subsequent"] == (earlier > 0)).all()
    rate = pct(cp["is_subsequent"][in_year(cp["start_date"])])
    assert abs(rate - 24.5) <= 4, rate


def test_initial_category_of_abuse_mix(frames) -> None:  # type: ignore[no-untyped-def]
    cp = frames["cp_plans"]
    mix = cp["initial_category"][in_year(cp["start_date"])].value_counts(normalize=True) * 100
    for code, target in {"NEG": 50, "EMO": 36, "PHY": 7, "SAB": 4, "MUL": 3}.items():
        assert abs(mix.get(code, 0) - target) <= 6, (code, mix.get(code))


def test_primary_need_nfa_and_disability(frames) -> None:  # type: ignore[no-untyped-def]
    ep = frames["cin_episodes"][in_year(frames["cin_episodes"]["referral_date"])]
    assert 40 <= pct(ep["primary_need"].dropna() == "N1") <= 60
    assert abs(pct(ep["referral_nfa"]) - 6.5) <= 2
    cin = frames["cin_episodes"][frames["cin_episodes"]["closure_date"].isna()]
    dis = frames["child_disabilities"]
    disabled = set(dis["child_id"][dis["disability"] != "NONE"])
    assert abs(pct(cin["child_id"].drop_duplicates().isin(disabled)) - 12) <= 4


def test_children_in_need_sex_and_age_mix(frames) -> None:  # type: ignore[no-untyped-def]
    cin_ids = frames["cin_episodes"]["child_id"][frames["cin_episodes"]["closure_date"].isna()]
    kids = frames["children"].set_index("child_id").loc[cin_ids.unique()]
    assert abs(pct(kids["sex"][kids["sex"] != "U"] == "M") - 54) <= 4
    assert 0.5 <= pct(kids["sex"] == "U") <= 4
    age = (pd.Timestamp(AS_OF) - kids["birth_date"]).dt.days / 365.25
    band = pd.cut(age, [0, 5, 10, 16, 18, 30], right=False, labels=["0-4", "5-9", "10-15", "16-17", "18+"])
    shares = band.value_counts(normalize=True) * 100 * (1 - kids["birth_date"].isna().mean())
    assert shares.idxmax() == "10-15" and 25 <= shares["10-15"] <= 37
    assert 18 <= shares["0-4"] + 100 * kids["birth_date"].isna().mean() <= 30


def test_ehc_timeliness_and_decisions(frames) -> None:  # type: ignore[no-untyped-def]
    req, ass = frames["ehc_requests"], frames["ehc_assessments"]
    ass = ass.merge(req[["request_id", "received_date"]], on="request_id")
    weeks = (ass["outcome_date"] - ass["received_date"]).dt.days / 7
    assert np.allclose(ass["weeks_from_request"].dropna(), weeks.dropna().round(2))
    issued = ass[(ass["outcome"] == "Y") & (ass["outcome_date"].dt.year == 2024)]
    assert 40 <= pct(issued["within_20_weeks"].astype(bool)) <= 56
    assert ass["within_20_weeks"][ass["outcome"] != "Y"].isna().all()
    decided = req[req["outcome"].isin(["A", "N"]) & (req["received_date"].dt.year == 2024)]
    days = (decided["outcome_date"] - decided["received_date"]).dt.days
    assert (decided["decided_within_6_weeks"] == (days <= 42)).all()
    assert abs(pct(days <= 42) - 85) <= 5
    assert abs(pct(req["outcome"][req["received_date"].dt.year == 2024] == "A") - 67) <= 6


def test_ehc_primary_need_and_sex_follow_england_january_2025(frames) -> None:  # type: ignore[no-untyped-def]
    plans = frames["ehc_plans"]
    active = plans[plans["ceased_date"].isna()]
    mix = active["primary_need"].value_counts(normalize=True) * 100
    for need, target in {"ASD": 31.5, "SLCN": 21.3, "SEMH": 20.7, "MLD": 10.6}.items():
        assert abs(mix[need] - target) <= 5, (need, mix[need])
    first = frames["sen_needs"].query("rank == 1").set_index("plan_id")["need"]
    assert (plans.set_index("plan_id")["primary_need"] == first).all()
    sex = frames["children"].set_index("child_id").loc[active["child_id"].unique(), "sex"]
    assert abs(pct(sex == "M") - 70.6) <= 5


# --- CIN census validity (data-standards.md §1.4) ---------------------------------------------------

def test_episode_dates_follow_the_census_rules(frames) -> None:  # type: ignore[no-untyped-def]
    ep = frames["cin_episodes"].set_index("episode_id")
    assert (ep["closure_date"].isna() == ep["closure_reason"].isna()).all()  # 8805/8810
    assert (ep["closure_date"].dropna() >= ep["referral_date"][ep["closure_date"].notna()]).all()  # 8630
    a = frames["assessments"].join(ep[["referral_date", "closure_date"]], on="episode_id")
    assert (a["start_date"] >= a["referral_date"]).all()  # 1103
    assert (a["authorisation_date"].dropna() >= a["start_date"][a["authorisation_date"].notna()]).all()
    assert not (a["closure_date"].notna() & a["authorisation_date"].isna()).any()  # 8867
    assert (a["authorisation_date"].dropna() <= a["closure_date"].fillna(pd.Timestamp(AS_OF))[
        a["authorisation_date"].notna()]).all()  # 8565
    for name in ("cin_plans", "cp_plans"):
        plans = frames[name].join(ep[["referral_date", "closure_date"]], on="episode_id")
        ended = plans["end_date"].notna()
        assert (plans["start_date"] >= plans["referral_date"]).all(), name  # 4015/1105
        assert (plans["end_date"][ended] >= plans["start_date"][ended]).all(), name  # 4011/8925
        # Inside the episode: ends by its closure; open only while the episode is open.
        assert (plans["end_date"][ended] <= plans["closure_date"][ended].fillna(pd.Timestamp(AS_OF))).all()
        assert (plans["closure_date"][~ended].isna()).all(), name
    s47 = frames["section47"].join(ep[["referral_date"]], on="episode_id")
    assert (s47["start_date"] >= s47["referral_date"]).all()  # 2889
    assert (s47["icpc_date"].dropna() >= s47["start_date"][s47["icpc_date"].notna()]).all()  # 8615
    assert (s47["icpc_not_required"] <= s47["icpc_date"].isna()).all()
    cp = frames["cp_plans"].merge(frames["section47"][["episode_id", "icpc_date"]], on="episode_id")
    assert (cp["start_date"] == cp["icpc_date"]).all()  # 2885
    rv = frames["cp_reviews"].join(frames["cp_plans"].set_index("cp_plan_id")[["start_date", "end_date"]],
                                   on="cp_plan_id")
    assert (rv["review_date"] > rv["start_date"]).all()  # 8841
    assert (rv["review_date"] <= rv["end_date"].fillna(pd.Timestamp(AS_OF))).all()
    as_of = pd.Timestamp(AS_OF)
    for name, column in (("cin_episodes", "referral_date"), ("assessments", "authorisation_date"),
                         ("cp_plans", "end_date"), ("involvements", "end_date"), ("ehc_plans", "ceased_date")):
        assert (frames[name][column].dropna() <= as_of).all(), name


def test_one_open_episode_per_child_latest_and_no_overlaps(frames) -> None:  # type: ignore[no-untyped-def]
    ep = frames["cin_episodes"].sort_values(["child_id", "referral_date"])
    nxt = ep.groupby("child_id")["referral_date"].shift(-1)
    has_next = nxt.notna()
    assert ep["closure_date"][has_next].notna().all()  # 8815/8816: only the latest may be open
    assert (nxt[has_next] > ep["closure_date"][has_next]).all()  # 8820: no overlaps


def test_nfa_referrals_close_the_same_day_with_no_activity(frames) -> None:  # type: ignore[no-untyped-def]
    ep = frames["cin_episodes"]
    nfa = ep[ep["referral_nfa"]]
    assert (nfa["closure_date"] == nfa["referral_date"]).all()
    assert (nfa["closure_reason"] == "RC8").all()
    for name in ("assessments", "section47", "cin_plans", "cp_plans"):
        assert not frames[name]["episode_id"].isin(nfa["episode_id"]).any(), name  # 8831/8832/4000
    assert ep["primary_need"][~ep["referral_nfa"]].notna().all()  # 8610
    assert ep["primary_need"][ep["referral_nfa"]].isna().mean() > 0.5


def test_factors_are_valid_and_21_stands_alone(frames) -> None:  # type: ignore[no-untyped-def]
    f = frames["assessment_factors"]
    assert f["factor"].isin(list(codes.ASSESSMENT_FACTOR)).all()
    count = f["assessment_id"].map(f["assessment_id"].value_counts())
    assert (count[f["factor"] == "21"] == 1).all()  # 8869
    assert (count > 1).any()
    done = frames["assessments"][frames["assessments"]["authorisation_date"].notna()]
    assert set(f["assessment_id"]) == set(done["assessment_id"])  # 8614 and 8897Q


def test_codes_come_from_the_code_lists(frames) -> None:  # type: ignore[no-untyped-def]
    checks = [("children", "sex", codes.SEX), ("children", "ethnicity", codes.ETHNICITY),
              ("children", "religion", codes.RELIGION), ("children", "locality", codes.LOCALITY),
              ("child_disabilities", "disability", codes.DISABILITY),
              ("cin_episodes", "referral_source", codes.REFERRAL_SOURCE),
              ("cin_episodes", "primary_need", codes.PRIMARY_NEED),
              ("cin_episodes", "closure_reason", codes.REASON_FOR_CLOSURE),
              ("cp_plans", "initial_category", codes.CATEGORY_OF_ABUSE),
              ("cp_plans", "latest_category", codes.CATEGORY_OF_ABUSE),
              ("ehc_requests", "outcome", codes.EHC_REQUEST_OUTCOME),
              ("ehc_assessments", "outcome", codes.EHC_ASSESSMENT_OUTCOME),
              ("ehc_plans", "cease_reason", codes.EHC_CEASE_REASON), ("sen_needs", "need", codes.SEN_NEED),
              ("sen_placements", "setting", codes.SEN_SETTING), ("involvements", "service", codes.SERVICE),
              ("involvements", "intervention_type", codes.INTERVENTION_TYPE),
              ("involvements", "outcome", codes.INTERVENTION_OUTCOME), ("teams", "service", codes.SERVICE),
              ("involvements", "lawful_basis", codes.LAWFUL_BASIS),
              ("involvements", "art9_condition", codes.ART9_CONDITION)]
    for table, column, allowed in checks:
        assert frames[table][column].dropna().isin(list(allowed)).all(), (table, column)
    wbri = pct(frames["children"]["ethnicity"] == "WBRI")
    assert 65 <= wbri <= 80
    dis = frames["child_disabilities"]
    none = dis["child_id"][dis["disability"] == "NONE"]
    assert not dis[dis["disability"] != "NONE"]["child_id"].isin(none).any()  # 8790
    assert pct(frames["children"]["child_id"].isin(none)) > 75


def test_identifiers_unborn_children_and_derived_child_fields(frames) -> None:  # type: ignore[no-untyped-def]
    kids = frames["children"]
    assert kids["la_child_id"].is_unique
    assert kids["la_child_id"].str.fullmatch(r"[A-Za-z0-9]{1,20}").all()
    upn = kids["upn"].dropna()
    assert upn.is_unique and len(upn) > 0.6 * len(kids)
    upns = pd.concat([upn, kids["former_upn"].dropna()])
    assert upns.str.fullmatch(r"[A-Z]332\d{9}").all()
    # DfE check letter: digits 2-13 weighted by their position, mod 23, looked up in UPN_LETTERS.
    digits = np.array([list(map(int, u[1:])) for u in upns])
    letters = np.array(list(UPN_LETTERS))[(digits * np.arange(2, 14)).sum(axis=1) % 23]
    assert (upns.str[0].to_numpy() == letters).all()
    assert (kids["upn"].isna() == kids["upn_unknown"].notna()).all()
    unborn = kids["birth_date"].isna()
    assert unborn.any() and (kids["expected_birth_date"].notna() == unborn).all()  # 8525Q
    assert (kids["sex"][unborn] == "U").all() and (kids["sex"][~unborn] != "U").all()  # 8750
    assert (kids["expected_birth_date"].dropna() > pd.Timestamp(AS_OF)).all()
    born = kids[~unborn]
    assert ((born["retention_date"].dt.year - born["birth_date"].dt.year) == 25).all()
    same_day = born["birth_date"].dt.strftime("%m-%d") != "02-29"
    assert (born["retention_date"].dt.strftime("%m-%d")[same_day] == born["birth_date"].dt.strftime("%m-%d")[
        same_day]).all()
    with_pc = kids[kids["postcode"].notna()]
    assert (with_pc["postcode_sector"] == with_pc["postcode"].str.split(" ").map(lambda p: f"{p[0]} {p[1][0]}")).all()
    assert kids["locality"].notna().all()


def test_deaths_close_the_last_episode_with_nothing_after(frames) -> None:  # type: ignore[no-untyped-def]
    kids = frames["children"]
    dead = kids.dropna(subset=["death_date"]).set_index("child_id")["death_date"]
    assert 5 <= len(dead) <= 60
    ep = frames["cin_episodes"]
    rc2 = ep[ep["closure_reason"] == "RC2"].set_index("child_id")["closure_date"]
    assert rc2.index.is_unique and (rc2.sort_index() == dead.sort_index()).all()
    inv = frames["involvements"]
    last = inv.assign(day=inv["end_date"].fillna(pd.Timestamp("2100-01-01"))).groupby("child_id")["day"].max()
    assert (last.loc[dead.index] <= dead).all()
    assert (kids.set_index("child_id").loc[dead.index, "birth_date"] < dead).all()


def test_names_and_postcodes_are_obviously_synthetic(frames) -> None:  # type: ignore[no-untyped-def]
    kids, workers = frames["children"], frames["workers"]
    assert kids["surname"].str.startswith("ZZ-").all()
    assert workers["name"].str.split(" ").str[1].str.startswith("ZZ-").all()
    forenames = set(kids["forename"].dropna()) | set(workers["name"].str.split(" ").str[0])
    assert not forenames & REAL_FORENAMES
    assert kids["postcode"].dropna().str.fullmatch(r"ZZ[1-9] [1-9][A-Z]{2}").all()
    assert kids["forename"][kids["birth_date"].isna()].isna().all()


# --- SEND ----------------------------------------------------------------------------------------------

def test_ehc_records_hang_together(frames) -> None:  # type: ignore[no-untyped-def]
    req = frames["ehc_requests"].set_index("request_id")
    assert (req["outcome_date"].dropna() >= req["received_date"][req["outcome_date"].notna()]).all()
    assert (req["outcome_date"].isna() == (req["outcome"] == "O")).all()
    ass = frames["ehc_assessments"].merge(req[["received_date", "outcome", "outcome_date", "child_id"]],
                                          left_on="request_id", right_index=True, suffixes=("", "_request"))
    assert (ass["outcome_request"] == "A").all() and (ass["child_id"] == ass["child_id_request"]).all()
    assert (ass["outcome_date"].dropna() > ass["outcome_date_request"][ass["outcome_date"].notna()]).all()
    plans = frames["ehc_plans"]
    with_request = plans.dropna(subset=["request_id"]).merge(
        frames["ehc_assessments"][["request_id", "outcome", "outcome_date"]], on="request_id")
    assert (with_request["outcome"] == "Y").all()
    assert (with_request["start_date"] == with_request["outcome_date"]).all()
    ceased = plans["ceased_date"].notna()
    assert (ceased == plans["cease_reason"].notna()).all()
    assert (plans["ceased_date"][ceased] > plans["start_date"][ceased]).all()
    needs = frames["sen_needs"]
    assert not needs.duplicated(["plan_id", "need"]).any() and needs["rank"].isin([1, 2]).all()
    pl = frames["sen_placements"].merge(plans[["plan_id", "start_date", "ceased_date"]], on="plan_id",
                                        suffixes=("", "_plan"))
    assert (pl["start_date"] >= pl["start_date_plan"]).all()
    assert set(pl["plan_id"]) == set(plans["plan_id"])


# --- Involvements, teams, workers, allocations -------------------------------------------------------

def test_one_involvement_per_cin_episode_and_per_ehc_plan(frames) -> None:  # type: ignore[no-untyped-def]
    inv, ep = frames["involvements"], frames["cin_episodes"]
    csc = inv[(inv["service"] == "CSC") & (inv["intervention_type"] != "LAC")]  # LAC: a period of care (903)
    assert csc["episode_id"].notna().all() and csc["episode_id"].is_unique
    assert set(csc["episode_id"]) == set(ep["episode_id"])
    merged = csc.merge(ep, on="episode_id", suffixes=("", "_ep"))
    assert (merged["start_date"] == merged["referral_date"]).all()
    assert ((merged["end_date"] == merged["closure_date"]) | merged["end_date"].isna()).all()
    assert (merged["team_id"] == merged["team_id_ep"]).all() and (merged["child_id"] == merged["child_id_ep"]).all()
    with_cp = merged["episode_id"].isin(frames["cp_plans"]["episode_id"])
    assert ((merged["intervention_type"] == "CP") == with_cp).all()
    send = inv[inv["service"] == "SEND"]
    assert (send["intervention_type"] == "EHC").all() and send["ehc_plan_id"].is_unique
    assert set(send["ehc_plan_id"]) == set(frames["ehc_plans"]["plan_id"])
    assert inv["episode_id"][inv["service"] != "CSC"].isna().all()
    types = inv["intervention_type"].value_counts()
    for itype, lo, hi in (("EHA", 8_000, 16_000), ("EPC", 2_500, 7_000), ("EPA", 2_500, 5_000), ("VIG", 150, 500),
                          ("FSW", 2_000, 4_500), ("FGC", 600, 1_600), ("SBC", 800, 2_000), ("SBR", 150, 500)):
        assert lo <= types[itype] <= hi, (itype, types[itype])
    assert 50_000 <= len(inv) <= 70_000


def test_involvements_have_teams_outcomes_and_allocations(frames) -> None:  # type: ignore[no-untyped-def]
    inv, alloc, teams, workers = (frames[k] for k in ("involvements", "allocations", "teams", "workers"))
    service_of = teams.set_index("team_id")["service"]
    assert (inv["team_id"].map(service_of) == inv["service"]).all()
    assert ((inv["outcome"] == "OPEN") == inv["end_date"].isna()).all()
    assert (inv["end_date"].dropna() >= inv["start_date"][inv["end_date"].notna()]).all()
    for kind, (service, _) in codes.INTERVENTION_TYPE.items():
        assert (inv["service"][inv["intervention_type"] == kind] == service).all()
    assert 0.85 < inv["worker_id"].notna().mean() < 1
    assert set(alloc["involvement_id"]) == set(inv["involvement_id"][inv["worker_id"].notna()])
    a = alloc.merge(inv, on="involvement_id", suffixes=("", "_inv"))
    assert (a["child_id"] == a["child_id_inv"]).all() and (a["team_id"] == a["team_id_inv"]).all()
    assert (a["start_date"] >= a["start_date_inv"]).all()
    assert (a["end_date"].isna() <= a["end_date_inv"].isna()).all()
    assert (a["worker_id"].map(workers.set_index("worker_id")["team_id"]) == a["team_id"]).all()
    latest = alloc.sort_values("start_date").groupby("involvement_id").tail(1).set_index("involvement_id")
    current = inv.set_index("involvement_id")["worker_id"].dropna()
    assert (current.sort_index() == latest["worker_id"].sort_index()).all()
    moved = alloc[alloc.duplicated("involvement_id", keep=False)].sort_values(["involvement_id", "start_date"])
    assert 0.05 < moved["involvement_id"].nunique() / alloc["involvement_id"].nunique() < 0.15
    assert (moved.groupby("involvement_id")["worker_id"].nunique() == 2).all()
    assert 120 <= len(workers) <= 200 and workers["worker_id"].is_unique
    managers = workers[workers["job_title"] == "Team manager"]
    assert set(managers["team_id"]) == set(teams["team_id"]) and not alloc["worker_id"].isin(managers["worker_id"]).any()
    for team_id in ("CSC-SGA", "CSC-SGB", "CSC-SGC", "CSC-AST-N", "CSC-AST-S", "CSC-CWD", "EH-NORTH", "EPS-1",
                    "SEND-1", "FS-1", "SB-1"):
        assert team_id in set(teams["team_id"])


def test_processing_records_follow_the_service(frames) -> None:  # type: ignore[no-untyped-def]
    inv = frames["involvements"]
    basis = inv.groupby("service")["lawful_basis"].value_counts(normalize=True).unstack(fill_value=0)
    assert basis.loc["CSC", "legal_obligation"] > 0.75 and basis.loc["CSC", "public_task"] > 0.05
    assert basis.loc["SEND", "legal_obligation"] == 1 and basis.loc["EPS", "public_task"] == 1
    assert basis.loc["SB", "public_task"] == 1
    for service in ("EH", "FS"):
        assert 0.6 < basis.loc[service, "consent"] < 0.95 and basis.loc[service, "public_task"] > 0.05
    consent = inv[inv["lawful_basis"] == "consent"]
    others = inv[inv["lawful_basis"] != "consent"]
    assert consent["consent_purpose"].notna().all() and consent["consent_given_date"].notna().all()
    assert others[["consent_purpose", "consent_given_date", "consent_withdrawn_date"]].isna().all().all()
    assert (consent["consent_given_date"] <= consent["start_date"]).all()
    withdrawn = consent[consent["consent_withdrawn_date"].notna()]
    assert 0.03 < len(withdrawn) / len(consent) < 0.07 and withdrawn["end_date"].isna().any()
    assert (withdrawn["consent_withdrawn_date"] > withdrawn["consent_given_date"]).all()
    assert 0.7 < (consent["art9_condition"] == "explicit_consent").mean() < 0.9
    assert consent["art9_condition"].isna().mean() > 0.1
    assert inv["art9_condition"][inv["service"] == "CSC"].isin(["social_protection", "substantial_public_interest"]).all()
    assert inv["art9_condition"][inv["service"].isin(["SEND", "EPS"])].isin(
        ["health_social_care", "substantial_public_interest"]).all()


def test_demo_users_have_the_promised_caseloads(frames) -> None:  # type: ignore[no-untyped-def]
    workers = frames["workers"].set_index("worker_id")
    alloc = frames["allocations"]
    as_of = pd.Timestamp(AS_OF)
    for username in ("demo-caseworker", "demo-caseworker2", "demo-teammanager"):
        worker_id = DEMO_USERS[username]["worker_id"]
        assert workers.loc[worker_id, "username"] == username
        assert workers.loc[worker_id, "team_id"] == "CSC-SGA" and DEMO_USERS[username]["team_ids"] == ("CSC-SGA",)
    assert workers.loc[DEMO_USERS["demo-teammanager"]["worker_id"], "job_title"] == "Team manager"
    assert DEMO_USERS["demo-manager"]["team_ids"] == () and DEMO_USERS["demo-manager"]["services"] == ("CSC",)
    caseloads = {}
    for username in ("demo-caseworker", "demo-caseworker2"):
        mine = alloc[alloc["worker_id"] == DEMO_USERS[username]["worker_id"]]
        current = mine[mine["end_date"].isna()]
        assert 15 <= current["child_id"].nunique() <= 25 and (current["team_id"] == "CSC-SGA").all()
        recent = mine[mine["end_date"].between(as_of - pd.Timedelta(days=90), as_of - pd.Timedelta(days=1))]
        assert len(recent) >= 3
        assert workers.loc[DEMO_USERS[username]["worker_id"], "job_title"] == "Social worker"
        caseloads[username] = set(current["child_id"])
    assert not caseloads["demo-caseworker"] & caseloads["demo-caseworker2"]
    manager = alloc[alloc["worker_id"] == DEMO_USERS["demo-teammanager"]["worker_id"]]
    assert manager.empty


# --- Reproducibility, scale, loading ------------------------------------------------------------------

def test_same_seed_gives_identical_frames(frames) -> None:  # type: ignore[no-untyped-def]
    again = generate(seed=DEFAULT_SEED, scale=1.0, as_of=AS_OF)
    for name, frame in frames.items():
        if name == "store_metadata":
            frame, other = (f[f["key"] != "built_at"].reset_index(drop=True) for f in (frame, again[name]))
        else:
            other = again[name]
        pd.testing.assert_frame_equal(frame, other, obj=name)


def test_another_seed_gives_other_data_at_the_same_calibration() -> None:
    a = generate(seed=1, scale=0.3, as_of=AS_OF)
    b = generate(seed=2, scale=0.3, as_of=AS_OF)
    assert not a["cin_episodes"]["referral_date"].equals(b["cin_episodes"]["referral_date"])
    assert not a["children"]["la_child_id"].equals(b["children"]["la_child_id"])
    meta = dict(zip(a["store_metadata"]["key"], a["store_metadata"]["value"], strict=True))
    assert meta["seed"] == "1" and meta["scale"] == "0.3" and meta["source"] == "demo"


def test_scale_multiplies_volumes_linearly(frames) -> None:  # type: ignore[no-untyped-def]
    small = generate(seed=DEFAULT_SEED, scale=0.25, as_of=AS_OF)
    for name in ("cin_episodes", "ehc_plans", "involvements", "children"):
        ratio = len(small[name]) / len(frames[name])
        assert 0.2 <= ratio <= 0.3, (name, ratio)
    assert small["population"]["children_0_17"].between(17_000, 18_200).all()


def test_default_as_of_is_the_last_day_of_the_previous_month() -> None:
    assert last_day_of_previous_month(dt.date(2025, 3, 15)) == dt.date(2025, 2, 28)
    assert last_day_of_previous_month(dt.date(2024, 1, 1)) == dt.date(2023, 12, 31)
    small = generate(scale=0.02)
    meta = dict(zip(small["store_metadata"]["key"], small["store_metadata"]["value"], strict=True))
    assert meta["as_of"] == last_day_of_previous_month().isoformat()
    assert meta["seed"] == str(DEFAULT_SEED) and dt.datetime.fromisoformat(meta["built_at"])


def test_build_loads_every_table_into_duckdb(frames, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "demo.duckdb"
    counts = build(f"duckdb:///{path}", seed=DEFAULT_SEED, scale=1.0, as_of=AS_OF, progress=False)
    assert counts == {name: len(frame) for name, frame in frames.items()}
    con = duckdb.connect(str(path), read_only=True)
    try:
        for name, rows in counts.items():
            recorded = 1 if name == "store_metadata" else 0  # the build adds the store layout
            assert con.execute(f'select count(*) from "{name}"').fetchone()[0] == rows + recorded
        assert con.execute("select value from store_metadata where key = 'layout'").fetchone()[0] == schema.STORE_LAYOUT
        assert con.execute("select count(*) from open_spells where service = '*'").fetchone()[0] > 0
        types = dict(con.execute("select column_name, data_type from information_schema.columns "
                                 "where table_name = 'cin_episodes'").fetchall())
        assert types["referral_date"] == "DATE" and types["is_rereferral"] == "BOOLEAN"
        assert con.execute("select value from store_metadata where key = 'as_of'").fetchone()[0] == "2025-10-31"
        first = con.execute("select min(referral_date), sum(is_rereferral::int) from cin_episodes").fetchone()
        assert first[0] == frames["cin_episodes"]["referral_date"].min().date()
        assert first[1] == frames["cin_episodes"]["is_rereferral"].sum()
        nulls = con.execute("select count(*) from assessments where within_45_days is null").fetchone()[0]
        assert nulls == frames["assessments"]["within_45_days"].isna().sum()
    finally:
        con.close()


def test_command_line_builds_a_store_and_prints_row_counts(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "cli.duckdb"
    code = cli_main(["--url", f"duckdb:///{path}", "--seed", "7", "--scale", "0.05", "--as-of", "2024-06-30"])
    assert code == 0 and path.exists()
    captured = capsys.readouterr()
    assert "involvements" in captured.out and "as_of 2024-06-30" in captured.out
    assert "demo data" in captured.err  # the progress bar goes to stderr
    con = duckdb.connect(str(path), read_only=True)
    try:
        assert con.execute("select value from store_metadata where key = 'seed'").fetchone()[0] == "7"
    finally:
        con.close()
