"""The published SSDA903 measures recomputed from the generated frames with DfE's definitions, in plain
pandas (independently of the store's derived columns): shared by the calibration tests and the
calibration table (``python -m tests._cla_measures``). Each measure is pooled over the collection years
ending 31 March 2021 to 2025, so a borough-sized demo gives stable shares."""

from __future__ import annotations

import pandas as pd

YEARS = range(2021, 2026)
POPULATION = 71_124  # Dudley 0-17, mid-2024 (the demo's population table)
EET = {"F1", "P1", "F2", "P2", "F3", "P3", "F4", "P4", "F5", "P5"}


def year_end(year: int) -> pd.Timestamp:
    return pd.Timestamp(f"{year}-03-31")


def _open(start: pd.Series, end: pd.Series, day: pd.Timestamp) -> pd.Series:
    return (start <= day) & (end.isna() | (end > day))


def periods(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Periods of care rebuilt from the episodes: a period starts with RNE S or after a REC other than X1."""
    ep = frames["cla_episodes"].sort_values(["child_id", "start_date"])
    new = ep["child_id"].ne(ep["child_id"].shift()) | ep["rne"].eq("S") | \
        (ep["reason_ceased"].shift().notna() & ep["reason_ceased"].shift().ne("X1"))
    ep = ep.assign(period=new.cumsum(), new_placement=new | ep["rne"].isin(["P", "T", "U", "B"]))
    g = ep.groupby("period")
    last = g.tail(1).set_index("period")  # (GroupBy.last would skip an open episode's missing end)
    return pd.DataFrame({"child_id": g["child_id"].first(), "start": g["start_date"].first(),
                         "end": last["end_date"], "birth": g["child_birth_date"].first()}), ep


def measures(frames: dict[str, pd.DataFrame]) -> dict[str, float]:
    per, ep = periods(frames)
    out: dict[str, list[float]] = {}

    def add(key: str, num: float, den: float) -> None:
        out.setdefault(key, [0.0, 0.0])
        out[key][0] += num
        out[key][1] += den

    for year in YEARS:
        day, first = year_end(year), pd.Timestamp(f"{year - 1}-04-01")
        now = per[_open(per["start"], per["end"], day)]
        add("rate_per_10k", len(now) * 10_000, POPULATION)
        add("starts_pct", per["start"].between(first, day).sum(), len(now))
        add("ceased_pct", per["end"].between(first, day).sum(), len(now))
        on = ep[_open(ep["start_date"], ep["end_date"], day)]
        add("care_order_pct", on["legal_status"].isin(["C1", "C2"]).sum(), len(on))
        add("s20_pct", on["legal_status"].eq("V2").sum(), len(on))
        add("foster_pct", on["placement_type"].str.startswith("U").sum(), len(on))
        add("residential_pct", on["placement_type"].isin(["K1", "K2", "R1", "S1", "R5", "H5", "K3", "P2"]).sum(),
            len(on))
        add("over_20_miles_pct", (on["placement_distance"] > 20).sum(), len(on))
        moves = ep[ep["new_placement"] & (ep["start_date"] > day - pd.DateOffset(years=1)) & (ep["start_date"] <= day)]
        moves = moves.groupby("period").size().reindex(now.index, fill_value=0)
        held = (now["start"] <= day - pd.DateOffset(years=1)).astype(int)
        add("three_placements_pct", ((moves + held) >= 3).sum(), len(now))
        placed = ep[ep["new_placement"]].groupby("period")["start_date"]
        current = on.set_index("period")["start_date"].rename("episode_start")
        long_due = now[(now["birth"] > day - pd.DateOffset(years=16)) & (now["start"] <= day - pd.DateOffset(months=30))]
        latest = placed.apply(lambda s, d=day: s[s <= d].max()).reindex(long_due.index)
        add("long_term_pct", (latest <= day - pd.DateOffset(years=2)).sum(), len(long_due))
        assert current.index.is_unique
        during = per[(per["start"] <= day) & (per["end"].isna() | (per["end"] >= first))]
        m = frames["cla_missing"]
        m = m[m["start_date"].between(first, day)]
        add("missing_pct", m["child_id"].nunique(), during["child_id"].nunique())
        add("incidents_per_child", len(m), m["child_id"].nunique())
        oc2 = frames["cla_oc2"][frames["cla_oc2"]["year"] == year]
        for field in ("health_assessment", "teeth_check", "immunisations", "health_check"):
            known = oc2[field].dropna()
            add(f"{field}_pct", known.sum(), len(known))
        oc3 = frames["cla_oc3"][frames["cla_oc3"]["year"] == year]
        born = oc3["child_id"].map(frames["children"].set_index("child_id")["birth_date"])
        age = year - born.dt.year - (born.dt.month >= 4)
        for group, sel in (("17_18", age.between(17, 18)), ("19_21", age.between(19, 21))):
            leavers = oc3[sel]
            add(f"in_touch_{group}_pct", leavers["in_touch"].eq("YES").sum(), len(leavers))
            add(f"eet_{group}_pct", leavers["activity"].isin(EET).sum(), len(leavers))
            add(f"suitable_{group}_pct", leavers["accommodation"].str.fullmatch(r"[A-Z]1").sum(), len(leavers))
    scale = {"rate_per_10k": 1, "incidents_per_child": 1}
    return {k: round(num / den * scale.get(k, 100), 1) for k, (num, den) in out.items()}


# (national figure, tolerance, source) per measure: shared/reference/ssda903.md §3.
TARGETS = {
    "rate_per_10k": (67.0, 5.0, "67 per 10,000, 31 March 2025"),
    "starts_pct": (40.4, 6.0, "33,050 starts / 81,770 (2024-25)"),
    "ceased_pct": (42.1, 6.0, "34,450 ceased / 81,770 (2024-25)"),
    "care_order_pct": (76.0, 5.0, "care orders 76% (2023)"),
    "s20_pct": (19.0, 5.0, "section 20 19% (2023)"),
    "foster_pct": (68.0, 5.0, "foster 68% (2023)"),
    "residential_pct": (17.0, 5.0, "secure, children's homes, semi-independent 17% (2023)"),
    "three_placements_pct": (10.0, 3.0, "3+ placements in the year, historically 10-11%"),
    "long_term_pct": (69.0, 7.0, "long-term stability 69% (2025)"),
    "missing_pct": (11.0, 3.0, "11% of children looked after in the year went missing (2018)"),
    "incidents_per_child": (6.8, 1.5, "6.8 incidents per child missing (2025)"),
    "health_assessment_pct": (90.0, 4.0, "health assessments 90% (2015)"),
    "teeth_check_pct": (86.0, 4.0, "teeth checked 86% (2015)"),
    "immunisations_pct": (88.0, 4.0, "immunisations 88% (2015)"),
    "health_check_pct": (88.0, 6.0, "development checks of 0-4s 88% (2025)"),
    "in_touch_19_21_pct": (91.0, 4.0, "in touch 91% (2020-21)"),
    "eet_19_21_pct": (55.0, 6.0, "about 55% EET (about 38% NEET)"),
    "suitable_19_21_pct": (85.0, 5.0, "85% suitable (2019)"),
    "in_touch_17_18_pct": (94.0, 5.0, "assumed: not retrieved"),
    "eet_17_18_pct": (64.0, 7.0, "assumed: not retrieved"),
    "suitable_17_18_pct": (88.0, 6.0, "18-year-olds 90% (2019); 17-18 assumed"),
}


if __name__ == "__main__":
    import datetime as dt
    import sys

    from refresh.demo import DEFAULT_SEED, generate

    seed = int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SEED
    got = measures(generate(seed=seed, scale=1.0, as_of=dt.date(2025, 10, 31)))
    print(f"{'measure':24} {'demo':>7} {'England':>8} {'tol':>5}  source")
    for key, (target, tol, source) in TARGETS.items():
        print(f"{key:24} {got[key]:7.1f} {target:8.1f} {tol:5.1f}  {source}")
