"""The command line: create-user, and serving without a command."""

from __future__ import annotations

import pytest

import app as app_module
import data_access
from appstore import audit, users
from auth import verify_password


@pytest.fixture
def cli_env(tmp_path, demo_store, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CSI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CSI_ANALYTICS_URL", f"duckdb:///{demo_store}")
    monkeypatch.delenv("CSI_DEMO", raising=False)
    stores = data_access.open_stores(data_access.Settings.from_env())
    with data_access.bound(stores):  # the test's own reads of the app store the command wrote
        yield tmp_path
    stores.close()


def test_create_user_hashes_the_password_and_audits(cli_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(app_module.getpass, "getpass", lambda prompt="": "a long enough passphrase")
    assert app_module.main(["create-user", "jsmith", "--role", "caseworker", "--team", "CSC-SGA",
                            "--worker", "W00002"]) == 0
    found = users.find_login(data_access.current().app, "jsmith")
    assert found is not None
    user, password_hash = found
    assert user.role == "caseworker" and user.team_ids == ("CSC-SGA",) and user.worker_id == "W00002"
    assert password_hash and password_hash.startswith("$argon2id$")
    assert verify_password(password_hash, "a long enough passphrase")
    events = audit.query_events(data_access.current().app, action="user_admin")
    assert events and "jsmith" in events[0]["reason"]


def test_create_user_refuses_a_short_password(cli_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(app_module.getpass, "getpass", lambda prompt="": "short")
    with pytest.raises(ValueError, match="12 to 128"):
        app_module.main(["create-user", "jsmith", "--role", "caseworker"])


def test_serve_without_a_command_takes_a_port(cli_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    served: dict = {}
    monkeypatch.setattr(app_module.dash.Dash, "run", lambda self, **kw: served.update(kw))
    assert app_module.main(["--port", "8123"]) == 0
    assert served["port"] == 8123 and served["host"] == "127.0.0.1" and served["debug"] is False
