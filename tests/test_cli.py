"""The command line (cli.py, run as ``python app.py``): create-user, and serving without a command."""

from __future__ import annotations

import dash
import pytest

import cli as cli_module
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
    monkeypatch.setattr(cli_module.getpass, "getpass", lambda prompt="": "a long enough passphrase")
    assert cli_module.main(["create-user", "jsmith", "--role", "caseworker", "--team", "CSC-SGA",
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
    monkeypatch.setattr(cli_module.getpass, "getpass", lambda prompt="": "short")
    with pytest.raises(ValueError, match="12 to 128"):
        cli_module.main(["create-user", "jsmith", "--role", "caseworker"])


def test_serve_without_a_command_takes_a_port(cli_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    served: dict = {}
    monkeypatch.setattr(dash.Dash, "run", lambda self, **kw: served.update(kw))
    assert cli_module.main(["--dev", "--port", "8123"]) == 0
    assert served["port"] == 8123 and served["host"] == "127.0.0.1" and served["debug"] is False


def test_serve_uses_gunicorn_with_the_given_workers(cli_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    ran: list[list[str]] = []
    monkeypatch.setattr(cli_module, "_exec", ran.append)  # instead of becoming gunicorn
    monkeypatch.setattr(dash.Dash, "run", lambda self, **kw: pytest.fail("the development server ran"))
    assert cli_module.main(["serve", "--host", "0.0.0.0", "--port", "8123", "--workers", "4"]) == 0
    [command] = ran
    assert command[1:3] == ["-m", "gunicorn"] and command[-1] == "app:wsgi()"
    assert command[command.index("--bind") + 1] == "0.0.0.0:8123"
    assert command[command.index("--workers") + 1] == "4"
    assert command[command.index("--config") + 1] == str(cli_module.GUNICORN_CONF)
    assert (cli_env / "app.sqlite").exists()  # the stores were prepared before gunicorn started


def test_serve_defaults_to_gunicorn_with_workers_from_the_cpus(cli_env, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    assert cli_module.main(["--dry-run"]) == 0
    printed = capsys.readouterr().out
    assert "-m gunicorn" in printed and "--bind 127.0.0.1:8050" in printed
    assert f"--workers {cli_module.default_workers()} " in printed
    assert cli_module.main(["serve", "--dev", "--dry-run"]) == 0
    assert "development server" in capsys.readouterr().out


def test_default_workers_one_per_cpu_from_two_to_eight() -> None:
    import runpy

    default_workers = runpy.run_path(str(cli_module.GUNICORN_CONF))["default_workers"]
    assert [default_workers(n) for n in (1, 2, 3, 8, 64)] == [2, 2, 3, 8, 8]
