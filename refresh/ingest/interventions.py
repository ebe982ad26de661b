"""Interventions (service involvements outside the statutory returns) and population, from CSV or XLSX.

One row per involvement: early help, family support, educational psychology, short breaks, SEND
work. The columns, the names they are also recognised by, and how they map to the data model are
in docs/ingest.md (``COLUMNS`` below is the source of truth). An involvement is keyed on child,
service, intervention type and start date, so a later file updates it. A row naming a worker also
records that worker's allocation to the child for the involvement.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from model import codes
from model import upn as upns
from refresh.ingest.batch import Batch, Known, Rows, sha256_of
from refresh.ingest.findings import error, query
from refresh.ingest.tabular import Cells, normalise, read_table, rename

# canonical column -> other names it is recognised by (matched ignoring case, spaces and punctuation)
COLUMNS: dict[str, tuple[str, ...]] = {
    "la_child_id": ("LAchildID", "child id", "person id", "client id"),
    "service": ("service area",),
    "intervention_type": ("intervention", "type", "involvement type"),
    "start_date": ("start", "date started", "open date"),
    "end_date": ("end", "date ended", "close date", "closed date"),
    "team_id": ("team", "team code"),
    "team_name": (),
    "worker_id": ("worker", "worker code", "allocated worker"),
    "worker_name": (),
    "outcome": ("outcome code", "closure outcome"),
    "lawful_basis": ("lawful basis", "article 6 basis", "art6"),
    "art9_condition": ("article 9 condition", "art9", "special category condition"),
    "consent_purpose": ("purpose of consent",),
    "consent_given_date": ("consent given", "consent date"),
    "consent_withdrawn_date": ("consent withdrawn",),
    # Only needed for a child no census or SEN2 load has brought in:
    "upn": (), "forename": ("first name",), "surname": ("last name", "family name"),
    "birth_date": ("date of birth", "dob", "PersonBirthDate"), "sex": ("gender",), "ethnicity": (),
    "postcode": ("post code",),
}
REQUIRED = ("la_child_id", "service", "intervention_type", "start_date", "lawful_basis")
STATUTORY = {("CSC", "CIN"), ("CSC", "CP"), ("CSC", "LAC")}  # from the CIN census and 903, not this file
INTERVENTION_TABLES = ("l_children", "l_involvements", "l_allocations", "l_teams", "l_workers")
CHILD_COLUMNS = ("la_child_id", "upn", "forename", "surname", "birth_date", "sex", "ethnicity", "postcode")


def aliases(column_map: Mapping[str, str] | None = None) -> dict[str, str]:
    """Normalised header -> canonical column, with the caller's own ``column_map`` (theirs -> ours) on top."""
    out = {normalise(c): c for c in COLUMNS}
    out |= {normalise(alias): c for c, names in COLUMNS.items() for alias in names}
    out |= {normalise(theirs): ours for theirs, ours in (column_map or {}).items()}
    return out


