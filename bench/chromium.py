"""How long does a person wait? Sign-in and slicer changes timed in Chromium against gunicorn.

    .venv/bin/python bench/chromium.py --scale 20                       # build a store, measure this checkout
    .venv/bin/python bench/chromium.py --data-dir /tmp/speed-bench/data \\
        --checkout before=/tmp/speed-base --checkout after=.            # two versions, same run, alternating

Each checkout is served in turn by ``app.py serve --workers 2`` (gunicorn) on the same demo store
(``--data-dir``; built with ``app.py build-demo --scale N`` if it holds none; each checkout gets its
own app store beside it) and driven by
Debian's Chromium (/usr/bin/chromium) through Playwright, as demo-leader. Checkouts alternate
round by round (a fresh server each time), so a noisy shared machine weighs on both alike: compare
the versions by the ratio of their medians in the same run, not by figures from different runs.

Measured (``bench/_browser.py`` says how "settled" is seen in the page):
- sign-in, new browser: from pressing "Sign in" in a fresh browser context (empty HTTP cache, no
  service worker) until the Overview has settled: the document, its scripts, and every callback
  answered and drawn. The sign-in page is first left until it is ready: its service worker has
  fetched the app's files (dashboards/_swcache.py), as it does while a person types; the report
  gives how long that took after the page loaded ("ready");
- sign-in, new browser, at once: the same, "Sign in" pressed as soon as the page has loaded (a
  script typing instantly), the worker's fetching still under way;
- sign-in, returning: the same after signing out, in the same context (scripts cached);
- a slicer change on each aggregate page (age band, to a value not yet seen by that server, so the
  server's page cache never answers), from the change until every callback has answered and the
  page has settled; with ``--charts-in-view``, also scrolled down to the page's charts (a chart
  out of view draws when it comes into view, ``assets/csi-charts.js``, so at the top of a page
  only the charts on screen draw; scrolled down, those there do).
Beside each median: the callbacks the action ran, their server-side time (request sent -> first
byte of the answer, summed; from Resource Timing) and the time until the last answer arrived; what
remains is the browser's own work. ``--trace DIR`` also writes a Chromium performance trace
(devtools timeline and JS sampling) of one slicer change per page, for ``bench/trace_summary.py``.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE)]

from _browser import PROBE, Timing, change_select, settled, sign_in  # noqa: E402

PASSWORD = "insight-demo-password"
CHROMIUM = "/usr/bin/chromium"
PAGES = {"Overview": ("/", "overview"), "Service users": ("/service-users", "users"),
         "Children in need": ("/children-in-need", "cin"), "Interventions": ("/interventions", "interventions"),
         "SEND": ("/send", "send"), "Trends": ("/trends", "trends")}
AGE_BANDS = ["0-4", "5-9", "10-15", "16-17", "18+", "unborn"]  # a new value on every change of a round
TRACE_CATEGORIES = ["devtools.timeline", "disabled-by-default-devtools.timeline", "v8.execute",
                    "disabled-by-default-v8.cpu_profiler", "blink.user_timing", "loading"]


class Server:
    """``app.py serve`` from ``checkout`` on ``port`` (gunicorn, ``workers`` processes), until ``stop``."""

    def __init__(self, checkout: Path, data_dir: Path, port: int, workers: int) -> None:
        env = {**os.environ, "CSI_DATA_DIR": str(data_dir), "CSI_DEMO": "1", "PYTHONPATH": str(checkout)}
        self.base = f"http://127.0.0.1:{port}"
        self.log = tempfile.NamedTemporaryFile(prefix="csi-bench-server-", suffix=".log", delete=False)
        self.process = subprocess.Popen(
            [sys.executable, "app.py", "serve", "--workers", str(workers), "--port", str(port)], cwd=checkout,
            env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server from {checkout} exited; see {self.log.name}")
            try:
                with urllib.request.urlopen(self.base + "/login", timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"the server from {checkout} did not answer in 180 s; see {self.log.name}")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)  # gunicorn's master: a graceful stop of its workers
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def _context(browser: Any) -> Any:
    context = browser.new_context(locale="en-GB", timezone_id="Europe/London", viewport={"width": 1400, "height": 900})
    context.add_init_script(PROBE)
    context.set_default_timeout(60_000)
    return context


def one_round(browser: Any, base: str, *, signins: int, changes: int, pages: list[str],
              trace: Path | None, charts_in_view: bool = False) -> dict[str, list[Timing]]:
    """Timings of one server's lifetime: ``signins`` fresh and returning sign-ins, ``changes`` per page."""
    out: dict[str, list[Timing]] = {"sign-in, new browser": [], "sign-in, new browser, at once": [],
                                    "sign-in, returning": []}
    for _ in range(signins):
        context = _context(browser)
        page = context.new_page()
        out["sign-in, new browser, at once"].append(sign_in(page, base, "demo-leader", PASSWORD))
        context.close()
        context = _context(browser)
        page = context.new_page()
        out["sign-in, new browser"].append(sign_in(page, base, "demo-leader", PASSWORD, ready=True))
        page.goto(base + "/logout")
        out["sign-in, returning"].append(sign_in(page, base, "demo-leader", PASSWORD))
        context.close()
    context = _context(browser)
    page = context.new_page()
    sign_in(page, base, "demo-leader", PASSWORD)
    for name in pages:
        path, prefix = PAGES[name]
        page.goto(base + path)
        settled(page, started_at=0)
        timings = out.setdefault(f"slicer change, {name}", [])
        for i in range(changes):
            if trace is not None and i == changes - 1:
                browser.start_tracing(page=page, path=str(trace / f"{prefix}.json"), categories=TRACE_CATEGORIES)
            timings.append(change_select(page, f"#{prefix}-age_band", AGE_BANDS[i % len(AGE_BANDS)]))
            if trace is not None and i == changes - 1:
                browser.stop_tracing()
        if charts_in_view:  # the same, scrolled down to the charts (the slicer changed from a script)
            page.evaluate("() => document.querySelector('.panels').scrollIntoView()")
            timings = out.setdefault(f"  scrolled to charts, {name}", [])
            for i in range(changes, 2 * changes):
                timings.append(change_select(page, f"#{prefix}-age_band", AGE_BANDS[i % len(AGE_BANDS)]))
    context.close()
    return out


