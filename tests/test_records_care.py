"""The care history on a child's record (SSDA903): episodes, placements, legal status, reviews, missing
incidents and health outcomes for a user whose scope reaches the child, with the special category items
(category of need, health, convictions) withheld unless an Art 9 condition is recorded for the access."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import data_access
from appstore import audit, users
from data_access import records
from data_access.policy import AccessDenied
from model import schema
from model.settings import Settings
from refresh import database

try:
    import _tiny_store as tiny  # type: ignore[import-not-found]
    from test_records_matrix import ANALYST, CW1, CW2  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover
    from . import _tiny_store as tiny  # type: ignore[no-redef]
    from .test_records_matrix import ANALYST, CW1, CW2  # type: ignore[no-redef]

D = dt.date
LOOKED_AFTER = (1, 3)  # child 1: Art 9 condition recorded; child 3: none (tiny store)


def _care_frames() -> dict[str, pd.DataFrame]:
    out = tiny.frames()
    periods, episodes, reviews, missing, oc2 = [], [], [], [], []
    for n, child in enumerate(LOOKED_AFTER, start=1):
        periods.append({"cla_period_id": n, "child_id": child, "start_date": D(2024, 5, 1), "end_date": None,
                        "reason_ceased": None, "first_legal_status": "V2", "episodes": 2, "placements": 2,
                        "short_breaks_only": False})
        for k, (start, end, rne, ls, place, rec) in enumerate(((D(2024, 5, 1), D(2024, 9, 1), "S", "V2", "U3", "X1"),
                                                               (D(2024, 9, 1), None, "U", "C1", "K2", None))):
            episodes.append({"cla_episode_id": 2 * n + k, "child_id": child, "cla_period_id": n, "start_date": start,
                             "rne": rne, "legal_status": ls, "category_of_need": "N2", "placement_type": place,
                             "placement_provider": "PR4", "end_date": end, "reason_ceased": rec,
                             "reason_place_change": "CREQB" if k else None, "placement_distance": 25.0 if k else 3.0,
                             "is_new_placement": True, "placement_start_date": start, "over_20_miles": bool(k),
                             "placement_group": "residential" if k else "foster"})
        reviews.append({"child_id": child, "review_date": D(2024, 5, 28), "participation": "PN1"})
        missing.append({"cla_missing_id": n, "child_id": child, "missing_type": "M", "start_date": D(2025, 2, 3),
                        "end_date": D(2025, 2, 4)})
        oc2.append({"child_id": child, "year": 2025, "health_assessment": True, "teeth_check": False,
                    "immunisations": True, "health_check": None, "convicted": False})
    for name, rows in (("cla_periods", periods), ("cla_episodes", episodes), ("cla_reviews", reviews),
                       ("cla_missing", missing), ("cla_oc2", oc2)):
        table = schema.metadata.tables[name]
        frame = pd.DataFrame(rows)
        out[name] = frame.reindex(columns=[c.name for c in table.columns])
    return out


@pytest.fixture(scope="module")
def care_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    tmp_path: Path = tmp_path_factory.mktemp("care")
    url = f"duckdb:///{tmp_path / 'care.duckdb'}"
    database.build_store(url, lambda: iter(_care_frames().items()))
    settings = Settings.from_env({}, data_dir=tmp_path, analytics_url=url,
                                 app_db_url=f"sqlite:///{tmp_path / 'app.sqlite'}")
    with data_access.bound(data_access.open_stores(settings)) as stores:
        for u in (CW1, CW2, ANALYST):
            users.create_user(stores.app, username=u.username, role=u.role, worker_id=u.worker_id,
                              team_ids=u.team_ids)
        yield settings
    stores.close()


def test_care_history_lists_episodes_reviews_missing_and_health(care_store) -> None:  # type: ignore[no-untyped-def]
    care = records.child_record(user=CW1, purpose="direct_work", child_id=1).care
    assert [p["end_date"] for p in care.periods] == [None] and care.periods[0]["placements"] == 2
    assert [(e["legal_status"], e["placement"]) for e in care.episodes] == [
        ("Single period of accommodation under s20", "Foster with relative(s) or friend(s): other"),
        ("Interim care order", "Children's home (Children's Homes Regulations)")]
    assert care.episodes[0]["reason_new"] == "Started to be looked after"
    assert care.episodes[1]["reason_place_change"] == "Carer requests because of the child's behaviour"
    assert [e["over_20_miles"] for e in care.episodes] == ["no", "yes"]
    assert care.episodes[0]["category_of_need"] == "Child's disability"  # Art 9 condition recorded
    assert care.reviews == [{"review_date": D(2024, 5, 28), "participation": "Attends and speaks for themselves"}]
    assert care.missing[0]["type"] == "Missing" and care.missing[0]["end_date"] == D(2025, 2, 4)
    assert care.health == [{"year": "2024-25", "health_assessment": "yes", "teeth_check": "no",
                            "immunisations": "yes", "health_check": "not applicable", "convicted": "no"}]


def test_special_category_items_are_withheld_without_an_art9_condition(care_store) -> None:  # type: ignore[no-untyped-def]
    record = records.child_record(user=CW1, purpose="direct_work", child_id=3)
    care = record.care
    assert record.details["ethnicity"] == "withheld"
    assert {e["category_of_need"] for e in care.episodes} == {"withheld"}
    assert {v for h in care.health for k, v in h.items() if k != "year"} == {"withheld"}
    assert care.episodes[1]["legal_status"] == "Interim care order"  # not special category: shown


def test_care_history_is_refused_outside_scope_and_the_read_is_audited(care_store) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(AccessDenied):
        records.child_record(user=CW2, purpose="direct_work", child_id=1)  # a colleague's child
    with pytest.raises(AccessDenied):
        records.child_record(user=ANALYST, purpose="statutory_return", child_id=1)
    records.child_record(user=CW1, purpose="direct_work", child_id=1)
    read = audit.query_events(data_access.current().app, action="record_read", username=CW1.username)[0]
    assert read["child_ids"] == (1,) and "care_history" in read["fields"]


def test_a_child_never_looked_after_has_no_care_history(care_store) -> None:  # type: ignore[no-untyped-def]
    care = records.child_record(user=CW1, purpose="direct_work", child_id=5).care
    assert not (care.periods or care.episodes or care.reviews or care.missing or care.health)
