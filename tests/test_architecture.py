"""Dependencies run one way: dashboards -> data_access -> database; auth knows no data."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


@pytest.mark.parametrize(("package", "forbidden"), [
    ("data_access", {"dash", "flask", "flask_login", "auth", "dashboards", "dash_bootstrap_components", "app"}),
    ("auth", {"data_access", "dashboards", "sqlalchemy", "duckdb", "pandas", "app", "dash"}),
    ("dashboards", {"sqlalchemy", "duckdb", "psycopg", "sqlite3", "app"}),
])
def test_imports_run_one_way(package: str, forbidden: set[str]) -> None:
    offenders = {path: sorted(names & forbidden) for path, names in imported_modules(package).items()
                 if names & forbidden}
    assert offenders == {}


def test_dashboards_execute_no_sql() -> None:
    for path in (ROOT / "dashboards").rglob("*.py"):
        assert ".execute(" not in path.read_text(), path


def test_no_html_injection_switches() -> None:
    for package in ("dashboards", "auth"):
        for path in (ROOT / package).rglob("*.py"):
            assert "dangerously_allow_html=True" not in path.read_text(), path
