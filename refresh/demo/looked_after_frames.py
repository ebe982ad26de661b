"""The 903 tables (model.schema_903) and the looked-after involvements, from simulated periods of care.

Each period of care is one involvement (service CSC, type LAC, the Children in Care Team) carrying the
processing record like every other involvement (``processing``), linked by ``cla_period_id``: periods
are numbered in (child, start) order, as ``refresh.derive_903`` numbers them from the episodes. The
derived columns (periods, placements, distances over 20 miles, care leavers' flags) are left to it.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from model import codes_903, schema_903
from refresh import derive_903
from refresh.demo import looked_after_tables as tables
from refresh.demo import processing
from refresh.demo._core import NAT, NONE, Calendar, add_years, as_dates, choose, strings
from refresh.demo.looked_after import Care

CARE_TEAM = "CSC-CIC"
NO_URN = ("P1", "P2", "P3", "R1", "R2", "R5", "T0", "T1", "T2", "T3", "T4", "Z1", "Z11", "Z12", "Z13", "Z14")
UASC_SHARE = 0.25  # of children starting care aged 16 or 17 (England: 8% of all looked after)


def _frame(values: dict[str, object]) -> pd.DataFrame:
    return pd.DataFrame(values)


def _dates(values: object) -> np.ndarray:
    return as_dates(np.asarray(pd.Series(values).to_numpy(), dtype="datetime64[D]"))


def _flags(values: np.ndarray) -> pd.arrays.BooleanArray:
    """0/1 with -1 for "not applicable" -> a nullable boolean."""
    out = pd.array(values == 1, dtype="boolean")
    out[values < 0] = pd.NA
    return out


def frames(rng: np.random.Generator, cal: Calendar, care: Care, id_of: np.ndarray, children: pd.DataFrame,
           involvements: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Every 903 table and ``involvements`` with the looked-after involvements added."""
    p = care.periods.assign(child_id=id_of[care.periods["child"].to_numpy()])
    p = p.sort_values(["child_id", "start"], ignore_index=True)
    p["cla_period_id"] = np.arange(1, len(p) + 1, dtype=np.int64)
    out = {"cla_episodes": _episodes(rng, care.episodes, id_of, children),
           "cla_reviews": _frame({"child_id": id_of[care.reviews["child"].to_numpy()],
                                  "review_date": _dates(care.reviews["review"]),
                                  "participation": strings(care.reviews["review_code"].to_numpy(dtype=object))})
           .drop_duplicates(["child_id", "review_date"]).sort_values(["child_id", "review_date"], ignore_index=True),
           "cla_missing": _missing(care.missing, id_of),
           "cla_oc2": _oc2(tables.oc2(rng, cal, care.periods), id_of),
           "cla_oc3": _oc3(tables.oc3(rng, cal, care.periods), id_of)}
    out.update(_adoption(rng, p, care.episodes, id_of))
    out["cla_uasc"] = _uasc(rng, p)
    out["cla_previous_permanence"] = _previous_permanence(rng, cal, p)
    out["cla_header"] = _header(rng, cal, p, out, children)
    out["involvements"] = _involvements(rng, cal, p, involvements)
    tables_903 = {t.name: t for t in schema_903.CLA_TABLES}
    return {name: derive_903.empty_frame(tables_903[name]) if name in tables_903 and frame.empty else frame
            for name, frame in out.items()}  # (a small demo can have no adoptions: the table's columns still)


