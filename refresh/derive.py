"""The store's *derived* columns (schema.py), computed from the data alone, as a refresh would.

Each function takes and returns frames with the schema's columns; they know nothing about how the
data was generated, so another source could use them too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from model import schema, workdays
from refresh import database, derive_903
from refresh.frames import add_years, as_dates, nullable_ints

REREFERRAL_DAYS = 365
ASSESSMENT_TARGET_WD = 45
EHC_DECISION_DAYS = 42
EHC_PLAN_WEEKS = 20


def _days(values: pd.Series) -> np.ndarray:
    return values.to_numpy().astype("datetime64[D]")


def rereferrals(episodes: pd.DataFrame) -> pd.DataFrame:
    """is_rereferral: a referral within 365 days of the same child's previous referral."""
    ordered = episodes.sort_values(["child_id", "referral_date", "episode_id"])
    previous = ordered.groupby("child_id")["referral_date"].shift()
    gap = (ordered["referral_date"] - previous).dt.days
    flag = (gap <= REREFERRAL_DAYS).reindex(episodes.index)
    return episodes.assign(is_rereferral=flag.to_numpy(dtype=bool))


def assessment_timeliness(assessments: pd.DataFrame) -> pd.DataFrame:
    """working_days (start to authorisation) and within_45_days, for authorised assessments."""
    wd = workdays.working_days_between(_days(assessments["start_date"]),
                                       _days(assessments["authorisation_date"]))
    ok = wd >= 0
    within = pd.array(wd <= ASSESSMENT_TARGET_WD, dtype="boolean")
    within[~ok] = pd.NA
    return assessments.assign(working_days=nullable_ints(wd, ok), within_45_days=within)


def icpc_timeliness(section47: pd.DataFrame) -> pd.DataFrame:
    """icpc_working_days: working days from the S47 start to the ICPC, where one was held."""
    wd = workdays.working_days_between(_days(section47["start_date"]), _days(section47["icpc_date"]))
    return section47.assign(icpc_working_days=nullable_ints(wd, wd >= 0))


def subsequent_plans(cp_plans: pd.DataFrame) -> pd.DataFrame:
    """is_subsequent: the child had a CP plan starting before this one."""
    ordered = cp_plans.sort_values(["child_id", "start_date", "cp_plan_id"])
    earlier = ordered.groupby("child_id").cumcount().reindex(cp_plans.index)
    return cp_plans.assign(is_subsequent=(earlier > 0).to_numpy(dtype=bool))


def ehc_request_timeliness(requests: pd.DataFrame) -> pd.DataFrame:
    """decided_within_6_weeks, for requests decided (agreed or refused)."""
    decided = requests["outcome"].isin(["A", "N"]) & requests["outcome_date"].notna()
    days = (requests["outcome_date"] - requests["received_date"]).dt.days
    flag = pd.array(days <= EHC_DECISION_DAYS, dtype="boolean")  # type: ignore[call-overload]  # pandas-stubs: not from a Series
    flag[~decided.to_numpy()] = pd.NA
    return requests.assign(decided_within_6_weeks=flag)


def ehc_assessment_timeliness(assessments: pd.DataFrame, requests: pd.DataFrame) -> pd.DataFrame:
    """weeks_from_request (request received to outcome) and within_20_weeks (plans issued only)."""
    received = assessments[["request_id"]].merge(requests[["request_id", "received_date"]], how="left",
                                                 on="request_id")["received_date"]
    weeks = ((assessments["outcome_date"].to_numpy() - received.to_numpy()) / np.timedelta64(1, "D")) / 7.0
    issued = (assessments["outcome"] == "Y").to_numpy() & ~np.isnan(weeks)
    within = pd.array(weeks <= EHC_PLAN_WEEKS, dtype="boolean")
    within[~issued] = pd.NA
    return assessments.assign(weeks_from_request=np.round(weeks, 2), within_20_weeks=within)


def plan_primary_need(plans: pd.DataFrame, needs: pd.DataFrame) -> pd.DataFrame:
    """primary_need: the plan's rank-1 SEN need."""
    first = needs[needs["rank"] == 1].set_index("plan_id")["need"]
    return plans.assign(primary_need=plans["plan_id"].map(first).astype("str"))


def child_fields(children: pd.DataFrame) -> pd.DataFrame:
    """postcode_sector (outward code + first inward digit) and retention_date (25th birthday)."""
    postcode = children["postcode"].str.strip()
    sector = postcode.str[:-2].str.strip()
    born = _days(children["birth_date"])
    expected = _days(children["expected_birth_date"])
    birthday = np.where(np.isnat(born), expected, born)
    return children.assign(postcode_sector=sector, retention_date=as_dates(add_years(birthday, 25)))


def derive_all(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Every derived column, in place of whatever the frames held."""
    out = dict(frames)
    out["children"] = child_fields(out["children"])
    out["cin_episodes"] = rereferrals(out["cin_episodes"])
    out["assessments"] = assessment_timeliness(out["assessments"])
    out["section47"] = icpc_timeliness(out["section47"])
    out["cp_plans"] = subsequent_plans(out["cp_plans"])
    out["ehc_requests"] = ehc_request_timeliness(out["ehc_requests"])
    out["ehc_assessments"] = ehc_assessment_timeliness(out["ehc_assessments"], out["ehc_requests"])
    out["ehc_plans"] = plan_primary_need(out["ehc_plans"], out["sen_needs"])
    out = derive_903.derive(out)  # the 903 tables (empty when not supplied): periods of care and the rest
    parents = {"children": database.child_copies(out["children"]),
               "cin_episodes": database.episode_copies(out["cin_episodes"])}
    for table in schema.CHILD_SLICED:  # child_* and episode_* copies (schema.CHILD_COPIES, EPISODE_COPIES)
        out[table.name] = database.add_copies(table.name, out[table.name], parents)
    return out
