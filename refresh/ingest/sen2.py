"""SEN2 person-level return (COLLECT Blade export CSVs) as a batch for the ledger.

One CSV per module, recognised by the end of its name (``Blade-Export_<date>_person.csv`` ...):
person, requests, assessment, namedplan, plandetail, activeplans, placementdetail, senneed, and the
optional sen2 header (its ``referencedate`` becomes the load's reference date). Modules link by
their ``*tableid`` columns. The column mapping to the data model is in docs/ingest.md.

A person is matched to a child by an ``LAchildID`` column when the export has one, else by UPN to a
child already loaded, else keyed on UPN, then ULN, then a hash of name and date of birth. An EHC
plan is keyed on its request (child + date received), so next year's return updates it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from model import codes
from model import upn as upns
from refresh.ingest.batch import Batch, Known, Rows, sha256_of
from refresh.ingest.findings import error, query
from refresh.ingest.tabular import Cells, normalise, read_table

MODULES = ("placementdetail", "plandetail", "activeplans", "namedplan", "assessment", "requests", "senneed",
           "person", "sen2")
PARENT = {"requests": ("persontableid", "person"), "assessment": ("requeststableid", "requests"),
          "namedplan": ("assessmenttableid", "assessment"), "plandetail": ("namedplantableid", "namedplan"),
          "activeplans": ("requeststableid", "requests"), "placementdetail": ("activeplanstableid", "activeplans"),
          "senneed": ("activeplanstableid", "activeplans")}
SEN2_OUTCOMES = ("Y", "N", "A", "W", "H")
REQUEST_OUTCOME = {"Y": "A", "N": "N", "A": "O", "W": "W", "H": "A"}  # SEN2 -> codes.EHC_REQUEST_OUTCOME
ASSESSMENT_OUTCOME = {"Y": "Y", "N": "N", "A": "O", "W": "N", "H": "Y"}  # -> codes.EHC_ASSESSMENT_OUTCOME
UPN_UNKNOWN = ("UN1", "UN2", "UN3", "UN5", "UN8", "UN9", "UN10")
SETTING = {"EYP": "EY", **{c: "EE" for c in ("OLA", "OPA", "EHE", "OTH", "NEET", "NIEC", "NIEO")},
           **{c: c for c in codes.SEN_SETTING}}
SEN_TABLES = ("l_children", "l_ehc_requests", "l_ehc_assessments", "l_ehc_plans", "l_sen_needs", "l_sen_placements")
CHILD_COLUMNS = ("la_child_id", "upn", "upn_unknown", "forename", "surname", "birth_date", "sex", "ethnicity",
                 "postcode")


def module_of(path: Path) -> str | None:
    stem = normalise(path.stem)
    return next((m for m in MODULES if stem.endswith(m)), None)


def sen2_files(paths: Sequence[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        found += sorted(path.glob("*.csv")) if path.is_dir() else [path]
    return found


class _Reader:
    def __init__(self, files: list[Path], known: Known) -> None:
        self.known, self.findings, self.rows = known, [], Rows()
        self.tables: dict[str, pd.DataFrame] = {}
        self.names: dict[str, str] = {}
        for path in files:
            module = module_of(path)
            if module is None:
                self.findings.append(query(path.name, None, "file", "", "Not recognised as a SEN2 module; ignored"))
            elif module in self.tables:
                self.findings.append(error(path.name, None, "file", "", f"A second '{module}' module file"))
            else:
                self.tables[module], self.names[module] = read_table(path), path.name
        for module in ("person", "requests"):
            if module not in self.tables:
                self.findings.append(error(module, None, "file", "", f"The SEN2 '{module}' module file is missing"))
        self.key: dict[str, str] = {}  # person table id -> child key
        self.owner: dict[str, dict[str, str]] = {m: {} for m in MODULES}  # module -> table id -> person table id

    def table(self, module: str) -> pd.DataFrame:
        return self.tables.get(module, pd.DataFrame())

    def rows_of(self, module: str) -> list[tuple[str, str, Cells]]:
        """(table id, child key, cells) for each row whose parent exists; orphans become file errors."""
        out = []
        id_col = f"{module}tableid"
        parent = PARENT.get(module)
        file = self.names.get(module, module)
        for number, row in enumerate(self.table(module).to_dict("records"), start=2):
            table_id = row.get(id_col, "")
            person = self.owner[parent[1]].get(row.get(parent[0], "")) if parent else table_id
            if not table_id or person is None:
                self.findings.append(error(file, None, id_col if not table_id else parent[0], "",  # type: ignore[index]  # person is None only with a parent
                                           f"Row {number} has no {id_col} or refers to a record that is not in the "
                                           "export"))
                continue
            self.owner[module][table_id] = person
            child = self.key.get(person, "")
            out.append((table_id, child, Cells(row, file=file, child=child, findings=self.findings)))  # type: ignore[arg-type]  # pandas-stubs: to_dict() keys are Hashable
        return out


def _person_key(row: dict[str, str], known: Known) -> str:
    if row.get("lachildid"):
        return row["lachildid"]
    upn = row.get("upn", "").upper()
    if upn and upn in known.by_upn:
        return known.by_upn[upn]
    if upn or row.get("uniquelearnernumber"):
        return upn or row["uniquelearnernumber"]
    basis = "|".join(row.get(c, "").lower() for c in ("surname", "forename", "personbirthdate"))
    return "S2" + hashlib.sha256(basis.encode()).hexdigest()[:16].upper()


def _people(r: _Reader) -> None:
    seen: dict[str, int] = {}
    for row in r.table("person").to_dict("records"):
        if row.get("persontableid"):
            r.key[row["persontableid"]] = key = _person_key(row, r.known)  # type: ignore[arg-type]  # pandas-stubs: to_dict() keys are Hashable
            seen[key] = seen.get(key, 0) + 1
    for _table_id, child, c in r.rows_of("person"):
        if seen.get(child, 0) > 1:
            c._bad("persontableid", "", f"Two people in the export resolve to the same child ({child})")
        if len(child) > 20:
            c._bad("lachildid", "", f"LAchildID '{child}' is longer than 20 characters")
        sex = c.text("sex", codes=codes.SEX, what="Sex")
        gender = c.text("gendercurrent", codes=codes.GENDER_CURRENT_TO_SEX, what="Gender")
        sex = sex or (codes.GENDER_CURRENT_TO_SEX[gender] if gender else None)
        if sex is None and not (c.row.get("sex") or c.row.get("gendercurrent")):
            c._bad("sex", "", "Sex is missing (M, F or U)")
        upn = c.text("upn")
        for _rule, message in upns.problems(upn) if upn else []:
            c._bad("upn", "", message)
        ethnicity = c.text("ethnicity")
        if ethnicity and ethnicity not in codes.ETHNICITY:
            r.findings.append(query(c.file, child, "ethnicity", "", f"Ethnicity '{ethnicity}' is not a main code"))
        postcode = c.text("postcode")
        if postcode and len(postcode) > 8:
            c._bad("postcode", "", f"Postcode '{postcode}' is longer than 8 characters")
        r.rows.add("l_children", child, upn.upper() if upn else None,
                   c.text("upnunknown", codes=UPN_UNKNOWN, what="UPN unknown reason"), c.text("forename"),
                   c.text("surname"), c.date("personbirthdate", required=True, what="Date of birth"), sex, ethnicity,
                   postcode.upper() if postcode else None)


def _referenced(r: _Reader, module: str, column: str) -> set[str]:
    table = r.table(module)
    return set(table[column]) if column in table else set()


def _requests(r: _Reader) -> dict[str, tuple[str, dt.date | None]]:
    """request table id -> (child key, date received), with the request rows added."""
    out: dict[str, tuple[str, dt.date | None]] = {}
    seen: set[tuple[str, dt.date]] = set()
    followed = _referenced(r, "assessment", "requeststableid") | _referenced(r, "activeplans", "requeststableid")
    for table_id, child, c in r.rows_of("requests"):
        received = c.date("receiveddate", required=True, what="Date request received")
        outcome = c.text("requestoutcome", required=True, codes=SEN2_OUTCOMES, what="Request outcome")
        decided = c.date("requestoutcomedate", what="Request outcome date")
        if received and decided and decided < received:
            c._bad("requestoutcomedate", "", f"Request outcome date {decided} is before the request ({received})")
        if received and (child, received) in seen:
            c._bad("receiveddate", "", f"Two requests for this child were received on {received}")
        if outcome == "H" and table_id not in followed:
            c._bad("requestoutcome", "", "A historical request (H) has no assessment or plan: its outcome is unknown")
        out[table_id] = (child, received)
        if received:
            seen.add((child, received))
        r.rows.add("l_ehc_requests", child, received, c.text("requestsource"), REQUEST_OUTCOME.get(outcome or ""),
                   decided, c.flag("requestmediation", default=False), c.flag("requesttribunal", default=False))
    return out


Requests = dict[str, tuple[str, dt.date | None]]


def _assessments(r: _Reader, requests: Requests) -> tuple[dict[str, str], dict[str, tuple[str | None, dt.date | None]]]:
    """(assessment id -> request id, request id -> (outcome, outcome date)), with the rows added."""
    request_of: dict[str, str] = {}
    outcomes: dict[str, tuple[str | None, dt.date | None]] = {}
    for table_id, child, c in r.rows_of("assessment"):
        request = request_of[table_id] = c.row.get("requeststableid", "")
        outcome = c.text("assessmentoutcome", required=True, codes=SEN2_OUTCOMES, what="Assessment outcome")
        when = c.date("assessmentoutcomedate", what="Assessment outcome date")
        received = requests.get(request, (child, None))[1]
        if received and when and when < received:
            c._bad("assessmentoutcomedate", "", f"Assessment outcome {when} is before the request ({received})")
        if outcome == "H" and request not in _referenced(r, "activeplans", "requeststableid") and \
                table_id not in _referenced(r, "namedplan", "assessmenttableid"):
            c._bad("assessmentoutcome", "", "A historical assessment (H) has no plan: its outcome is unknown")
        outcomes[request] = (outcome, when)
        r.rows.add("l_ehc_assessments", child, received, ASSESSMENT_OUTCOME.get(outcome or ""), when,
                   c.flag("week20", default=False))
    return request_of, outcomes


def _plans(r: _Reader, requests: Requests) -> None:
    request_of, assessed = _assessments(r, requests)
    named: dict[str, tuple[str, Cells]] = {}  # request id -> (named plan id, cells)
    for table_id, _child, c in r.rows_of("namedplan"):
        named[request_of.get(c.row.get("assessmenttableid", ""), "")] = (table_id, c)
    active: dict[str, str] = {}  # active plan id -> request id
    active_cells: dict[str, Cells] = {}  # request id -> cells
    for table_id, _child, c in r.rows_of("activeplans"):
        request = active[table_id] = c.row.get("requeststableid", "")
        if request in active_cells:
            c._bad("requeststableid", "", "Two active plans come from the same request")
        active_cells[request] = c
    needs = _needs(r, active, requests)
    spans: dict[str, tuple[dt.date | None, dt.date | None]] = {}
    for request in sorted(set(named) | set(active_cells)):
        child, received = requests.get(request, ("", None))
        if received is None:
            continue
        plan = named[request][1] if request in named else None
        cells = plan or active_cells[request]
        start = plan.date("startdate", required=True, what="EHC plan start date") if plan else None
        outcome, when = assessed.get(request, (None, None))
        start = start or (when if outcome in ("Y", "H") else None)
        if start is None:
            cells._bad("startdate", "", f"The EHC plan for the request of {received} has no start date "
                                        "(no named plan and no assessment outcome date)")
        if (child, received) not in needs and (child, received) not in r.known.plans_with_need:
            cells._bad("sentype", "", f"The EHC plan for the request of {received} has no primary (rank 1) "
                                      "SEN need in this export or in earlier loads")
        ceased = plan.date("ceasedate", what="Date plan ceased") if plan else None
        reason = plan.text("ceasereason", codes=codes.EHC_CEASE_REASON, what="Cease reason") if plan else None
        if plan is not None and (ceased is None) != (reason is None) and plan.ok:
            plan._bad("ceasereason", "", "Give both the date the plan ceased and the reason, or neither")
        if start and ceased and ceased < start:
            cells._bad("ceasedate", "", f"The plan ceased {ceased}, before it started ({start})")
        review = active_cells[request].date("lastreview", what="Last review date") if request in active_cells else None
        spans[request] = (start, ceased)
        r.rows.add("l_ehc_plans", child, received, start, ceased, reason, review)
    _placements(r, {plan_id: q for q, (plan_id, _) in named.items()}, active, requests, spans)


def _needs(r: _Reader, active: dict[str, str], requests: Requests) -> set[tuple[str, dt.date | None]]:
    ranked: dict[str, set[int]] = {}
    for _table_id, child, c in r.rows_of("senneed"):
        request = active.get(c.row.get("activeplanstableid", ""), "")
        need = c.text("sentype", required=True, codes=codes.SEN_NEED, what="SEN type")
        rank = c.integer("sentyperank", required=True, what="SEN type rank")
        if rank is not None and rank not in (1, 2):
            c._bad("sentyperank", "", f"SEN type rank {rank} is not 1 (primary) or 2 (secondary)")
        elif rank is not None and rank in ranked.get(request, set()):
            c._bad("sentyperank", "", f"Two SEN needs of rank {rank} on one plan")
        ranked.setdefault(request, set()).add(rank or 0)
        r.rows.add("l_sen_needs", child, requests.get(request, (child, None))[1], need, rank)
    return {requests[q] for q, ranks in ranked.items() if 1 in ranks and q in requests}


def _setting(c: Cells) -> str | None:
    code = c.text("sensetting")
    if code:
        if code.upper() not in SETTING:
            c._bad("sensetting", "", f"SEN setting '{code}' is not a SEN2 setting code")
            return None
        return SETTING[code.upper()]
    return c.text("settingcategory", codes=codes.SEN_SETTING, what="Setting category") or "NR"


def _rank(c: Cells, request: str, start: dt.date | None, seen: set[tuple[str, dt.date | None, int]]) -> int:
    """The placement's SEN2 rank (1 main, 2 dual; 1 when not given); a second of the same rank starting the
    same day on the same plan is an error (both would be one placement)."""
    rank = c.integer("placementrank", what="Placement rank") or 1
    if rank not in (1, 2):
        c._bad("placementrank", "", f"Placement rank {rank} is not 1 (main placement) or 2 (dual placement)")
    elif (request, start, rank) in seen:
        c._bad("placementrank", "", f"Two placements of rank {rank} start on {start} on the same plan: a dual "
                                    "placement has rank 2")
    seen.add((request, start, rank))
    return rank


def _placements(r: _Reader, plan_request: dict[str, str], active: dict[str, str], requests: Requests,
                spans: dict[str, tuple[dt.date | None, dt.date | None]]) -> None:
    """Placement details (main and dual, by rank); a plan with none gets its named placements for its life."""
    placed: set[str] = set()
    seen: set[tuple[str, dt.date | None, int]] = set()
    for _table_id, child, c in r.rows_of("placementdetail"):
        request = active.get(c.row.get("activeplanstableid", ""), "")
        start = c.date("entrydate", required=True, what="Placement start date")
        end = c.date("leavingdate", what="Placement leaving date")
        if start and end and end < start:
            c._bad("leavingdate", "", f"The placement ends {end}, before it starts ({start})")
        placed.add(request)
        rank = _rank(c, request, start, seen)
        r.rows.add("l_sen_placements", child, requests.get(request, (child, None))[1],
                   c.text("urn") or c.text("ukprn"), _setting(c), start, end, rank)
    for _table_id, child, c in r.rows_of("plandetail"):
        request = plan_request.get(c.row.get("namedplantableid", ""), "")
        start, ceased = spans.get(request, (None, None))
        if request in placed or start is None:
            continue
        rank = _rank(c, request, start, seen)
        r.rows.add("l_sen_placements", child, requests.get(request, (child, None))[1],
                   c.text("urn") or c.text("ukprn"), _setting(c), start, ceased, rank)


def read_sen2(paths: Sequence[Path], known: Known, *, reference_date: dt.date | None = None) -> Batch:
    """Read and validate a SEN2 export (a directory of module CSVs, or the files themselves)."""
    files = sen2_files(paths)
    r = _Reader(files, known)
    _people(r)
    _plans(r, _requests(r))
    header = r.table("sen2")
    if reference_date is None and "referencedate" in header and len(header):
        cells = Cells(header.iloc[0].to_dict(), file=r.names["sen2"], child="", findings=r.findings)  # type: ignore[arg-type]  # pandas-stubs: to_dict() keys are Hashable
        reference_date = cells.date("referencedate", what="Reference date")
    frames = r.rows.frames(SEN_TABLES, {"l_children": CHILD_COLUMNS})
    if reference_date is None:
        dated = [frames[t][c].max() for t, c in (("l_ehc_requests", "received_date"), ("l_ehc_plans", "start_date"))]
        dated = [d for d in dated if pd.notna(d)]
        reference_date = max(dated).date() if dated else None
    name = paths[0].name if len(paths) == 1 else "sen2"
    return Batch(kind="sen2", name=name, rows=frames, findings=r.findings, children=len(set(r.key.values())),
                 reference_date=reference_date, sha256=sha256_of(files) if files else None,
                 scopes={"l_sen_needs": frames["l_sen_needs"][["la_child_id", "received_date"]]})
