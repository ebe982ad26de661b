"""How long does Plotly take to redraw a page's charts? ``Plotly.react`` timed alone, in Chromium.

    .venv/bin/python bench/plotly_react.py --base http://127.0.0.1:8050                  # a running server
    .venv/bin/python bench/plotly_react.py --base before=http://127.0.0.1:8791 \\
        --base after=http://127.0.0.1:8792 --page /children-in-need --samples 30         # two versions, one page
    .venv/bin/python bench/plotly_react.py --base URL --variant tlo="..." --profile      # a JS variant, CPU profile

A slicer change ends with the render callback's answer: dash-renderer hands each dcc.Graph its new
figure and each calls ``Plotly.react`` on it, all in one task. This measures that part alone, without
the server, the network or React: signed in as demo-leader on one aggregate page, it records the
figures of two views (the page as opened, and after an age band change) exactly as the server sent
them (the render callback's JSON; never read back from the charts, which Plotly changes), then, in
that page, redraws all its charts from one view to the other and back, ``--samples`` times:

- script: from the first ``Plotly.react`` until the last has resolved (Plotly's own JS, including
  the layouts its measurements force);
- frame: until the next frame after that has been drawn (adds the browser's style, layout, paint).

Each ``--base LABEL=URL`` gives one set of figures (so two checkouts' servers compare in the same page,
sample by sample, alternating); ``--variant LABEL=JS`` adds a JavaScript function body that gets
``(data, layout, config, page)`` of each figure and may change them in place (and set
``page.css``, a style sheet the page has while that version is drawn) (an idea tried before it is
written in ``dashboards/_charts.py``). Versions alternate sample by sample, so a noisy shared machine
weighs on all alike: compare them by their ratio. ``--profile`` also prints, per version, the Plotly
functions with the most total (inclusive) time from Chromium's sampling profiler over all samples.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE)]

from _browser import CALLBACK_PATH, PROBE, change_select, settled, sign_in  # noqa: E402

PASSWORD = "insight-demo-password"
CHROMIUM = "/usr/bin/chromium"

# In the page. _STORE keeps a version's figures (as JSON text) and variant; _PREPARE parses one view of them
# into fresh figure objects, as dash-renderer hands each dcc.Graph a new figure; _DRAW calls Plotly.react on
# every chart (the synchronous part of each, and until all have resolved); _FRAME waits for the next frame.
_STORE = """([label, opened, changed, variant]) => {
  (window.__csiVersions = window.__csiVersions || {})[label] = {opened, changed, variant};
}"""

_PREPARE = """([label, view]) => {
  const version = window.__csiVersions[label];
  const change = version.variant ? new Function("data", "layout", "config", "page", version.variant) : null;
  const page = {css: ""};  // a variant may set page.css: a style sheet for the page while it is drawn
  const byId = new Map([...document.querySelectorAll(".js-plotly-plot")]
    .map((gd) => [gd.parentElement.closest("[id]").id, gd]));
  window.__csiJobs = [];
  for (const [id, text] of Object.entries(version[view])) {
    const gd = byId.get(id);
    if (!gd) { continue; }
    const fig = JSON.parse(text);
    const config = {displayModeBar: false, responsive: true};  // as dashboards/_panels.py gives dcc.Graph
    if (change) { change(fig.data, fig.layout, config, page); }
    window.__csiJobs.push([id, gd, fig, config]);
  }
  let sheet = document.getElementById("csi-variant-css");
  if (!sheet) {
    sheet = document.head.appendChild(document.createElement("style"));
    sheet.id = "csi-variant-css";
  }
  if (sheet.textContent !== page.css) { sheet.textContent = page.css; }
  return document.body.offsetHeight;  // style and layout done here, not in the timed redraw
}"""

_DRAW = """async () => {
  const each = {};
  const t0 = performance.now();
  const done = window.__csiJobs.map(([id, gd, fig, config]) => {
    const start = performance.now();
    const drawn = Plotly.react(gd, {data: fig.data, layout: fig.layout, frames: fig.frames, config: config});
    each[id] = performance.now() - start;  // its synchronous part
    return drawn;
  });
  await Promise.all(done);
  window.__csiT0 = t0;
  return [performance.now() - t0, each];
}"""

_FRAME = """async () => {
  await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
  return performance.now() - window.__csiT0;
}"""


def figures_of(page: Any, base: str, path: str, age_band: str) -> tuple[dict[str, str], dict[str, str]]:
    """The page's figures as the server sent them: as opened, and after an age band change."""
    sent: dict[str, str] = {}

    def keep(response: Any) -> None:
        if CALLBACK_PATH in response.url and response.request.method == "POST":
            try:
                body = response.json()
            except Exception:  # noqa: BLE001  (not JSON: not a figure)
                return
            for component, props in (body.get("response") or {}).items():
                if isinstance(props, dict) and isinstance(props.get("figure"), dict):
                    sent[component] = json.dumps(props["figure"])

    page.on("response", keep)
    page.goto(base + path)
    settled(page, started_at=0)
    for _ in range(200):  # a slow first script may leave the page quiet before its callbacks run
        if sent:
            break
        page.wait_for_timeout(100)
    settled(page, started_at=0)
    opened = dict(sent)
    sent.clear()
    prefix = page.evaluate("() => document.querySelector('select[id$=\"-age_band\"]').id")
    change_select(page, f"#{prefix}", age_band)
    changed = dict(sent)
    page.remove_listener("response", keep)
    if not opened or set(opened) != set(changed):
        raise RuntimeError(f"{path}: figures sent {sorted(opened)} then {sorted(changed)}")
    return opened, changed


