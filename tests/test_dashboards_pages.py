"""The aggregate pages' data: equal to plain SQL, scoped by slicers and selections, drillable, suppressed, authorised."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import pytest

import data_access
from appstore import audit
from data_access import protection
from data_access.cellkey import MAX_ADJUSTMENT
from data_access.protection import Count
from data_access.protection import shown as shown_value
from data_access.suppression import SUPPRESSED

try:
    from _disclosure import TOTAL, pinned_cells  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover
    from ._disclosure import TOTAL, pinned_cells  # type: ignore[no-redef]


@dataclass(frozen=True)
class FakeUser:
    role: str
    user_id: int = 1
    username: str = "tester"
    team_ids: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    worker_id: str | None = None


LEADER = FakeUser("leadership")
CSC_MANAGER = FakeUser("service_manager", username="csc-manager", services=("CSC",))
CASEWORKER = FakeUser("caseworker", username="cw", team_ids=("CSC-SGA",), services=("CSC",), worker_id="W00002")
PAGES = ("overview", "service_users", "children_in_need", "interventions", "send", "trends")


def sql(query: str, **params: object) -> list[tuple]:
    """Plain SQL on the store's own DuckDB handle, independently of data_access's queries."""
    conn = data_access.current().analytics.connect()
    try:
        return conn.connection.driver_connection.execute(query, params).fetchall()
    finally:
        conn.close()


def published(rows: list[tuple]) -> dict[object, object]:
    """{code: published value} from plain SQL rows (code, count(*), sum(key)): what the cell-key
    method must show for exactly those records (``protection.shown``)."""
    threshold = data_access.current().settings.suppression_threshold
    return {code: protection.shown(Count(int(n), int(k or 0)), threshold=threshold) for code, n, k in rows}


def page(name: str, user: object = LEADER, **filters: object):  # type: ignore[no-untyped-def]
    return data_access.views.PAGE_FUNCTIONS[name](user=user, filters=filters or None)


def values(visual, column: str | None = None) -> dict[str, object]:  # type: ignore[no-untyped-def]
    column = column or visual.plotted[0]
    return dict(zip(visual.frame["code"], visual.frame[column], strict=True))


@pytest.mark.parametrize("name", PAGES)
def test_every_page_builds_for_a_leader_with_every_chart_available(configured, name: str) -> None:  # type: ignore[no-untyped-def]
    data = page(name)
    assert data.visuals and all(v.available for v in data.visuals.values())
    assert data.last_day == data.as_of and data.first_day == dt.date(2024, 11, 1)
    for visual in [*data.visuals.values(), *page(name, sex="F", selection=_first_selection(data)).visuals.values()]:
        # the renderers read ``cols`` (lists, kept from the build), exports and tests the frame: one truth
        assert visual.cols == {str(c): visual.frame[c].tolist() for c in visual.frame.columns}, visual.key


def _first_selection(data) -> str | None:  # type: ignore[no-untyped-def]
    """A cross-filter on the page's first selectable bar (none on a page with no such chart)."""
    for visual in data.visuals.values():
        if visual.dim and visual.dim != "time" and len(visual.frame):
            return f"{visual.key}:{visual.dim}:{visual.frame['code'].iloc[0]}"
    return None


def test_referrals_by_source_equal_plain_sql(configured) -> None:  # type: ignore[no-untyped-def]
    """Each source's bar, the chart's total and the referrals card are the PUBLISHED values of the
    referrals plain SQL counts: their true count perturbed by their own key sum (cell key)."""
    threshold = configured.suppression_threshold
    data = page("children_in_need")
    found = sql("select coalesce(referral_source, ''), count(*), coalesce(sum(rkey), 0) from cin_episodes "
                "where referral_date > $s and referral_date <= $a group by 1",
                s=dt.date(2024, 10, 31), a=data.as_of)
    expected = {code: Count(n, keysum) for code, n, keysum in found}
    shown = values(data.visuals["by_source"])
    for code, n in expected.items():
        assert shown[code] == shown_value(n, threshold=threshold), code
        assert shown[code] == SUPPRESSED or abs(shown[code] - int(n)) <= MAX_ADJUSTMENT, code
    everything = protection.total(expected.values())
    assert data.visuals["by_source"].totals["referrals"] == shown_value(everything, threshold=threshold)
    cards = {k.key: k for k in data.cards}
    assert cards["referrals"].value == shown_value(everything, threshold=threshold)
    assert abs(cards["referrals"].value - int(everything)) <= MAX_ADJUSTMENT  # a large count: shown, near the truth


