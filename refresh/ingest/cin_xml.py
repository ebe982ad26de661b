"""Stream-read a CIN census XML file (2022 to 2026 shapes) into typed child records.

``cin_file.CensusFile`` streams the file and hands each ``<Child>`` element to ``read_child``. The
schema's structure is declared below (``MESSAGE``, ``CHILD``): required elements, repeats, value
types and code lists as in the DfE XSDs 2024-2026, plus ``GenderCurrent`` (2022-2024 shape, mapped
to ``Sex``) and the 2026-27 pre-proceedings block.
Anything the XSD would reject becomes a finding with the DfE rule code where one exists.

Accepted beyond the XSD (as the DfE validator and liia-tools do): yes/no values ``true``/``false``
as well as ``1``/``0``. Element order is not enforced.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from model import codes

UPN_UNKNOWN = ("UN1", "UN2", "UN3", "UN4", "UN5", "UN6", "UN7")
OLD_FACTORS = {"18A": "8945Q", "19A": "8950Q"}  # accepted with a query from 2024-25
PP_OUTCOME = ("A", "B", "C")
YES, NO = frozenset({"1", "true"}), frozenset({"0", "false"})
INVALID = "_invalid"  # key of the tags present in a block with a value the schema refuses (dropped)


@dataclass(frozen=True)
class Item:
    """A simple element: its value type, whether required, its code list and DfE rule."""

    kind: str  # "text" | "date" | "bool" | "int" | "code"
    required: bool = False
    codes: Collection[str] = ()
    rule: str = ""
    repeat: bool = False
    missing_rule: str | None = None  # rule when absent, if not ``rule``


@dataclass(frozen=True)
class Block:
    """A complex element holding ``items`` (by tag)."""

    items: dict[str, Item | Block]
    required: bool = False
    repeat: bool = False
    rule: str = ""  # DfE rule when the block is missing


DATE, TEXT = Item("date"), Item("text")
# An empty or invalid review date is query 8842Q (the plan loads without that review).
REVIEWS = Block({"CPPreviewDate": Item("date", required=True, repeat=True, rule="8842Q")})
FACTORS = Block({"AssessmentFactors": Item("code", required=True, repeat=True, rule="8617", missing_rule="",
                                           codes=set(codes.ASSESSMENT_FACTOR) | set(OLD_FACTORS))})
PRE_PROCEEDINGS = Block({
    "PPStartDate": DATE, "LBPSentDate": DATE, "FGDMMeetingOffer": Item("bool"), "FGDMMeetingFac": Item("bool"),
    "InitialPPMeetingDate": DATE, "ReviewMeetingsCount": Item("int"), "StepDecisionDate": DATE,
    "PPOutcome": Item("code", codes=PP_OUTCOME, rule="9011"), "CourtAppDate": DATE, "LetterInitCPDate": DATE,
})
EPISODE = Block({
    "CINreferralDate": Item("date", required=True, rule="8600"),
    "ReferralSource": Item("code", required=True, codes=codes.REFERRAL_SOURCE, rule="8866"),
    "PrimaryNeedCode": Item("code", codes=codes.PRIMARY_NEED, rule="8650"),
    "CINclosureDate": DATE,
    "ReasonForClosure": Item("code", codes=codes.REASON_FOR_CLOSURE, rule="8640"),
    "DateOfInitialCPC": DATE,
    "Assessments": Block({
        "AssessmentActualStartDate": Item("date", required=True),
        "AssessmentInternalReviewDate": DATE,
        "AssessmentAuthorisationDate": DATE,
        "FactorsIdentifiedAtAssessment": FACTORS,
    }, repeat=True),
    "CINPlanDates": Block({"CINPlanStartDate": Item("date", required=True, rule="4010"),
                           "CINPlanEndDate": DATE}, repeat=True),
    "Section47": Block({"S47ActualStartDate": Item("date", required=True, rule="8615"),
                        "InitialCPCtarget": DATE, "DateOfInitialCPC": DATE,
                        "ICPCnotRequired": Item("bool", required=True)}, repeat=True),
    "ReferralNFA": Item("bool", required=True, rule="8568"),
    "ChildProtectionPlans": Block({
        "CPPstartDate": Item("date", required=True, rule="8720"),
        "CPPendDate": DATE,
        "InitialCategoryOfAbuse": Item("code", required=True, codes=codes.CATEGORY_OF_ABUSE, rule="8905"),
        "LatestCategoryOfAbuse": Item("code", required=True, codes=codes.CATEGORY_OF_ABUSE, rule="8910"),
        "NumberOfPreviousCPP": Item("int", required=True, rule="8730"),
        "Reviews": REVIEWS,
    }, repeat=True),
    "PreProceedingsandFGDM": PRE_PROCEEDINGS,
    "PreProceedings": PRE_PROCEEDINGS,
}, required=True, repeat=True, rule="8590")
CHILD = Block({
    "ChildIdentifiers": Block({
        "LAchildID": Item("text", required=True, rule="8500"),
        "UPN": TEXT, "FormerUPN": TEXT,
        "UPNunknown": Item("code", codes=UPN_UNKNOWN),
        "PersonBirthDate": DATE, "ExpectedPersonBirthDate": DATE,
        "Sex": Item("code", codes=codes.SEX, rule="4180"),
        "GenderCurrent": Item("code", codes=codes.GENDER_CURRENT_TO_SEX, rule="4180"),
        "PersonDeathDate": DATE,
    }, required=True),
    "ChildCharacteristics": Block({
        "Ethnicity": Item("code", required=True, codes=codes.ETHNICITY, rule="4220"),
        "Disabilities": Block({"Disability": Item("code", required=True, repeat=True, codes=codes.DISABILITY,
                                                  rule="8540")}),
    }, required=True),
    "CINdetails": EPISODE,
})


@dataclass
class Header:
    collection: str | None = None
    year: int | None = None
    reference_date: dt.date | None = None
    lea: str | None = None


@dataclass
class RawChild:
    """One ``<Child>`` as nested dicts of typed values, with the schema problems found reading it."""

    position: int
    data: dict[str, Any]
    problems: list[tuple[str, str, str]] = field(default_factory=list)  # (element, rule, message)

    @property
    def la_child_id(self) -> str:
        value = self.data.get("ChildIdentifiers", {}).get("LAchildID")
        return value or f"(child {self.position + 1} in file)"


def _value(item: Item, text: str) -> tuple[Any, str | None]:
    """(typed value, None) or (None, reason it is not valid). Most common kinds first: this runs per element."""
    kind = item.kind
    if kind == "date":
        if len(text) == 10:
            try:
                return dt.date.fromisoformat(text), None
            except ValueError:
                pass
        return None, f"'{text}' is not a date in the form YYYY-MM-DD"
    if kind == "code":
        if text in item.codes:
            return text, None
        return None, f"'{text}' is not a valid code"
    if kind == "text":
        return text, None
    if kind == "bool":
        lowered = text.lower()
        if lowered in YES or lowered in NO:
            return lowered in YES, None
        return None, f"'{text}' is not a yes/no value (1, 0, true or false)"
    if text.lstrip("-").isdigit() and int(text) >= 0:
        return int(text), None
    return None, f"'{text}' is not a whole number of 0 or more"


def _missing_rule(item: Item) -> str:
    return item.rule if item.missing_rule is None else item.missing_rule


def _required(block: Block) -> tuple[tuple[str, Item | Block], ...]:
    """The block's required items (worked out once per block)."""
    found = _REQUIRED.get(id(block))
    if found is None:
        found = _REQUIRED[id(block)] = tuple((t, s) for t, s in block.items.items() if s.required)
    return found


