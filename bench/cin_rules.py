"""Time the CIN census validation rules on a file of N children (default 100,000).

    .venv/bin/python bench/cin_rules.py [--children 100000] [--file PATH]

Writes the synthetic valid 2024-25 census of ``bench/ingest.py`` (or reuses ``--file``), reads it
once into memory, then prints the time to run every rule over all children (the rules alone, not
the XML parse) and the time of ``read_cin`` as a whole (parse, rules, rows), with the finding count.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ingest import write_census  # type: ignore[import-not-found]  # noqa: E402  (bench/, beside this file)

from refresh.ingest import cin_rules  # noqa: E402
from refresh.ingest.cin import read_cin  # noqa: E402
from refresh.ingest.cin_xml import CensusFile  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--file", type=Path, help="census file to use (written first if absent)")
    args = parser.parse_args()
    path = args.file or Path(f"/tmp/csi-bench-cin-rules-{args.children}.xml")
    if not path.exists():
        write_census(path, args.children)
    census = CensusFile(path)
    started = time.perf_counter()
    children = list(census.children())
    print(f"parse {len(children):,} children: {time.perf_counter() - started:.1f} s")
    assert census.header.reference_date is not None
    started = time.perf_counter()
    found = cin_rules.check_file(census.header, [c.data for c in children])
    print(f"rules alone: {time.perf_counter() - started:.2f} s, {len(found):,} findings")
    del children
    started = time.perf_counter()
    batch = read_cin(path)
    print(f"read_cin (parse, rules, rows): {time.perf_counter() - started:.1f} s, {len(batch.findings):,} findings, "
          f"{len(batch.children_with_errors):,} children with errors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
