"""Time loading a CIN census file of N children (default 100,000): validate, merge, rebuild, swap.

    .venv/bin/python bench/ingest.py [--children 100000] [--partial 10000,50000,100000] [--junk-mib 150]
                                     [--keep DIR]

Writes a synthetic, valid 2024-25 census file (UPNs with correct check letters, dates in order and
in the census year), then runs ``python -m refresh.ingest cin`` on it in a child process twice
(first load into an empty ledger, then the same file again: a reload with no change). With
``--partial`` it also loads, with ``--allow-partial`` into an empty ledger, files in which 90% of
the children carry one error each (so the quarantine reports hold most of the file); time per child
should stay flat as N grows. ``--junk-mib`` loads a file made mostly of elements the schema does
not have: it must be refused, with memory bounded. Each line prints wall time, children per
second, microseconds per child and that child process's own peak resident memory (``wait4``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from model import codes  # noqa: E402
from refresh.demo.names import upns  # noqa: E402

START, END = np.datetime64("2024-04-01"), np.datetime64("2025-03-31")
FACTORS = np.array([f for f in codes.ASSESSMENT_FACTOR if f != "21"])
SOURCES, NEEDS = np.array(list(codes.REFERRAL_SOURCE)), np.array([f"N{i}" for i in range(1, 10)])
ETHNICITY = np.array(list(codes.ETHNICITY))
HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<Message><Header><CollectionDetails><Collection>CIN</Collection><Year>2025</Year>
<ReferenceDate>2025-03-31</ReferenceDate></CollectionDetails><Source><SourceLevel>L</SourceLevel><LEA>332</LEA>
</Source></Header><Children>
"""


def _weekday(day: np.datetime64) -> np.datetime64:
    return np.busday_offset(day, 0, roll="forward")


def _episode(rng: np.random.Generator, ref: np.datetime64, last: bool) -> tuple[str, bool]:
    """One CINdetails block; returns (xml, open)."""
    start = ref + 2
    auth = min(start + int(rng.integers(15, 60)), END)
    factors = rng.choice(FACTORS, size=int(rng.integers(1, 4)), replace=False)
    closed = not last or rng.random() < 0.55
    close = min(auth + int(rng.integers(5, 40)), END) if closed else None
    parts = [f"<CINdetails><CINreferralDate>{ref}</CINreferralDate><ReferralSource>{rng.choice(SOURCES)}"
             f"</ReferralSource><PrimaryNeedCode>{rng.choice(NEEDS)}</PrimaryNeedCode>"]
    if close is not None:
        parts.append(f"<CINclosureDate>{close}</CINclosureDate><ReasonForClosure>RC7</ReasonForClosure>")
    parts.append(f"<Assessments><AssessmentActualStartDate>{start}</AssessmentActualStartDate>"
                 f"<AssessmentAuthorisationDate>{auth}</AssessmentAuthorisationDate><FactorsIdentifiedAtAssessment>"
                 + "".join(f"<AssessmentFactors>{f}</AssessmentFactors>" for f in factors)
                 + "</FactorsIdentifiedAtAssessment></Assessments>")
    if close is not None and auth < close:
        parts.append(f"<CINPlanDates><CINPlanStartDate>{auth}</CINPlanStartDate><CINPlanEndDate>{close}"
                     "</CINPlanEndDate></CINPlanDates>")
    cp = close is None and rng.random() < 0.3 and ref + 40 < END
    if cp:
        icpc = _weekday(ref + 15)
        parts.append(f"<Section47><S47ActualStartDate>{ref + 3}</S47ActualStartDate><InitialCPCtarget>{icpc}"
                     f"</InitialCPCtarget><DateOfInitialCPC>{icpc}</DateOfInitialCPC><ICPCnotRequired>false"
                     "</ICPCnotRequired></Section47>")
    parts.append("<ReferralNFA>false</ReferralNFA>")
    if cp:
        review = icpc + 20
        parts.append(f"<ChildProtectionPlans><CPPstartDate>{icpc}</CPPstartDate><InitialCategoryOfAbuse>NEG"
                     "</InitialCategoryOfAbuse><LatestCategoryOfAbuse>NEG</LatestCategoryOfAbuse><NumberOfPreviousCPP>0"
                     f"</NumberOfPreviousCPP><Reviews><CPPreviewDate>{review}</CPPreviewDate></Reviews>"
                     "</ChildProtectionPlans>")
    parts.append("</CINdetails>")
    return "".join(parts), close is None


def write_census(path: Path, children: int, seed: int = 1) -> None:
    """A valid census file of ``children`` children (about 1.4 episodes each)."""
    rng = np.random.default_rng(seed)
    births = START - rng.integers(200, 17 * 365, children)
    upn = upns(rng, births.astype("datetime64[Y]").astype(int) + 1970 + 5)
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        for i in range(children):
            earlier = rng.random() < 0.3
            offset = int(rng.integers(60 if earlier else 0, 330))
            ref = START + offset
            episodes = []
            if earlier:
                first_ref = START - int(rng.integers(30, 150))
                close = START + int(rng.integers(0, offset - 5))
                episodes.append(f"<CINdetails><CINreferralDate>{first_ref}</CINreferralDate><ReferralSource>6"
                                f"</ReferralSource><PrimaryNeedCode>N5</PrimaryNeedCode><CINclosureDate>{close}"
                                "</CINclosureDate><ReasonForClosure>RC8</ReasonForClosure><ReferralNFA>false"
                                "</ReferralNFA></CINdetails>")
            episodes.append(_episode(rng, ref, last=True)[0])
            out.write(f"<Child><ChildIdentifiers><LAchildID>BN{i:08d}</LAchildID><UPN>{upn[i]}</UPN>"
                      f"<PersonBirthDate>{births[i]}</PersonBirthDate><Sex>{'MF'[i % 2]}</Sex></ChildIdentifiers>"
                      f"<ChildCharacteristics><Ethnicity>{rng.choice(ETHNICITY)}</Ethnicity><Disabilities>"
                      "<Disability>NONE</Disability></Disabilities></ChildCharacteristics>"
                      + "".join(episodes) + "</Child>\n")
        out.write("</Children></Message>\n")


