"""Time loading an SSDA903 return of N children (default 10,000): validate, merge, rebuild, swap.

    .venv/bin/python bench/ingest_903.py [--children 10000] [--year 2025] [--keep DIR]

Writes a synthetic, valid return for the collection year (named by its end: 2025 = 2024-25): 60%
looked after from earlier years (some change placement, some leave care), 30% starting in the year
(previous permanence; some UASC), 10% care leavers (OC3 only); reviews, missing periods, OC2 for the
continuously looked after. Then runs ``python -m refresh.ingest 903`` on it in a child process twice
(an empty ledger, then the same return again) and prints wall time, children per second, the child
process's peak resident memory, and the 903 tables' row counts.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from model.codes import ETHNICITY  # noqa: E402
from refresh.ingest.ssda903_files import MODULES  # noqa: E402

Row = dict[str, str]


def _d(day: dt.date) -> str:
    return f"{day:%d/%m/%Y}"


def _birthday(born: dt.date, years: int) -> dt.date:
    try:
        return born.replace(year=born.year + years)
    except ValueError:
        return born.replace(year=born.year + years, day=28)


def _age(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class Writer:
    """Collects the return's rows per module."""

    def __init__(self, year: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.year, self.start, self.end = year, dt.date(year - 1, 4, 1), dt.date(year, 3, 31)
        self.rows: dict[str, list[Row]] = {m: [] for m in MODULES if m not in ("sw_episodes", "dolo")}
        self.need = "N1"

    def day(self, low: dt.date, high: dt.date) -> dt.date:
        return low + dt.timedelta(days=self.rng.randint(0, max((high - low).days, 0)))

    def header(self, child: str, born: dt.date, girl: bool, looked_after: bool = True) -> None:
        sex = ("F" if girl else "M") if self.year >= 2025 else ("2" if girl else "1")
        upn = f"A{self.rng.randint(10**10, 10**11 - 1)}{self.rng.randint(0, 9)}"
        mother = "0" if girl and looked_after else ""  # every looked-after girl from 2024-25 (393); no leavers (628)
        self.rows["header"].append({"CHILD": child, "SEX": sex, "DOB": _d(born),
                                    "ETHNIC": self.rng.choice(list(ETHNICITY)), "UPN": upn, "MOTHER": mother,
                                    "MC_DOB": ""})

    def episode(self, child: str, start: dt.date, rne: str, ls: str, place: str, provider: str,
                end: dt.date | None, rec: str, change: str = "") -> None:
        self.rows["episodes"].append({
            "CHILD": child, "DECOM": _d(start), "RNE": rne, "LS": ls, "CIN": self.need,
            "PLACE": place, "PLACE_PROVIDER": provider, "DEC": _d(end) if end else "", "REC": rec,
            "REASON_PLACE_CHANGE": change, "HOME_POST": "DY1 1", "PL_POST": "DY2 3", "URN": "XXXXXXX",
            "PL_DISTANCE": f"{self.rng.uniform(0.5, 40):.1f}"})

    def looked_after(self, child: str, born: dt.date, start: dt.date, dob: str) -> tuple[dt.date, dt.date | None]:
        """Episodes from ``start``; returns (first day in the year, day ceased or None)."""
        rng = self.rng
        self.need = rng.choice(["N1", "N1", "N4", "N5"])  # one category of need for the period (rule 504)
        place, provider = rng.choice([("U4", "PR1"), ("U6", "PR4"), ("U6", "PR1"), ("K2", "PR4")])
        ls = "C2" if start < self.start else rng.choice(["V2", "C1"])
        ceased = self.day(max(start, self.start) + dt.timedelta(days=30), self.end) if rng.random() < 0.3 else None
        if ceased is not None and ceased > self.end - dt.timedelta(days=2):
            ceased = None
        first = max(start, self.start)
        if rng.random() < 0.35 and (ceased or self.end) - first > dt.timedelta(days=20):
            moved = self.day(first + dt.timedelta(days=5), (ceased or self.end) - dt.timedelta(days=5))
            self.episode(child, start, "S", ls, place, provider, moved, "X1", "CARPL")
            new_place = "K2" if place != "K2" else "U6"  # RNE P: a different placement (rule 435)
            self.episode(child, moved, "P", ls, new_place, "PR4", ceased, "E4A" if ceased else "")
        else:
            self.episode(child, start, "S", ls, place, provider, ceased, "E4A" if ceased else "")
        review = first + dt.timedelta(days=20)
        if review <= (ceased or self.end):
            self.rows["reviews"].append({"CHILD": child, "DOB": dob, "REVIEW": _d(review),
                                         "REVIEW_CODE": "PN1" if _age(born, review) >= 4 else "PN0"})
        if rng.random() < 0.1:
            low = first + dt.timedelta(days=1)
            for _ in range(rng.randint(1, 3)):
                if (ceased or self.end) - low < dt.timedelta(days=6):
                    break
                went = self.day(low, (ceased or self.end) - dt.timedelta(days=5))
                back = went + dt.timedelta(days=rng.randint(0, 3))
                self.rows["missing"].append({"CHILD": child, "DOB": dob, "MISSING": rng.choice("MA"),
                                             "MIS_START": _d(went), "MIS_END": _d(back)})
                low = back + dt.timedelta(days=1)
        return first, ceased

    def child(self, number: int) -> None:
        rng, child = self.rng, f"C{number:07d}"
        kind = rng.random()
        girl = rng.random() < 0.45
        if kind < 0.1:  # care leaver: 19-21 at their birthday in the year
            born = self.day(_birthday(self.start, -21), _birthday(self.end, -19))
            self.header(child, born, girl, looked_after=False)
            self.rows["oc3"].append({"CHILD": child, "DOB": _d(born), "IN_TOUCH": "YES",
                                     "ACTIV": rng.choice(["F2", "F5", "G5"]), "ACCOM": rng.choice(["U1", "B1", "Z1"])})
            return
        starter = kind < 0.4
        born = self.day(_birthday(self.start, -16), _birthday(self.start, -1))
        self.header(child, born, girl)
        dob = _d(born)
        start = self.day(self.start + dt.timedelta(days=1), self.end - dt.timedelta(days=40)) if starter else \
            self.day(max(born, _birthday(self.start, -5)), self.start - dt.timedelta(days=1))
        _first, ceased = self.looked_after(child, born, start, dob)
        if starter:
            self.rows["prev_perm"].append({"CHILD": child, "DOB": dob, "PREV_PERM": "Z1", "LA_PERM": "",
                                           "DATE_PERM": ""})
            if _age(born, self.end) >= 15 and rng.random() < 0.15:
                self.rows["uasc"].append({"CHILD": child, "SEX": self.rows["header"][-1]["SEX"], "DOB": dob,
                                          "DUC": _d(_birthday(born, 18))})
        elif ceased is None:  # looked after continuously for 12 months at 31 March
            age = _age(born, self.end)
            self.rows["oc2"].append({
                "CHILD": child, "DOB": dob, "SDQ_SCORE": str(rng.randint(0, 40)) if 4 <= age <= 16 else "",
                "SDQ_REASON": "" if 4 <= age <= 16 else "SDQ1", "CONVICTED": "0" if age >= 10 else "",
                "HEALTH_CHECK": "1" if age < 5 else "", "IMMUNISATIONS": "1", "TEETH_CHECK": "1",
                "HEALTH_ASSESSMENT": "1", "SUBSTANCE_MISUSE": "0", "INTERVENTION_RECEIVED": "",
                "INTERVENTION_OFFERED": ""})

    def write(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        for module, rows in self.rows.items():
            columns = list(MODULES[module]) + (["PL_DISTANCE"] if module == "episodes" else [])
            with (directory / f"ssda903_{module}.csv").open("w", newline="", encoding="utf-8") as fh:
                writer = csv.DictWriter(fh, fieldnames=columns)
                writer.writeheader()
                writer.writerows(rows)


def write_return(directory: Path, children: int, year: int, seed: int = 903) -> None:
    writer = Writer(year, seed)
    for number in range(1, children + 1):
        writer.child(number)
    writer.write(directory)


def timed_load(directory: Path, data_dir: Path, year: int) -> tuple[float, int, int, str]:
    """(seconds, exit status, peak RSS in MB, stdout) of one load in a child process."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "refresh.ingest", "903", str(directory), "--year", str(year),
                           "--data-dir", str(data_dir), "--quiet", "--max-rows", "5"], cwd=ROOT, capture_output=True,
                          text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        print(done.stdout[-3000:], done.stderr[-3000:], file=sys.stderr)
    return seconds, done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024, done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=10_000)
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--keep", type=Path, help="directory to keep the return, ledger and store in")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="csi-bench-ingest-903-"))
    started = time.perf_counter()
    write_return(work / "return", args.children, args.year)
    print(f"wrote a {args.year - 1}-{args.year % 100:02d} return of {args.children:,} children to {work / 'return'} "
          f"in {time.perf_counter() - started:.1f} s")
    for label in ("first load (empty ledger)", "same return again"):
        seconds, status, rss, out = timed_load(work / "return", work / "data", args.year)
        print(f"{label}: {seconds:.1f} s, {args.children / seconds:,.0f} children/s, exit {status}, "
              f"peak RSS {rss:,} MB  ({dt.datetime.now():%H:%M:%S})")
    print(out.splitlines()[1] if len(out.splitlines()) > 1 else out)
    for line in out.splitlines():
        if re.match(r"(children|involvements|cla_\w+)\s+[\d,]+$", line.strip()):
            print("  " + line.strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