def _episodes(rng: np.random.Generator, ep: pd.DataFrame, id_of: np.ndarray, children: pd.DataFrame) -> pd.DataFrame:
    child_id = id_of[ep["child"].to_numpy()]
    n = len(ep)
    home = children.set_index("child_id")["postcode"].reindex(child_id).to_numpy(dtype=object)
    home = np.array([h[:5] if isinstance(h, str) else None for h in home], dtype=object)
    place = ep["place"].to_numpy(dtype=object)
    # Postcode and URN are the placement's: the same on every episode of one placement (rules 434-436).
    placement = np.cumsum(ep["pl_change"].to_numpy(dtype=bool) | ~ep["period"].duplicated().to_numpy())
    placement_post = np.char.add(np.char.add("ZZ", rng.integers(1, 10, n).astype(str)),
                                 np.char.add(" ", rng.integers(0, 10, n).astype(str))).astype(object)
    placement_post = placement_post[np.searchsorted(placement, placement)]  # the placement's first episode's
    urn = np.char.add("SC", rng.integers(100_000, 999_999, n).astype(str)).astype(object)
    urn = np.where(np.isin(place, NO_URN), "XXXXXXX", urn[np.searchsorted(placement, placement)])
    frame = _frame({
        "child_id": child_id, "start_date": _dates(ep["decom"]), "rne": strings(ep["rne"].to_numpy(dtype=object)),
        "legal_status": strings(ep["ls"].to_numpy(dtype=object)),
        "category_of_need": strings(ep["cin"].to_numpy(dtype=object)),
        "placement_type": strings(place), "placement_provider": strings(ep["place_provider"].to_numpy(dtype=object)),
        "end_date": _dates(ep["dec"]), "reason_ceased": strings(ep["rec"].to_numpy(dtype=object)),
        "reason_place_change": strings(ep["reason"].to_numpy(dtype=object)),
        "home_postcode": strings(home), "placement_postcode": strings(np.where(place == "P1", home, placement_post)),
        "urn": strings(urn), "placement_distance": ep["distance"].to_numpy(dtype=float),
        "placement_la": strings(np.full(n, None, dtype=object))})
    frame = frame.sort_values(["child_id", "start_date"], ignore_index=True)
    frame.insert(0, "cla_episode_id", np.arange(1, n + 1, dtype=np.int64))
    return frame


def _missing(m: pd.DataFrame, id_of: np.ndarray) -> pd.DataFrame:
    frame = _frame({"child_id": id_of[m["child"].to_numpy()],
                    "missing_type": strings(m["missing"].to_numpy(dtype=object)),
                    "start_date": _dates(m["mis_start"]), "end_date": _dates(m["mis_end"])})
    frame = frame.sort_values(["child_id", "start_date"], ignore_index=True)
    frame.insert(0, "cla_missing_id", np.arange(1, len(frame) + 1, dtype=np.int64))
    return frame


def _oc2(o: pd.DataFrame, id_of: np.ndarray) -> pd.DataFrame:
    flags = ("convicted", "health_check", "immunisations", "teeth_check", "health_assessment", "substance_misuse",
             "intervention_received", "intervention_offered")
    sdq = o["sdq_score"].to_numpy()
    score = pd.array(np.maximum(sdq, 0), dtype="Int64")
    score[sdq < 0] = pd.NA
    return _frame({"child_id": id_of[o["child"].to_numpy()], "year": o["year"].to_numpy(dtype=np.int64),
                   "sdq_score": score, "sdq_reason": strings(o["sdq_reason"].to_numpy(dtype=object)),
                   **{f: _flags(o[f].to_numpy()) for f in flags}}).sort_values(["year", "child_id"], ignore_index=True)


def _oc3(o: pd.DataFrame, id_of: np.ndarray) -> pd.DataFrame:
    return _frame({"child_id": id_of[o["child"].to_numpy()], "year": o["year"].to_numpy(dtype=np.int64),
                   "in_touch": strings(o["in_touch"].to_numpy(dtype=object)),
                   "activity": strings(o["activ"].to_numpy(dtype=object)),
                   "accommodation": strings(o["accom"].to_numpy(dtype=object))}
                  ).sort_values(["year", "child_id"], ignore_index=True)