def test_children_open_to_each_service_equal_plain_sql(configured) -> None:  # type: ignore[no-untyped-def]
    data = page("service_users")
    day = data.as_of
    # Children open to each service, each child counted once per service with the CHILD's key.
    open_pairs = ("select distinct child_id, service, child_rkey from involvements where start_date <= $d "
                  "and (end_date is null or end_date > $d)")
    expected = published(sql(f"select service, count(*), sum(child_rkey) from ({open_pairs}) group by 1", d=day))
    shown = values(data.visuals["by_service"])
    assert {k: v for k, v in shown.items() if k in expected} == expected
    assert all(v == 0 for k, v in shown.items() if k not in expected)
    open_children = published(sql(f"select 1, count(*), sum(child_rkey) from (select distinct child_id, child_rkey "
                                  f"from ({open_pairs}))", d=day))[1]
    assert {k.key: k.value for k in data.cards}["open"] == open_children
    assert data.visuals["by_sex"].totals["children"] == open_children  # the same children: the same value


@pytest.mark.parametrize("view", [{}, {"selection": "by_sex:sex:F"}, {"locality": "NORTH"}])
def test_ethnicity_and_disability_of_open_children_equal_plain_sql(configured, view) -> None:  # type: ignore[no-untyped-def]
    data = page("service_users", **view)
    open_kids = ("select child_id from involvements where start_date <= $d and (end_date is null or end_date > $d)"
                 + (" and child_sex = 'F'" if view.get("selection") else "")
                 + (" and child_locality = 'NORTH'" if view.get("locality") else ""))
    ethnicity = published(sql(f"select coalesce(ethnicity, ''), count(*), sum(rkey) from children "
                              f"where child_id in ({open_kids}) group by 1", d=data.as_of))
    # A child with a disability is counted with the child's own key (children.rkey).
    disability = published(sql(f"select d.disability, count(*), sum(c.rkey) from child_disabilities d "
                               f"join children c using (child_id) where d.child_id in ({open_kids}) group by 1",
                               d=data.as_of))
    for visual, expected in (("by_ethnicity", ethnicity), ("by_disability", disability)):
        shown = values(data.visuals[visual])
        assert len([v for v in shown.values() if v != SUPPRESSED]) >= 3, (visual, shown)
        assert all(expected.get(k, 0) == v for k, v in shown.items()), (visual, shown, expected)


def test_interventions_by_type_and_send_plans_equal_plain_sql(configured) -> None:  # type: ignore[no-untyped-def]
    data = page("interventions")
    expected = published(sql("select intervention_type, count(*), sum(rkey) from involvements where start_date > $s "
                             "and start_date <= $a group by 1", s=dt.date(2024, 10, 31), a=data.as_of))
    assert values(data.visuals["by_type"]) == {k: expected.get(k, 0) for k in values(data.visuals["by_type"])}
    started = published(sql("select 1, count(*), sum(rkey) from involvements where start_date > $s and "
                            "start_date <= $a", s=dt.date(2024, 10, 31), a=data.as_of))[1]
    assert {k.key: k.value for k in data.cards}["started"] == started
    assert data.visuals["by_type"].totals["started"] == started  # the same involvements: the same value
    send = page("send")
    active = published(sql("select 1, count(*), sum(rkey) from ehc_plans where start_date <= $a and "
                           "(ceased_date is null or ceased_date > $a)", a=send.as_of))[1]
    assert {k.key: k.value for k in send.cards}["ehc_active"] == active
    assert send.visuals["primary_need"].totals["plans"] == active


