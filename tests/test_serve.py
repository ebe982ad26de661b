"""Serving in production: gunicorn by default, several workers starting together on an empty data dir.

The servers are real processes on free ports. Waits poll the server's log for gunicorn's lines (and
the "Worker ready" line gunicorn.conf.py's post_worker_init hook logs once a worker has built the
app) under a generous deadline that only turns a hang into a failure; nothing here is timed.
"""

from __future__ import annotations

import fcntl
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa

import app as app_module
from data_access.accounts import DEMO_ACCOUNTS

ROOT = Path(__file__).resolve().parent.parent
DEADLINE = 120.0  # seconds before a server that never comes up fails the test
needs_gunicorn = pytest.mark.skipif(importlib.util.find_spec("gunicorn") is None,
                                    reason="gunicorn is not installed (pip install -e . installs it)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def app_env(data_dir: Path, demo_store: Path, **extra: str) -> dict[str, str]:
    """The environment of a child process: this checkout's code, demo mode, ``data_dir``, the prebuilt
    demo store, and no other CSI_* setting of the calling shell."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSI_") and k != "PORT"}
    return {**env, "PYTHONPATH": str(ROOT), "CSI_DEMO": "1", "CSI_DATA_DIR": str(data_dir),
            "CSI_ANALYTICS_URL": f"duckdb:///{demo_store}", **extra}


def wait_ready(proc: subprocess.Popen[bytes], log: Path, workers: int = 2) -> None:
    """Poll ``log`` until ``workers`` workers have logged "Worker ready" (gunicorn.conf.py's hook); fails
    when the server exits first or the deadline passes."""
    give_up = time.monotonic() + DEADLINE
    while log.read_text().count("Worker ready") < workers:
        assert proc.poll() is None, f"the server exited ({proc.returncode}):\n{log.read_text()}"
        assert time.monotonic() < give_up, f"the server did not come up:\n{log.read_text()}"
        time.sleep(0.1)


def get_status(url: str) -> int:
    with urllib.request.urlopen(url, timeout=30) as response:
        return int(response.status)


def stop(proc: subprocess.Popen[bytes], group: bool = False) -> int:
    """SIGTERM (to the whole process group when ``group``): gunicorn's graceful shutdown."""
    if proc.poll() is None and group:
        os.killpg(proc.pid, signal.SIGTERM)
    elif proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=60)


def demo_users(data_dir: Path) -> list[str]:
    engine = sa.create_engine(f"sqlite:///{data_dir / 'app.sqlite'}")
    try:
        with engine.connect() as conn:
            return sorted(conn.execute(sa.text("select username from users")).scalars())
    finally:
        engine.dispose()


@needs_gunicorn
def test_two_gunicorn_workers_boot_on_an_empty_data_dir_five_times(tmp_path: Path, demo_store: Path) -> None:
    """The issue's command, `gunicorn -w 2 'app:wsgi()'` in the checkout, on a new empty data dir each round:
    both workers boot (they race for the secrets, the migrations and the demo accounts) and serve."""
    for round_ in range(1, 6):
        data_dir = tmp_path / f"round-{round_}"
        data_dir.mkdir()
        log = tmp_path / f"gunicorn-{round_}.log"
        port = free_port()
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "app:wsgi()"],
                cwd=ROOT, env=app_env(data_dir, demo_store), stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_ready(proc, log)
            text = log.read_text()
            assert proc.poll() is None, text  # the master is still running
            assert text.count("Booting worker") == 2, text
            assert "Worker failed to boot" not in text and "Traceback" not in text, text
            assert get_status(f"http://127.0.0.1:{port}/login") == 200
        finally:
            code = stop(proc)
        text = log.read_text()
        assert code == 0 and "Shutting down: Master" in text, text
        assert "[ERROR]" not in text and "Traceback" not in text, text
        assert demo_users(data_dir) == sorted(DEMO_ACCOUNTS)  # each account once
        assert (data_dir / "secret_key").read_text().strip()


