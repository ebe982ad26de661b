"""Each CIN census rule fires on a minimal valid file mutated to break it, and only then.

The fixture (tests/fixtures/ingest/cin_2025.xml) holds three children: CHILDA1 with an episode
carrying an assessment, S47, CP plan and CIN plan; CHILDB2 with a closed and an open episode;
CHILDC3, unborn, with an NFA referral. Each case mutates it and expects the DfE rule on that child.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from refresh.ingest.cin import read_cin
from refresh.ingest.findings import Finding, Severity

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
        VALID,
        A,
        B,
        C,
        Change,
        add,
        both,
        drop,
        dup,
        mutated,
        text,
        upn_with,
    )
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
        VALID,
        A,
        B,
        C,
        Change,
        add,
        both,
        drop,
        dup,
        mutated,
        text,
        upn_with,
    )


CASES: list[tuple[str, str, Change]] = [
    # identifiers
    ("8500", "(child 1 in file)", drop(f"{A_ID}/LAchildID")),
    ("1570", "CHILDA1XXXXXXXXXXXXXXX", text(f"{A_ID}/LAchildID", "CHILDA1XXXXXXXXXXXXXXX")),
    ("1580", "CHILD_A1", text(f"{A_ID}/LAchildID", "CHILD_A1")),
    ("8510", "CHILDA1", text(f"{B}/ChildIdentifiers/LAchildID", "CHILDA1")),
    ("1510", "CHILDA1", text(f"{A_ID}/UPN", "A332123456789")),
    ("1530", "CHILDA1", text(f"{A_ID}/UPN", upn_with("999"))),
    ("1540", "CHILDA1", text(f"{A_ID}/UPN", "F3321234X6789")),
    ("1550", "CHILDA1", text(f"{A_ID}/UPN", "F33212345678I")),
    ("1520", "CHILDB2", text(f"{B}/ChildIdentifiers/UPN", "F332123456789")),
    ("1560Q", "CHILDA1", add(A_ID, "FormerUPN", "NOTAUPN", index=2)),
    ("8772", "CHILDA1", add(A_ID, "UPNunknown", "UN7", index=2)),
    # birth, sex, characteristics
    ("8520", "CHILDA1", text(f"{A_ID}/PersonBirthDate", "2025-06-01")),
    ("8525Q", "CHILDA1", add(A_ID, "ExpectedPersonBirthDate", "2015-06-01", index=3)),
    ("8750", "CHILDC3", text(f"{C}/ChildIdentifiers/Sex", "M")),
    ("8775Q", "CHILDA1", text(f"{A_ID}/PersonBirthDate", "1990-01-01")),
    ("4180", "CHILDA1", text(f"{A_ID}/Sex", "X")),
    ("4180", "CHILDA1", drop(f"{A_ID}/Sex")),
    ("4220", "CHILDA1", text(f"{A}/ChildCharacteristics/Ethnicity", "ZZZZ")),
    ("8540", "CHILDA1", text(f"{A}/ChildCharacteristics/Disabilities/Disability", "ZZZ")),
    ("8540", "CHILDB2", drop(f"{B}/ChildCharacteristics/Disabilities")),
    ("8790", "CHILDA1", add(f"{A}/ChildCharacteristics/Disabilities", "Disability", "AUT")),
    ("8794", "CHILDB2", add(f"{B}/ChildCharacteristics/Disabilities", "Disability", "AUT")),
    # episodes
    ("8590", "CHILDC3", drop(f"{C}/CINdetails")),
    ("8600", "CHILDA1", text(f"{A_EP}/CINreferralDate", "2025-04-02")),
    ("8600", "CHILDA1", drop(f"{A_EP}/CINreferralDate")),
    ("8606", "CHILDA1", text(f"{A_EP}/CINreferralDate", "2014-01-01")),
    ("8866", "CHILDA1", text(f"{A_EP}/ReferralSource", "99")),
    ("8610", "CHILDB2", drop(f"{B_EP2}/PrimaryNeedCode")),
    ("8650", "CHILDA1", text(f"{A_EP}/PrimaryNeedCode", "N10")),
    ("8640", "CHILDA1", text(f"{A_EP}/ReasonForClosure", "RC10")),
    ("8805", "CHILDA1", drop(f"{A_EP}/ReasonForClosure")),
    ("8810", "CHILDA1", drop(f"{A_EP}/CINclosureDate")),
    ("8620", "CHILDA1", text(f"{A_EP}/CINclosureDate", "2025-04-05")),
    ("8630", "CHILDB2", text(f"{B_EP1}/CINclosureDate", "2024-04-02")),
    ("8815", "CHILDB2", both(drop(f"{B_EP1}/CINclosureDate"), drop(f"{B_EP1}/ReasonForClosure"))),
    ("8816", "CHILDB2", both(drop(f"{B_EP1}/CINclosureDate"), drop(f"{B_EP1}/ReasonForClosure"))),
    ("8820", "CHILDB2", text(f"{B_EP1}/CINclosureDate", "2025-01-20")),
    ("8820", "CHILDB2", text(f"{B_EP2}/CINreferralDate", "2024-04-10")),
    # assessments and factors
    ("1103", "CHILDA1", text(f"{A_ASSESS}/AssessmentActualStartDate", "2024-04-20")),
    ("8608", "CHILDA1", text(f"{A_ASSESS}/AssessmentActualStartDate", "2024-07-01")),
    ("8696", "CHILDA1", text(f"{A_ASSESS}/AssessmentAuthorisationDate", "2025-04-02")),
    ("8614", "CHILDB2", both(add(f"{B_EP2}/Assessments", "FactorsIdentifiedAtAssessment"),
                             add(f"{B_EP2}/Assessments/FactorsIdentifiedAtAssessment", "AssessmentFactors", "3B"))),
    ("8617", "CHILDA1", text(f"{A_ASSESS}/FactorsIdentifiedAtAssessment/AssessmentFactors", "99Z")),
    ("8869", "CHILDB2", add(f"{B_EP1}/Assessments/FactorsIdentifiedAtAssessment", "AssessmentFactors", "3A")),
    ("8898", "CHILDA1", add(f"{A_ASSESS}/FactorsIdentifiedAtAssessment", "AssessmentFactors", "3B")),
    ("8897Q", "CHILDA1", drop(f"{A_ASSESS}/FactorsIdentifiedAtAssessment")),
    ("8945Q", "CHILDA1", text(f"{A_ASSESS}/FactorsIdentifiedAtAssessment/AssessmentFactors", "18A")),
    # section 47 and initial conferences
    ("2889", "CHILDA1", text(f"{A_S47}/S47ActualStartDate", "2024-04-20")),
    ("8615", "CHILDA1", text(f"{A_S47}/S47ActualStartDate", "2024-06-01")),
    ("8615", "CHILDA1", drop(f"{A_S47}/S47ActualStartDate")),
    ("1104", "CHILDA1", text(f"{A_S47}/DateOfInitialCPC", "2024-04-29")),
    ("1104", "CHILDA1", add(A_EP, "DateOfInitialCPC", "2024-04-29", index=5)),
    ("8715", "CHILDA1", text(f"{A_S47}/DateOfInitialCPC", "2025-04-02")),
    ("8875", "CHILDA1", text(f"{A_S47}/DateOfInitialCPC", "2024-06-01")),
    # CIN plans
    ("4010", "CHILDA1", text(f"{A_CIN}/CINPlanStartDate", "2025-04-02")),
    ("4010", "CHILDA1", drop(f"{A_CIN}/CINPlanStartDate")),
    ("4015", "CHILDA1", text(f"{A_CIN}/CINPlanStartDate", "2024-04-20")),
    ("4011", "CHILDA1", text(f"{A_CIN}/CINPlanEndDate", "2025-01-10")),
    ("4012Q", "CHILDA1", text(f"{A_CIN}/CINPlanEndDate", "2025-01-15")),
    ("4013", "CHILDA1", text(f"{A_CIN}/CINPlanEndDate", "2025-04-02")),
    ("4014", "CHILDA1", dup(A_CIN, CINPlanStartDate="2025-01-20", CINPlanEndDate="2025-02-10")),
    ("4004", "CHILDA1", both(drop(f"{A_CIN}/CINPlanEndDate"), dup(A_CIN, CINPlanStartDate="2025-02-01"))),
    # CP plans
    ("8720", "CHILDA1", text(f"{A_CP}/CPPstartDate", "2025-04-02")),
    ("1105", "CHILDA1", text(f"{A_CP}/CPPstartDate", "2024-04-20")),
    ("8925", "CHILDA1", text(f"{A_CP}/CPPendDate", "2024-05-01")),
    ("8840", "CHILDA1", text(f"{A_CP}/CPPendDate", "2024-05-29")),
    ("8930", "CHILDA1", text(f"{A_CP}/CPPendDate", "2025-04-02")),
    ("8935", "CHILDA1", both(drop(f"{A_CP}/CPPendDate"), dup(A_CP, CPPstartDate="2024-09-02"))),
    ("8940", "CHILDA1", dup(A_CP, CPPstartDate="2024-09-02", CPPendDate="2024-10-01")),
    ("8905", "CHILDA1", text(f"{A_CP}/InitialCategoryOfAbuse", "XXX")),
    ("8910", "CHILDA1", text(f"{A_CP}/LatestCategoryOfAbuse", "XXX")),
    ("8730", "CHILDA1", drop(f"{A_CP}/NumberOfPreviousCPP")),
    ("8841", "CHILDA1", text(f"{A_CP}/Reviews/CPPreviewDate", "2024-05-20")),
    ("9011", "CHILDA1", both(add(A_EP, "PreProceedingsandFGDM"), add(f"{A_EP}/PreProceedingsandFGDM", "PPOutcome", "Z"))),
]


# The valid fixture breaks no error rule; it raises three queries, each true of it: CHILDB2's open
# assessment started 2025-01-08, over 45 working days before 31 March (8670Q); CHILDC3's NFA referral
# is closed RC8 with no assessment (8825Q); the return uses 2 disability codes, not 8 or more (2887Q).
BASELINE = {("8670Q", "CHILDB2"), ("8825Q", "CHILDC3"), ("2887Q", "")}


def found(findings: list[Finding]) -> set[tuple[str, str]]:
    return {(f.rule, f.la_child_id) for f in findings}


def test_the_valid_fixture_has_no_errors_only_its_known_queries() -> None:
    batch = read_cin(VALID)
    assert found(batch.findings) == BASELINE
    assert not any(f.is_error for f in batch.findings) and not batch.children_with_errors
    assert batch.children == 3 and batch.reference_date is not None


@pytest.mark.parametrize(("rule", "child", "change"), [pytest.param(*case, id=f"{case[0]}-{n}")
                                                       for n, case in enumerate(CASES)])
def test_each_rule_fires_on_the_child_that_breaks_it(tmp_path: Path, rule: str, child: str, change: Change) -> None:
    assert (rule, child) not in BASELINE  # the child passes before the change
    findings = read_cin(mutated(tmp_path, change)).findings
    hits = [f for f in findings if f.rule == rule]
    assert hits, f"rule {rule} did not fire; got {[(f.rule, f.message) for f in findings]}"
    assert child in {f.la_child_id for f in hits}
    expected = Severity.QUERY if rule.endswith("Q") else Severity.ERROR
    assert {f.severity for f in hits} == {expected}
    assert all(f.file == "mutated.xml" and f.message and f.element for f in hits)


@pytest.mark.parametrize(("element", "change"), [
    ("CINdetails/ReferralNFA", drop(f"{A_EP}/ReferralNFA")),
    ("CINdetails/CINclosureDate", text(f"{A_EP}/CINclosureDate", "2025-13-01")),
    ("Section47/ICPCnotRequired", text(f"{A_S47}/ICPCnotRequired", "maybe")),
    ("ChildIdentifiers/Nickname", add(A_ID, "Nickname", "Zed")),
    ("ChildCharacteristics/Ethnicity", add(f"{A}/ChildCharacteristics", "Ethnicity", "WBRI", index=0)),
    ("ChildIdentifiers/UPNunknown", add(f"{C}/ChildIdentifiers", "UPNunknown", "UN9", index=0)),
])
def test_schema_breaches_are_errors_without_a_dfe_code(tmp_path: Path, element: str, change: Change) -> None:
    findings = read_cin(mutated(tmp_path, change)).findings
    assert any(f.element == element and f.severity is Severity.ERROR for f in findings), findings


def test_text_between_elements_is_reported(tmp_path: Path) -> None:
    def stray(root: ET.Element) -> None:
        root.find(f"{A_ID}/UPN").tail = "PersonBirthDate"  # type: ignore[union-attr]
    findings = read_cin(mutated(tmp_path, stray)).findings
    assert [f.element for f in findings if f.is_error] == ["ChildIdentifiers/UPN"]


def test_2022_shape_gender_current_is_mapped_to_sex(tmp_path: Path) -> None:
    def gender(root: ET.Element) -> None:
        for ids, code in zip(root.findall("Children/Child/ChildIdentifiers"), ("2", "1", "0"), strict=True):
            sex = ids.find("Sex")
            sex.tag, sex.text = "GenderCurrent", code  # type: ignore[union-attr]
    batch = read_cin(mutated(tmp_path, gender))
    assert found(batch.findings) == BASELINE
    assert batch.rows["l_children"].set_index("la_child_id")["sex"].to_dict() == {
        "CHILDA1": "F", "CHILDB2": "M", "CHILDC3": "U"}


def test_2026_pre_proceedings_block_is_accepted(tmp_path: Path) -> None:
    change = both(add(A_EP, "PreProceedingsandFGDM"),
                  add(f"{A_EP}/PreProceedingsandFGDM", "PPStartDate", "2024-09-02"),
                  add(f"{A_EP}/PreProceedingsandFGDM", "PPOutcome", "A"),
                  text(f"{A_EP}/PrimaryNeedCode", "N1"))
    assert found(read_cin(mutated(tmp_path, change)).findings) == BASELINE


@pytest.mark.parametrize(("content", "element"), [
    (VALID.read_text().replace("<ReferenceDate>2025-03-31</ReferenceDate>", ""),
     "Header/CollectionDetails/ReferenceDate"),
    (VALID.read_text().replace("</Children>", ""), "Message"),
    ("<Root><Child/></Root>", "Message"),
    (VALID.read_text().replace("<Collection>CIN</Collection>", "<Collection>SEN2</Collection>"),
     "Header/CollectionDetails/Collection"),
])
def test_problems_with_the_whole_file_have_no_child(tmp_path: Path, content: str, element: str) -> None:
    path = tmp_path / "broken.xml"
    path.write_text(content)
    batch = read_cin(path)
    assert batch.refused_whole
    assert any(f.element == element and f.la_child_id == "" for f in batch.findings)


def test_mutations_leave_the_other_children_clean(tmp_path: Path) -> None:
    batch = read_cin(mutated(tmp_path, text(f"{A_EP}/ReferralSource", "99")))
    assert batch.children_with_errors == {"CHILDA1"}
    kept = batch.without(batch.children_with_errors)
    assert set(kept.rows["l_children"]["la_child_id"]) == {"CHILDB2", "CHILDC3"}
    assert "CHILDA1" not in set(kept.rows["l_episodes"]["la_child_id"])