def test_a_slicer_narrows_every_chart(configured) -> None:  # type: ignore[no-untyped-def]
    everyone, girls = page("children_in_need"), page("children_in_need", sex="F")
    for key in ("by_source", "closures", "cp_category"):
        assert 0 < girls.visuals[key].totals[girls.visuals[key].plotted[0]] < \
            everyone.visuals[key].totals[everyone.visuals[key].plotted[0]]


def test_a_selection_filters_every_other_chart_but_not_its_own(configured) -> None:  # type: ignore[no-untyped-def]
    base = page("children_in_need")
    chosen = page("children_in_need", selection="by_source:referral_source:6")
    assert values(chosen.visuals["by_source"]) == values(base.visuals["by_source"])  # the source keeps all bars
    assert chosen.visuals["by_source"].selected == "6"
    police = values(base.visuals["by_source"])["6"]
    assert chosen.visuals["referrals_time"].totals["referrals"] == police
    assert {k.key: k.value for k in chosen.cards}["referrals"] == police
    assert chosen.visuals["closures"].totals["episodes"] < base.visuals["closures"].totals["episodes"]


def test_a_time_selection_narrows_the_other_charts_to_that_month(configured) -> None:  # type: ignore[no-untyped-def]
    base = page("children_in_need")
    month = base.visuals["referrals_time"].frame.iloc[3]
    chosen = page("children_in_need", selection=f"referrals_time:time:{month['code']}")
    assert chosen.visuals["by_source"].totals["referrals"] == month["referrals"]
    assert len(chosen.visuals["referrals_time"].frame) == 12


def test_demographic_selection_filters_the_other_breakdowns(configured) -> None:  # type: ignore[no-untyped-def]
    base = page("service_users")
    chosen = page("service_users", selection="by_sex:sex:F")
    assert values(chosen.visuals["by_sex"]) == values(base.visuals["by_sex"])
    assert chosen.visuals["by_age"].totals["children"] == values(base.visuals["by_sex"])["F"]
    assert chosen.visuals["by_locality"].totals["children"] == values(base.visuals["by_sex"])["F"]


def test_time_drill_goes_year_quarter_month_and_back(configured) -> None:  # type: ignore[no-untyped-def]
    years = page("trends", grain="year", period_months=60).visuals["trend"]
    assert years.level == "year" and years.extra["up"] == ""
    year = years.frame.iloc[-2]
    quarters = page("trends", grain="year", period_months=60, drill_time=year["code"]).visuals["trend"]
    assert quarters.level == "quarter" and len(quarters.frame) == 4 and quarters.extra["up"] == ""
    # The quarters' total counts the year's records: the same published value as the year's bar.
    assert quarters.totals["count"] == year["count"]
    assert all(v == SUPPRESSED or abs(v - t) <= 4 * MAX_ADJUSTMENT for v, t in [(sum(quarters.frame["count"]), year["count"])])
    quarter = quarters.frame.iloc[1]
    months = page("trends", grain="year", period_months=60, drill_time=quarter["code"]).visuals["trend"]
    assert months.level == "month" and len(months.frame) == 3 and months.extra["up"] == year["code"]
    assert months.totals["count"] == quarter["count"]  # the quarter's records, seen month by month


def test_census_financial_and_calendar_years_are_labelled(configured) -> None:  # type: ignore[no-untyped-def]
    labels = {t: list(page("trends", grain="year", year_type=t, period_months=24).visuals["trend"].frame["label"])
              for t in ("census", "financial", "calendar")}
    assert labels["census"][1] == "CY 2024-25" and labels["financial"][1] == "FY 2024-25"
    assert labels["calendar"][1] == "2024" and labels["calendar"][0].endswith("(part)")