@needs_gunicorn
def test_serve_runs_gunicorn_not_the_development_server(tmp_path: Path, demo_store: Path) -> None:
    """`./serve` as a user runs it (setup checks, then the app), on a free PORT: gunicorn answers."""
    port = free_port()
    log = tmp_path / "serve.log"
    # CSI_VENV: the virtualenv running these tests (a worktree may have no .venv of its own).
    env = app_env(tmp_path / "data", demo_store, CSI_NO_INSTALL="1", CSI_VENV=sys.prefix, PORT=str(port))
    del env["CSI_DEMO"]  # ./serve turns demo mode on itself
    with log.open("wb") as out:
        proc = subprocess.Popen([str(ROOT / "serve"), "--workers", "2"], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_ready(proc, log)
        assert get_status(f"http://127.0.0.1:{port}/login") == 200
    finally:
        code = stop(proc, group=True)
    text = log.read_text()
    assert "development server" not in text.lower(), text
    assert "Starting gunicorn" in text and f"Listening at: http://127.0.0.1:{port}" in text, text
    assert text.count("Booting worker") == 2 and "Traceback" not in text, text
    assert code == 0, text


def test_serve_dev_flag_chooses_the_development_server(tmp_path: Path, demo_store: Path) -> None:
    """`./serve --dry-run` prints the gunicorn command; with `--dev`, Flask's development server."""
    env = app_env(tmp_path, demo_store, CSI_NO_INSTALL="1", CSI_VENV=sys.prefix, PORT="8123")

    def dry_run(*args: str) -> str:
        done = subprocess.run([str(ROOT / "serve"), "--dry-run", *args], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    production = dry_run("--workers", "3")
    assert "-m gunicorn" in production and "'app:wsgi()'" in production
    assert "--bind 127.0.0.1:8123 --workers 3" in production and "development" not in production
    development = dry_run("--dev", "--host", "0.0.0.0")
    assert "development server" in development and "0.0.0.0:8123" in development and "gunicorn" not in development


def test_processes_starting_together_share_one_set_of_secrets_and_accounts(tmp_path: Path,
                                                                           demo_store: Path) -> None:
    """Four processes released together on an empty data dir: each reads the environment's settings
    (creating the secret files) and prepares the stores as a worker does. None fails, all hold the
    same secrets, and the demo accounts exist once."""
    data_dir = tmp_path / "data"
    child = ("import fcntl, pathlib, sys\n"
             "import app\n"
             "from model.settings import Settings\n"
             "pathlib.Path(sys.argv[1]).touch()\n"
             "with open(sys.argv[2]) as gate:\n"
             "    fcntl.flock(gate, fcntl.LOCK_SH)  # waits for the parent to open the gate\n"
             "settings = Settings.from_env()\n"
             "app.prepare_stores(settings).close()\n"
             "print(settings.secret_key, settings.pseudonym_key.decode())\n")
    ready = [tmp_path / f"ready-{i}" for i in range(4)]
    with open(tmp_path / "gate", "w") as gate:
        fcntl.flock(gate, fcntl.LOCK_EX)
        procs = [subprocess.Popen([sys.executable, "-c", child, str(r), gate.name], cwd=ROOT,
                                  env=app_env(data_dir, demo_store), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for r in ready]
        give_up = time.monotonic() + DEADLINE
        while not all(r.exists() for r in ready):  # every child has imported the app
            assert all(p.poll() is None for p in procs) and time.monotonic() < give_up
            time.sleep(0.01)
    # closing the file released the gate: the children go at once
    results = [p.communicate(timeout=DEADLINE) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, [err for _out, err in results]
    assert len({out for out, _err in results}) == 1
    assert results[0][0].split()[0] == (data_dir / "secret_key").read_text().strip()
    assert demo_users(data_dir) == sorted(DEMO_ACCOUNTS)


def test_the_startup_lock_is_exclusive_and_released(tmp_path: Path) -> None:
    def try_lock() -> bool:
        with open(tmp_path / app_module.STARTUP_LOCK, "a") as other:  # another open file: as another process
            try:
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            fcntl.flock(other, fcntl.LOCK_UN)
            return True

    with app_module.startup_lock(tmp_path):
        assert not try_lock()
    assert try_lock()
    with pytest.raises(RuntimeError), app_module.startup_lock(tmp_path):
        raise RuntimeError("a failed start-up")
    assert try_lock()


def test_a_secret_file_another_process_is_still_writing_is_waited_for(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Losing the O_EXCL race: the file exists but stays empty until the winner's write lands (here:
    during the loser's first pause)."""
    from model import settings as settings_module

    path = tmp_path / "secret_key"
    path.touch()
    with monkeypatch.context() as patched:
        patched.setattr(settings_module.time, "sleep", lambda _seconds: path.write_text("the-winners-secret"))
        assert settings_module._kept_secret(tmp_path, "secret_key", None) == "the-winners-secret"


def test_a_secret_file_created_by_another_process_first_is_read(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The O_EXCL race lost outright: between our look and our create, another process wrote the file."""
    from model import settings as settings_module

    def another_process_won(path: str, flags: int, mode: int = 0o777) -> int:
        Path(path).write_text("the-winners-secret")
        raise FileExistsError(path)

    with monkeypatch.context() as patched:
        patched.setattr(settings_module.os, "open", another_process_won)
        assert settings_module._kept_secret(tmp_path, "secret_key", None) == "the-winners-secret"


def test_an_empty_secret_file_is_refused_after_waiting(tmp_path: Path) -> None:
    from model import settings as settings_module

    (tmp_path / "secret_key").touch()
    with pytest.raises(RuntimeError, match="delete it"):
        settings_module._kept_secret(tmp_path, "secret_key", None, patience=0.05)


def test_demo_accounts_another_process_created_count_as_done(configured, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """The race ensure_demo_accounts loses: an account missing when looked up exists when inserted."""
    import data_access
    from appstore import users

    assert sorted(data_access.ensure_demo_accounts(password_hash=lambda: "$argon2id$v=19$m=8,t=1,p=1$x$y")) \
        == sorted(DEMO_ACCOUNTS)
    monkeypatch.setattr(users, "find_login", lambda engine, username: None)  # "not there yet" every time
    assert data_access.ensure_demo_accounts(password_hash=lambda: "$argon2id$v=19$m=8,t=1,p=1$x$y") == []


def test_a_worker_lists_dashs_scripts_before_its_first_request(tmp_path: Path, demo_store: Path) -> None:
    """Each worker (``app:wsgi()``) has Dash set up before it serves anything: Dash marks itself set up
    on a first request before listing the scripts it serves, so a new browser's burst of parallel
    script requests to a fresh worker was refused ("not a registered library") and the page never
    drew. Run in a child process: setting Dash up takes the process's page callbacks."""
    probe = ("import gc, dash, app\n"
             "server = app.wsgi()\n"
             "(dash_app,) = [o for o in gc.get_objects() if isinstance(o, dash.Dash)]\n"
             "print(sorted(dash_app.registered_paths))\n")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=app_env(tmp_path / "data", demo_store),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    listed = done.stdout.strip().splitlines()[-1]
    # Not plotly: Plotly.js is the vendored basic bundle on a route of its own (tests/test_plotlyjs.py).
    for library in ("dash", "dash_bootstrap_components", "dash_ag_grid"):
        assert f"'{library}'" in listed, listed
