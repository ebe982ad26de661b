"""Timing a Dash page in Chromium: a probe injected into every document, and "settled" as it sees it.

The probe (``PROBE``, added with Playwright's ``add_init_script``: CDP injects it, so the app's
Content-Security-Policy does not apply) counts the Dash callback requests in flight (the renderer
uses ``fetch``), and remembers the last moment anything happened: a callback answered, the DOM
changed (Plotly drawing a chart, React writing a table) or a long task ended. A page has *settled*
when no callback is in flight, no element is marked loading (``data-dash-is-loading``, dcc.Loading's
spinners) and nothing has happened for ``QUIET_MS``; its settle time is that last moment, so the
quiet wait itself is never counted.

Server-side time comes from Resource Timing of the same requests: for each callback POST, the wait
from the request being sent to the first byte of the answer (``responseStart - requestStart``;
on 127.0.0.1 that is the server's time to answer).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

QUIET_MS = 400
CALLBACK_PATH = "/_dash-update-component"

PROBE = """
(() => {
  const probe = window.__csiProbe = {inflight: 0, last: performance.now(), t0: null, answers: 0};
  const touch = () => { probe.last = performance.now(); };
  const realFetch = window.fetch.bind(window);
  window.fetch = function (input, init) {
    const url = typeof input === "string" ? input : (input && input.url) || "";
    if (url.indexOf("%PATH%") === -1) { return realFetch(input, init); }
    probe.inflight += 1; touch();
    return realFetch(input, init).then((response) => {
      return response.clone().arrayBuffer().then(() => response, () => response);
    }).finally(() => { probe.inflight -= 1; probe.answers += 1; touch(); });
  };
  new MutationObserver(touch).observe(document, {subtree: true, childList: true, attributes: true,
                                                 characterData: true});
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) { probe.last = Math.max(probe.last, e.startTime + e.duration); }
    }).observe({type: "longtask", buffered: true});
  } catch (e) { /* no long task timing: mutations and answers still count */ }
})();
""".replace("%PATH%", CALLBACK_PATH)

_STATUS = """() => {
  const p = window.__csiProbe;
  if (!p) { return null; }
  const loading = document.querySelectorAll('[data-dash-is-loading="true"], .dash-spinner, ._dash-loading').length;
  return {inflight: p.inflight, loading: loading, last: p.last, now: performance.now(),
          origin: performance.timeOrigin, answers: p.answers};
}"""

_SERVER = """(since) => {
  const calls = performance.getEntriesByType("resource")
    .filter((e) => e.name.indexOf("%PATH%") !== -1 && e.startTime >= since);
  const nav = performance.getEntriesByType("navigation")[0];
  return {calls: calls.map((e) => [e.responseStart - e.requestStart, e.responseEnd, e.transferSize]),
          nav: nav ? [nav.responseStart - nav.requestStart, nav.redirectEnd - nav.redirectStart] : null};
}""".replace("%PATH%", CALLBACK_PATH)

# Change a <select> as Playwright's select_option does (input, then change), after noting the time.
_CHANGE = """([selector, value]) => {
  const el = document.querySelector(selector);
  window.__csiProbe.t0 = performance.now();
  performance.clearResourceTimings();
  el.value = value;
  el.dispatchEvent(new Event("input", {bubbles: true}));
  el.dispatchEvent(new Event("change", {bubbles: true}));
  return performance.timeOrigin + window.__csiProbe.t0;
}"""


@dataclass
class Timing:
    """One measured action: until settled (ms), the callbacks it ran and their server-side time."""

    settle_ms: float
    calls: int
    server_ms: float  # sum over the callback requests of request sent -> first byte of the answer
    answered_ms: float  # action -> the last callback answer received
    kilobytes: float
    ready_ms: float = 0.0  # sign-in only: the sign-in page's load until it was ready (``sign_in(ready=True)``)


def settled(page: Any, *, started_at: float, timeout_s: float = 60.0, min_answers: int = 1) -> float:
    """Wait until ``page`` has settled; return the epoch ms of its last activity (``started_at`` is epoch ms)."""
    deadline = time.monotonic() + timeout_s
    status = None
    while time.monotonic() < deadline:
        try:
            status = page.evaluate(_STATUS)
        except Exception:  # noqa: BLE001  (a document still being replaced: ask again)
            status = None
        if status and status["inflight"] == 0 and status["loading"] == 0 and status["answers"] >= min_answers \
                and status["now"] - status["last"] >= QUIET_MS:
            return float(status["origin"] + status["last"])
        time.sleep(0.05)
    raise TimeoutError(f"{page.url} did not settle within {timeout_s:.0f} s of the action at {started_at:.0f}: "
                       f"{status}")


def server_side(page: Any, since_ms: float, started_at: float) -> tuple[int, float, float, float, list[float]]:
    """Callbacks since ``since_ms`` (the document's clock): count, server ms, last answer (epoch ms), KB,
    and the document's own server time (navigation; redirect) when ``since_ms`` is 0."""
    found = page.evaluate(_SERVER, since_ms)
    origin = page.evaluate("() => performance.timeOrigin")
    calls = found["calls"]
    last = max((origin + c[1] for c in calls), default=started_at)
    return (len(calls), sum(c[0] for c in calls), last, sum(c[2] for c in calls) / 1024,
            list(found["nav"] or []))


def change_select(page: Any, selector: str, value: str) -> Timing:
    """Change the slicer ``selector`` to ``value`` and time it until the page has settled."""
    page.evaluate("() => { window.__csiProbe.answers = 0; }")
    started = page.evaluate(_CHANGE, [selector, value])
    done = settled(page, started_at=started)
    t0 = page.evaluate("() => window.__csiProbe.t0")
    calls, server, last, kb, _nav = server_side(page, t0, started)
    return Timing(done - started, calls, server, last - started, kb)


# The sign-in page is ready when its service worker (dashboards/_swcache.py) has fetched the app's
# files; a checkout without one (no /csi-sw.js) is ready when the page has loaded.
_READY = """async () => {
  if (!('serviceWorker' in navigator)) { return 'none'; }
  const served = await fetch('/csi-sw.js', {method: 'HEAD', redirect: 'manual'});
  if (served.status !== 200) { return 'none'; }
  const timeout = new Promise((done) => setTimeout(() => done('timed out'), 30000));
  return Promise.race([navigator.serviceWorker.ready.then(() => 'ready'), timeout]);
}"""


def sign_in(page: Any, base: str, username: str, password: str, *, ready: bool = False) -> Timing:
    """From pressing "Sign in" to a settled landing page (the document, its assets and every callback).

    ``ready``: first wait until the sign-in page is ready (its service worker installed), as a person
    typing a username and password gives it time to be; ``ready_ms`` says how long that took."""
    page.goto(base + "/login")
    ready_ms = 0.0
    if ready:
        page.wait_for_load_state("load")
        outcome = page.evaluate(_READY)
        if outcome == "timed out":
            raise TimeoutError("the sign-in page's service worker did not install in 30 s")
        ready_ms = page.evaluate("() => performance.now()")
    page.fill("#username", username)
    page.fill("#password", password)
    started = page.evaluate("() => performance.timeOrigin + performance.now()")
    with page.expect_navigation(wait_until="commit"):
        page.click("button[type=submit]")
    done = settled(page, started_at=started, min_answers=1)
    calls, server, last, kb, nav = server_side(page, 0, started)
    return Timing(done - started, calls, server + sum(nav), last - started, kb, ready_ms)
