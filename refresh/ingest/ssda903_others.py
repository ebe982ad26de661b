"""SSDA903 rules on the other modules and across them: missing, UASC, OC2, OC3, adoption, previous
permanence, motherhood, and csc-validator-be-903's integrity checks (INT: every child in the header,
once; DOB and SEX agreeing with it). Codes and wording follow DfE's 903 validation rules.
"""

from __future__ import annotations

from collections.abc import Iterator

from refresh.ingest.ssda903_base import Ctx, Problem, add_years, at, date_or_none, rule
from refresh.ingest.ssda903_files import Row

OC2_ITEMS = ("CONVICTED", "HEALTH_CHECK", "IMMUNISATIONS", "TEETH_CHECK", "HEALTH_ASSESSMENT", "SUBSTANCE_MISUSE",
             "INTERVENTION_RECEIVED", "INTERVENTION_OFFERED")
OC2_NEEDED = ("IMMUNISATIONS", "TEETH_CHECK", "HEALTH_ASSESSMENT", "SUBSTANCE_MISUSE")
# csc-validator table, our module, "not in header" code, "DOB differs" code, "more than once" code
INTEGRITY = (("AD1", "ad1", "INT01", "INT11", "INT31"), ("PlacedAdoption", "placed_for_adoption", "INT02", "INT12", ""),
             ("Episodes", "episodes", "INT03", "", ""), ("Missing", "missing", "INT04", "INT13", ""),
             ("OC2", "oc2", "INT05", "INT14", "INT33"), ("OC3", "oc3", "INT06", "INT15", "INT34"),
             ("PrevPerm", "prev_perm", "INT07", "INT16", "INT35"), ("Reviews", "reviews", "INT08", "INT17", ""),
             ("UASC", "uasc", "INT09", "INT18", "INT36"))


@rule(*(code for entry in INTEGRITY for code in entry[2:] if code), "INT32", "INT21")
def integrity(ctx: Ctx) -> Iterator[Problem]:
    header = ctx.header
    if len(ctx.rows("header")) > 1:
        yield at("header", ctx.rows("header")[1], "CHILD", "INT32", "Internal Check: Child should only exist once "
                                                                    "in Header.")
    for table, module, absent, dob_code, twice in INTEGRITY:
        rows = ctx.rows(module)
        if rows and header is None:
            yield at(module, rows[0], "CHILD", absent, f"Internal Check: Child in {table} does not exist in Header.")
        if twice and len(rows) > 1:
            yield at(module, rows[1], "CHILD", twice, f"Internal Check: Child should only exist once in {table}.")
        for row in rows if header is not None and dob_code else []:
            if date_or_none(row.get("DOB")) != ctx.dob:
                yield at(module, row, "DOB", dob_code, f"DOB '{row.get('DOB')}' (header '{ctx.header_dob}'): "
                                                       f"Internal Check: DOB in {table} is different to DOB in Header.")
    for row in ctx.rows("uasc") if header is not None else []:
        if row.get("SEX") != ctx.sex:
            yield at("uasc", row, "SEX", "INT21", "Internal Check: SEX in UASC is different to SEX in Header.")


@rule("567", "574", "570", "586", "564", "565", "577", "578")
def missing(ctx: Ctx) -> Iterator[Problem]:
    periods = []
    for row in ctx.rows("missing"):
        start, end = date_or_none(row.get("MIS_START")), date_or_none(row.get("MIS_END"))
        if row.get("MISSING") and not row.get("MIS_START"):
            yield at("missing", row, "MIS_START", "564", "Child was missing or away from placement without "
                                                         "authorisation and the date started is blank.")
        if row.get("MIS_START") and not row.get("MISSING"):
            yield at("missing", row, "MISSING", "565", "The date that the child started to be missing or away from "
                                                       "placement without authorisation has been completed but whether "
                                                       "the child was missing or away has not been completed.")
        if start and end and end < start:
            yield at("missing", row, "MIS_END", "567", "The date that the missing episode or episode that the child "
                                                       "was away from placement without authorisation ended is before "
                                                       "the date that it started.")
        if start and start > ctx.year.end:
            yield at("missing", row, "MIS_START", "570", "The date that the child started to be missing or away from "
                                                         "placement without authorisation is after the end of the "
                                                         "collection year.")
        if start and ctx.dob and start < ctx.dob:
            yield at("missing", row, "MIS_START", "586", "Dates of missing periods are before child's date of birth.")
        if start:
            periods.append((start, end, row))
    periods.sort(key=lambda p: (p[0], p[2].line))
    for (_s, prev_end, _r), (start, _e, row) in zip(periods, periods[1:], strict=False):
        if prev_end is None or start < prev_end:
            yield at("missing", row, "MIS_START", "574", "A new missing/away from placement without authorisation "
                                                         "period cannot start when the previous one is still open; "
                                                         "periods should also not overlap.")
    last = ctx.episodes[-1] if ctx.episodes else None
    if last is not None and last.dec is not None and last.REC not in ("", "X1") and ctx.in_year(last.dec):
        for start, end, row in periods:
            if end is None:
                yield at("missing", row, "MIS_END", "577", "Child ceased to be looked after but there is a missing/"
                                                           "away from placement without authorisation period without "
                                                           "an end date.")
            if start > last.dec:
                yield at("missing", row, "MIS_START", "578", "The date that the child started to be missing is "
                                                             "after the child ceased to be looked after.")


@rule("304")
def uasc_ceased_by_18(ctx: Ctx) -> Iterator[Problem]:
    for row in ctx.rows("uasc"):
        ceased, born = date_or_none(row.get("DUC")), date_or_none(row.get("DOB")) or ctx.dob
        if ceased and born and ceased > add_years(born, 18):
            yield at("uasc", row, "DUC", "304", "Date unaccompanied asylum-seeking child (UASC) status ceased must be "
                                                "on or before the 18th birthday of a child.")


