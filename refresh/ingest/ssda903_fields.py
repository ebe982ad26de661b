"""SSDA903 rules on single values: valid codes for the year, valid dates, numbers in range.

Each entry is (module, column, DfE code, what is allowed, required, DfE message). Code lists and
their years come from ``model.codes_903``; the rules from DfE's 903 validation rules as
implemented in data-to-insight's csc-validator-be-903 (rules 101-196, 631, 1004-1009).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import NamedTuple

from model import codes_903 as c903
from model.codes import ETHNICITY
from refresh.ingest.ssda903_base import Ctx, Problem, at, parse_date, rule

Allowed = frozenset[str] | Callable[[int], frozenset[str]] | str  # codes, codes by year, or "date" / "0-40"
BINARY = frozenset({"0", "1"})


class Field(NamedTuple):
    module: str
    column: str
    code: str
    allowed: Allowed
    required: bool
    message: str


def _codes(codes: dict[str, str], years: dict[str, tuple[int, int]] | None = None) -> Callable[[int], frozenset[str]]:
    return lambda year: c903.valid_in(codes, years or {}, year)


def _sex(year: int) -> frozenset[str]:
    return frozenset({"M", "F", "U"}) if year >= 2025 else frozenset({"1", "2"})


FIELDS = (
    Field("header", "SEX", "101", _sex, True, "Gender code is not valid."),
    Field("header", "DOB", "102", "date", True, "Date of birth is not a valid date."),
    Field("header", "ETHNIC", "103", frozenset(ETHNICITY), True,
          "The ethnicity code is either not valid or has not been entered."),
    Field("header", "MOTHER", "165", BINARY, False, "Data entry for mother status is invalid."),
    Field("header", "MC_DOB", "171", "date", False, "Date of birth of mother's child is not a valid date."),
    Field("uasc", "DUC", "104", "date", False,
          "Date for Unaccompanied Asylum-Seeking Children (UASC) status ceased is not a valid date."),
    Field("episodes", "DECOM", "141", "date", True, "Date episode began is not a valid date."),
    Field("episodes", "RNE", "143", frozenset(c903.REASON_NEW_EPISODE), True,
          "The reason for new episode code is not a valid code."),
    Field("episodes", "LS", "144", frozenset(c903.LEGAL_STATUS), True, "The legal status code is not a valid code."),
    Field("episodes", "CIN", "145", frozenset(c903.CATEGORY_OF_NEED), True,
          "Category of need code is not a valid code."),
    Field("episodes", "PLACE", "146", _codes(c903.PLACEMENT_TYPE, c903.PLACEMENT_TYPE_YEARS), True,
          "Placement type code is not a valid code."),
    Field("episodes", "DEC", "147", "date", False, "Date episode ceased is not a valid date."),
    Field("episodes", "REC", "149", _codes(c903.REASON_EPISODE_CEASED, c903.REASON_EPISODE_CEASED_YEARS), False,
          "Reason episode ceased code is not valid."),
    Field("episodes", "PLACE_PROVIDER", "178", frozenset(c903.PLACEMENT_PROVIDER), False,
          "Placement provider code is not a valid code."),
    Field("episodes", "REASON_PLACE_CHANGE", "1009", _codes(c903.REASON_PLACE_CHANGE, c903.REASON_PLACE_CHANGE_YEARS),
          False, "Reason for placement change is not a valid code."),
    Field("reviews", "REVIEW", "166", "date", True, "Date of review is invalid or blank."),
    Field("reviews", "REVIEW_CODE", "167", frozenset(c903.REVIEW_PARTICIPATION), True,
          "Data entry for participation is invalid or blank."),
    Field("missing", "MIS_START", "1004", "date", False, "The start date of the missing episode or episode that "
          "the child was away from placement without authorisation is not a valid date."),
    Field("missing", "MIS_END", "1005", "date", False, "The end date of the missing episode or episode that the "
          "child was away from placement without authorisation is not a valid date."),
    Field("missing", "MISSING", "1006", frozenset(c903.MISSING_TYPE), False, "Missing type invalid."),
    Field("oc2", "SDQ_SCORE", "180", "0-40", False,
          "Data entry for the strengths and difficulties questionnaire (SDQ) score is invalid."),
    Field("oc2", "SDQ_REASON", "196", frozenset(c903.SDQ_REASON), False,
          "Strengths and Difficulties (SDQ) reason is not a valid code."),
    *(Field("oc2", column, "181", BINARY, False, "Data items relating to children looked after continuously for "
            "12 months should be completed with a 0 or 1.")
      for column in ("CONVICTED", "HEALTH_CHECK", "IMMUNISATIONS", "TEETH_CHECK", "HEALTH_ASSESSMENT",
                     "SUBSTANCE_MISUSE", "INTERVENTION_RECEIVED", "INTERVENTION_OFFERED")),
    Field("oc3", "IN_TOUCH", "131", frozenset(c903.IN_TOUCH), False,
          "Data entry for being in touch after leaving care is invalid."),
    Field("oc3", "ACTIV", "132", _codes(c903.ACTIVITY, c903.ACTIVITY_YEARS), False,
          "Data entry for activity after leaving care is invalid."),
    Field("oc3", "ACCOM", "133", frozenset(c903.ACCOMMODATION), False,
          "Data entry for accommodation after leaving care is invalid."),
    Field("ad1", "DATE_INT", "112", "date", False, "Date should be placed for adoption is not a valid date."),
    Field("ad1", "DATE_MATCH", "113", "date", False, "Date matching child and adopter(s) is not a valid date."),
    Field("ad1", "FOSTER_CARE", "114", BINARY, False,
          "Data entry to record the status of former carer(s) of an adopted child is invalid."),
    Field("ad1", "NB_ADOPTR", "175", frozenset(c903.NUMBER_OF_ADOPTERS), False,
          "The number of adopter(s) code is not a valid code."),
    Field("ad1", "SEX_ADOPTR", "176", frozenset(c903.SEX_OF_ADOPTERS), False,
          "The gender of adopter(s) at the date of adoption code is not a valid code."),
    Field("ad1", "LS_ADOPTR", "177", frozenset(c903.LEGAL_STATUS_OF_ADOPTERS), False,
          "The legal status of adopter(s) code is not a valid code."),
    Field("placed_for_adoption", "DATE_PLACED", "115", "date", False, "Date of Local Authority's (LA) decision "
          "that a child should be placed for adoption is not a valid date."),
    Field("placed_for_adoption", "DATE_PLACED_CEASED", "116", "date", False, "Date of Local Authority's (LA) "
          "decision that a child should no longer be placed for adoption is not a valid date."),
    Field("placed_for_adoption", "REASON_PLACED_CEASED", "120", frozenset(c903.REASON_PLACED_CEASED), False,
          "The reason for the reversal of the decision that the child should be placed for adoption code is not "
          "valid."),
    Field("prev_perm", "PREV_PERM", "631", frozenset(c903.PREVIOUS_PERMANENCE), False,
          "Previous permanence option not a valid value."),
    Field("prev_perm", "DATE_PERM", "632", "partial-date", False,
          "Date of previous permanence order not a valid value."),
)


def _bad(allowed: Allowed, value: str, year: int) -> bool:
    if allowed == "date":
        try:
            parse_date(value)
        except ValueError:
            return True
        return False
    if allowed == "partial-date":  # dd/mm/yyyy, or zz/mm/yyyy when the day is not known
        return _bad("date", value.replace("zz", "01").replace("ZZ", "01"), year)
    if allowed == "0-40":
        return not (value.isdigit() and 0 <= int(value) <= 40)
    codes = allowed(year) if callable(allowed) else allowed
    return value not in codes


def _field_rule(spec: Field) -> Callable[[Ctx], Iterator[Problem]]:
    def check(ctx: Ctx) -> Iterator[Problem]:
        for row in ctx.rows(spec.module):
            value = row.get(spec.column)
            if not value:
                if spec.required:
                    yield at(spec.module, row, spec.column, spec.code, f"{spec.column} is blank: {spec.message}")
            elif _bad(spec.allowed, value, ctx.year.year):
                yield at(spec.module, row, spec.column, spec.code, f"{spec.column} '{value}': {spec.message}")
    return check


for _spec in FIELDS:
    rule(_spec.code)(_field_rule(_spec))


UPN_FORMAT = re.compile(r"[A-HJ-NP-RT-Z]\d{11}[0-9A-HJ-NP-RT-Z]")


@rule("168")
def upn(ctx: Ctx) -> Iterator[Problem]:
    """UPN: a letter (not I, O or S), 11 digits and a digit or letter; or UN1-UN5 (the check letter is the CIN
    census's rule 1540, not a 903 rule)."""
    for row in ctx.rows("header"):
        value = row.get("UPN")
        if value in c903.UPN_UNKNOWN_903:
            continue
        if not UPN_FORMAT.fullmatch(value.upper()):
            yield at("header", row, "UPN", "168", f"UPN '{value}': Unique Pupil Number (UPN) is not valid. If unknown, "
                                                  "default codes should be UN1, UN2, UN3, UN4 or UN5.")


@rule("213")
def provider_not_needed(ctx: Ctx) -> Iterator[Problem]:
    """No placement provider for temporary (T0-T4) and other (Z1, Z11-Z14) placements."""
    for row in ctx.rows("episodes"):
        if row.get("PLACE") in c903.NO_PROVIDER_PLACEMENTS | {"Z11", "Z12", "Z13", "Z14"} and row.get("PLACE_PROVIDER"):
            yield at("episodes", row, "PLACE_PROVIDER", "213", f"PLACE_PROVIDER '{row.get('PLACE_PROVIDER')}' with "
                                                               f"PLACE {row.get('PLACE')}: Placement provider "
                                                               "information not required.")