_REQUIRED: dict[int, tuple[tuple[str, Item | Block], ...]] = {}


def _read_block(elem: ET.Element, block: Block, path: str, problems: list[tuple[str, str, str]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    items = block.items
    for sub in elem:  # runs for every element of every child: messages are only built for problems
        tag = sub.tag
        tail = sub.tail
        if tail and not tail.isspace():
            problems.append((f"{path}/{tag}", "", f"Unexpected text '{tail.strip()[:40]}' after <{tag}>"))
        spec = items.get(tag)
        if spec is None:
            problems.append((f"{path}/{tag}", "", f"<{tag}> is not an element the census schema allows in <{path}>"))
            continue
        if isinstance(spec, Block):
            value: Any = _read_block(sub, spec, tag, problems)
        else:
            text = sub.text
            text = text.strip() if text else ""
            if not text:
                if spec.required:
                    problems.append((f"{path}/{tag}", _missing_rule(spec), f"<{tag}> is empty"))
                continue
            value, why = _value(spec, text)
            if why is not None:
                problems.append((f"{path}/{tag}", spec.rule, f"<{tag}>: {why}"))
                out.setdefault(INVALID, []).append(tag)  # present, so "missing" rules do not fire
                continue
        if spec.repeat:
            out.setdefault(tag, []).append(value)
        elif tag in out:
            problems.append((f"{path}/{tag}", "", f"<{tag}> appears more than once in <{path}>"))
        else:
            out[tag] = value
    for tag, spec in _required(block):
        if tag not in out and not any(p[0] == f"{path}/{tag}" for p in problems):
            rule = _missing_rule(spec) if isinstance(spec, Item) else spec.rule
            problems.append((f"{path}/{tag}", rule, f"<{tag}> is missing: the census schema requires it"))
    return out


def read_child(elem: ET.Element, position: int) -> RawChild:
    """Convert one ``<Child>`` element."""
    child = RawChild(position, {})
    child.data = _read_block(elem, CHILD, "Child", child.problems)
    ids = child.data.get("ChildIdentifiers")
    if ids is None:
        return child
    if "Sex" not in ids and "GenderCurrent" in ids:
        ids["Sex"] = codes.GENDER_CURRENT_TO_SEX[ids["GenderCurrent"]]
    elif "Sex" not in ids and not any(p[0].endswith(("/Sex", "/GenderCurrent")) for p in child.problems):
        child.problems.append(("ChildIdentifiers/Sex", "4180",
                               "<Sex> (<GenderCurrent> in files before 2024-25) is missing"))
    return child


SOURCE = Block({tag: TEXT for tag in ("SourceLevel", "LEA", "SoftwareCode", "Release", "SerialNo", "DateTime")},
               repeat=True)
HEADER = Block({"CollectionDetails": Block({"Collection": TEXT, "Year": TEXT, "ReferenceDate": TEXT}),
                "Source": SOURCE})
MESSAGE = Block({"Header": HEADER, "Children": Block({"Child": CHILD})})  # the whole file, as in the XSDs
