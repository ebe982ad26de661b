"""Measuring pieces the bench scripts share: statement capture, raw replay, percentiles."""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else float("nan")


class Capture:
    """Records every statement the analytics engine runs (text and parameters), to replay them raw,
    and the time from SQLAlchemy's ``before_execute`` to the cursor call: building the SQL string
    (compiling, unless the dialect caches it) and binding parameters."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, Any]] = []
        self.build_seconds = 0.0
        self._started = 0.0
        self.engine: sa.Engine | None = None

    def attach(self, engine: sa.Engine) -> None:
        if self.engine is not engine:
            sa.event.listen(engine, "before_execute", self._start)
            sa.event.listen(engine, "before_cursor_execute", self._record)
            self.engine = engine

    def clear(self) -> None:
        self.statements.clear()
        self.build_seconds = 0.0

    def _start(self, *_args: Any) -> None:
        self._started = time.perf_counter()

    def _record(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if self._started:
            self.build_seconds += time.perf_counter() - self._started
            self._started = 0.0
        self.statements.append((statement, parameters))


class Raw:
    """A raw DB-API connection on the analytics store (DuckDB read-only, or psycopg)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.conn: Any = None

    def reopen(self) -> None:
        self.close()
        if self.url.startswith("duckdb"):
            import duckdb

            self.conn = duckdb.connect(self.url.removeprefix("duckdb:///"), read_only=True)
        else:
            import _pg

            self.conn = _pg.connect(self.url)

    def replay(self, statements: list[tuple[str, Any]]) -> float:
        start = time.perf_counter()
        if self.url.startswith("duckdb"):
            for statement, parameters in statements:
                self.conn.execute(statement, parameters).fetchall()
        else:
            with self.conn.cursor() as cursor:
                for statement, parameters in statements:
                    cursor.execute(statement, parameters)
                    cursor.fetchall()
        return time.perf_counter() - start

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
