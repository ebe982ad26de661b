"""The served Overview (``data_access.overview_page``, built by ``aggregates/leadership.py``): its KPIs
equal plain SQL on the store (DuckDB, SQLite and PostgreSQL), follow the slicers, stay within a
manager's services, are refused to roles without dashboards, and are suppressed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

import data_access
from data_access import protection
from data_access.aggregates.kpi import Kpi
from data_access.aggregates.leadership import build_kpis
from data_access.aggregates.scope import Period
from data_access.cellkey import MAX_ADJUSTMENT
from data_access.protection import SUPPRESSED, ZERO, Count, shown
from model.settings import Settings

try:
    import _tiny_store as tiny  # type: ignore[import-not-found]
    from _expected import direct_counts  # type: ignore[import-not-found]
except ImportError:
    from . import _tiny_store as tiny  # type: ignore[no-redef]
    from ._expected import direct_counts  # type: ignore[no-redef]


@dataclass(frozen=True)
class FakeUser:
    role: str
    user_id: int = 1
    username: str = "tester"
    team_ids: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    worker_id: str | None = None


LEADER = FakeUser("leadership")
AS_OF = dt.date(2025, 10, 31)


def overview(user: FakeUser = LEADER, filters: Mapping[str, object] | None = None) -> data_access.PageData:
    return data_access.overview_page(user=user, filters=filters)


def cards(data: data_access.PageData) -> dict[str, Kpi]:
    return {k.key: k for k in data.cards}


def values(data: data_access.PageData) -> dict[str, Any]:
    return {k.key: k.value for k in data.cards}


def test_overview_kpis_equal_direct_sql(configured, demo_store) -> None:  # type: ignore[no-untyped-def]
    data = overview()
    expected = direct_counts(demo_store, data.as_of)
    got = cards(data)
    assert got["cin_now"].value == expected["cin_now"]
    assert got["cin_now"].rate_per_10k == expected["cin_rate"]
    assert got["referrals"].value == expected["referrals"]
    assert got["rereferral_rate"].value == expected["rereferral_rate"]
    assert got["assessments_45"].value == expected["assessments_45"]
    assert got["cp_open"].value == expected["cp_open"]
    assert got["cp_open"].rate_per_10k == expected["cp_rate"]
    assert got["ehc_active"].value == expected["ehc_active"]
    # The trend's total counts the card's referrals: the same published value; the months, each
    # perturbed on its own, add up to it within their noise.
    trend = data.visuals["trend"]
    assert trend.available and len(trend.frame) == 12
    assert trend.totals is not None and trend.totals["referrals"] == expected["referrals"]
    if SUPPRESSED not in set(trend.frame["referrals"]):
        assert abs(sum(trend.frame["referrals"]) - expected["referrals"]) <= 13 * MAX_ADJUSTMENT


def test_slicers_narrow_the_counts(configured) -> None:  # type: ignore[no-untyped-def]
    everyone = values(overview())
    girls = values(overview(filters={"sex": "F"}))
    boys = values(overview(filters={"sex": "M"}))
    assert 0 < girls["cin_now"] < everyone["cin_now"]
    assert girls["cin_now"] + boys["cin_now"] <= everyone["cin_now"]


def test_service_manager_sees_only_their_services(configured) -> None:  # type: ignore[no-untyped-def]
    send_only = FakeUser("service_manager", services=("SEND",))
    data = overview(send_only)
    shown = values(data)
    assert shown["cin_now"] is None and shown["referrals"] is None
    assert isinstance(shown["ehc_active"], int) and shown["ehc_active"] > 0
    assert not data.visuals["trend"].available  # the referrals trend is children's social care


@pytest.mark.parametrize("role", ["admin", "ig_officer", "nobody"])
def test_roles_without_dashboards_are_refused_and_audited(configured, role: str) -> None:  # type: ignore[no-untyped-def]
    from appstore import audit

    with pytest.raises(data_access.AccessDenied):
        overview(FakeUser(role, username=f"u-{role}"))
    events = audit.query_events(data_access.current().app, username=f"u-{role}")
    assert [e["action"] for e in events] == ["access_refused"]


def test_forged_filter_is_refused_and_audited(configured) -> None:  # type: ignore[no-untyped-def]
    from appstore import audit

    with pytest.raises(data_access.InvalidFilter):
        overview(filters={"team": "1 OR 1=1"})
    assert audit.query_events(data_access.current().app, action="access_refused")


PERIOD = Period(dt.date(2024, 3, 31), dt.date(2025, 3, 31))


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_small_kpi_counts_are_suppressed(n: int) -> None:
    """Whatever the records' keys, a true count of 1 to 5 is never published as itself: it is c, 0 or
    (perturbed upwards) 6 or 7; rates on it are c; a count of 40 stays within 2 of 40."""
    for keysum in range(0, 4096, 7):
        raw = {"cin_now": Count(n, keysum), "referrals": Count(40, keysum), "rereferrals": Count(n, keysum + 1),
               "assessments_done": Count(n, keysum + 2), "assessments_45": Count(n, keysum + 3),
               "cp_open": Count(n, keysum + 4), "ehc_active": Count(n, keysum + 5)}
        shown = {k.key: k for k in build_kpis(raw, set(raw) | {"rereferral_rate"}, population=70_000, threshold=5,
                                                  period=PERIOD)}
        for key in ("cin_now", "cp_open", "ehc_active"):
            assert shown[key].value == SUPPRESSED or shown[key].value in (0, 6, 7), key
            assert shown[key].value != n
        assert shown["assessments_45"].value == SUPPRESSED  # a rate over a denominator below 10
        rerefs = shown["rereferral_rate"]
        assert rerefs.numerator != n and rerefs.value == protection.rate(rerefs.numerator, rerefs.denominator)
        assert shown["cin_now"].rate_per_10k == protection.population_rate(shown["cin_now"].value, 70_000)
        assert abs(shown["referrals"].value - 40) <= 2


def test_zero_is_shown_as_zero() -> None:
    raw = dict.fromkeys(("cin_now", "referrals", "rereferrals", "assessments_done", "assessments_45", "cp_open",
                         "ehc_active"), ZERO)
    shown = {k.key: k for k in build_kpis(raw, set(raw) | {"rereferral_rate"}, population=70_000, threshold=5,
                                                  period=PERIOD)}
    assert shown["cin_now"].value == 0 and shown["cp_open"].value == 0


def test_a_swapped_in_store_is_served_without_a_restart(tmp_path: Path) -> None:
    """A refresh replaces the DuckDB file; the next request sees the new copy (old readers keep theirs)."""
    from refresh import database

    url = f"duckdb:///{tmp_path / 'a.duckdb'}"
    database.build_store(url, lambda: iter(tiny.frames().items()))
    settings = Settings.from_env({}, data_dir=tmp_path, analytics_url=url,
                                 app_db_url=f"sqlite:///{tmp_path / 'app.sqlite'}")
    stores = data_access.open_stores(settings)
    with data_access.bound(stores):
        assert data_access.as_of() == tiny.DAY
        assert overview().as_of == tiny.DAY
        held = data_access.current().analytics.connect()  # a request still in flight during the swap
        newer = tiny.frames()
        newer["store_metadata"].loc[newer["store_metadata"]["key"] == "as_of", "value"] = "2026-01-31"
        database.build_store(url, lambda: iter(newer.items()))
        assert data_access.as_of() == dt.date(2026, 1, 31)
        assert data_access.store_facts()["as_of"] == "2026-01-31"
        assert overview().as_of == dt.date(2026, 1, 31)  # not the cached page of the old copy
        held.close()
    stores.close()


# --- the served KPIs against plain SQL, on every engine ----------------------------------------------

def _store_frames() -> dict[str, pd.DataFrame]:
    """A small demo store plus rows on every boundary the definitions draw: referred on the day the
    period starts (outside it) and on the data date (inside), closed, ended or ceased on the data date
    (not open), a second open episode and CP plan of one child (counted once), assessments authorised
    on both boundaries, one not authorised and one with no timeliness."""
    from refresh import demo

    frames = demo.generate(seed=20251206, scale=0.05, as_of=AS_OF)
    start, day, before = dt.date(2024, 10, 31), AS_OF, dt.date(2023, 10, 31)
    child = int(frames["cin_episodes"]["child_id"].iloc[-1])

    def add(table: str, key: str, rows: list[dict[str, Any]]) -> None:
        frame = frames[table]
        extra = frame.iloc[[-1] * len(rows)].reset_index(drop=True)
        for i, row in enumerate(rows):
            for column, value in {key: int(frame[key].max()) + 1 + i, "child_id": child, **row}.items():
                if column.endswith("_date"):
                    value = pd.NaT if value is None else pd.Timestamp(value)
                extra.loc[i, column] = value
        frames[table] = pd.concat([frame, extra], ignore_index=True)

    add("cin_episodes", "episode_id", [
        {"referral_date": start, "closure_date": None, "is_rereferral": False},
        {"referral_date": day, "closure_date": None, "is_rereferral": True},
        {"referral_date": dt.date(2025, 1, 15), "closure_date": day, "is_rereferral": True},
        {"referral_date": dt.date(2025, 2, 1), "closure_date": day + dt.timedelta(days=1), "is_rereferral": False},
        {"referral_date": before, "closure_date": dt.date(2024, 1, 1), "is_rereferral": False}])
    add("assessments", "assessment_id", [
        {"authorisation_date": start, "within_45_days": True},
        {"authorisation_date": day, "within_45_days": True},
        {"authorisation_date": None, "within_45_days": None},
        {"authorisation_date": dt.date(2025, 5, 1), "within_45_days": None}])
    add("cp_plans", "cp_plan_id", [
        {"start_date": day, "end_date": None}, {"start_date": dt.date(2025, 1, 1), "end_date": None},
        {"start_date": dt.date(2025, 1, 1), "end_date": day}])
    add("ehc_plans", "plan_id", [{"start_date": day, "ceased_date": None},
                                 {"start_date": dt.date(2020, 1, 1), "ceased_date": day}])
    return frames


STORE_FRAMES = _store_frames  # built on each engine by the ``engine_store`` fixture (tests/_stores.py)


class PlainSql:
    """The README's KPI definitions as hand-written SQL (no data_access query), for one store."""

    def __init__(self, conn: sa.Connection, sex: str | None) -> None:
        self.conn, self.sex = conn, sex

    def one(self, sql: str, **params: object) -> tuple[int, ...]:
        if self.sex is not None:
            sql += " and child_id in (select child_id from children where sex = :sex)"
            params["sex"] = self.sex
        text = sa.text(sql).bindparams(*(sa.bindparam(k, type_=sa.Date) for k, v in params.items()
                                         if isinstance(v, dt.date)))
        return tuple(int(v or 0) for v in self.conn.execute(text, params).one())

    def count(self, sql: str, **params: object) -> Count:
        """``select count(*), sum(rkey) ...``: a count with the key sum of exactly the rows it counts."""
        n, keysum = self.one(sql, **params)
        return Count(n, keysum)

    def kpis(self, start: dt.date, day: dt.date) -> dict[str, Count]:
        """Counts for the period (start, day]: stocks open on ``day``, flows in the period; children are
        counted as rows of ``children`` (their own keys), events as rows of their table."""
        cin = self.count("select count(*), sum(rkey) from children where child_id in (select child_id from "
                         "cin_episodes where referral_date <= :day and (closure_date is null or closure_date > :day))",
                         day=day)
        flow = "from cin_episodes where referral_date > :start and referral_date <= :day"
        refs = self.count(f"select count(*), sum(rkey) {flow}", start=start, day=day)
        rerefs = self.count(f"select count(*), sum(rkey) {flow} and is_rereferral", start=start, day=day)
        done_sql = "from assessments where authorisation_date > :start and authorisation_date <= :day"
        done = self.count(f"select count(*), sum(rkey) {done_sql}", start=start, day=day)
        within = self.count(f"select count(*), sum(rkey) {done_sql} and within_45_days", start=start, day=day)
        cp = self.count("select count(*), sum(rkey) from children where child_id in (select child_id from cp_plans "
                        "where start_date <= :day and (end_date is null or end_date > :day))", day=day)
        ehc = self.count("select count(*), sum(rkey) from ehc_plans where start_date <= :day "
                         "and (ceased_date is null or ceased_date > :day)", day=day)
        return {"cin_now": cin, "referrals": refs, "rereferrals": rerefs, "assessments_done": done,
                "assessments_45": within, "cp_open": cp, "ehc_active": ehc}

    def population(self, day: dt.date) -> int:
        """The ONS 0-17 estimate of the latest mid-year (30 June) before ``day``."""
        mid_year = day.year if day.month >= 7 else day.year - 1
        row = self.conn.execute(sa.text("select children_0_17 from population where year <= :year "
                                        "order by year desc limit 1"), {"year": mid_year}).one()
        return int(row[0])


