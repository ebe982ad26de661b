"""Does Records stay interactive with a caseload of 5,000 children? Page fetches against the bare engine.

    .venv/bin/python bench/records.py                                          # scale-1 store, caseload 5,000
    .venv/bin/python bench/records.py --url duckdb:////tmp/csi-bench/scale20.duckdb --caseload 5000
    .venv/bin/python bench/records.py --pg start        # also on a throwaway PostgreSQL (or --pg URL)

About 3 minutes for DuckDB on a shared 15-core machine; --pg adds about 6 (--warm 6 halves that).

The demo store (built under /tmp/csi-bench unless --url names one) is copied, and in the copy one
caseworker (the demo caseworker's worker, W00002) is given open allocations until their caseload is
``--caseload`` children: each allocation is on an involvement whose lawful basis covers direct work
(consent given and not withdrawn on the as_of day), of a child within retention, exactly the
conditions data_access/records/scope.py applies. The total the caseworker sees through
``data_access.records.child_records`` is printed and must reach the caseload.

Operations, as that caseworker with purpose ``direct_work``: the first page (50 and 100 rows) by
every sortable column, both ways; a deep page and the last page; slicer filters; the grid's
``getRows`` callback called directly (its body plus JSON as Dash serialises it); and the same
request POSTed to ``/_dash-update-component`` through Flask's test client (sign-in guard, session,
CSRF and body checks, dispatch, JSON). Every call is audited in the app store (SQLite here), as in
production: the audit column is that write's share. The engine column is the analytics SQL of the
same call, captured from SQLAlchemy with its parameters and replayed on a raw connection in the
same run (sample by sample), the floor any Python layer adds to.

Cold: the first call after the analytics pool is dropped (DuckDB reopens the file, its buffers
empty; the OS file cache may be warm; PostgreSQL keeps its shared buffers). Warm: every later call.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from plotly.io.json import to_json_plotly

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import _attack  # noqa: E402  (tests/: callback bodies as dash-renderer sends them)
from _caseload import caseload_store, copy_to_postgres, source_store  # noqa: E402  (bench/, beside this file)
from _common import Capture, Raw, pct  # noqa: E402

import data_access  # noqa: E402
from appstore import users  # noqa: E402
from data_access import records  # noqa: E402
from data_access.records.listing import SORTABLE  # noqa: E402
from model.settings import Settings  # noqa: E402

USERNAME, PASSWORD = "bench-caseworker", "bench-records-caseload-password"
PURPOSE = "direct_work"
UPDATE = "/_dash-update-component"


# --- measuring -----------------------------------------------------------------------------------

class AuditTimer:
    """Wraps records._audit to time the app-store write each call makes (it is part of the app time)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._original = records._audit

        def timed(event: Any) -> None:
            start = time.perf_counter()
            try:
                self._original(event)
            finally:
                self.seconds += time.perf_counter() - start
        records._audit = timed


@dataclass
class Op:
    name: str
    call: Callable[[], bytes]  # runs the operation; returns the response bytes (JSON)
    samples: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in (
        "cold", "cold_engine", "warm", "engine", "audit", "sql_build")})
    rows: int = 0
    total: int = 0  # children in scope matching the filters (the grid's rowCount)
    size: int = 0
    queries: int = 0


def measure(ops: list[Op], raw: Raw, capture: Capture, audit: AuditTimer, repeat: int, warm: int) -> None:
    for op in ops:
        for _run in range(repeat):
            data_access.current().analytics.dispose()  # DuckDB reopens the file: cold
            capture.attach(data_access.current().analytics)
            raw.reopen()
            for i in range(warm + 1):
                capture.clear()
                audit.seconds = 0.0
                start = time.perf_counter()
                body = op.call()
                app_s = time.perf_counter() - start
                engine_s = raw.replay(capture.statements)
                op.samples["cold" if i == 0 else "warm"].append(app_s)
                op.samples["cold_engine" if i == 0 else "engine"].append(engine_s)
                if i:
                    op.samples["audit"].append(audit.seconds)
                    op.samples["sql_build"].append(capture.build_seconds)
                op.size, op.queries = len(body), len(capture.statements)
        print(f"  {op.name:<34} warm p50 {statistics.median(op.samples['warm']) * 1000:6.1f} ms", flush=True)
    raw.close()