def _adoption(rng: np.random.Generator, p: pd.DataFrame, ep: pd.DataFrame,
              id_of: np.ndarray) -> dict[str, pd.DataFrame]:
    """A decision to place for adoption (placed_for_adoption) for each placement order; AD1 for adoptions."""
    e1 = ep[ep["ls"].eq("E1") & ep["ls_change"]].drop_duplicates("period")
    decided = e1["decom"].to_numpy().astype("datetime64[D]") - rng.integers(20, 120, len(e1))
    child_id = id_of[e1["child"].to_numpy()]
    adopted = p.set_index("period")["rec"].reindex(e1["period"]).isin(["E11", "E12"]).to_numpy()
    placed = _frame({"child_id": child_id, "decision_date": as_dates(decided),
                     "ceased_date": as_dates(np.where(adopted, e1["decom"].to_numpy().astype("datetime64[D]"), NAT)),
                     "reason_ceased": strings(np.where(adopted, "RD1", NONE))})
    placed = placed.drop_duplicates(["child_id", "decision_date"]).sort_values(["child_id", "decision_date"],
                                                                               ignore_index=True)
    done = p[p["rec"].isin(["E11", "E12"])]
    n = len(done)
    end = done["end"].to_numpy().astype("datetime64[D]")
    sex = choose(rng, {"MF": 82, "FF": 6, "MM": 5, "F1": 6, "M1": 1}, n)
    ad1 = _frame({"cla_adoption_id": np.arange(1, n + 1, dtype=np.int64), "child_id": done["child_id"].to_numpy(),
                  "decision_date": as_dates(end - rng.integers(420, 700, n)),
                  "match_date": as_dates(end - rng.integers(150, 330, n)),
                  "foster_care": pd.array(rng.random(n) < 0.13, dtype="boolean"),
                  "number_adopters": pd.array(np.where(np.isin(sex, ["F1", "M1"]), 1, 2), dtype="Int64"),
                  "sex_adopters": strings(sex),
                  # As csc-validator reads LS_ADOPTR (rules 514, 524): L0 single, L11 married mixed-sex, L12
                  # married same-sex.
                  "legal_status_adopters": strings(np.select([np.isin(sex, ["F1", "M1"]), sex == "MF"],
                                                             ["L0", "L11"], "L12"))})
    return {"cla_placed_for_adoption": placed, "cla_adoptions": ad1}


def _uasc(rng: np.random.Generator, p: pd.DataFrame) -> pd.DataFrame:
    birth = p["birth"].to_numpy().astype("datetime64[D]")
    age = (p["start"].to_numpy().astype("datetime64[D]") - birth).astype(np.float64) / 365.25
    pick = (age >= 16) & ~p["short"].to_numpy() & (rng.random(len(p)) < UASC_SHARE)
    eighteen = add_years(birth, 18)  # UASC status ceases at 18 (rule 304)
    frame = _frame({"child_id": p["child_id"].to_numpy()[pick], "uasc_ceased_date": as_dates(eighteen[pick])})
    return frame.drop_duplicates("child_id").sort_values("child_id", ignore_index=True)


def _year_of(days: np.ndarray) -> np.ndarray:
    stamp = pd.DatetimeIndex(days)
    return (stamp.year + (stamp.month >= 4)).to_numpy(dtype=np.int64)


def _previous_permanence(rng: np.random.Generator, cal: Calendar, p: pd.DataFrame) -> pd.DataFrame:
    starts = p[p["start"] >= pd.Timestamp(cal.history_start)]
    n = len(starts)
    perm = choose(rng, {"Z1": 88, "P1": 2, "P2": 6, "P3": 3, "P4": 1}, n)
    day = starts["start"].to_numpy().astype("datetime64[D]") - rng.integers(400, 3000, n)
    frame = _frame({"child_id": starts["child_id"].to_numpy(), "year": _year_of(starts["start"].to_numpy()),
                    "previous_permanence": strings(perm),
                    "la_perm": strings(np.where(perm == "Z1", NONE, "E08000027")),
                    "date_perm": strings(np.where(perm == "Z1", NONE,
                                                  pd.DatetimeIndex(day).strftime("%d/%m/%Y").to_numpy(dtype=object)))})
    return frame.drop_duplicates(["child_id", "year"]).sort_values(["year", "child_id"], ignore_index=True)


