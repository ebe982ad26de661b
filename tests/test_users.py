"""Users in the app store: creation rules, lookups, and session revocation on every change that matters."""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from appstore import tables, users
from appstore.users import AppUser, UnknownUser, UserExists

PG_SKIP = "CSI_TEST_PG_URL not set (the ./test script starts PostgreSQL)"
HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"
OTHER_HASH = "$argon2id$v=19$m=65536,t=3,p=4$b3RoZXJzYWx0$b3RoZXJoYXNoaGFzaA"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def app_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, unmigrated app store: a SQLite file, or a new schema in the scratch PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'app.sqlite'}"
        return
    pg_url = os.environ.get("CSI_TEST_PG_URL")  # read late: the suite's conftest sets it at start-up
    if not pg_url:
        pytest.skip(PG_SKIP)
    base = sa.engine.make_url(pg_url).set(drivername="postgresql+psycopg")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture
def app_store(app_store_url: str) -> Iterator[sa.Engine]:
    tables.migrate(app_store_url)
    engine = tables.app_engine(app_store_url)
    yield engine
    engine.dispose()


@pytest.fixture
def caseworker(app_store: sa.Engine) -> AppUser:
    return users.create_user(app_store, username="cw.smith", role="caseworker", password_hash=HASH,
                             display_name="Sam Smith", team_ids=["T02", "T01"], services=["CSC"],
                             worker_id="W0001")


def test_created_user_is_found_by_id_and_login(app_store: sa.Engine, caseworker: AppUser) -> None:
    assert caseworker == AppUser(user_id=caseworker.user_id, username="cw.smith", display_name="Sam Smith",
                                 role="caseworker", team_ids=("T01", "T02"), services=("CSC",),
                                 worker_id="W0001", active=True, session_version=0)
    assert users.find_user(app_store, caseworker.user_id) == caseworker
    assert users.find_login(app_store, "cw.smith") == (caseworker, HASH)


def test_app_user_carries_no_password_hash() -> None:
    assert not any("password" in f.name for f in dataclasses.fields(AppUser))


def test_unknown_users_are_none(app_store: sa.Engine) -> None:
    assert users.find_user(app_store, 999) is None
    assert users.find_login(app_store, "nobody") is None
    assert users.find_login(app_store, "NOT A VALID NAME") is None


def test_sso_user_has_no_hash_and_defaults_display_name(app_store: sa.Engine) -> None:
    user = users.create_user(app_store, username="ig-officer", role="ig_officer")
    assert user.display_name == "ig-officer" and user.team_ids == () and user.services == ()
    assert users.find_login(app_store, "ig-officer") == (user, None)


def test_list_users_orders_by_username(app_store: sa.Engine) -> None:
    for name in ("zoe", "adam", "mia"):
        users.create_user(app_store, username=name, role="analyst")
    assert [u.username for u in users.list_users(app_store)] == ["adam", "mia", "zoe"]


@pytest.mark.parametrize("username", ["ab", "Alice", "a b", "x" * 65, "al!ce", "", "ünï"])
def test_create_refuses_bad_usernames(app_store: sa.Engine, username: str) -> None:
    with pytest.raises(ValueError, match="username"):
        users.create_user(app_store, username=username, role="analyst")


@pytest.mark.parametrize(("overrides", "message"), [
    ({"role": "superuser"}, "role must be one of"),
    ({"services": ["XYZ"]}, "services must be codes"),
    ({"team_ids": ["bad team!"]}, "team ids"),
    ({"password_hash": "hunter2"}, "argon2"),
    ({"display_name": "   "}, "display_name"),
])
def test_create_refuses_bad_values(app_store: sa.Engine, overrides: dict[str, object], message: str) -> None:
    values: dict[str, object] = {"username": "valid", "role": "analyst", **overrides}
    with pytest.raises(ValueError, match=message):
        users.create_user(app_store, **values)  # type: ignore[arg-type]
    assert users.list_users(app_store) == []


def test_duplicate_username_is_a_clear_error(app_store: sa.Engine, caseworker: AppUser) -> None:
    with pytest.raises(UserExists, match="cw.smith"):
        users.create_user(app_store, username="cw.smith", role="analyst")
    assert len(users.list_users(app_store)) == 1


def test_deactivating_bumps_session_version(app_store: sa.Engine, caseworker: AppUser) -> None:
    off = users.set_active(app_store, username="cw.smith", active=False)
    assert not off.active and off.session_version == 1
    assert users.set_active(app_store, username="cw.smith", active=False).session_version == 1  # no change
    on = users.set_active(app_store, username="cw.smith", active=True)
    assert on.active and on.session_version == 2
    assert users.find_user(app_store, caseworker.user_id) == on


def test_role_change_bumps_session_version_and_replaces_scope(app_store: sa.Engine,
                                                             caseworker: AppUser) -> None:
    kept = users.set_role(app_store, username="cw.smith", role="team_manager")
    assert kept.role == "team_manager" and kept.team_ids == ("T01", "T02") and kept.session_version == 1
    moved = users.set_role(app_store, username="cw.smith", role="team_manager", team_ids=["T09"],
                           services=["CSC", "EH"])
    assert moved.team_ids == ("T09",) and moved.services == ("CSC", "EH") and moved.session_version == 2
    same = users.set_role(app_store, username="cw.smith", role="team_manager", team_ids=["T09"])
    assert same.session_version == 2


def test_role_change_refuses_unknown_role_and_user(app_store: sa.Engine, caseworker: AppUser) -> None:
    with pytest.raises(ValueError, match="role"):
        users.set_role(app_store, username="cw.smith", role="root")
    with pytest.raises(UnknownUser):
        users.set_role(app_store, username="nobody", role="analyst")
    with pytest.raises(UnknownUser):
        users.set_active(app_store, username="nobody", active=False)


def test_password_change_revokes_sessions_unless_a_rehash(app_store: sa.Engine, caseworker: AppUser) -> None:
    changed = users.set_password_hash(app_store, username="cw.smith", password_hash=OTHER_HASH)
    assert changed.session_version == 1
    assert users.find_login(app_store, "cw.smith") == (changed, OTHER_HASH)
    rehashed = users.set_password_hash(app_store, username="cw.smith", password_hash=HASH,
                                       revoke_sessions=False)
    assert rehashed.session_version == 1
    with pytest.raises(ValueError, match="argon2"):
        users.set_password_hash(app_store, username="cw.smith", password_hash="plain text")


def test_revoke_sessions_bumps_session_version(app_store: sa.Engine, caseworker: AppUser) -> None:
    assert users.revoke_sessions(app_store, username="cw.smith").session_version == 1
    with pytest.raises(UnknownUser):
        users.revoke_sessions(app_store, username="nobody")


def test_role_is_constrained_in_the_database_too(app_store: sa.Engine) -> None:
    with pytest.raises(sa.exc.IntegrityError), app_store.begin() as conn:
        conn.execute(tables.users.insert().values(
            username="sneaky", display_name="x", role="god", active=True, session_version=0,
            created_at=tables.iso_utc(), updated_at=tables.iso_utc()))
