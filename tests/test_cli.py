"""The command line (cli.py, run as ``python app.py``): create-user, and serving without a command."""

from __future__ import annotations

import re

import dash
import pytest

import cli as cli_module
import data_access
from appstore import audit, users
from auth import hash_password, verify_password


@pytest.fixture
def cli_env(tmp_path, demo_store, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CSI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CSI_ANALYTICS_URL", f"duckdb:///{demo_store}")
    monkeypatch.delenv("CSI_DEMO", raising=False)
    stores = data_access.open_stores(data_access.Settings.from_env())
    with data_access.bound(stores):  # the test's own reads of the app store the command wrote
        yield tmp_path
    stores.close()


def test_create_user_prints_a_one_time_link_and_never_takes_a_password(cli_env, capsys) -> None:  # type: ignore[no-untyped-def]
    assert cli_module.main(["create-user", "jsmith", "--role", "caseworker", "--team", "CSC-SGA",
                            "--worker", "W00002", "--base-url", "https://csi.example"]) == 0
    found = users.find_login(data_access.current().app, "jsmith")
    assert found is not None
    user, password_hash = found
    assert user.role == "caseworker" and user.team_ids == ("CSC-SGA",) and user.worker_id == "W00002"
    assert password_hash is None  # nobody has chosen a password yet
    link = re.search(r"https://csi\.example/set-password\?token=([A-Za-z0-9_-]+)", capsys.readouterr().out)
    assert link, "no set-password link printed"
    assert data_access.setpassword.use_link(link.group(1), hash_password("a long enough passphrase")) == "jsmith"
    found = users.find_login(data_access.current().app, "jsmith")
    assert found is not None and verify_password(found[1], "a long enough passphrase")
    changes = [e["detail"]["change"] for e in audit.query_events(data_access.current().app, action="user_admin")]
    assert changes[:3] == ["link_used", "link_issued", "create"]


def test_create_user_with_sso_issues_no_link(cli_env, capsys) -> None:  # type: ignore[no-untyped-def]
    assert cli_module.main(["create-user", "pat", "--role", "leadership", "--sso"]) == 0
    assert "set-password" not in capsys.readouterr().out
    assert users.find_login(data_access.current().app, "pat") is not None


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
