"""The Children looked after and Care leavers pages: figures equal to plain SQL published by their cell
keys, the same children showing the same value in every view, definitions and England figures on the
cards, health data only for roles allowed it, services scoping, cross-filter, drill-through and export."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

import data_access
from data_access import protection, views
from data_access.aggregates import drill
from data_access.protection import Count
from model import schema

try:
    from test_dashboards_pages import CASEWORKER, CSC_MANAGER, LEADER, FakeUser, page, published, sql, values  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover
    from .test_dashboards_pages import CASEWORKER, CSC_MANAGER, LEADER, FakeUser, page, published, sql, values

SEND_MANAGER = FakeUser("service_manager", username="send-manager", services=("SEND",))
OPEN_PERIODS = ("select child_id, child_rkey from cla_periods where start_date <= $d "
                "and (end_date is null or end_date > $d)")


@pytest.mark.parametrize("name", ["looked_after", "care_leavers"])
def test_both_pages_build_with_every_chart_and_a_definition_on_every_card(configured, name: str) -> None:  # type: ignore[no-untyped-def]
    data = page(name)
    assert data.visuals and all(v.available for v in data.visuals.values())
    assert all(card.definition and card.value is not None for card in data.cards)
    filtered = page(name, sex="F")  # (health data combines with at most one slicer)
    assert all(v.available for v in filtered.visuals.values())
    for visual in filtered.visuals.values():
        assert visual.cols == {str(c): visual.frame[c].tolist() for c in visual.frame.columns}, visual.key


def test_looked_after_card_and_charts_show_the_same_children_with_the_same_value(configured) -> None:  # type: ignore[no-untyped-def]
    data = page("looked_after")
    day = data.as_of
    expected = published(sql(f"select 1, count(*), sum(child_rkey) from ({OPEN_PERIODS})", d=day))[1]
    cards = {k.key: k for k in data.cards}
    assert cards["cla_rate"].value == expected and isinstance(expected, int) and expected > 300
    population = sql("select children_0_17 from population where year = 2025")[0][0]
    assert cards["cla_rate"].rate_per_10k == round(expected / population * 10_000, 1)
    assert cards["cla_rate"].england == 67.0 and "England 67" in (cards["cla_rate"].england_note or "")
    for chart in ("legal_status", "placement_type", "placements_year"):  # every child once: the card's value
        assert next(iter(data.visuals[chart].totals.values())) == expected, chart
    by_status = published(sql("select legal_status, count(*), sum(child_rkey) from cla_episodes "
                              "where start_date <= $d and (end_date is null or end_date > $d) group by 1", d=day))
    shown = values(data.visuals["legal_status"])
    assert all(shown[code] == value for code, value in by_status.items())
    assert shown["C2"] > shown["C1"] > 0 and shown["V2"] > 0


def test_starts_ceased_and_stability_equal_plain_sql(configured) -> None:  # type: ignore[no-untyped-def]
    data = page("looked_after")
    first, day = data.first_day, data.as_of
    cards = {k.key: k for k in data.cards}
    starts = published(sql("select 1, count(*), sum(rkey) from cla_periods where start_date >= $f and start_date <= $d",
                           f=first, d=day))[1]
    ceased = published(sql("select 1, count(*), sum(rkey) from cla_periods where end_date >= $f and end_date <= $d",
                           f=first, d=day))[1]
    assert cards["cla_starts"].value == starts == data.visuals["cla_time"].totals["starts"]
    assert cards["cla_ceased"].value == ceased == data.visuals["cla_time"].totals["ceased"]
    year_ago = day.replace(year=day.year - 1)
    three = published(sql(
        "select 1, count(*), sum(p.child_rkey) from cla_periods p where p.start_date <= $d and (p.end_date is null "
        "or p.end_date > $d) and (select count(*) from cla_episodes e where e.cla_period_id = p.cla_period_id and "
        "e.is_new_placement and e.start_date > $y and e.start_date <= $d) + (p.start_date <= $y)::int >= 3",
        d=day, y=year_ago))[1]
    assert cards["cla_3_placements"].numerator == three == values(data.visuals["placements_year"])["3+"]
    assert isinstance(cards["cla_3_placements"].value, float) and 4 <= cards["cla_3_placements"].value <= 16
    assert 55 <= cards["cla_long_term"].value <= 85  # type: ignore[operator]
    assert "2½ years" in cards["cla_long_term"].definition and cards["cla_long_term"].england == 69.0


def test_health_checks_need_special_category_aggregates(configured) -> None:  # type: ignore[no-untyped-def]
    leader = page("looked_after")
    assert leader.visuals["health_checks"].available
    assert {"cla_health_assessment", "cla_teeth_check", "cla_development"} <= {k.key for k in leader.cards}
    worker = page("looked_after", CASEWORKER)  # caseworkers have no special-category aggregates
    assert not worker.visuals["health_checks"].available and "health" in (worker.visuals["health_checks"].message or "")
    assert not {"cla_health_assessment", "cla_teeth_check"} & {k.key for k in worker.cards}
    with pytest.raises(data_access.AccessDenied):
        page("looked_after", CASEWORKER, selection="health_checks:time:2024-11-01_2024-11-30")
    oc2 = sql("select count(*), sum(rkey), count(*) filter (where health_assessment), "
              "sum(rkey) filter (where health_assessment) from cla_oc2 where year = 2025 "
              "and health_assessment is not null")[0]
    threshold = configured.suppression_threshold
    due = protection.shown(Count(oc2[0], oc2[1]), threshold=threshold)
    done = protection.shown(Count(oc2[2], oc2[3]), threshold=threshold)
    card = {k.key: k for k in leader.cards}["cla_health_assessment"]
    assert (card.numerator, card.denominator) == (done, due)


def test_pages_outside_a_managers_services_say_so(configured) -> None:  # type: ignore[no-untyped-def]
    for name in ("looked_after", "care_leavers"):
        data = page(name, SEND_MANAGER)
        assert not data.cards and not any(v.available for v in data.visuals.values())
        assert all(v.available for v in page(name, CSC_MANAGER).visuals.values() if v.key != "health_checks")


def test_cross_filter_by_legal_status_narrows_the_other_charts(configured) -> None:  # type: ignore[no-untyped-def]
    data = page("looked_after", selection="legal_status:legal_status:V2")
    day = data.as_of
    children = published(sql("select 1, count(*), sum(child_rkey) from (select distinct child_id, child_rkey from "
                             "cla_episodes where start_date <= $d and (end_date is null or end_date > $d) and "
                             "legal_status = 'V2')", d=day))[1]
    assert data.visuals["placement_type"].totals["children"] == children
    assert data.visuals["legal_status"].selected == "V2"
    with pytest.raises(data_access.InvalidFilter):
        page("looked_after", selection="legal_status:legal_status:ZZ")


def test_care_leaver_cards_equal_plain_sql(configured) -> None:  # type: ignore[no-untyped-def]
    data = page("care_leavers")
    cards = {k.key: k for k in data.cards}
    rows = sql("select count(*), sum(rkey), count(*) filter (where in_touch = 'YES'), "
               "coalesce(sum(rkey) filter (where in_touch = 'YES'), 0), count(*) filter (where in_eet), "
               "coalesce(sum(rkey) filter (where in_eet), 0) from cla_oc3 where year = 2025 and age between 19 and 21")[0]
    threshold = configured.suppression_threshold
    total, touch, eet = (protection.shown(Count(rows[i], rows[i + 1]), threshold=threshold) for i in (0, 2, 4))
    assert cards["cl_19_21"].value == total == values(data.visuals["contact"], "total")["19-21"]
    assert (cards["cl_in_touch_19_21"].numerator, cards["cl_in_touch_19_21"].denominator) == (touch, total)
    assert cards["cl_eet_19_21"].numerator == eet == values(data.visuals["eet"], "eet")["19-21"]
    assert cards["cl_in_touch_19_21"].england == 91.0 and "31 March 2025" in cards["cl_eet_19_21"].definition
    earlier = page("care_leavers", period="custom", start="2023-04-01", end="2024-03-31")
    assert "31 March 2024" in {k.key: k for k in earlier.cards}["cl_19_21"].definition


@pytest.mark.parametrize("visual,code", [("legal_status", "C2"), ("placement_type", "foster")])
def test_drill_through_members_are_the_children_counted(configured, visual: str, code: str) -> None:  # type: ignore[no-untyped-def]
    data = page("looked_after")
    parsed, services = views.authorised_filters(LEADER, {})  # type: ignore[arg-type]
    ch = schema.children.c
    with data_access.current().analytics.connect() as conn:
        ctx = views.page_context(conn, parsed, services, True, data.as_of)
        members = drill.members(ctx, "looked_after", visual=visual, code=code).subquery()
        n, keysum = conn.execute(sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(ch.rkey), 0)).select_from(
            members.join(schema.children, ch.child_id == members.c.child_id))).one()
    assert values(data.visuals[visual])[code] == protection.shown(Count(n, int(keysum)),
                                                                  threshold=configured.suppression_threshold)


def test_export_of_a_chart_is_its_published_frame(configured) -> None:  # type: ignore[no-untyped-def]
    file = data_access.export_visual(user=LEADER, page="looked_after", visual="legal_status", filters={}, fmt="csv")
    text = file.content.decode() if isinstance(file.content, bytes) else str(file.content)
    shown = values(page("looked_after").visuals["legal_status"])
    assert f"Full care order,{shown['C2']}" in text
    assert file.filename == f"looked-after-legal-status-{dt.date(2025, 10, 31).isoformat()}.csv"
    assert text.rstrip().endswith(f",Total,{page('looked_after').visuals['legal_status'].totals['children']}")