def test_organisation_drill_shows_the_teams_of_a_service(configured) -> None:  # type: ignore[no-untyped-def]
    services = page("interventions").visuals["by_service_team"]
    teams = page("interventions", drill_org="EH").visuals["by_service_team"]
    assert services.level == "service" and teams.level == "team" and teams.dim == "team"
    assert set(teams.frame["code"]) == {"EH-NORTH", "EH-SOUTH", "EH-EAST", "EH-WEST", "EH-CENTRAL"}
    assert teams.totals["started"] == values(services)["EH"]


def test_census_year_presets_and_custom_dates(configured) -> None:  # type: ignore[no-untyped-def]
    this = page("children_in_need", period="this_census_year")
    last = page("children_in_need", period="last_census_year")
    assert (this.first_day, this.last_day) == (dt.date(2025, 4, 1), dt.date(2025, 10, 31))
    assert (last.first_day, last.last_day) == (dt.date(2024, 4, 1), dt.date(2025, 3, 31))
    custom = page("children_in_need", period="custom", start="2025-01-01", end="2025-01-31")
    (n,) = sql("select count(*) from cin_episodes where referral_date between '2025-01-01' and '2025-01-31'")[0]
    assert {k.key: k.value for k in custom.cards}["referrals"] == n


def test_overview_compares_with_previous_period_and_england(configured) -> None:  # type: ignore[no-untyped-def]
    cards = {k.key: k for k in page("overview").cards}
    (n, keysum) = sql("select count(*), sum(rkey) from cin_episodes where referral_date > '2023-10-31' "
                      "and referral_date <= '2024-10-31'")[0]
    before = shown_value(Count(n, keysum), threshold=configured.suppression_threshold)
    assert cards["referrals"].previous == before and abs(before - n) <= MAX_ADJUSTMENT  # published, as the card
    assert cards["referrals"].direction == ("up" if cards["referrals"].value > before else "down")
    assert cards["rereferral_rate"].england == 22.6 and cards["rereferral_rate"].judgement in ("better", "worse")
    assert cards["cin_now"].local_comparable == cards["cin_now"].rate_per_10k


@pytest.mark.parametrize("name", PAGES)
def test_no_suppressed_cell_can_be_worked_out_in_a_small_view(configured, name: str) -> None:  # type: ignore[no-untyped-def]
    tiny = page(name, team="CSC-CWD" if name in ("children_in_need", "overview") else None, sex="F",
                age_band="16-17", locality="NORTH")
    withheld = [v for v in tiny.visuals.values() if not v.available and "Too few children" in (v.message or "")]
    assert not withheld or (len(withheld) == len(tiny.visuals) and all(k.value is None for k in tiny.cards))
    checked = 0
    for data in (tiny, page(name, sex="F", age_band="16-17")):  # the second: small counts, enough children
        checked += _no_cell_pinned(data, data_access.current().settings.suppression_threshold)
    assert checked


def _no_cell_pinned(data: data_access.PageData, threshold: int) -> int:
    """Check every line and table of ``data``: no c is pinned down by its totals; how many lines."""
    checked = 0
    for visual in data.visuals.values():
        if visual.totals is None or not visual.available:
            continue
        for column in visual.values:
            if visual.unit == "percent" and column == visual.plotted[0]:
                continue
            shown = list(visual.frame[column])
            assert all(v == SUPPRESSED or v == 0 or v > 5 for v in shown), (visual.key, column)
            line = pd.DataFrame([[*shown, visual.totals[column]]], columns=[*visual.frame["code"], TOTAL])
            # The total is a count of its own records, perturbed on its own: no c is pinned down by it.
            assert pinned_cells(line, threshold) == [], (visual.key, column)
            checked += 1
        if "total" in visual.values:  # a two-way table with row, column and grand totals
            grid = visual.frame.set_index("code")[list(visual.values)].rename(columns={"total": TOTAL})
            grid.loc[TOTAL] = [visual.totals[c] for c in visual.values]
            assert pinned_cells(grid, threshold) == [], visual.key
    return checked


