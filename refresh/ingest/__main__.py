"""python -m refresh.ingest {cin,sen2,903,interventions,population,refresh,status} ... (see --help).

Exit status: 0 loaded (possibly with children quarantined under --allow-partial), 1 refused
(errors found: nothing was changed), 2 the load could not run (missing file, ledger busy).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from model.settings import Settings
from refresh import ingest
from refresh.ingest.findings import findings_table, format_table, summary_table


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--url", help="analytics store URL (default: CSI_ANALYTICS_URL or the data dir's DuckDB)")
    common.add_argument("--data-dir", type=Path, help="data directory (default: CSI_DATA_DIR or ./var)")
    common.add_argument("--landing", type=Path, help="ledger file (default: DATA_DIR/landing.duckdb)")
    common.add_argument("--report-dir", type=Path, help="where findings and quarantine reports go "
                                                          "(default: DATA_DIR/ingest-reports)")
    common.add_argument("--csc-team", help="team for census involvements (default CSC-UNALLOCATED)")
    common.add_argument("--send-team", help="team for SEN2 involvements (default SEND-UNALLOCATED)")
    common.add_argument("--population", type=int, help="children aged 0-17, used when no population is loaded")
    common.add_argument("--as-of", type=dt.date.fromisoformat, help="the store's data date (default: the "
                                                                     "latest reference date loaded)")
    common.add_argument("--max-rows", type=int, default=100, help="findings shown on screen (all go to the CSV)")
    common.add_argument("--quiet", action="store_true", help="no progress bars")
    return common


def parser() -> argparse.ArgumentParser:
    common = _common()
    top = argparse.ArgumentParser(prog="python -m refresh.ingest", description="Validate and load a council's CIN "
                                  "census, SEN2 and intervention files into the analytics store.", epilog=__doc__)
    sub = top.add_subparsers(dest="command", required=True)
    cin = sub.add_parser("cin", parents=[common], help="load CIN census XML file(s)")
    cin.add_argument("paths", nargs="+", type=Path)
    sen2 = sub.add_parser("sen2", parents=[common], help="load a SEN2 export (directory or module CSVs)")
    sen2.add_argument("paths", nargs="+", type=Path)
    sen2.add_argument("--reference-date", type=dt.date.fromisoformat)
    ssda = sub.add_parser("903", parents=[common], help="load an SSDA903 return (directory or module CSVs)")
    ssda.add_argument("paths", nargs="+", type=Path)
    ssda.add_argument("--year", type=int, help="collection year, named by its end (2024 = 2023-24; default: from "
                                                "the file names, else the latest episode date)")
    inter = sub.add_parser("interventions", parents=[common], help="load an interventions CSV or XLSX")
    inter.add_argument("paths", nargs="+", type=Path)
    inter.add_argument("--map", action="append", default=[], metavar="THEIRS=OURS",
                       help="their column name for one of ours (repeatable; see docs/ingest.md)")
    inter.add_argument("--sheet", help="worksheet name (XLSX; default the first)")
    for p in (cin, sen2, ssda, inter):
        p.add_argument("--allow-partial", action="store_true",
                       help="load the valid children and quarantine the rest (default: refuse the file)")
    pop = sub.add_parser("population", parents=[common], help="load population estimates (year, children_0_17)")
    pop.add_argument("paths", nargs="+", type=Path)
    ref = sub.add_parser("refresh", parents=[common], help="reload configured sources and rebuild the store")
    ref.add_argument("--sources", type=Path, help="sources file (default: DATA_DIR/sources.toml)")
    ref.add_argument("--no-sources", action="store_true", help="rebuild from the ledger only")
    sub.add_parser("status", parents=[common], help="the loads made (every return) and the rows held in the ledger")
    return top


def config_from(args: argparse.Namespace) -> ingest.IngestConfig:
    overrides: dict[str, object] = {}
    if args.data_dir:
        overrides["data_dir"] = args.data_dir
    if args.url:
        overrides["analytics_url"] = args.url
    settings = Settings.from_env(None, **overrides)
    return ingest.IngestConfig.from_settings(
        settings, landing_path=args.landing, report_dir=args.report_dir, csc_team=args.csc_team,
        send_team=args.send_team, default_population=args.population, as_of=args.as_of,
        sources_file=getattr(args, "sources", None))


def _specs(args: argparse.Namespace) -> list[ingest.SourceSpec]:
    if args.command == "sen2":
        options: dict[str, object] = {"reference_date": args.reference_date} if args.reference_date else {}
        return [ingest.SourceSpec("sen2", tuple(args.paths), args.allow_partial, options)]
    if args.command == "903":
        return [ingest.SourceSpec("903", tuple(args.paths), args.allow_partial,
                                  {"year": args.year} if args.year else {})]
    if args.command == "interventions":
        column_map = dict(item.split("=", 1) for item in args.map)
        return [ingest.SourceSpec("interventions", (p,), args.allow_partial, {"columns": column_map,
                                                                               "sheet": args.sheet})
                for p in args.paths]
    partial = getattr(args, "allow_partial", False)
    return [ingest.SourceSpec(args.command, (p,), partial) for p in args.paths]


def print_report(report: ingest.LoadReport, config: ingest.IngestConfig, *, max_rows: int, out: TextIO) -> None:
    """The findings child by child, per-rule counts, and what was (or was not) loaded."""
    for result in report.results:
        what = {"loaded": "LOADED", "partial": "LOADED IN PART", "refused": "REFUSED"}[result.status]
        print(f"\n{result.name} ({result.kind}): {what}: {result.loaded:,} of {result.children:,} children loaded, "
              f"{result.quarantined:,} with errors; {result.errors:,} errors, {result.queries:,} queries", file=out)
        if result.findings:
            print("\nFindings by rule:\n" + summary_table(result.findings), file=out)
            print("\nFindings child by child:\n" + findings_table(result.findings, limit=max_rows), file=out)
        for path in result.reports:
            print(f"  report: {path}", file=out)
    if report.refused:
        print("\nNothing was loaded: the analytics store and the ledger are unchanged. Correct the errors and "
              "load again, or use --allow-partial to load the valid children and quarantine the rest.", file=out)
        return
    print(f"\nAnalytics store rebuilt and swapped in ({config.analytics_url}) in {report.seconds:.1f} s:", file=out)
    rows = [[name, f"{count:,}"] for name, count in report.counts.items()]
    print(format_table(rows, ["table", "rows"]), file=out)


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    args = parser().parse_args(argv)
    config = config_from(args)
    try:
        if args.command == "status" and not config.landing_path.exists():
            print(f"No loads yet: there is no ledger at {config.landing_path}.", file=out)
            return 0
        if args.command == "status":
            loads = [[str(v) if v is not None else "" for v in row] for row in ingest.load_history(config)]
            print(format_table(loads, ["load", "kind", "name", "reference date", "loaded at", "children", "loaded",
                                       "quarantined", "status"]) + "\n", file=out)
            counts = ingest.ledger_counts(config)
            print(format_table([[k, f"{v:,}"] for k, v in counts.items()], ["ledger table", "rows"]), file=out)
            return 0
        if args.command == "refresh":
            report = ingest.refresh(config=config, use_sources_file=not args.no_sources, progress=not args.quiet)
        else:
            report = ingest.run(config, _specs(args), progress=not args.quiet)
    except ingest.IngestError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print_report(report, config, max_rows=args.max_rows, out=out)
    return 1 if report.refused else 0


if __name__ == "__main__":
    sys.exit(main())
