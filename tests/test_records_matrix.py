"""Role x purpose x record: who may see which child's row, on DuckDB and on a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

import data_access
from appstore import audit, users
from data_access import records
from data_access.policy import AccessDenied, Purpose
from model.settings import Settings
from refresh import database

try:
    import _tiny_store as tiny  # type: ignore[import-not-found]
except ImportError:
    from . import _tiny_store as tiny  # type: ignore[no-redef]


@dataclass(frozen=True)
class U:
    username: str
    role: str
    user_id: int
    worker_id: str | None = None
    team_ids: tuple[str, ...] = ()
    services: tuple[str, ...] = ("CSC",)
    display_name: str | None = None


CW1 = U("cw1", "caseworker", 1, "W1", ("T1",))
CW2 = U("cw2", "caseworker", 2, "W2", ("T1",))
TM1 = U("tm1", "team_manager", 3, None, ("T1",))
ANALYST = U("ana", "analyst", 4)
IG = U("igo", "ig_officer", 5)
LEADER = U("lead", "leadership", 6)
MANAGER = U("mgr", "service_manager", 7)
ADMIN = U("adm", "admin", 8)
ALL_USERS = (CW1, CW2, TM1, ANALYST, IG, LEADER, MANAGER, ADMIN)

# The expected scope of each role for its own purpose (see _tiny_store.CHILDREN for why).
VISIBLE = {
    ("cw1", Purpose.DIRECT_WORK): {1, 3, 5, 9},
    ("cw2", Purpose.DIRECT_WORK): {4},
    ("tm1", Purpose.SUPERVISION): {1, 3, 4, 9},
}
ANALYST_ROWS = {1, 4, 5, 6, 8, 10}  # statutory bases only, within retention, no relationship needed


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def tiny_store(request, tmp_path_factory) -> Iterator[Settings]:  # type: ignore[no-untyped-def]
    """The tiny store on one engine with a fresh app store, shared by the module's tests."""
    tmp_path = tmp_path_factory.mktemp(request.param)
    if request.param == "duckdb":
        url = f"duckdb:///{tmp_path / 'tiny.duckdb'}"
    else:
        url = request.getfixturevalue("pg_url")
    database.build_store(url, lambda: iter(tiny.frames().items()))
    settings = Settings.from_env({}, data_dir=tmp_path, analytics_url=url,
                                 app_db_url=f"sqlite:///{tmp_path / 'app.sqlite'}")
    with data_access.bound(data_access.open_stores(settings)) as stores:
        for u in ALL_USERS:
            users.create_user(stores.app, username=u.username, role=u.role, worker_id=u.worker_id,
                              team_ids=u.team_ids)
        yield settings
    stores.close()


def visible(user: U, purpose: Purpose) -> set[int]:
    page = records.child_records(user=user, purpose=purpose.value, page_size=200)
    return set(page.rows["child_id"])


@pytest.mark.parametrize(("user", "purpose"), [(CW1, Purpose.DIRECT_WORK), (CW2, Purpose.DIRECT_WORK),
                                               (TM1, Purpose.SUPERVISION)])
def test_identifiable_lists_follow_relationship_basis_and_retention(tiny_store, user: U, purpose: Purpose) -> None:  # type: ignore[no-untyped-def]
    assert visible(user, purpose) == VISIBLE[(user.username, purpose)]


@pytest.mark.parametrize("user", ALL_USERS, ids=lambda u: u.role + "-" + u.username)
@pytest.mark.parametrize("purpose", list(Purpose))
def test_every_role_purpose_cell(tiny_store, user: U, purpose: Purpose) -> None:  # type: ignore[no-untyped-def]
    expected = VISIBLE.get((user.username, purpose))
    if user is ANALYST and purpose in (Purpose.STATUTORY_RETURN, Purpose.SERVICE_PLANNING):
        page = records.child_records(user=user, purpose=purpose.value, page_size=200)
        assert "child_id" not in page.rows and page.total == len(ANALYST_ROWS)
        return
    if expected is not None:
        assert visible(user, purpose) == expected
        return
    with pytest.raises(AccessDenied):
        records.child_records(user=user, purpose=purpose.value)
    refused = audit.query_events(data_access.current().app, action="access_refused", username=user.username)
    assert refused and refused[0]["purpose"] == purpose.value


@pytest.mark.parametrize("child", sorted(tiny.CHILDREN))
@pytest.mark.parametrize("user", [CW1, CW2, TM1], ids=lambda u: u.username)
def test_single_records_match_the_list_scope(tiny_store, user: U, child: int) -> None:  # type: ignore[no-untyped-def]
    purpose = user.role == "caseworker" and Purpose.DIRECT_WORK or Purpose.SUPERVISION
    if child in VISIBLE[(user.username, purpose)]:
        record = records.child_record(user=user, purpose=purpose.value, child_id=child)
        assert record.details["la_child_id"] == f"LA{child:04d}"
        events = audit.query_events(data_access.current().app, action="record_read", username=user.username)
        assert list(events[0]["child_ids"]) == [child] and events[0]["purpose"] == purpose.value
        assert "la_child_id" in events[0]["fields"] and events[0]["lawful_basis"]
    else:
        with pytest.raises(AccessDenied):
            records.child_record(user=user, purpose=purpose.value, child_id=child)
        events = audit.query_events(data_access.current().app, action="access_refused", username=user.username)
        assert list(events[0]["child_ids"]) == [child]


