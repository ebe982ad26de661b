"""Time loading a CIN census file of N children (default 100,000): validate, merge, rebuild, swap.

    .venv/bin/python bench/ingest.py [--children 100000] [--keep DIR]

Writes a synthetic, valid 2024-25 census file (UPNs with correct check letters, dates in order and
in the census year), then runs ``python -m refresh.ingest cin`` on it in a child process twice
(first load into an empty ledger, then the same file again) and prints wall time, children per
second and the child process's peak resident memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
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


def timed_load(path: Path, data_dir: Path) -> tuple[float, int, int]:
    """(seconds, exit status, peak RSS in MB) of one load in a child process."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "refresh.ingest", "cin", str(path), "--data-dir", str(data_dir),
                           "--quiet", "--max-rows", "5"], cwd=ROOT, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        print(done.stdout[-3000:], done.stderr[-3000:], file=sys.stderr)
    return seconds, done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="directory to keep the file, ledger and store in")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="csi-bench-ingest-"))
    work.mkdir(parents=True, exist_ok=True)
    census = work / f"cin_{args.children}.xml"
    started = time.perf_counter()
    write_census(census, args.children)
    print(f"wrote {census} ({census.stat().st_size / 1e6:.0f} MB, {args.children:,} children) "
          f"in {time.perf_counter() - started:.1f} s")
    for label in ("first load (empty ledger)", "same file again"):
        seconds, status, rss = timed_load(census, work / "data")
        print(f"{label}: {seconds:.1f} s, {args.children / seconds:,.0f} children/s, exit {status}, "
              f"peak RSS {rss:,} MB  ({dt.datetime.now():%H:%M:%S})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
