"""The suite's own machinery: the shared fixtures work, and ./serve, ./test and .ci/run are sound."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import flask
import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ["serve", "test", ".ci/run", "scripts/bootstrap.sh"]
COMMANDS = ["serve", "test", ".ci/run"]


def test_postgres_answers_select_version(pg_url: str) -> None:
    engine = sa.create_engine(pg_url)
    with engine.connect() as conn:
        version = conn.execute(sa.text("select version()")).scalar_one()
    engine.dispose()
    assert version.startswith("PostgreSQL ")


def test_postgres_round_trips_rows_in_a_fresh_database(fresh_pg_url: str) -> None:
    engine = sa.create_engine(fresh_pg_url)
    with engine.begin() as conn:
        conn.execute(sa.text("create table child (id serial primary key, name text not null)"))
        conn.execute(sa.text("insert into child (name) values (:name)"), [{"name": "A"}, {"name": "B"}])
    with engine.connect() as conn:
        names = conn.execute(sa.text("select name from child order by id")).scalars().all()
    engine.dispose()
    assert names == ["A", "B"]


def test_fresh_pg_url_is_an_empty_database_dropped_afterwards(pg_url: str) -> None:
    import _pg

    with _pg.fresh_database(pg_url) as url:
        name = sa.make_url(url).database
        engine = sa.create_engine(url)
        with engine.connect() as conn:  # left open on purpose: the drop must not wait for it
            tables = conn.execute(sa.text("select count(*) from pg_tables where schemaname = 'public'"))
            assert tables.scalar_one() == 0
            assert name != sa.make_url(pg_url).database
    engine.dispose()
    with _pg.connect(pg_url) as conn:
        assert conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone() is None


def test_pg_url_is_exported_for_modules_that_read_the_environment(pg_url: str) -> None:
    assert os.environ["CSI_TEST_PG_URL"] == pg_url
    assert pg_url.startswith("postgresql+psycopg://")


def _hello_app() -> flask.Flask:
    app = flask.Flask("hello")

    @app.get("/")
    def index() -> str:
        return "<!doctype html><title>Hello</title><main><h1 id='greeting'>Hello from Flask</h1></main>"

    return app


def test_chromium_reads_text_from_a_live_flask_app(page, live_server) -> None:  # type: ignore[no-untyped-def]
    base_url = live_server(_hello_app())
    page.goto(base_url + "/")
    assert page.title() == "Hello"
    assert page.locator("#greeting").inner_text() == "Hello from Flask"


def test_live_server_accepts_a_factory_and_serves_each_app_on_its_own_port(live_server) -> None:  # type: ignore[no-untyped-def]
    import urllib.request

    first, second = live_server(_hello_app), live_server(_hello_app())
    assert first != second
    for base_url in (first, second):
        with urllib.request.urlopen(base_url + "/", timeout=10) as response:
            assert b"Hello from Flask" in response.read()


@pytest.mark.parametrize("script", SCRIPTS)
def test_script_is_bash_n_clean(script: str) -> None:
    result = subprocess.run(["bash", "-n", str(ROOT / script)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("script", COMMANDS)
def test_command_is_executable(script: str) -> None:
    mode = (ROOT / script).stat().st_mode
    assert mode & stat.S_IXUSR, f"{script} is not executable (chmod +x {script})"
    assert (ROOT / script).read_text().startswith("#!/usr/bin/env bash\n")


def test_ci_runs_the_readme_test_command() -> None:
    lines = [line.strip() for line in (ROOT / ".ci/run").read_text().splitlines()]
    assert "set -euo pipefail" in lines
    assert lines[-1] in {"exec ./test", 'exec ./test "$@"'}


def _run_test_command(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CSI_NO_INSTALL": "1", "CSI_TEST_NO_PG": "1"}
    env.pop("CSI_TEST_PG_URL", None)
    return subprocess.run([str(ROOT / "test"), *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300, check=False)


@pytest.mark.skipif(not (ROOT / ".venv/bin/python").exists(), reason="needs .venv (./test creates it)")
def test_test_command_forwards_arguments_and_returns_pytests_exit_status() -> None:
    version = _run_test_command("--version")
    assert version.returncode == 0, version.stderr
    assert "pytest" in version.stdout + version.stderr
    no_tests = _run_test_command("-p", "no:cacheprovider", "tests/test_infra.py", "-k", "no_such_test")
    assert no_tests.returncode == pytest.ExitCode.NO_TESTS_COLLECTED, no_tests.stdout + no_tests.stderr


@pytest.fixture
def serve_sandbox(tmp_path: Path) -> Path:
    """A copy of ./serve beside a stand-in app.py that logs its arguments, sharing this .venv."""
    if not (ROOT / ".venv/bin/python").exists():
        pytest.skip("needs .venv (./test creates it)")
    (tmp_path / "scripts").mkdir()
    shutil.copy2(ROOT / "serve", tmp_path / "serve")
    shutil.copy2(ROOT / "scripts/bootstrap.sh", tmp_path / "scripts/bootstrap.sh")
    shutil.copy2(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    (tmp_path / "app.py").write_text(
        "import os, pathlib, sys\n"
        "with open('calls.log', 'a') as log:\n"
        "    print(os.environ.get('CSI_DEMO'), *sys.argv[1:], file=log)\n"
        "if sys.argv[1] == 'build-demo':\n"
        "    pathlib.Path(os.environ['CSI_DATA_DIR'], 'analytics.duckdb').write_text('demo')\n"
    )
    return tmp_path


def test_serve_builds_the_demo_store_once_then_serves_with_arguments_passed_on(serve_sandbox: Path) -> None:
    env = {**os.environ, "CSI_NO_INSTALL": "1", "CSI_DATA_DIR": str(serve_sandbox / "var"), "PORT": "8123"}
    env.pop("CSI_DEMO", None)
    env.pop("CSI_ANALYTICS_URL", None)
    (serve_sandbox / "var").mkdir()
    for _ in range(2):
        result = subprocess.run([str(serve_sandbox / "serve"), "--host", "0.0.0.0"], cwd="/", env=env,
                                capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 0, result.stderr
    calls = (serve_sandbox / "calls.log").read_text().splitlines()
    serve = "1 serve --port 8123 --host 0.0.0.0"
    assert calls == ["1 build-demo", serve, serve]


def test_serve_leaves_csi_demo_alone_when_it_is_set(serve_sandbox: Path) -> None:
    env = {**os.environ, "CSI_NO_INSTALL": "1", "CSI_DATA_DIR": str(serve_sandbox / "var"), "CSI_DEMO": "0"}
    env.pop("PORT", None)
    subprocess.run([str(serve_sandbox / "serve")], env=env, capture_output=True, timeout=120, check=True)
    assert (serve_sandbox / "calls.log").read_text().splitlines() == ["0 serve --port 8050"]


def test_serve_dry_run_builds_no_demo_store(serve_sandbox: Path) -> None:
    env = {**os.environ, "CSI_NO_INSTALL": "1", "CSI_DATA_DIR": str(serve_sandbox / "var")}
    for name in ("CSI_DEMO", "CSI_ANALYTICS_URL", "PORT"):
        env.pop(name, None)
    subprocess.run([str(serve_sandbox / "serve"), "--dry-run"], env=env, capture_output=True, timeout=120, check=True)
    assert (serve_sandbox / "calls.log").read_text().splitlines() == ["1 serve --port 8050 --dry-run"]