def _filled(row: Row, *columns: str) -> list[str]:
    return [c for c in columns if row.get(c)]


@rule("191", "190", "185", "198", "542", "543", "545", "546")
def oc2_cohort(ctx: Ctx) -> Iterator[Problem]:
    cla = ctx.continuously_looked_after()
    rows = ctx.rows("oc2")
    age = ctx.age_on(ctx.year.end)
    if cla and not rows and ctx.episodes:
        yield at("episodes", ctx.episodes[0].row, "CHILD", "191", "Child has been looked after continuously for at "
                 "least 12 months at 31 March but there is no OC2 row for them.")
    for row in rows:
        if cla and (blank := [c for c in OC2_NEEDED if not row.get(c)]):
            yield at("oc2", row, blank[0], "191", f"{', '.join(blank)} blank: Child has been looked after "
                                                  "continuously for at least 12 months at 31 March but one or more "
                                                  "data items relating to them are missing.")
        if not cla:
            for column, code in (("SDQ_SCORE", "185"), ("SDQ_REASON", "198")):
                if row.get(column):
                    yield at("oc2", row, column, code, f"{column} completed: Child has not been looked after "
                                                       "continuously for at least 12 months at 31 March.")
            if filled := _filled(row, *OC2_ITEMS):
                yield at("oc2", row, filled[0], "190", f"{', '.join(filled)} completed: Child has not been looked "
                                                       "after continuously for at least 12 months at 31 March but one "
                                                       "or more data items relating to them have been completed.")
        if age is None:
            continue
        if age < 10 and row.get("CONVICTED"):
            yield at("oc2", row, "CONVICTED", "542", "A child aged under 10 at 31 March should not have conviction "
                                                     "information completed.")
        if age >= 10 and cla and not row.get("CONVICTED"):
            yield at("oc2", row, "CONVICTED", "543", "Child is aged 10 or over at 31 March and has been looked after "
                                                     "continuously for 12 months yet conviction information has not "
                                                     "been completed.")
        if age < 5 and cla and not row.get("HEALTH_CHECK"):
            yield at("oc2", row, "HEALTH_CHECK", "545", "Child is aged under 5 at 31 March and has been looked after "
                                                        "continuously for 12 months yet health promotion information "
                                                        "has not been completed.")
        if age >= 5 and row.get("HEALTH_CHECK"):
            yield at("oc2", row, "HEALTH_CHECK", "546", "Children aged 5 or over at 31 March should not have health "
                                                        "promotion information completed.")


@rule("158", "159", "192", "193", "197a")
def oc2_items(ctx: Ctx) -> Iterator[Problem]:
    for row in ctx.rows("oc2"):
        misuse, received, offered = row.get("SUBSTANCE_MISUSE"), row.get("INTERVENTION_RECEIVED"), \
            row.get("INTERVENTION_OFFERED")
        if received == "1" and offered:
            yield at("oc2", row, "INTERVENTION_OFFERED", "158", "If a child has been recorded as receiving an "
                     "intervention for their substance misuse problem, then whether an intervention was offered "
                     "should be left blank.")
        if misuse == "1" and received == "0" and not offered:
            yield at("oc2", row, "INTERVENTION_OFFERED", "159", "If a child has been recorded as not receiving an "
                     "intervention for their substance misuse problem, then whether an intervention was offered "
                     "should be completed.")
        if misuse == "1" and not received:
            yield at("oc2", row, "INTERVENTION_RECEIVED", "192", "Child has been identified as having a substance "
                     "misuse problem but whether an intervention was received has been left blank.")
        if misuse in ("", "0") and (received or offered):
            yield at("oc2", row, "INTERVENTION_RECEIVED" if received else "INTERVENTION_OFFERED", "193",
                     "Child not identified as having a substance misuse problem but whether interventions were "
                     "offered or received has been completed.")
        if row.get("SDQ_SCORE") and row.get("SDQ_REASON"):
            yield at("oc2", row, "SDQ_REASON", "197a", "Reason for no Strengths and Difficulties (SDQ) score is not "
                                                       "required if the SDQ score is filled in.")


@rule("153", "345")
def oc3_items(ctx: Ctx) -> Iterator[Problem]:
    for row in ctx.rows("oc3"):
        filled = _filled(row, "IN_TOUCH", "ACTIV", "ACCOM")
        if 0 < len(filled) < 3:
            yield at("oc3", row, next(c for c in ("IN_TOUCH", "ACTIV", "ACCOM") if c not in filled), "153",
                     "All data items relating to a child's activity or accommodation after leaving care must be "
                     "coded or left blank.")
        if row.get("IN_TOUCH") == "YES" and "0" in (row.get("ACTIV"), row.get("ACCOM")):
            yield at("oc3", row, "ACTIV" if row.get("ACTIV") == "0" else "ACCOM", "345", "The record shows the local "
                     "authority is in touch with this young person, but activity and/or accommodation data items are "
                     "zero.")


@rule("1012", "1014")
def care_leaver_only(ctx: Ctx) -> Iterator[Problem]:
    if not ctx.rows("oc3") or any(ctx.in_year(e.dec) or e.dec is None for e in ctx.episodes):
        return
    for row in ctx.rows("uasc"):
        yield at("uasc", row, "CHILD", "1014", "UASC information is not required for care leavers.")
    for module in ("reviews", "missing", "oc2", "ad1", "placed_for_adoption", "prev_perm"):
        for row in ctx.rows(module)[:1]:
            yield at(module, row, "CHILD", "1012", "No other data should be returned for OC3 children who had no "
                                                   "episodes in the current year.")