def per(numerator: int, denominator: int, scale: int = 100) -> float:
    """numerator / denominator x scale, rounded half up to one decimal (as published)."""
    return float((Decimal(numerator * scale) / Decimal(denominator)).quantize(Decimal("0.1"), ROUND_HALF_UP))


def _expected(engine: sa.Engine, sex: str | None) -> dict[str, Any]:
    month_ranges = [(m.date(), (m + pd.offsets.MonthEnd(0)).date())
                    for m in pd.date_range("2024-11-01", AS_OF, freq="MS")]
    with engine.connect() as conn:
        plain = PlainSql(conn, sex)
        months = {f"{first}_{last}": plain.count("select count(*), sum(rkey) from cin_episodes where referral_date "
                                                 ">= :first and referral_date <= :last", first=first, last=last)
                  for first, last in month_ranges}
        return {"now": plain.kpis(dt.date(2024, 10, 31), AS_OF), "then": plain.kpis(dt.date(2023, 10, 31),
                dt.date(2024, 10, 31)), "population": plain.population(AS_OF), "months": months}


def test_served_overview_equals_plain_sql_on_every_engine(engine_store: sa.Engine, tmp_path: Path) -> None:
    """Published values exactly as the p-table gives them for the counts and key sums plain SQL finds
    (threshold 0), for everyone and for girls, this period and the one before."""
    expected = {sex: _expected(engine_store, sex) for sex in (None, "F")}
    url = engine_store.url.render_as_string(hide_password=False)
    engine_store.dispose()
    settings = Settings.from_env({}, data_dir=tmp_path, analytics_url=url, suppression_threshold=0,
                                 app_db_url=f"sqlite:///{tmp_path / 'app.sqlite'}")
    stores = data_access.open_stores(settings)
    try:
        with data_access.bound(stores):
            served = {sex: overview(filters=None if sex is None else {"sex": sex}) for sex in expected}
    finally:
        stores.close()
    def pub(count: Count) -> int | str:  # the published value: the p-table applied to the SQL's count and keys
        return shown(count, threshold=settings.suppression_threshold)

    for sex, data in served.items():
        now, then, population = expected[sex]["now"], expected[sex]["then"], expected[sex]["population"]
        assert all(now[k] for k in ("cin_now", "referrals", "assessments_done", "cp_open", "ehc_active")), "control"
        assert data.as_of == AS_OF and (data.first_day, data.last_day) == (dt.date(2024, 11, 1), AS_OF)
        got = cards(data)
        for key in ("cin_now", "referrals", "cp_open", "ehc_active"):
            assert (got[key].value, got[key].previous) == (pub(now[key]), pub(then[key])), (sex, key)
            assert isinstance(got[key].value, int) and abs(got[key].value - int(now[key])) <= MAX_ADJUSTMENT
        for key in ("cin_now", "cp_open"):
            assert got[key].rate_per_10k == per(pub(now[key]), population, 10_000), (sex, key)
        for key, num, den in (("rereferral_rate", "rereferrals", "referrals"),
                              ("assessments_45", "assessments_45", "assessments_done")):
            assert (got[key].numerator, got[key].denominator) == (pub(now[num]), pub(now[den])), (sex, key)
            assert got[key].value == protection.rate(pub(now[num]), pub(now[den])), (sex, key)
            assert got[key].previous == protection.rate(pub(then[num]), pub(then[den])), (sex, key)
        trend = data.visuals["trend"]
        assert dict(zip(trend.frame["code"], trend.frame["referrals"], strict=True)) == \
            {k: pub(v) for k, v in expected[sex]["months"].items()}
        assert trend.totals is not None and trend.totals["referrals"] == pub(now["referrals"])  # the card's records