def measure(checkouts: dict[str, Path], data_dir: Path, *, rounds: int, signins: int, changes: int, port: int,
            workers: int, pages: list[str], trace: Path | None,
            charts_in_view: bool = False) -> dict[str, dict[str, list[Timing]]]:
    from playwright.sync_api import sync_playwright

    results: dict[str, dict[str, list[Timing]]] = {label: {} for label in checkouts}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--no-first-run",
                                                   "--disable-background-networking", "--disable-dev-shm-usage"])
        for r in range(rounds):
            for label, checkout in checkouts.items():
                server = Server(checkout, _own_data_dir(data_dir, label), port, workers)
                try:
                    traced = trace / label if trace is not None and r == rounds - 1 else None
                    if traced is not None:
                        traced.mkdir(parents=True, exist_ok=True)
                    got = one_round(browser, server.base, signins=signins, changes=changes, pages=pages,
                                    trace=traced, charts_in_view=charts_in_view)
                finally:
                    server.stop()
                for key, timings in got.items():
                    results[label].setdefault(key, []).extend(timings)
                print(f"round {r + 1}/{rounds}: {label} measured", file=sys.stderr)
        browser.close()
    return results


def _own_data_dir(data_dir: Path, label: str) -> Path:
    """A data directory for one checkout (its own app store: versions may migrate it differently),
    sharing the analytics store (a hard link; opened read-only by the servers)."""
    own = data_dir / f"checkout-{label}"
    own.mkdir(exist_ok=True)
    if not (own / "analytics.duckdb").exists():
        os.link(data_dir / "analytics.duckdb", own / "analytics.duckdb")
    return own


def _median(timings: list[Timing], field: str) -> float:
    return statistics.median(getattr(t, field) for t in timings)