CPU = ("Plotly.react", "next frame")


def redraw(page: Any, label: str, view: str) -> None:
    page.evaluate(_PREPARE, [label, view])
    page.evaluate(_DRAW)
    page.evaluate(_FRAME)


def _metrics(cdp: Any) -> dict[str, float]:
    return {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}


def inclusive(profile: dict[str, Any], into: Counter[str], callers_of: str = "") -> None:
    """Add each function's total (self + callees) sampled ms, once per stack, to ``into`` (and, for
    ``callers_of``, its time by calling function, as "NAME <- CALLER")."""
    nodes = {n["id"]: n for n in profile["nodes"]}
    parent = {child: n["id"] for n in profile["nodes"] for child in n.get("children", [])}
    names = {i: f"{n['callFrame']['functionName'] or '(anonymous)'}"
                + ("" if n["callFrame"]["functionName"] else f":{n['callFrame']['lineNumber'] + 1}")
             for i, n in nodes.items()}
    times = profile.get("timeDeltas", [])
    for sample, delta in zip(profile.get("samples", []), times[1:] + [0], strict=False):
        seen = set()
        node: int | None = sample
        while node is not None:
            seen.add(names[node])
            up = parent.get(node)
            if callers_of and names[node] == callers_of and up is not None:
                seen.add(f"{callers_of} <- {names[up]}")
            node = up
        for name in seen:
            into[name] += delta / 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", action="append", required=True, help="[LABEL=]URL of a running server (repeat)")
    parser.add_argument("--page", default="/children-in-need")
    parser.add_argument("--variant", action="append", default=[], help="LABEL=JS body of f(data, layout, config)")
    parser.add_argument("--age-band", default="5-9", help="the second view: the page with this age band")
    parser.add_argument("--samples", type=int, default=20, help="redraws per version")
    parser.add_argument("--profile", action="store_true", help="also print the functions with most total time")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--callers", default="", help="with --profile: also split this function's time by caller")
    parser.add_argument("--plotly", type=Path, help="serve this plotly.js instead of Dash's (an unminified copy "
                        "of the same version, e.g. from the plotly.js-dist package, names the profile's functions)")
    parser.add_argument("--per-chart", action="store_true", help="also print each chart's median ms per version")
    parser.add_argument("--screenshot", type=Path, help="after the runs: each version drawn, saved as DIR/LABEL.png")
    args = parser.parse_args()
    bases = [b.rpartition("=")[::2] for b in args.base]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-dev-shm-usage"])
        context = browser.new_context(locale="en-GB", timezone_id="Europe/London",
                                      viewport={"width": 1400, "height": 900})
        context.add_init_script(PROBE)
        context.set_default_timeout(60_000)
        if args.plotly:
            source = args.plotly.read_bytes()
            context.route("**/plotly.min*.js", lambda route: route.fulfill(body=source, content_type="text/javascript"))
        page = context.new_page()
        versions: dict[str, tuple[dict[str, str], dict[str, str], str]] = {}
        for label, url in bases:
            sign_in(page, url, "demo-leader", PASSWORD)
            opened, changed = figures_of(page, url, args.page, args.age_band)
            versions[label or url] = (opened, changed, "")
        first_base = bases[0][1]
        for text in args.variant:
            label, _, body = text.partition("=")
            opened, changed, _ = versions[bases[0][0] or first_base]
            versions[label] = (opened, changed, body)
        sign_in(page, first_base, "demo-leader", PASSWORD)
        page.goto(first_base + args.page)
        settled(page, started_at=0)
        cdp = context.new_cdp_session(page)
        cdp.send("Performance.enable")
        if args.profile:
            cdp.send("Profiler.enable")
            cdp.send("Profiler.setSamplingInterval", {"interval": 200})
        charts: dict[str, dict[str, list[float]]] = {v: {} for v in versions}
        cpu: dict[str, dict[str, list[float]]] = {v: {} for v in versions}
        script: dict[str, list[float]] = {v: [] for v in versions}
        frame: dict[str, list[float]] = {v: [] for v in versions}
        profiles: dict[str, Counter[str]] = {v: Counter() for v in versions}
        for label, (opened, changed, body) in versions.items():  # each version drawn once before timing
            page.evaluate(_STORE, [label, opened, changed, body])
            redraw(page, label, "opened")
        for _ in range(args.samples):
            for label in versions:
                redraw(page, label, "opened")  # from this version's first view ...
                page.evaluate(_PREPARE, [label, "changed"])  # ... to its second, timed
                if args.profile:
                    cdp.send("Profiler.start")
                before = _metrics(cdp)
                s, each = page.evaluate(_DRAW)
                drawn = _metrics(cdp)
                f = page.evaluate(_FRAME)
                after = _metrics(cdp)
                cpu[label].setdefault("Plotly.react", []).append(1000 * (drawn["ThreadTime"] - before["ThreadTime"]))
                cpu[label].setdefault("next frame", []).append(1000 * (after["ThreadTime"] - drawn["ThreadTime"]))
                for chart, ms in each.items():
                    charts[label].setdefault(chart, []).append(ms)
                if args.profile:
                    inclusive(cdp.send("Profiler.stop")["profile"], profiles[label], args.callers)
                script[label].append(s)
                frame[label].append(f)
        if args.screenshot:
            args.screenshot.mkdir(parents=True, exist_ok=True)
            for label in versions:
                redraw(page, label, "changed")
                page.screenshot(path=str(args.screenshot / f"{label}.png"), full_page=True)
        browser.close()
    first = next(iter(versions))
    print(f"{args.page}: {len(next(iter(versions.values()))[0])} charts redrawn, {args.samples} samples per version, "
          "median ms (script = Plotly.react until resolved; frame = until the next frame is drawn)")
    print(f"{'version':<24}{'script':>10}{'frame':>10}{'min script':>12}{'script/' + first:>18}{'frame/' + first:>18}")
    for label in versions:
        s, f = statistics.median(script[label]), statistics.median(frame[label])
        print(f"{label:<24}{s:>10.1f}{f:>10.1f}{min(script[label]):>12.1f}{s / statistics.median(script[first]):>18.2f}"
              f"{f / statistics.median(frame[first]):>18.2f}")
    print(f"\nmain thread CPU time per redraw (ThreadTime of Chromium's Performance metrics: what the other "
          f"processes on a busy machine do not inflate), median ms\n{'version':<24}"
          + "".join(f"{key:>16}" for key in CPU) + f"{'react/' + first:>16}{'min react':>12}")
    for label in versions:
        react = cpu[label]["Plotly.react"]
        print(f"{label:<24}" + "".join(f"{statistics.median(cpu[label][key]):>16.1f}" for key in CPU)
              + f"{statistics.median(react) / statistics.median(cpu[first]['Plotly.react']):>16.2f}{min(react):>12.1f}")
    if args.per_chart:
        print(f"\neach chart's Plotly.react (synchronous part), median ms\n{'chart':<32}"
              + "".join(f"{label[:14]:>16}" for label in versions))
        for chart in charts[first]:
            print(f"{chart:<32}" + "".join(f"{statistics.median(charts[v].get(chart, [0])):>16.1f}" for v in versions))
    if args.profile:
        for label, counter in profiles.items():
            print(f"\n{label}: total sampled ms per redraw (inclusive), top {args.top}")
            for name, ms in counter.most_common(args.top):
                print(f"  {ms / args.samples:>8.1f}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