def test_special_category_fields_need_an_art9_condition(tiny_store) -> None:  # type: ignore[no-untyped-def]
    rows = records.child_records(user=CW1, purpose="direct_work", page_size=200).rows.set_index("child_id")
    assert rows.loc[1, "ethnicity"] == "WBRI"  # Art 9 condition recorded
    assert rows.loc[3, "ethnicity"] == "withheld" and rows.loc[3, "religion"] == "withheld"  # none recorded
    assert records.child_record(user=CW1, purpose="direct_work", child_id=3).details["disabilities"] == "withheld"


def test_subject_access_request_reaches_one_named_child_even_past_retention(tiny_store) -> None:  # type: ignore[no-untyped-def]
    for child in (7, 2, 8):
        assert records.child_record(user=IG, purpose="subject_access_request", child_id=child).child_id == child
    with pytest.raises(AccessDenied):
        records.child_records(user=IG, purpose="subject_access_request")


def test_analyst_rows_carry_no_direct_identifiers(tiny_store) -> None:  # type: ignore[no-untyped-def]
    page = records.child_records(user=ANALYST, purpose="statutory_return", page_size=200)
    assert list(page.rows.columns) == ["pseudo_id", "birth_year", "sex", "locality", "lawful_basis"]
    flat = page.rows.astype(str).to_numpy().ravel().tolist()
    assert not any(v.startswith(("LA0", "Testy", "ZZ-Child", "A3320")) or v == "ZZ1 4AB" for v in flat)
    # Six children: too few to show any birth year, sex or locality (k = 5), so all are withheld.
    assert set(page.rows.drop(columns="pseudo_id").to_numpy().ravel()) == {"withheld"}
    with pytest.raises(AccessDenied):
        records.child_record(user=ANALYST, purpose="statutory_return", child_id=1)


@pytest.mark.parametrize("bad", [None, "1", 1.0, True, [1], {"child_id": 1}])
def test_malformed_child_ids_are_refused(tiny_store, bad: object) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises((AccessDenied, ValueError)):
        records.child_record(user=CW1, purpose="direct_work", child_id=bad)


@pytest.mark.parametrize("kwargs", [{"page": -1}, {"page_size": 10_000}, {"sort": "ethnicity; drop table x"},
                                    {"descending": "yes"}, {"filters": {"sex": "Q"}}])
def test_malformed_paging_and_filters_are_refused(tiny_store, kwargs: dict) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        records.child_records(user=CW1, purpose="direct_work", **kwargs)
    assert audit.query_events(data_access.current().app, action="access_refused", username="cw1")


def _no_grants() -> None:
    from appstore import tables

    with data_access.current().app.begin() as conn:
        conn.execute(tables.break_glass_grants.delete())


def test_break_glass_opens_one_child_for_a_limited_time(tiny_store) -> None:  # type: ignore[no-untyped-def]
    _no_grants()
    with pytest.raises(AccessDenied):
        records.child_record(user=CW1, purpose="vital_interests", child_id=8)
    with pytest.raises(AccessDenied):
        records.open_break_glass(user=CW1, child_id=8, reason="missing_child", justification="too short")
    records.open_break_glass(user=CW1, child_id=8, reason="missing_child",
                             justification="Police report the child missing tonight; need contacts urgently.")
    assert records.child_record(user=CW1, purpose="vital_interests", child_id=8).child_id == 8
    with pytest.raises(AccessDenied):  # the grant covers that child only
        records.child_record(user=CW1, purpose="vital_interests", child_id=4)
    review = records.break_glass_review_list(user=IG)
    assert [(r["username"], r["child_id"]) for r in review] == [("cw1", 8)]
    with pytest.raises(AccessDenied):
        records.break_glass_review_list(user=CW1)
    assert audit.query_events(data_access.current().app, action="break_glass")
    with pytest.raises(AccessDenied):
        records.open_break_glass(user=ANALYST, child_id=1, reason="missing_child",
                                 justification="Police report the child missing tonight; need contacts urgently.")


def test_break_glass_expires(tiny_store) -> None:  # type: ignore[no-untyped-def]
    _no_grants()
    from appstore import tables

    records.open_break_glass(user=CW1, child_id=8, reason="out_of_hours",
                             justification="Urgent safeguarding concern out of hours.")
    with data_access.current().app.begin() as conn:
        conn.execute(tables.break_glass_grants.update().values(expires_at="2000-01-01T00:00:00.000000Z"))
    assert records.live_break_glass_children(CW1) == ()
    with pytest.raises(AccessDenied):
        records.child_record(user=CW1, purpose="vital_interests", child_id=8)