def test_service_manager_sees_only_their_services(configured) -> None:  # type: ignore[no-untyped-def]
    send = page("send", CSC_MANAGER)
    assert send.cards == [] and not any(v.available for v in send.visuals.values())
    users = page("service_users", CSC_MANAGER)
    assert set(users.visuals["by_service"].frame["code"]) == {"CSC"}
    with pytest.raises(data_access.AccessDenied):
        page("interventions", CSC_MANAGER, service="EH")
    with pytest.raises(data_access.AccessDenied):
        page("interventions", CSC_MANAGER, team="EH-NORTH")
    with pytest.raises(data_access.AccessDenied):
        page("trends", CSC_MANAGER, measure="ehc_requests")
    events = audit.query_events(data_access.current().app, username="csc-manager")
    assert [e["action"] for e in events] == ["access_refused"] * 3


def test_special_category_breakdowns_need_the_role(configured) -> None:  # type: ignore[no-untyped-def]
    assert page("service_users").visuals["by_ethnicity"].available
    data = page("service_users", CASEWORKER)
    assert not data.visuals["by_ethnicity"].available and not data.visuals["by_disability"].available
    assert not page("children_in_need", CASEWORKER).visuals["factors"].available


@pytest.mark.parametrize("role", ["admin", "ig_officer", "nobody"])
@pytest.mark.parametrize("name", ["service_users", "send"])
def test_roles_without_dashboards_are_refused_and_audited(configured, role: str, name: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(data_access.AccessDenied):
        page(name, FakeUser(role, username=f"u-{role}"))
    assert [e["action"] for e in audit.query_events(data_access.current().app, username=f"u-{role}")] == \
        ["access_refused"]


@pytest.mark.parametrize(("raw", "field"), [
    ({"selection": "by_source:referral_source:ZZ"}, "selection"),
    ({"selection": "by_source:child_id:1"}, "selection"),
    ({"drill_time": "2024-01-01_2026-12-31"}, "drill_time"),
    ({"drill_org": "XX"}, "drill_org"),
    ({"measure": "children_names"}, "measure"),
    ({"period": "custom", "start": "2025-02-30", "end": "2025-03-01"}, "start"),
])
def test_forged_view_state_is_refused_and_audited(configured, raw: dict, field: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(data_access.InvalidFilter, match=field):
        page("trends", **raw)
    assert audit.query_events(data_access.current().app, action="access_refused")


def test_view_state_reads_a_shared_url(configured) -> None:  # type: ignore[no-untyped-def]
    state = data_access.view_state(user=LEADER, query={"period_months": "24", "sex": "F",
                                                       "selection": "by_source:referral_source:6",
                                                       "drill_time": "2024-04-01_2025-03-31"})
    assert state == {"period_months": 24, "sex": "F", "selection": "by_source:referral_source:6",
                     "drill_time": "2024-04-01_2025-03-31"}
    with pytest.raises(data_access.InvalidFilter, match="period_months"):
        data_access.view_state(user=LEADER, query={"period_months": "1e9"})
    with pytest.raises(data_access.AccessDenied):
        data_access.view_state(user=CSC_MANAGER, query={"selection": "by_service:service:SEND"})


def test_the_page_cache_is_keyed_by_access_scope(configured) -> None:  # type: ignore[no-untyped-def]
    data_access.current().pages.clear()
    leader = page("send", LEADER, sex="F")
    assert page("send", LEADER, sex="F") is leader  # the same scope and filters: served from the cache
    manager = page("send", CSC_MANAGER, sex="F")
    assert manager is not leader and not any(v.available for v in manager.visuals.values())
    caseworker = page("service_users", CASEWORKER)
    assert not caseworker.visuals["by_ethnicity"].available
    assert page("service_users", FakeUser("team_manager", services=("CSC",))).visuals["by_ethnicity"].available