# --- the operations --------------------------------------------------------------------------------

def data_access_op(name: str, user: Any, **kwargs: Any) -> Op:
    op = Op(name, lambda: b"")

    def call() -> bytes:
        page = records.child_records(user=user, purpose=PURPOSE, **kwargs)
        op.rows, op.total = len(page.rows), page.total
        return to_json_plotly(page.rows.to_dict("records")).encode()
    op.call = call
    return op


def grid_request(start: int, size: int, column: str, descending: bool) -> dict[str, Any]:
    """What the AG Grid infinite row model sends for a block (colId as dashboards/records.py names it)."""
    return {"startRow": start, "endRow": start + size, "filterModel": {},
            "sortModel": [{"colId": column, "sort": "desc" if descending else "asc"}]}


def callback_op(name: str, web: dict[str, Any], request: dict) -> Op:
    """The grid's getRows callback body in a request context (user and purpose set, every State
    None, as on /records without a drill-through), then its outputs as Dash serialises them."""
    import dash
    import flask

    no_update = type(dash.no_update)
    outputs = _attack.split_output(web["grid_output"])
    op = Op(name, lambda: b"")

    def call() -> bytes:
        with web["app"].server.test_request_context(UPDATE, method="POST"):
            flask.g._login_user = web["login_user"]
            flask.session["csi_purpose"] = PURPOSE
            values = web["fetch_rows"](request, *[None] * len(web["grid_spec"].get("state", [])))
            response: dict[str, dict[str, Any]] = {}
            for out, value in zip(outputs, values, strict=True):
                if not isinstance(value, no_update):  # Dash leaves these out of the response
                    response.setdefault(out["id"], {})[out["property"]] = value
            body = to_json_plotly({"multi": True, "response": response}).encode()
        grid = values[0]
        op.rows, op.total = len(grid["rowData"]), grid["rowCount"]
        return body
    op.call = call
    return op


def http_op(name: str, web: dict[str, Any], request: dict) -> Op:
    """The same request as dash-renderer POSTs it, through the whole Flask app (test client, no socket)."""
    spec = {"output": web["grid_output"], **web["grid_spec"]}
    body = _attack.forged_body(spec, [request], [None] * len(spec.get("state", [])))
    headers = {"X-CSRFToken": web["csrf"], "Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}
    op = Op(name, lambda: b"")

    def call() -> bytes:
        response = web["client"].post(UPDATE, json=body, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"{name}: HTTP {response.status_code} {response.get_data(as_text=True)[:200]}")
        grid = response.get_json()["response"]["records-grid"]["getRowsResponse"]
        op.rows, op.total = len(grid["rowData"]), grid["rowCount"]
        return response.get_data()
    op.call = call
    return op


def operations(user: Any, total: int, locality: str, web: dict[str, Any], quick: bool) -> list[Op]:
    ops = []
    for size in (50,) if quick else (50, 100):
        for key in SORTABLE:
            for desc in (False, True):
                ops.append(data_access_op(f"page 0/{size} {key} {'desc' if desc else 'asc'}", user,
                                          page=0, page_size=size, sort=key, descending=desc))
    last = (total - 1) // 50
    ops += [data_access_op("page 80/50 surname asc", user, page=80, page_size=50),
            data_access_op("page 40/100 birth_date desc", user, page=40, page_size=100, sort="birth_date",
                           descending=True),
            data_access_op(f"last page {last}/50 surname asc", user, page=last, page_size=50),
            data_access_op(f"last page {last}/50 locality desc", user, page=last, page_size=50, sort="locality",
                           descending=True),
            data_access_op("filter sex F, page 0/50", user, filters={"sex": "F"}),
            data_access_op(f"filter {locality}, page 0/50", user, filters={"locality": locality}),
            data_access_op("filter age 10-15, page 0/50 dob", user, filters={"age_band": "10-15"},
                           sort="birth_date"),
            data_access_op("filter F+10-15+loc, page 2/50", user, page=2,
                           filters={"sex": "F", "age_band": "10-15", "locality": locality})]
    grid = [("rows 0-50 name asc", grid_request(0, 50, "name", False)),
            ("rows 0-50 birth_date desc", grid_request(0, 50, "birth_date", True)),
            ("rows 4000-4050 name asc", grid_request(4000, 50, "name", False)),
            (f"rows {last * 50}-{last * 50 + 50} name asc", grid_request(last * 50, 50, "name", False))]
    for label, request in grid:
        ops.append(callback_op(f"callback {label}", web, request))
    for label, request in grid:
        ops.append(http_op(f"http {label}", web, request))
    return ops


# --- the web app, signed in as the caseworker --------------------------------------------------------

def web_app(settings: Settings, worker: str) -> dict[str, Any]:
    """The full Dash app, a bench caseworker account linked to ``worker``, signed in via /login."""
    import dash

    import app as app_module
    from auth import LoginUser, hash_password

    application = app_module.create_app(settings)
    engine = data_access.current().app
    with data_access.current().analytics.connect() as conn:
        team = conn.execute(sa.text("select w.team_id, t.service from workers w join teams t using (team_id) "
                                    "where w.worker_id = :w"), {"w": worker}).one()
    if users.find_login(engine, USERNAME) is None:
        users.create_user(engine, username=USERNAME, role="caseworker", password_hash=hash_password(PASSWORD),
                          display_name="Bench Caseworker", team_ids=(team[0],), services=(team[1],),
                          worker_id=worker)
    user = users.find_login(engine, USERNAME)[0]  # type: ignore[index]  # created just above
    client = application.server.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]  # the login form has one
    client.post("/login", data={"username": USERNAME, "password": PASSWORD, "csrf_token": token})
    with client.session_transaction() as session:
        session["csi_purpose"] = PURPOSE
    csrf = client.get_cookie("_csrf_token").value
    module = next(p["module"] for p in dash.page_registry.values() if p["path"] == "/records")
    # The grid's callback as registered (its outputs and State change as the page grows).
    output = next(k for k in application.callback_map if "records-grid.getRowsResponse" in k)
    spec = {k: application.callback_map[output][k] for k in ("inputs", "state")}
    return {"app": application, "client": client, "csrf": csrf, "user": user, "grid_output": output,
            "grid_spec": spec, "login_user": LoginUser(user, "bench-direct-call"),
            "fetch_rows": sys.modules[module].fetch_rows}


