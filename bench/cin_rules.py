"""Time the CIN census validation rules on a file of N children (default 100,000).

    .venv/bin/python bench/cin_rules.py [--children 100000] [--file PATH] [--old CIN_RULES_PY]

Writes the synthetic valid 2024-25 census of ``bench/ingest.py`` (or reuses ``--file``), parses it
once into memory, then times every rule over all children (the rules alone, not the XML parse:
child rules, duplicates and return-level rules), three times, printing the best wall and CPU time
(CPU time is steadier on a shared machine), and ``read_cin`` as a whole (parse, rules, rows).
``--old`` names a single-module ``cin_rules.py`` from an older checkout (before the rules became a
package) to time it on the same children for a before/after comparison.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import importlib.util
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ingest import write_census  # type: ignore[import-not-found]  # noqa: E402  (bench/, beside this file)

from refresh.ingest import cin_rules  # noqa: E402
from refresh.ingest.cin import read_cin  # noqa: E402
from refresh.ingest.cin_xml import Header, read_child  # noqa: E402

Data = dict[str, Any]


def parse(path: Path) -> tuple[Header, list[Data]]:
    """The header and every child's values (``cin_xml.read_child``), all in memory."""
    header = Header()
    children: list[Data] = []
    for _event, elem in ET.iterparse(path, events=("end",)):
        if elem.tag == "Child":
            children.append(read_child(elem, len(children)).data)
            elem.clear()
        elif elem.tag == "CollectionDetails":
            header.year = int(elem.findtext("Year") or 0) or None
            header.reference_date = dt.date.fromisoformat(elem.findtext("ReferenceDate") or "")
    return header, children


def current(header: Header, children: list[Data]) -> int:
    return len(cin_rules.check_file(header, children))


def older(path: Path) -> Callable[[Header, list[Data]], int]:
    spec = importlib.util.spec_from_file_location("old_cin_rules", path)
    assert spec is not None and spec.loader is not None
    old = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(old)

    def run(header: Header, children: list[Data]) -> int:
        period = old.Period.ending(header.reference_date)
        ids = [(d.get("ChildIdentifiers", {}).get("LAchildID"), d.get("ChildIdentifiers", {}).get("UPN"))
               for d in children]
        return sum(len(old.check_child(d, period)) for d in children) + len(list(old.duplicates(ids)))
    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--file", type=Path, help="census file to use (written first if absent)")
    parser.add_argument("--old", type=Path, help="an older checkout's refresh/ingest/cin_rules.py to compare")
    args = parser.parse_args()
    path = args.file or Path(f"/tmp/csi-bench-cin-rules-{args.children}.xml")
    if not path.exists():
        write_census(path, args.children)
    started = time.perf_counter()
    header, children = parse(path)
    print(f"parse {len(children):,} children: {time.perf_counter() - started:.1f} s")
    # The parsed children stay in memory here (read_cin holds one at a time): keep them out of the
    # garbage collector's full passes, or those passes, not the rules, dominate the timing.
    gc.freeze()
    runs: dict[str, Callable[[Header, list[Data]], int]] = {"rules now": current}
    if args.old:
        runs["rules before (--old)"] = older(args.old)
    best: dict[str, tuple[float, float, int]] = {}
    for _ in range(3):
        for name, run in runs.items():
            wall, cpu = time.perf_counter(), time.process_time()
            found = run(header, children)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            if name not in best or cpu < best[name][1]:
                best[name] = (wall, cpu, found)
    for name, (wall, cpu, found) in best.items():
        print(f"{name}: {wall:.2f} s wall, {cpu:.2f} s CPU (best of 3), {found:,} findings")
    del children
    gc.unfreeze()
    started = time.perf_counter()
    batch = read_cin(path)
    errors = sum(f.is_error for f in batch.findings)
    print(f"read_cin (parse, rules, rows): {time.perf_counter() - started:.1f} s, {len(batch.findings):,} findings "
          f"({errors:,} errors), {len(batch.children_with_errors):,} children with errors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
