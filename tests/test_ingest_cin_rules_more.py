"""The CIN rules added for the full 2024-25 set (issue 16), the defects fixed with them, and the rule table.

Each case breaks one rule on one child of the minimal valid fixture (see tests/_cin_mutate.py):
the child passes before the change (it is not among the fixture's known queries) and fails after
it, with the rule's severity. Return-level rules have a failing and a passing file each.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest

from refresh import ingest
from refresh.ingest.cin import read_cin
from refresh.ingest.cin_rules.catalogue import EXTRA, RULES
from refresh.ingest.findings import Finding, Severity, read_csv

try:
    from _cin_mutate import (  # type: ignore[import-not-found]
        A_ASSESS,
        A_CIN,
        A_CP,
        A_EP,
        A_ID,
        A_S47,
        B_EP1,
        B_EP2,
        C_EP,
        VALID,
        B,
        C,
        Change,
        add,
        block,
        both,
        drop,
        dup,
        mutated,
        text,
    )
    from test_ingest_cin_rules import BASELINE, CASES  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover
    from ._cin_mutate import (  # type: ignore[no-redef]
        A_ASSESS,
        A_CIN,
        A_CP,
        A_EP,
        A_ID,
        A_S47,
        B_EP1,
        B_EP2,
        C_EP,
        VALID,
        B,
        C,
        Change,
        add,
        block,
        both,
        drop,
        dup,
        mutated,
        text,
    )
    from .test_ingest_cin_rules import BASELINE, CASES  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent


def died(day: str, child: str = "Children/Child[1]") -> Change:
    return add(f"{child}/ChildIdentifiers", "PersonDeathDate", day)


NEW_CASES: list[tuple[str, str, Change]] = [
    # NFA and closure
    ("2990", "CHILDA1", text(f"{A_EP}/ReasonForClosure", "RC8")),
    ("4000", "CHILDC3", block(C_EP, "CINPlanDates", CINPlanStartDate="2025-03-02")),
    ("8831", "CHILDC3", block(C_EP, "Assessments", AssessmentActualStartDate="2025-03-02")),
    ("8831", "CHILDC3", add(C_EP, "DateOfInitialCPC", "2025-03-03")),
    ("8832", "CHILDC3", block(C_EP, "ChildProtectionPlans", CPPstartDate="2025-03-03", InitialCategoryOfAbuse="NEG",
                              LatestCategoryOfAbuse="NEG", NumberOfPreviousCPP="0")),
    ("8565", "CHILDA1", text(f"{A_CIN}/CINPlanEndDate", "2025-03-01")),
    ("8565", "CHILDA1", text(f"{A_ASSESS}/AssessmentAuthorisationDate", "2025-02-21")),
    ("8568", "CHILDA1", text(f"{A_EP}/ReferralNFA", "maybe")),
    ("8568", "CHILDA1", drop(f"{A_EP}/ReferralNFA")),
    ("8569Q", "CHILDC3", text(f"{C_EP}/CINreferralDate", "2024-03-27")),
    ("8825Q", "CHILDB2", drop(f"{B_EP1}/Assessments")),
    ("8873Q", "CHILDB2", text(f"{B_EP1}/ReasonForClosure", "RC7")),
    # CIN plan alongside a CP plan
    ("4001", "CHILDA1", both(drop(f"{A_CP}/CPPendDate"), drop(f"{A_CIN}/CINPlanEndDate"))),
    ("4016", "CHILDA1", text(f"{A_CIN}/CINPlanStartDate", "2025-01-10")),
    ("4017", "CHILDA1", both(text(f"{A_CIN}/CINPlanStartDate", "2024-05-20"),
                             text(f"{A_CIN}/CINPlanEndDate", "2024-06-30"))),
    ("4003", "CHILDA1", text(f"{A_CP}/Reviews/CPPreviewDate", "2025-01-20")),
    # ICPC and CP plan linkage
    ("2884", "CHILDA1", add(A_EP, "DateOfInitialCPC", "2024-05-29", index=5)),
    ("2885", "CHILDA1", text(f"{A_CP}/CPPstartDate", "2024-05-30")),
    ("8870Q", "CHILDA1", text(f"{A_S47}/InitialCPCtarget", "2024-06-01")),
    # open or incomplete work
    ("8736", "CHILDB2", both(text(f"{B_EP2}/CINreferralDate", "2024-03-15"),
                             text(f"{B_EP2}/Assessments/AssessmentActualStartDate", "2024-03-20"))),
    ("8740", "CHILDA1", both(drop(f"{A_S47}/DateOfInitialCPC"), text(f"{A_S47}/S47ActualStartDate", "2024-03-20"))),
    ("8839", "CHILDA1", both(drop(f"{A_S47}/DateOfInitialCPC"), dup(A_S47, S47ActualStartDate="2024-06-03"))),
    ("8867", "CHILDA1", drop(f"{A_ASSESS}/AssessmentAuthorisationDate")),
    ("8868", "CHILDA1", drop(f"{A_S47}/DateOfInitialCPC")),
    ("8890", "CHILDA1", dup(A_S47, S47ActualStartDate="2024-05-20", DateOfInitialCPC="2024-05-31")),
    ("8896", "CHILDB2", dup(f"{B_EP2}/Assessments", AssessmentActualStartDate="2025-01-09")),
    ("2991Q", "CHILDA1", drop(A_ASSESS)),
    ("8670Q", "CHILDA1", drop(f"{A_ASSESS}/AssessmentAuthorisationDate")),
    ("8675Q", "CHILDA1", drop(f"{A_S47}/DateOfInitialCPC")),
    ("8863Q", "CHILDA1", dup(A_ASSESS, AssessmentActualStartDate="2024-05-10")),
    # death
    ("4008", "CHILDA1", died("2025-01-10")),
    ("4009Q", "CHILDA1", died("2025-02-10")),
    ("8915", "CHILDA1", died("2024-05-20")),
    ("8920", "CHILDA1", died("2025-01-10")),
    ("8535Q", "CHILDA1", died("2015-01-01")),
    ("8545Q", "CHILDA1", died("2024-03-01")),
    ("8555Q", "CHILDA1", died("2024-04-20")),
    ("8585Q", "CHILDA1", text(f"{A_EP}/ReasonForClosure", "RC2")),
    # identifiers, factors, reviews
    ("8950Q", "CHILDA1", text(f"{A_ASSESS}/FactorsIdentifiedAtAssessment/AssessmentFactors", "19A")),
    ("8530Q", "CHILDC3", text(f"{C}/ChildIdentifiers/ExpectedPersonBirthDate", "2026-02-01")),
    ("8770Q", "CHILDA1", drop(f"{A_ID}/UPN")),
    ("8770Q", "CHILDA1", both(drop(f"{A_ID}/UPN"), add(A_ID, "UPNunknown", "UN1", index=1))),
    ("8842Q", "CHILDA1", text(f"{A_CP}/Reviews/CPPreviewDate", "")),
    ("8842Q", "CHILDA1", text(f"{A_CP}/Reviews/CPPreviewDate", "2024-13-01")),
]


def found(findings: list[Finding]) -> set[tuple[str, str]]:
    return {(f.rule, f.la_child_id) for f in findings}


@functools.cache
def unchanged() -> frozenset[tuple[str, str]]:
    """(rule, child) of every finding on the valid fixture as it is."""
    return frozenset(found(read_cin(VALID).findings))


@pytest.mark.parametrize(("rule", "child", "change"), [pytest.param(*case, id=f"{case[0]}-{n}")
                                                       for n, case in enumerate(NEW_CASES)])
def test_each_new_rule_fails_the_child_that_breaks_it(tmp_path: Path, rule: str, child: str, change: Change) -> None:
    assert (rule, child) not in unchanged()  # the same child passes before the change
    findings = read_cin(mutated(tmp_path, change)).findings
    hits = [f for f in findings if f.rule == rule]
    assert child in {f.la_child_id for f in hits}, f"{rule} did not fire; got {[(f.rule, f.message) for f in findings]}"
    assert {f.severity for f in hits} == {Severity.QUERY if rule.endswith("Q") else Severity.ERROR}
    assert all(f.message and f.element for f in hits)


# (rule, change that breaks it, change that passes it): the return-level rules have no child.
RETURN_CASES: list[tuple[str, Change, Change]] = [
    ("100", text("Header/CollectionDetails/Year", "2024"), text("Header/CollectionDetails/Year", "2025")),
    ("2883", drop(f"{A_S47}/DateOfInitialCPC"), both()),
    ("2886Q", text(f"{A_ID}/Sex", "U"), text(f"{C}/ChildIdentifiers/Sex", "U")),  # unborn children aside
    ("2887Q", both(), both(*(add(f"{B}/ChildCharacteristics/Disabilities", "Disability", code)
                             for code in ("HAND", "HEAR", "LD", "MOB", "VIS", "BEH")))),
    ("2888Q", drop(f"{B}/ChildCharacteristics/Disabilities/Disability[2]"), both()),
]


@pytest.mark.parametrize(("rule", "breaks", "passes"), RETURN_CASES, ids=[c[0] for c in RETURN_CASES])
def test_each_return_level_rule_fails_one_file_and_passes_another(tmp_path: Path, rule: str, breaks: Change,
                                                                   passes: Change) -> None:
    failing = read_cin(mutated(tmp_path, breaks))
    hits = [f for f in failing.findings if f.rule == rule]
    assert hits and all(f.la_child_id == "" for f in hits)
    assert {f.severity for f in hits} == {Severity.QUERY if rule.endswith("Q") else Severity.ERROR}
    assert failing.refused_whole is (not rule.endswith("Q"))  # a return-level error refuses the file
    assert rule not in {f.rule for f in read_cin(mutated(tmp_path, passes)).findings}


# --- defects (issue 16): each failed before the fix -------------------------------------------------

def test_death_before_birth_is_query_8535q_and_does_not_block_the_child(tmp_path: Path) -> None:
    batch = read_cin(mutated(tmp_path, died("2012-01-01", B)))
    assert ("8535Q", "CHILDB2") in found(batch.findings)
    assert not any(f.rule == "" for f in batch.findings)
    assert "CHILDB2" not in batch.children_with_errors


@pytest.mark.parametrize("value", ["", "2024-13-01"])
def test_an_empty_or_invalid_cp_review_date_is_query_8842q_and_does_not_block(tmp_path: Path, value: str) -> None:
    batch = read_cin(mutated(tmp_path, text(f"{A_CP}/Reviews/CPPreviewDate", value)))
    hits = [f for f in batch.findings if f.element.endswith("CPPreviewDate")]
    assert [(f.rule, f.severity) for f in hits] == [("8842Q", Severity.QUERY)]
    assert not batch.children_with_errors
    assert batch.rows["l_cp_reviews"].empty and len(batch.rows["l_cp_plans"]) == 1  # the plan loads, no review


def test_an_invalid_referral_nfa_is_8568(tmp_path: Path) -> None:
    findings = read_cin(mutated(tmp_path, text(f"{A_EP}/ReferralNFA", "maybe"))).findings
    assert [f.rule for f in findings if f.element == "CINdetails/ReferralNFA"] == ["8568"]


def test_an_invalid_need_code_is_8650_only(tmp_path: Path) -> None:
    findings = read_cin(mutated(tmp_path, text(f"{A_EP}/PrimaryNeedCode", "N10"))).findings
    assert {f.rule for f in findings if f.la_child_id == "CHILDA1"} == {"8650"}


def test_an_invalid_closure_reason_is_8640_only(tmp_path: Path) -> None:
    findings = read_cin(mutated(tmp_path, text(f"{A_EP}/ReasonForClosure", "RC10"))).findings
    assert {f.rule for f in findings if f.la_child_id == "CHILDA1"} == {"8640"}
    assert not any("no reason for closure" in f.message for f in findings)


def test_an_invalid_closure_date_is_not_also_8810(tmp_path: Path) -> None:
    findings = read_cin(mutated(tmp_path, text(f"{A_EP}/CINclosureDate", "2025-02-30"))).findings
    assert "8810" not in {f.rule for f in findings}


@pytest.mark.parametrize(("born", "closed", "fires"), [
    ("1999-06-01", "2024-05-20", False),  # over 25 on 31 March, but the episode closed before the 25th birthday
    ("1999-06-01", "2024-06-20", True),  # ... closed after it (the loader used to need age 26)
    ("1990-01-01", "2014-06-01", False),  # over 35, the episode closed before the 25th birthday (used to fire)
])
def test_8775q_asks_whether_the_episode_closed_after_the_25th_birthday(tmp_path: Path, born: str, closed: str,
                                                                        fires: bool) -> None:
    change = both(text(f"{A_ID}/PersonBirthDate", born), text(f"{A_EP}/CINclosureDate", closed))
    findings = read_cin(mutated(tmp_path, change)).findings
    assert (("8775Q", "CHILDA1") in found(findings)) is fires


def test_8770q_accepts_a_school_age_reason_and_ignores_young_or_nfa_children(tmp_path: Path) -> None:
    reason = both(drop(f"{A_ID}/UPN"), add(A_ID, "UPNunknown", "UN3", index=1))
    young = both(drop(f"{A_ID}/UPN"), text(f"{A_ID}/PersonBirthDate", "2021-06-01"))
    for change in (reason, young):
        assert "8770Q" not in {f.rule for f in read_cin(mutated(tmp_path, change)).findings}


def test_queries_never_block_a_load(tmp_path: Path) -> None:
    change = both(text(f"{A_EP}/ReasonForClosure", "RC2"), text(f"{A_S47}/InitialCPCtarget", "2024-06-01"),
                  text(f"{A_CP}/Reviews/CPPreviewDate", ""),
                  text(f"{C}/ChildIdentifiers/ExpectedPersonBirthDate", "2025-02-28"))
    batch = read_cin(mutated(tmp_path, change))
    assert {"8585Q", "8870Q", "8842Q", "8530Q"} <= {f.rule for f in batch.findings}
    assert not batch.children_with_errors and not batch.refused_whole


# --- the rule table ----------------------------------------------------------------------------------

def test_all_109_rules_of_the_validator_are_catalogued_tested_and_documented() -> None:
    assert len(RULES) == 109 and not set(RULES) & set(EXTRA)
    tested = {c[0] for c in CASES} | {c[0] for c in NEW_CASES} | {c[0] for c in RETURN_CASES}
    assert set(RULES) | set(EXTRA) <= tested, sorted(set(RULES) - tested)
    docs = (ROOT / "docs" / "ingest.md").read_text()
    rows = dict(re.findall(r"^\| (\w+) \| (error|query) \|", docs, flags=re.M))
    assert set(rows) == set(RULES) | set(EXTRA)
    assert all((kind == "query") == code.endswith("Q") for code, kind in rows.items())


def test_the_valid_fixture_still_passes_every_new_rule() -> None:
    assert found(read_cin(VALID).findings) == BASELINE


def test_a_file_with_only_queries_loads_and_keeps_them_with_its_findings(tmp_path: Path) -> None:
    config = ingest.IngestConfig(analytics_url=f"duckdb:///{tmp_path / 'analytics.duckdb'}",
                                 landing_path=tmp_path / "landing.duckdb", report_dir=tmp_path / "reports",
                                 sources_file=tmp_path / "sources.toml")
    census = mutated(tmp_path, died("2012-01-01", B))  # 8535Q, 8545Q, 8555Q on CHILDB2, and the fixture's queries
    report = ingest.load_cin(census, config=config)
    result = report.results[0]
    assert report.ok and result.status == "loaded" and result.loaded == 3
    kept = found(read_csv(config.report_dir / "mutated.findings.csv"))
    assert BASELINE | {("8535Q", "CHILDB2"), ("8545Q", "CHILDB2"), ("8555Q", "CHILDB2")} == kept


@pytest.mark.parametrize(("year", "reference"), [("0", "2025-03-31"), ("99999", "2025-03-31"), ("2025", "0001-03-31"), ("2025", "9999-12-31")])
def test_an_absurd_header_year_or_reference_date_is_rule_100_not_a_crash(tmp_path: Path, year: str,
                                                                         reference: str) -> None:
    change = both(text("Header/CollectionDetails/Year", year), text("Header/CollectionDetails/ReferenceDate", reference))
    batch = read_cin(mutated(tmp_path, change))
    assert ("100", "") in found(batch.findings) and batch.refused_whole