# --- report ------------------------------------------------------------------------------------------

COLUMNS = (("operation", 36), ("total", 6), ("rows", 5), ("bytes", 8), ("sql", 4), ("cold", 7), ("engine", 7),
           ("warm p50", 9), ("p95", 7), ("engine p50", 11), ("p95", 7), ("sql build", 10), ("audit", 6),
           ("app/engine p95", 15))


def line(values: list[object]) -> str:
    """One table row: numbers right-aligned (times with one decimal), the operation left-aligned."""
    cells = []
    for (_, width), value in zip(COLUMNS, values, strict=True):
        if isinstance(value, float):
            cells.append(f"{value:>{width}.{2 if width == 15 else 1}f}")
        else:
            cells.append(f"{value:<{width}}" if width == 36 else f"{value:>{width}}")
    return "".join(cells)


def summary(samples: dict[str, list[float]]) -> list[float]:
    """cold p50, cold engine p50, warm p50 / p95, engine p50 / p95, SQL build and audit p50 (ms), app / engine."""
    ms = 1000
    warm, engine = samples["warm"], samples["engine"]
    return [pct(samples["cold"], .5) * ms, pct(samples["cold_engine"], .5) * ms, pct(warm, .5) * ms,
            pct(warm, .95) * ms, pct(engine, .5) * ms, pct(engine, .95) * ms, pct(samples["sql_build"], .5) * ms,
            pct(samples["audit"], .5) * ms,
            pct(warm, .95) / max(pct(engine, .95), 1e-9)]


def report(title: str, ops: list[Op]) -> None:
    print(f"\n{title}; times in ms")
    print(line([name for name, _ in COLUMNS]))
    for op in ops:
        print(line([op.name, op.total, op.rows, op.size, op.queries, *summary(op.samples)]))
    groups = {"all data_access": [o for o in ops if not o.name.startswith(("callback", "http"))],
              "all callback": [o for o in ops if o.name.startswith("callback")],
              "all http": [o for o in ops if o.name.startswith("http")]}
    for name, members in groups.items():
        pooled = {k: [x for o in members for x in o.samples[k]] for k in members[0].samples}
        print(line([name, "", "", "", "", *summary(pooled)]))


