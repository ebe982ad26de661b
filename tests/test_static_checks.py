"""The static checks run with the suite: mypy (configured in pyproject.toml's [tool.mypy]: every package but
tests/) and ruff. Both are declared test dependencies, so a missing one fails here rather than skipping."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("command", [("mypy",), ("ruff", "check", ".")], ids=["mypy", "ruff"])
def test_static_check_passes(command: tuple[str, ...]) -> None:
    result = _run(*command)
    output = f"$ python -m {' '.join(command)}\n{result.stdout}{result.stderr}"
    assert f"No module named {command[0]}" not in result.stderr, \
        f"{command[0]} is not installed (pip install -e '.[test]')\n{output}"
    assert result.returncode == 0, output


def test_every_type_ignore_names_its_code_and_why() -> None:
    """``# type: ignore[code]  # reason``: mypy enforces the code (ignore-without-code), this the reason."""
    checked = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]["files"]
    paths = [p for name in checked for p in ([ROOT / name] if name.endswith(".py") else (ROOT / name).rglob("*.py"))]
    bare = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
            for path in paths for number, line in enumerate(path.read_text().splitlines(), start=1)
            if "# type: ignore" in line and not re.search(r"# type: ignore\[[\w,-]+\]  # \S", line)]
    assert bare == []
