"""Cells written to CSV or spreadsheet files: text a spreadsheet shows as text, never runs as a formula.

Shared by the dashboards' exports (``data_access.export``) and the loaders' findings and quarantine
reports (``refresh.ingest``): text from a council's files (a name, an LA child ID, a message quoting
a value) that starts ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading apostrophe
(OWASP CSV injection; ASVS 1.2.10). ``plain_cell`` undoes it when such a file is read back.
"""

from __future__ import annotations

from collections.abc import Iterable

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """A cell value that a spreadsheet will show as text, never run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_row(values: Iterable[object]) -> list[object]:
    """Every cell of a row through ``safe_cell``."""
    return [safe_cell(v) for v in values]


def plain_cell(value: str) -> str:
    """The text ``safe_cell`` was given, from what it wrote."""
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_START) else value