def breakdown(ops: list[Op], names: tuple[str, ...], url: str, repeat: int = 9) -> None:
    """Engine time per statement of a few operations (median of ``repeat`` raw replays, warm)."""
    capture, raw = Capture(), Raw(url)
    capture.attach(data_access.current().analytics)
    raw.reopen()
    print("\nengine time per statement (warm median, ms)")
    for op in (o for o in ops if o.name in names):
        capture.clear()
        op.call()
        for statement, parameters in capture.statements:
            times = [raw.replay([(statement, parameters)]) for _ in range(repeat)]
            text = re.sub(r"\s+", " ", statement)
            label = text[:60] if "JOIN" not in text else f"{text[:30]} ... {text[text.rfind('JOIN'):][:40]}"
            print(f"  {op.name:<30}{statistics.median(times) * 1000:>7.1f}  {label}")
    raw.close()


def run(label: str, settings: Settings, web: dict[str, Any], args: argparse.Namespace, audit: AuditTimer) -> None:
    stores = data_access.open_stores(settings)
    data_access.bind(stores)  # this script's own calls, and the callback called in a request context
    web["app"].server.extensions["csi_stores"] = stores  # the app's HTTP requests follow too
    user = web["user"]
    total = records.child_records(user=user, purpose=PURPOSE, page_size=1).total
    print(f"\n[{label}] {settings.analytics_url}\n  {USERNAME} ({args.worker}) sees {total:,} children "
          f"for {PURPOSE} (wanted >= {args.caseload:,})", flush=True)
    if total < args.caseload:
        raise SystemExit("the caseload is smaller than asked for: not measuring")
    with data_access.current().analytics.connect() as conn:
        locality = conn.execute(sa.text("select locality from children where locality is not null "
                                        "group by 1 order by count(*) desc limit 1")).scalar_one()
    ops = operations(user, total, locality, web, args.quick)
    measure(ops, Raw(settings.analytics_url), Capture(), audit, args.repeat, args.warm)
    report(f"{label}: caseload {total:,}; {args.repeat} cold start(s) x {args.warm} warm calls per operation", ops)
    breakdown(ops, ("page 0/50 surname asc", "page 80/50 surname asc", "filter sex F, page 0/50"),
              settings.analytics_url)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="an existing DuckDB analytics store to copy, e.g. duckdb:////tmp/a.duckdb")
    parser.add_argument("--scale", type=float, default=1.0, help="demo store scale if no --url")
    parser.add_argument("--caseload", type=int, default=5000, help="children on the caseworker's caseload")
    parser.add_argument("--worker", default="W00002", help="the caseworker's worker id (W00002: demo-caseworker)")
    parser.add_argument("--repeat", type=int, default=2, help="cold starts per operation")
    parser.add_argument("--warm", type=int, default=12, help="warm calls after each cold start")
    parser.add_argument("--quick", action="store_true", help="first pages of 50 only")
    parser.add_argument("--pg", help="also on PostgreSQL: a SQLAlchemy URL, or 'start' for a throwaway server")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="csi-bench-records-"))
    settings = Settings.from_env({}, data_dir=tmp, app_db_url=f"sqlite:///{tmp / 'app.sqlite'}",
                                 analytics_url=source_store(args.url, args.scale))
    url = caseload_store(settings.analytics_url, args.worker, args.caseload, settings.caseworker_grace_days)
    settings = Settings.from_env({}, data_dir=tmp, app_db_url=settings.app_db_url, analytics_url=url)
    web = web_app(settings, args.worker)
    audit = AuditTimer()
    started = time.perf_counter()
    run("duckdb", settings, web, args, audit)
    if args.pg:
        server = None
        pg_url = args.pg
        if pg_url == "start":
            import _pg

            server = _pg.start_server()
            pg_url = server.url()
        try:
            copy_to_postgres(url, pg_url)
            run("postgresql", Settings.from_env({}, data_dir=tmp, app_db_url=settings.app_db_url,
                                                analytics_url=pg_url), web, args, audit)
        finally:
            data_access.current().analytics.dispose()
            if server is not None:
                server.stop()
    print(f"\nmeasured in {time.perf_counter() - started:.0f} s; app store (audit) {settings.app_db_url}")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