def report(results: dict[str, dict[str, list[Timing]]]) -> None:
    labels = list(results)
    first = labels[0]
    print(f"\nmedians in ms ({len(next(iter(results[first].values())))} runs each); server = callbacks' "
          "request-to-first-byte, summed; answered = action to last answer; calls = callback requests")
    head = f"{'measure':<30}" + "".join(f"{label + ' settle':>16}{'server':>8}{'answered':>10}{'calls':>6}{'KB':>6}"
                                        for label in labels)
    if len(labels) > 1:
        head += "".join(f"{label + '/' + first:>14}" for label in labels[1:])
    print(head)
    for key in results[first]:
        line = f"{key:<30}"
        for label in labels:
            t = results[label][key]
            line += f"{_median(t, 'settle_ms'):>16.0f}{_median(t, 'server_ms'):>8.0f}" \
                    f"{_median(t, 'answered_ms'):>10.0f}{_median(t, 'calls'):>6.0f}{_median(t, 'kilobytes'):>6.0f}"
        for label in labels[1:]:
            line += f"{_median(results[label][key], 'settle_ms') / _median(results[first][key], 'settle_ms'):>14.2f}"
        print(line)
    for label in labels:
        slicers = [k for k in results[label] if k.startswith(("slicer", "  scrolled"))]
        worst = max(_median(results[label][k], "settle_ms") for k in slicers) if slicers else float("nan")
        signin = _median(results[label]["sign-in, returning"], "settle_ms")
        fresh = results[label]["sign-in, new browser"]
        print(f"{label}: slowest slicer median {worst:.0f} ms (target <= 300); sign-in returning {signin:.0f} ms, "
              f"new browser {_median(fresh, 'settle_ms'):.0f} ms (target <= 1000; the sign-in page was ready "
              f"{_median(fresh, 'ready_ms'):.0f} ms after it was opened), new browser at once "
              f"{_median(results[label]['sign-in, new browser, at once'], 'settle_ms'):.0f} ms")


def _checkout(text: str) -> tuple[str, Path]:
    label, _, path = text.rpartition("=")
    return (label or Path(path).resolve().name), Path(path).resolve()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="a data directory holding the store (built if absent)")
    parser.add_argument("--scale", type=float, default=20.0, help="demo store scale when building one")
    parser.add_argument("--checkout", action="append", type=_checkout, default=[],
                        help="LABEL=PATH of a checkout to serve (repeat; default: this one)")
    parser.add_argument("--rounds", type=int, default=2, help="server lifetimes per checkout (alternating)")
    parser.add_argument("--signins", type=int, default=2, help="sign-ins of each kind per round")
    parser.add_argument("--changes", type=int, default=2, help="slicer changes per page per round")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pages", default=",".join(PAGES), help="comma-separated pages for slicer changes "
                        "(\"\": sign-in only)")
    parser.add_argument("--charts-in-view", action="store_true",
                        help="also time each page's changes scrolled down to its charts (drawn at once when in view)")
    parser.add_argument("--trace", type=Path, help="write a performance trace of one change per page here")
    args = parser.parse_args()
    checkouts = dict(args.checkout) or {"this": HERE.parent}
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="csi-chromium-"))
    if not (data_dir / "analytics.duckdb").exists():
        subprocess.run([sys.executable, "app.py", "build-demo", "--scale", f"{args.scale:g}"], cwd=HERE.parent,
                       env={**os.environ, "CSI_DATA_DIR": str(data_dir), "CSI_DEMO": "1"}, check=True)
    pages = [p for p in args.pages.split(",") if p]
    results = measure(checkouts, data_dir, rounds=args.rounds, signins=args.signins, changes=args.changes,
                      port=args.port, workers=args.workers, pages=pages, trace=args.trace,
                      charts_in_view=args.charts_in_view)
    print(f"store: {data_dir / 'analytics.duckdb'}; gunicorn --workers {args.workers}; Chromium {CHROMIUM}; "
          f"{args.rounds} rounds alternating {', '.join(checkouts)}")
    report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
