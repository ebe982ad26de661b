"""One room for each way the code runs, and dependencies that run one way between them.

    dashboards -> data_access (the facade only) -> {appstore, model}
    refresh -> model          appstore -> model          auth -> nothing of ours

``app.py`` and ``cli.py`` wire the rooms together and may import any of them. The checker is tested
on a fixture tree with a wrong-way import, so a broken checker cannot pass silently.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ROOMS = ("model", "appstore", "refresh", "data_access", "dashboards", "auth")
# room -> the other rooms it may import
ALLOWED: dict[str, set[str]] = {
    "model": set(),
    "appstore": {"model"},
    "refresh": {"model"},
    "data_access": {"appstore", "model"},
    "dashboards": {"data_access", "auth"},  # auth: who is signed in (it knows no data)
    "auth": set(),
}
# third-party packages a room must not import
FORBIDDEN_LIBRARIES: dict[str, set[str]] = {
    "model": {"duckdb", "psycopg", "flask", "flask_login", "dash", "dash_bootstrap_components"},
    "appstore": {"flask", "flask_login", "dash", "dash_bootstrap_components", "duckdb"},
    "refresh": {"flask", "flask_login", "dash", "dash_bootstrap_components"},
    "data_access": {"dash", "flask", "flask_login", "dash_bootstrap_components"},
    "auth": {"sqlalchemy", "duckdb", "pandas", "dash"},
    "dashboards": {"sqlalchemy", "duckdb", "psycopg", "sqlite3"},
}


def _imports(path: Path) -> list[tuple[str, tuple[str, ...]]]:
    """(module, names) for every absolute import in ``path`` (names: what ``from m import`` takes)."""
    found: list[tuple[str, tuple[str, ...]]] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, ()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, tuple(a.name for a in node.names)))
    return found


def violations(root: Path, facade_names: set[str] | None = None) -> list[str]:
    """Every import in ``root``'s rooms that breaks the rules above, as "path: reason"."""
    out: list[str] = []
    for room in ROOMS:
        for path in sorted((root / room).rglob("*.py")):
            rel = path.relative_to(root)
            package = ".".join(rel.with_suffix("").parts[:-1])
            for module, names in _imports(path):
                top = module.split(".")[0]
                if top in ROOMS and top != room and top not in ALLOWED[room]:
                    out.append(f"{rel}: {room} imports {module}")
                if top in FORBIDDEN_LIBRARIES[room]:
                    out.append(f"{rel}: {room} imports the library {top}")
                parts = module.split(".")
                private = [i for i, p in enumerate(parts) if p.startswith("_") and not p.startswith("__")]
                if private and not package.startswith(".".join(parts[:private[0]])):
                    out.append(f"{rel}: imports {module}, private to another package")
                if room == "dashboards" and top == "data_access":
                    if module != "data_access":
                        out.append(f"{rel}: imports {module}; dashboards use the data_access facade only")
                    elif facade_names is not None and set(names) - facade_names:
                        out.append(f"{rel}: imports {sorted(set(names) - facade_names)}, not in the facade")
                if room == "refresh" and module.startswith("refresh.demo") and not package.startswith("refresh.demo") \
                        and package != "refresh":
                    out.append(f"{rel}: the loaders import the demo generator ({module})")
    return out


def test_imports_run_one_way() -> None:
    import data_access

    assert violations(ROOT, set(data_access.__all__)) == []


def test_a_wrong_way_import_is_found(tmp_path: Path) -> None:
    for room in ROOMS:
        (tmp_path / room).mkdir()
    (tmp_path / "refresh" / "load.py").write_text("from data_access import records\n")
    (tmp_path / "model" / "codes.py").write_text("import appstore.tables\n")
    (tmp_path / "dashboards" / "page.py").write_text("from data_access.views import overview_page\n"
                                                     "from data_access import secret_helper\n")
    (tmp_path / "data_access" / "x.py").write_text("from dash import html\nfrom refresh.demo import build\n")
    (tmp_path / "appstore" / "y.py").write_text("from data_access.aggregates._context import Context\n")
    (tmp_path / "auth" / "z.py").write_text("import model.schema\n")
    found = violations(tmp_path, {"overview_page"})
    assert found == [
        "model/codes.py: model imports appstore.tables",
        "appstore/y.py: appstore imports data_access.aggregates._context",
        "appstore/y.py: imports data_access.aggregates._context, private to another package",
        "refresh/load.py: refresh imports data_access",
        "data_access/x.py: data_access imports the library dash",
        "data_access/x.py: data_access imports refresh.demo",
        "dashboards/page.py: imports data_access.views; dashboards use the data_access facade only",
        "dashboards/page.py: imports ['secret_helper'], not in the facade",
        "auth/z.py: auth imports model.schema",
    ]


def test_the_facade_only_re_exports() -> None:
    tree = ast.parse((ROOT / "data_access" / "__init__.py").read_text())
    kinds = {type(node).__name__ for node in tree.body}
    assert kinds <= {"Expr", "ImportFrom", "Import", "Assign"}, kinds  # docstring, imports, __all__
    assigned = [t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets
                if isinstance(t, ast.Name)]
    assert assigned == ["__all__"]


def test_dashboards_execute_no_sql() -> None:
    for path in (ROOT / "dashboards").rglob("*.py"):
        assert ".execute(" not in path.read_text(), path


def test_no_html_injection_switches() -> None:
    for package in ("dashboards", "auth"):
        for path in (ROOT / package).rglob("*.py"):
            assert "dangerously_allow_html=True" not in path.read_text(), path


@pytest.mark.parametrize("room", ROOMS)
def test_every_room_is_a_package_the_project_installs(room: str) -> None:
    import tomllib

    assert (ROOT / room / "__init__.py").exists()
    include = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    assert f"{room}*" in include["include"]