BROKEN = (  # (valid text, broken text): one child-level error each, so a partial load quarantines the child
    ("<ReferralSource>", "<ReferralSource>9Z"),                      # 8866 invalid referral source
    ("<Ethnicity>", "<Ethnicity>ZZZ"),                              # 4220 invalid ethnicity
    ("<ReferralNFA>false</ReferralNFA>", "<ReferralNFA>maybe</ReferralNFA>"),  # not a yes/no value
    ("<Sex>", "<Sex>Q"),                                            # 4180 invalid sex
)


def write_partial(source: Path, target: Path, share: float = 0.9, seed: int = 2) -> int:
    """A copy of ``source`` in which ``share`` of the children carry an error; returns how many."""
    rng = np.random.default_rng(seed)
    broken = 0
    with source.open(encoding="utf-8") as src, target.open("w", encoding="utf-8") as out:
        for line in src:
            if line.startswith("<Child>") and rng.random() < share:
                good, bad = BROKEN[broken % len(BROKEN)]
                line = line.replace(good, bad, 1)
                broken += 1
            out.write(line)
    return broken


def write_junk(path: Path, mib: int, children: int = 20) -> None:
    """A census file of ``children`` valid children followed by ``mib`` MiB of elements the schema does not have."""
    census = path.with_suffix(".base.xml")
    write_census(census, children)
    text = census.read_text(encoding="utf-8")
    census.unlink()
    junk = "<Note><Text>x</Text></Note>\n"  # small elements: the most of them per MiB
    with path.open("w", encoding="utf-8") as out:
        out.write(text.replace("</Children></Message>\n", ""))
        for _ in range(mib * (1 << 20) // len(junk)):
            out.write(junk)
        out.write("</Children></Message>\n")


def timed_load(path: Path, data_dir: Path, *extra: str) -> tuple[float, float, int, int]:
    """(wall seconds, CPU seconds, exit status, peak RSS in MB) of one load in a child process of its own.

    CPU time (user + system, all threads) is the fairer figure on a shared machine: wall time grows
    with whatever else runs there."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        command = [sys.executable, "-m", "refresh.ingest", "cin", str(path), "--data-dir", str(data_dir), "--quiet",
                   "--max-rows", "5", *extra]
        child = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=err)
        _pid, status, usage = os.wait4(child.pid, 0)  # this child's own peak, not the largest of all children
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        if child.returncode not in (0, 1):
            out.seek(0), err.seek(0)
            print(out.read()[-3000:].decode(), err.read()[-3000:].decode(), file=sys.stderr)
    return seconds, usage.ru_utime + usage.ru_stime, child.returncode, usage.ru_maxrss // 1024


def _line(label: str, children: int, seconds: float, cpu: float, status: int, rss: int) -> None:
    print(f"{label}: {seconds:.1f} s wall, {cpu:.1f} s CPU, {children / seconds:,.0f} children/s, "
          f"{cpu / children * 1e6:,.0f} us CPU/child, exit {status}, peak RSS {rss:,} MB, load average "
          f"{os.getloadavg()[0]:.1f}  ({dt.datetime.now():%H:%M:%S})", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=100_000, help="children in the full load (0: skip it)")
    parser.add_argument("--partial", default="", metavar="N,N,...",
                        help="also time --allow-partial loads of files of N children, 90%% of them with an error")
    parser.add_argument("--junk-mib", type=int, default=0, help="also time a file of this many MiB of elements "
                        "the schema does not have (peak memory; the load must be refused)")
    parser.add_argument("--keep", type=Path, help="directory to keep the files, ledgers and stores in")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="csi-bench-ingest-"))
    work.mkdir(parents=True, exist_ok=True)
    sizes = [int(n) for n in args.partial.split(",") if n.strip()]
    made: dict[int, Path] = {}
    for n in sorted({args.children, *sizes} - {0}):
        made[n] = work / f"cin_{n}.xml"
        started = time.perf_counter()
        write_census(made[n], n)
        print(f"wrote {made[n]} ({made[n].stat().st_size / 1e6:.0f} MB, {n:,} children) "
              f"in {time.perf_counter() - started:.1f} s", flush=True)
    if args.children:
        data = work / "data"
        shutil.rmtree(data, ignore_errors=True)
        for label in ("full load (empty ledger)", "reload (same file again)"):
            _line(f"{label}, {args.children:,} children", args.children, *timed_load(made[args.children], data))
    for n in sizes:
        broken = work / f"cin_{n}_partial.xml"
        bad = write_partial(made[n], broken)
        data = work / f"data_partial_{n}"
        shutil.rmtree(data, ignore_errors=True)
        _line(f"partial load, {n:,} children ({bad:,} with errors)", n, *timed_load(broken, data, "--allow-partial"))
    if args.junk_mib:
        junk = work / f"junk_{args.junk_mib}.xml"
        write_junk(junk, args.junk_mib)
        seconds, cpu, status, rss = timed_load(junk, work / "data_junk")
        print(f"junk file, {junk.stat().st_size / (1 << 20):,.0f} MiB of elements the schema does not have: "
              f"{seconds:.1f} s wall, {cpu:.1f} s CPU, exit {status} ({'refused' if status == 1 else 'NOT refused'}), "
              f"peak RSS {rss:,} MB", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
