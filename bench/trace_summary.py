"""Where did the renderer's time go? A summary of a Chromium trace written by ``bench/chromium.py --trace``.

    .venv/bin/python bench/trace_summary.py /tmp/trace/after/cin.json [--top 25]

Prints, for the page's main thread (CrRendererMain): the wall time the trace covers, the time in
each kind of top-level work (script, style, layout, paint, ...) and, from the JS sampling profiler,
the functions with the most self time (name and script), so a slow slicer change points at the
code that makes it slow.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

KINDS = {"FunctionCall": "script", "EvaluateScript": "script", "v8.compile": "compile", "V8.CompileCode": "compile",
         "TimerFire": "script", "EventDispatch": "script", "FireAnimationFrame": "script", "RunMicrotasks": "script",
         "UpdateLayoutTree": "style", "Layout": "layout", "Paint": "paint", "PrePaint": "paint",
         "Layerize": "paint", "ParseHTML": "parse", "ParseAuthorStyleSheet": "style", "HitTest": "layout"}


def main_thread(events: list[dict[str, Any]]) -> tuple[int, int]:
    """(pid, tid) of the page's renderer main thread: the CrRendererMain with the most events."""
    mains = {(e["pid"], e["tid"]) for e in events if e.get("name") == "thread_name"
             and e.get("args", {}).get("name") == "CrRendererMain"}
    counts = Counter((int(e["pid"]), int(e["tid"])) for e in events if (e.get("pid"), e.get("tid")) in mains)
    return counts.most_common(1)[0][0]


def by_kind(events: list[dict[str, Any]], pid: int, tid: int) -> tuple[float, Counter[str]]:
    """Wall ms of the thread's tasks, and ms per kind of work directly inside a task (not nested twice)."""
    mine = sorted((e for e in events if e.get("pid") == pid and e.get("tid") == tid and e.get("ph") == "X"),
                  key=lambda e: e["ts"])
    tasks = [e for e in mine if e.get("name") == "RunTask"]
    kinds: Counter[str] = Counter()
    open_until = 0.0
    for e in mine:
        kind = KINDS.get(e.get("name", ""))
        if kind is None or e["ts"] < open_until:
            continue  # nested inside work already counted
        kinds[kind] += e.get("dur", 0) / 1000
        open_until = e["ts"] + e.get("dur", 0)
    busy = sum(t.get("dur", 0) for t in tasks) / 1000
    kinds["other (in tasks)"] = max(0.0, busy - sum(kinds.values()))
    return busy, kinds


def by_function(events: list[dict[str, Any]], pid: int) -> Counter[str]:
    """Self ms per JS function (name, script and line) from the sampling profiler's chunks."""
    nodes: dict[int, str] = {}
    self_ms: Counter[str] = Counter()
    for e in events:
        if e.get("pid") != pid or e.get("name") != "ProfileChunk":
            continue
        data = e.get("args", {}).get("data", {})
        profile = data.get("cpuProfile", {})
        for node in profile.get("nodes", []):
            frame = node.get("callFrame", {})
            url = str(frame.get("url", "")).rsplit("/", 1)[-1].split("?")[0]
            nodes[node["id"]] = f"{frame.get('functionName') or '(anonymous)'} {url}:{frame.get('lineNumber', '')}"
        for sample, delta in zip(profile.get("samples", []), data.get("timeDeltas", []), strict=False):
            self_ms[nodes.get(sample, "?")] += delta / 1000
    return self_ms


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trace", type=Path)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    loaded = json.loads(args.trace.read_text())
    events = loaded["traceEvents"] if isinstance(loaded, dict) else loaded
    pid, tid = main_thread(events)
    stamps = [e["ts"] for e in events if e.get("pid") == pid and e.get("tid") == tid and "ts" in e and e["ts"]]
    busy, kinds = by_kind(events, pid, tid)
    print(f"{args.trace}: main thread busy {busy:.0f} ms of {(max(stamps) - min(stamps)) / 1000:.0f} ms traced")
    for kind, ms in kinds.most_common():
        print(f"  {kind:<20}{ms:>8.0f} ms")
    print("JS self time (sampled):")
    for name, ms in by_function(events, pid).most_common(args.top):
        print(f"  {ms:>8.1f} ms  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