def read_interventions(path: Path, known: Known, *, column_map: Mapping[str, str] | None = None,
                       sheet: str | None = None) -> Batch:
    """Read and validate an interventions file."""
    name = path.name
    table = rename(read_table(path, sheet=sheet), aliases(column_map))
    findings = [error(name, None, column, "", f"The column '{column}' is missing (see docs/ingest.md for the names "
                                              "it is recognised by)") for column in REQUIRED if column not in table]
    rows, children = Rows(), set[str]()
    teams: dict[str, tuple[str, str | None]] = {}
    workers: dict[str, tuple[str, str]] = {}
    if findings:
        table = table.iloc[0:0]
    for number, row in enumerate(table.to_dict("records"), start=2):
        child = row.get("la_child_id", "")
        if not child:
            findings.append(error(name, None, "la_child_id", "", f"Row {number} has no child identifier"))
            continue
        c = Cells(row, file=name, child=child, findings=findings)  # type: ignore[arg-type]  # pandas-stubs: to_dict() keys are Hashable
        service = c.text("service", required=True, codes=codes.SERVICE, what="Service")
        itype = c.text("intervention_type", required=True, codes=codes.INTERVENTION_TYPE, what="Intervention type")
        if service and itype and codes.INTERVENTION_TYPE[itype][0] != service:
            c._bad("intervention_type", "",
                   f"Row {number}: intervention type {itype} does not belong to service {service}")
        if (service, itype) in STATUTORY:
            c._bad("intervention_type", "", f"Row {number}: CIN, CP and looked-after (LAC) involvements come from "
                                            "the CIN census and 903 files")
        start = c.date("start_date", required=True, what="Start date")
        end = c.date("end_date", what="End date")
        if start and end and end < start:
            c._bad("end_date", "", f"Row {number}: ends {end}, before it starts ({start})")
        basis = c.text("lawful_basis", required=True, codes=codes.LAWFUL_BASIS, what="Lawful basis")
        given = c.date("consent_given_date", what="Consent given date")
        withdrawn = c.date("consent_withdrawn_date", what="Consent withdrawn date")
        purpose = c.text("consent_purpose")
        if basis == "consent" and (given is None or not purpose):
            c._bad("consent_given_date", "", f"Row {number}: consent is the lawful basis, so give the date consent "
                                             "was given and its purpose")
        if given and withdrawn and withdrawn < given:
            c._bad("consent_withdrawn_date", "", f"Row {number}: consent withdrawn {withdrawn} before it was given")
        team = c.text("team_id") or f"{service}-UNALLOCATED"
        if len(team) > 16:
            c._bad("team_id", "", f"Row {number}: team code '{team}' is longer than 16 characters")
        worker = c.text("worker_id")
        if team not in known.teams and team not in teams:
            teams[team] = (row.get("team_name") or team, service)
        if worker and worker not in known.workers:
            workers[worker] = (row.get("worker_name") or worker, team)
        _child(c, child, known, children, rows, number)
        rows.add("l_involvements", child, service, itype, start, team, worker, end,
                 c.text("outcome", codes=codes.INTERVENTION_OUTCOME, what="Outcome")
                 or ("OPEN" if end is None else None),
                 basis, c.text("art9_condition", codes=codes.ART9_CONDITION, what="Art 9 condition"), purpose, given,
                 withdrawn)
        if worker:
            rows.add("l_allocations", child, service, itype, start, worker, team, start, end)
    for team, (team_name, service) in teams.items():
        rows.add("l_teams", team, team_name, service, None)
        findings.append(query(name, None, "team_id", "", f"Team '{team}' was not known: added as '{team_name}'"))
    for worker, (worker_name, team) in workers.items():
        rows.add("l_workers", worker, worker_name, team, "Not recorded", None)
    frames = rows.frames(INTERVENTION_TABLES, {"l_children": CHILD_COLUMNS})
    dates = frames["l_involvements"]["start_date"].max()
    return Batch(kind="interventions", name=name, rows=frames, findings=findings,
                 children=len(set(table.get("la_child_id", []))), sha256=sha256_of([path]),
                 reference_date=None if dates is None or dates != dates else dates.date())


def _child(c: Cells, child: str, known: Known, seen: set[str], rows: Rows, number: int) -> None:
    """A child no other load has brought in is created from the row's own columns (sex and birth date needed)."""
    if child in known.children or child in seen:
        return
    seen.add(child)
    if len(child) > 20:
        c._bad("la_child_id", "", f"Row {number}: child identifier '{child}' is longer than 20 characters")
    sex = c.text("sex", codes=codes.SEX, what="Sex")
    born = c.date("birth_date", what="Date of birth")
    if sex is None or born is None:
        c._bad("la_child_id", "", f"Row {number}: child '{child}' is not in any census or SEN2 load; give their "
                                  "sex (M/F/U) and date of birth to add them")
    upn = c.text("upn")
    for _rule, message in upns.problems(upn) if upn else []:
        c._bad("upn", "", message)
    rows.add("l_children", child, upn, c.text("forename"), c.text("surname"), born, sex,
             c.text("ethnicity", codes=codes.ETHNICITY, what="Ethnicity"), c.text("postcode"))


def read_population(path: Path) -> Batch:
    """ONS mid-year estimates: columns year and children_0_17 (aged 0-17)."""
    table = rename(read_table(path), {"year": "year", "midyear": "year", "children017": "children_0_17",
                                      "population": "children_0_17", "population017": "children_0_17"})
    findings = [error(path.name, None, c, "", f"The column '{c}' is missing") for c in ("year", "children_0_17")
                if c not in table]
    rows = Rows()
    for number, row in enumerate([] if findings else table.to_dict("records"), start=2):
        c = Cells(row, file=path.name, child="", findings=findings)  # type: ignore[arg-type]  # pandas-stubs: to_dict() keys are Hashable
        year, count = c.integer("year", required=True), c.integer("children_0_17", required=True)
        if year is not None and count is not None:
            rows.add("l_population", year, count)
        elif not findings:
            findings.append(error(path.name, None, "year", "", f"Row {number} is incomplete"))
    return Batch(kind="population", name=path.name, rows=rows.frames(["l_population"]), findings=findings,
                 children=0, sha256=sha256_of([path]))