def _header(rng: np.random.Generator, cal: Calendar, p: pd.DataFrame, out: dict[str, pd.DataFrame],
            children: pd.DataFrame) -> pd.DataFrame:
    """One header row per child and collection year in which the child is in any other module."""
    years = list(range(tables._years(cal).start, int(_year_of(np.array([cal.end]))[0]) + 1))  # with this year
    rows = []
    for year in years:
        first, last = pd.Timestamp(dt.date(year - 1, 4, 1)), pd.Timestamp(dt.date(year, 3, 31))
        during = (p["start"] <= last) & (p["end"].isna() | (p["end"] >= first))
        rows.append(pd.DataFrame({"child_id": p["child_id"][during].to_numpy(), "year": year}))
    in_care = pd.concat(rows, ignore_index=True).drop_duplicates()
    leavers = out["cla_oc3"][["child_id", "year"]]
    header = pd.concat([in_care, leavers], ignore_index=True).drop_duplicates().sort_values(["year", "child_id"],
                                                                                           ignore_index=True)
    looked_after = header.merge(in_care.assign(lac=True), on=["child_id", "year"], how="left")["lac"].fillna(False)
    sex = children.set_index("child_id")["sex"].reindex(header["child_id"]).to_numpy(dtype=object)
    born = children.set_index("child_id")["birth_date"].reindex(header["child_id"]).to_numpy().astype("datetime64[D]")
    year_end = pd.to_datetime(header["year"].astype(str) + "-03-31").to_numpy().astype("datetime64[D]")
    thirteen = add_years(born, 13)  # no mother under 11, nor younger than her child (rules 620, 621)
    mother = (sex == "F") & (thirteen < year_end - 400) & (rng.random(len(header)) < 0.02)
    mother &= looked_after.to_numpy(dtype=bool)  # not for care leavers out of care all year (rule 628)
    mc_dob = np.where(mother, year_end - rng.integers(30, 360, len(header)), NAT)
    girl = pd.array(np.where(sex == "F", mother, False), dtype="boolean")
    girl[(sex != "F") | ~looked_after.to_numpy(dtype=bool)] = pd.NA
    return header.assign(mother=girl, mc_dob=as_dates(mc_dob))


def _involvements(rng: np.random.Generator, cal: Calendar, p: pd.DataFrame, inv: pd.DataFrame) -> pd.DataFrame:
    n = len(p)
    start = p["start"].to_numpy().astype("datetime64[D]")
    end = p["end"].to_numpy().astype("datetime64[D]")
    service, itype = np.full(n, "CSC", dtype=object), np.full(n, "LAC", dtype=object)
    record = processing.processing_columns(rng, cal, service, itype, start, end)
    outcome = p["rec"].map(codes_903.LAC_OUTCOME).fillna("PART").to_numpy(dtype=object)
    first_id = int(inv["involvement_id"].max()) + 1 if len(inv) else 1
    looked_after = pd.DataFrame({
        "involvement_id": np.arange(first_id, first_id + n, dtype=np.int64), "child_id": p["child_id"].to_numpy(),
        "service": strings(service), "intervention_type": strings(itype), "team_id": strings(np.full(n, CARE_TEAM)),
        "worker_id": strings(np.full(n, None, dtype=object)), "start_date": as_dates(start), "end_date": as_dates(end),
        "outcome": strings(np.where(np.isnat(end), "OPEN", outcome)),
        "episode_id": pd.array([pd.NA] * n, dtype="Int64"), "ehc_plan_id": pd.array([pd.NA] * n, dtype="Int64"),
        "cla_period_id": pd.array(p["cla_period_id"].to_numpy(), dtype="Int64"), **record})
    existing = inv if "cla_period_id" in inv else inv.assign(cla_period_id=pd.array([pd.NA] * len(inv), dtype="Int64"))
    return pd.concat([existing, looked_after[existing.columns]], ignore_index=True)
