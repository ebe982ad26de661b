"""A CIN census file as a batch for the ledger: read, validated, mapped to the data model.

Mapping (census element -> ledger/analytics column):
    ChildIdentifiers -> children (LAchildID, UPN, FormerUPN, UPNunknown, birth/expected/death dates,
    Sex; GenderCurrent mapped with codes.GENDER_CURRENT_TO_SEX); Ethnicity -> children.ethnicity;
    Disability -> child_disabilities (the file's list replaces the stored one);
    CINdetails -> cin_episodes (matched on LAchildID + CINreferralDate); Assessments (matched on start
    date) -> assessments + assessment_factors; Section47 -> section47; CINPlanDates -> cin_plans;
    ChildProtectionPlans -> cp_plans + cp_reviews.
Not stored (no column in the model yet): AssessmentInternalReviewDate, the episode-level
DateOfInitialCPC and the 2026-27 pre-proceedings block (read and validated only).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from model import la_codes
from refresh.ingest import cin_rules
from refresh.ingest.batch import Batch, Rows
from refresh.ingest.cin_file import CensusFile
from refresh.ingest.findings import Finding, error, query, severity_of

CIN_TABLES = ("l_children", "l_disabilities", "l_episodes", "l_assessments", "l_factors", "l_section47",
              "l_cin_plans", "l_cp_plans", "l_cp_reviews")
CHILD_COLUMNS = ("la_child_id", "upn", "former_upn", "upn_unknown", "birth_date", "expected_birth_date", "sex",
                 "ethnicity", "death_date")


def _finding(file: str, child: str, problem: tuple[str, str, str]) -> Finding:
    element, rule, message = problem
    return Finding(file, child, element, rule, severity_of(rule), message)


def _add_rows(rows: Rows, la_id: str, data: dict[str, Any]) -> None:
    ids = data.get("ChildIdentifiers", {})
    rows.add("l_children", la_id, ids.get("UPN"), ids.get("FormerUPN"), ids.get("UPNunknown"),
             ids.get("PersonBirthDate"), ids.get("ExpectedPersonBirthDate"), ids.get("Sex"),
             data.get("ChildCharacteristics", {}).get("Ethnicity"), ids.get("PersonDeathDate"))
    for code in data.get("ChildCharacteristics", {}).get("Disabilities", {}).get("Disability", []):
        rows.add("l_disabilities", la_id, code)
    for e in data.get("CINdetails", []):
        ref = e.get("CINreferralDate")
        rows.add("l_episodes", la_id, ref, e.get("ReferralSource"), e.get("PrimaryNeedCode"), e.get("ReferralNFA"),
                 e.get("CINclosureDate"), e.get("ReasonForClosure"))
        for a in e.get("Assessments", []):
            start = a.get("AssessmentActualStartDate")
            rows.add("l_assessments", la_id, ref, start, a.get("AssessmentAuthorisationDate"))
            for factor in a.get("FactorsIdentifiedAtAssessment", {}).get("AssessmentFactors", []):
                rows.add("l_factors", la_id, ref, start, factor)
        for s in e.get("Section47", []):
            rows.add("l_section47", la_id, ref, s.get("S47ActualStartDate"), s.get("InitialCPCtarget"),
                     s.get("DateOfInitialCPC"), s.get("ICPCnotRequired"))
        for p in e.get("CINPlanDates", []):
            rows.add("l_cin_plans", la_id, ref, p.get("CINPlanStartDate"), p.get("CINPlanEndDate"))
        for p in e.get("ChildProtectionPlans", []):
            start = p.get("CPPstartDate")
            rows.add("l_cp_plans", la_id, ref, start, p.get("CPPendDate"), p.get("InitialCategoryOfAbuse"),
                     p.get("LatestCategoryOfAbuse"), p.get("NumberOfPreviousCPP"))
            for review in p.get("Reviews", {}).get("CPPreviewDate", []):
                rows.add("l_cp_reviews", la_id, ref, start, review)


def read_cin(path: Path, *, on_chunk: Callable[[bytes], None] | None = None,
             on_child: Callable[[], None] | None = None) -> Batch:
    """Read and validate a census file; every child's rows are in the batch (errors decide what loads)."""
    name = path.name
    digest = hashlib.sha256()

    def tap(chunk: bytes) -> None:
        digest.update(chunk)
        if on_chunk:
            on_chunk(chunk)

    census = CensusFile(path, tap)
    findings: list[Finding] = []
    rows = Rows()
    ids: list[tuple[str | None, str | None]] = []
    keys: list[str] = []
    checker: cin_rules.Checker | None = None
    for child in census.children():
        if checker is None and census.header.reference_date:
            checker = cin_rules.Checker(census.header)
        la_id = child.la_child_id
        findings += [_finding(name, la_id, p) for p in child.problems]
        if checker is not None:
            findings += [_finding(name, la_id, p) for p in checker.child(child.data)]
        ids.append((child.data.get("ChildIdentifiers", {}).get("LAchildID"),
                    child.data.get("ChildIdentifiers", {}).get("UPN")))
        keys.append(la_id)
        _add_rows(rows, la_id, child.data)
        if on_child:
            on_child()
    findings += [_finding(name, keys[pos], p) for pos, p in cin_rules.duplicates(ids)]
    if checker is not None:  # return-level rules: no child (an error refuses the file, a query does not)
        findings += [_finding(name, "", p) for p in checker.file_problems()]
    findings += _file_problems(name, census, len(keys))
    findings += [error(name, keys[s.child] if s.child is not None else None, s.path, "", s.message)
                 for s in census.strays]
    if census.more_strays:
        findings.append(error(name, None, "Message", "", f"{census.more_strays:,} more elements the CIN census "
                              "schema does not allow, in places not listed"))
    frames = rows.frames(CIN_TABLES, {"l_children": CHILD_COLUMNS})
    assessed = frames["l_assessments"][["la_child_id", "referral_date", "start_date"]]
    scopes = {"l_disabilities": frames["l_children"][["la_child_id"]],
              "l_factors": assessed.rename(columns={"start_date": "assessment_start"})}

    def quarantine(excluded: set[str], directory: Path) -> list[Path]:
        positions = {pos for pos, key in enumerate(keys) if key in excluded}
        return [census.copy_children(positions, directory / f"{path.stem}.quarantine.xml")] if positions else []

    return Batch(kind="cin", name=name, rows=frames, findings=findings, children=len(keys),
                 reference_date=census.header.reference_date, sha256=digest.hexdigest(), scopes=scopes,
                 quarantine=quarantine)


def _file_problems(name: str, census: CensusFile, children: int) -> list[Finding]:
    found = []
    if census.error:
        found.append(error(name, None, "Message", "", census.error))
    elif not census.header_seen:
        found.append(error(name, None, "Header", "", "The file has no <Header>, so the census year is unknown"))
    elif census.header.reference_date is None:
        found.append(error(name, None, "Header/CollectionDetails/ReferenceDate", "",
                           "The header has no valid <ReferenceDate> (YYYY-MM-DD), so the census year is unknown"))
    if census.header.collection not in (None, "CIN"):
        found.append(error(name, None, "Header/CollectionDetails/Collection", "",
                           f"The collection is '{census.header.collection}', not CIN"))
    lea = census.header.lea
    if lea is not None and lea not in la_codes.CURRENT_CODES:
        known = la_codes.name_of(lea)
        found.append(query(name, None, "Header/Source/LEA", "", f"The header's LEA '{lea}' is not the code of a "
                           "council in DfE's list of LA codes" + (f" ({known})" if known else "")))
    if not census.error and children == 0:
        found.append(error(name, None, "Children", "", "The file holds no <Child> records"))
    return found
