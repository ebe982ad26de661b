"""Overview KPIs equal direct SQL counts on the store, follow the slicers, and are suppressed."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

import data_access
from data_access.aggregates.overview import build_kpis
from data_access.suppression import SUPPRESSED

try:
    from _expected import direct_counts  # type: ignore[import-not-found]
except ImportError:
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


def test_overview_kpis_equal_direct_sql(configured, demo_store) -> None:  # type: ignore[no-untyped-def]
    data = data_access.overview(user=LEADER, filters=None)
    expected = direct_counts(demo_store, data.as_of)
    got = {k.key: k for k in data.kpis}
    assert got["cin_now"].value == expected["cin_now"]
    assert got["cin_now"].rate_per_10k == expected["cin_rate"]
    assert got["referrals"].value == expected["referrals"]
    assert got["rereferral_rate"].value == expected["rereferral_rate"]
    assert got["assessments_45"].value == expected["assessments_45"]
    assert got["cp_open"].value == expected["cp_open"]
    assert got["cp_open"].rate_per_10k == expected["cp_rate"]
    assert got["ehc_active"].value == expected["ehc_active"]
    # The monthly trend adds up to the 12-month KPI when nothing needed suppressing.
    trend = data.referrals_by_month
    assert trend is not None and len(trend) == 12
    if SUPPRESSED not in set(trend["referrals"]):
        assert sum(trend["referrals"]) == expected["referrals"]


def test_slicers_narrow_the_counts(configured) -> None:  # type: ignore[no-untyped-def]
    everyone = {k.key: k.value for k in data_access.overview(user=LEADER, filters=None).kpis}
    girls = {k.key: k.value for k in data_access.overview(user=LEADER, filters={"sex": "F"}).kpis}
    boys = {k.key: k.value for k in data_access.overview(user=LEADER, filters={"sex": "M"}).kpis}
    assert 0 < girls["cin_now"] < everyone["cin_now"]
    assert girls["cin_now"] + boys["cin_now"] <= everyone["cin_now"]


def test_service_manager_sees_only_their_services(configured) -> None:  # type: ignore[no-untyped-def]
    send_only = FakeUser("service_manager", services=("SEND",))
    data = data_access.overview(user=send_only, filters=None)
    values = {k.key: k.value for k in data.kpis}
    assert values["cin_now"] is None and values["referrals"] is None
    assert isinstance(values["ehc_active"], int) and values["ehc_active"] > 0
    assert data.referrals_by_month is None


@pytest.mark.parametrize("role", ["admin", "ig_officer", "nobody"])
def test_roles_without_dashboards_are_refused_and_audited(configured, role: str) -> None:  # type: ignore[no-untyped-def]
    from appstore import audit

    with pytest.raises(data_access.AccessDenied):
        data_access.overview(user=FakeUser(role, username=f"u-{role}"), filters=None)
    events = audit.query_events(data_access.current().app, username=f"u-{role}")
    assert [e["action"] for e in events] == ["access_refused"]


def test_forged_filter_is_refused_and_audited(configured) -> None:  # type: ignore[no-untyped-def]
    from appstore import audit

    with pytest.raises(data_access.InvalidFilter):
        data_access.overview(user=LEADER, filters={"team": "1 OR 1=1"})
    assert audit.query_events(data_access.current().app, action="access_refused")


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_small_kpi_counts_are_suppressed(n: int) -> None:
    raw = {"cin_now": n, "referrals": 40, "rereferrals": n, "assessments_done": n, "assessments_45": n,
           "cp_open": n, "ehc_active": n}
    cards = {k.key: k for k in build_kpis(raw, set(raw) | {"rereferral_rate"}, population=70_000, threshold=5)}
    for key in ("cin_now", "cp_open", "ehc_active", "assessments_45"):
        assert cards[key].value == SUPPRESSED, key
    assert cards["rereferral_rate"].value == SUPPRESSED
    assert cards["cin_now"].rate_per_10k == SUPPRESSED
    assert cards["referrals"].value == 40


def test_zero_is_shown_as_zero() -> None:
    raw = {"cin_now": 0, "referrals": 0, "rereferrals": 0, "assessments_done": 0, "assessments_45": 0,
           "cp_open": 0, "ehc_active": 0}
    cards = {k.key: k for k in build_kpis(raw, set(raw) | {"rereferral_rate"}, population=70_000, threshold=5)}
    assert cards["cin_now"].value == 0 and cards["cp_open"].value == 0


def test_a_swapped_in_store_is_served_without_a_restart(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A refresh replaces the DuckDB file; the next request sees the new copy (old readers keep theirs)."""
    import datetime as dt

    from data_access import store_facts
    from model.settings import Settings
    from refresh import database

    try:
        import _tiny_store as tiny  # type: ignore[import-not-found]
    except ImportError:
        from . import _tiny_store as tiny  # type: ignore[no-redef]

    url = f"duckdb:///{tmp_path / 'a.duckdb'}"
    database.build_store(url, lambda: iter(tiny.frames().items()))
    data_access.configure(Settings.from_env({}, data_dir=tmp_path, analytics_url=url,
                                            app_db_url=f"sqlite:///{tmp_path / 'app.sqlite'}"))
    assert data_access.as_of() == tiny.DAY
    held = data_access.current().analytics.connect()  # a request still in flight during the swap
    newer = tiny.frames()
    newer["store_metadata"].loc[newer["store_metadata"]["key"] == "as_of", "value"] = "2026-01-31"
    database.build_store(url, lambda: iter(newer.items()))
    assert data_access.as_of() == dt.date(2026, 1, 31)
    assert store_facts()["as_of"] == "2026-01-31"
    held.close()
    data_access.current().analytics.dispose()
