"""More SSDA903 rules: legal-status and temporary-placement durations, short breaks, reviews by age,
care leavers (OC3 cohort), OC2 completeness, missing periods against the year and care, and the
adoption decision chain. Codes and wording follow DfE's 903 validation rules as csc-validator-be-903
implements them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from refresh.ingest.ssda903_base import Ctx, Episode, Problem, add_years, at, date_or_none, rule

ADOPTION_PLACEMENTS = ("A3", "A4", "A5", "A6")
# (legal status or placement column, code, most days, rule, message)
LONGEST = (("LS", "L1", 3, "361", "Police protection legal status lasted longer than maximum 72 hours allowed."),
           ("LS", "L2", 21, "362", "Emergency protection order (EPO) lasted longer than 21 days."),
           ("LS", "L3", 7, "363", "Child assessment order (CAO) lasted longer than 7 days allowed in the Children "
                                  "Act 1989."),
           ("LS", "V3", 17, "365", "Any individual short-term respite placement must not exceed 17 days."),
           ("PLACE", "T1", 42, "375", "Hospitalisation coded as a temporary placement exceeds six weeks."),
           ("PLACE", "T3", 21, "376", "Temporary placements coded as being due to holiday of usual foster carer(s) "
                                      "cannot exceed three weeks."),
           ("PLACE", "T4", 7, "379", "Temporary placements for unspecified reason (placement code T4) cannot exceed "
                                     "seven days."))


def _ep(e: Episode, column: str, code: str, message: str) -> Problem:
    return at("episodes", e.row, column, code, message)


@rule(*(entry[3] for entry in LONGEST))
def durations(ctx: Ctx) -> Iterator[Problem]:
    """Runs of consecutive episodes with the same legal status or placement, against their maximum length."""
    for column, code, days, number, message in LONGEST:
        run: list[Episode] = []
        for e in [*ctx.episodes, None]:
            if e is not None and getattr(e, column) == code and (not run or run[-1].dec == e.decom):
                run.append(e)
                continue
            if run and ((run[-1].dec or ctx.year.end) - run[0].decom).days > days:
                yield _ep(run[0], column, number, f"{column} {code} from {run[0].decom:%d/%m/%Y}: {message}")
            run = [e] if e is not None and getattr(e, column) == code else []


@rule("355", "381", "382", "384", "398", "378", "217", "371", "526")
def episode_values(ctx: Ctx) -> Iterator[Problem]:
    for e in ctx.episodes:
        if e.dec == e.decom:
            yield _ep(e, "DEC", "355", "Episode appears to have lasted for less than 24 hours.")
        if e.PLACE.startswith("T") and e.REC not in ("", "X1"):
            yield _ep(e, "REC", "381", "A period of care cannot end with a temporary placement.")
        if e.LS in ("V3", "V4"):
            if e.PLACE.startswith("T"):
                yield _ep(e, "PLACE", "382", "A child receiving respite care cannot be in a temporary placement.")
            if e.PLACE in ("U1", "U4"):
                yield _ep(e, "PLACE", "384", "A child receiving respite care cannot be in a long-term foster "
                                             "placement.")
            if e.HOME_POST or e.PL_POST:
                yield _ep(e, "HOME_POST" if e.HOME_POST else "PL_POST", "398", "Distance or postcodes completed but "
                                                                              "child looked after under V3 or V4.")
        if e.PLACE == "P1" and e.LS == "V2":
            yield _ep(e, "LS", "378", "A child who is placed with parent(s) cannot be looked after under a single "
                                      "period of accommodation under Section 20 of the Children Act 1989.")
        if e.PLACE in ("A3", "A5") and e.RNE not in ("S", "T", "U"):
            yield _ep(e, "RNE", "217", "Children who are placed for adoption with current foster carers (A3 or A5) "
                                       "must have a reason for new episode of S, T or U.")
        age = ctx.age_on(e.decom)
        if e.PLACE == "H5" and age is not None and age < 14:
            yield _ep(e, "PLACE", "371", "Child in semi-independent living accommodation not subject to children's "
                                         "homes regulations should be at least 14.")
        if not e.PLACE_PROVIDER and e.PLACE and not e.PLACE.startswith(("T", "Z")):
            yield _ep(e, "PLACE_PROVIDER", "526", "Child is missing a placement provider code for at least one "
                                                  "episode.")


@rule("377")
def carers_holidays(ctx: Ctx) -> Iterator[Problem]:
    holidays = [e for e in ctx.episodes if e.PLACE == "T3" and ctx.in_year(e.decom)]
    if len(holidays) > 2:
        yield _ep(holidays[2], "PLACE", "377", "Only two temporary placements coded as being due to holiday of usual "
                                               "foster carer(s) are allowed in any 12-month period.")


@rule("431", "432", "504")
def period_chain(ctx: Ctx) -> Iterator[Problem]:
    need = ctx.episodes[0].CIN if ctx.episodes else ""
    for prev, nxt in zip(ctx.episodes, ctx.episodes[1:], strict=False):
        if nxt.RNE == "S" and prev.dec is not None and nxt.decom <= prev.dec:
            yield _ep(nxt, "RNE", "431", "The reason for new episode is started to be looked after, but the previous "
                                         "episode ended on the same day.")
        ceased = prev.REC not in ("", "X1")
        if ceased and nxt.RNE != "S":
            yield _ep(nxt, "RNE", "432", f"The child ceased to be looked after at the end of the previous episode "
                                         f"(REC {prev.REC}) but the reason for the new episode is not S.")
        need = nxt.CIN if nxt.RNE == "S" or ceased else need
        if nxt.CIN and need and nxt.CIN != need:
            yield _ep(nxt, "CIN", "504", "The category of need code differs from that reported at start of current "
                                         "period of being looked after.")


@rule("516")
def sgo_from_foster_carers(ctx: Ctx) -> Iterator[Problem]:
    for e in ctx.episodes:
        if e.REC in ("E45", "E46") and e.PLACE not in ("U1", "U2", "U3", "U4", "U5", "U6"):
            yield _ep(e, "PLACE", "516", "If the code in the reason episode ceased is E45 or E46 the child must have a "
                                         "placement code of U1 to U6.")


@rule("440", "441", "442", "393")
def reviews_and_identity(ctx: Ctx) -> Iterator[Problem]:
    for row in ctx.rows("reviews"):
        day, four = date_or_none(row.get("REVIEW")), add_years(ctx.dob, 4) if ctx.dob else None
        if day and four and row.get("REVIEW_CODE") == "PN0" and day >= four:
            yield at("reviews", row, "REVIEW_CODE", "440", "Participation method indicates child was under 4 at the "
                                                           "review, but the date of birth says 4 or over.")
        if day and four and row.get("REVIEW_CODE") not in ("", "PN0") and day < four:
            yield at("reviews", row, "REVIEW_CODE", "441", "Participation method indicates child was 4 or over at the "
                                                           "review, but the date of birth says under 4.")
    header = ctx.header
    substantive = any(e.LS not in ("V3", "V4") for e in ctx.episodes)
    if header is not None and substantive and not header.get("UPN"):
        yield at("header", header, "UPN", "442", "Unique Pupil Number (UPN) field is not completed.")
    if header is not None and substantive and ctx.year.year >= 2025 and header.get("SEX") == "F" and \
            not header.get("MOTHER"):
        yield at("header", header, "MOTHER", "393", "Child is looked after but mother field is not completed.")


def _oc3_age(ctx: Ctx) -> int | None:
    """Age at the birthday that falls in the collection year."""
    return ctx.age_on(ctx.year.end) if ctx.dob is None else ctx.year.year - ctx.dob.year - (ctx.dob.month >= 4)


@rule("1000", "1011", "1007", "391", "3001", "344", "134")
def care_leavers(ctx: Ctx) -> Iterator[Problem]:
    for row in ctx.rows("oc3"):
        filled = [c for c in ("IN_TOUCH", "ACTIV", "ACCOM") if row.get(c)]
        last = ctx.episodes[-1] if ctx.episodes else None
        if filled and any(e.REC == "E2" for e in ctx.episodes):
            yield at("oc3", row, filled[0], "1000", "This child is recorded as having died in care and therefore "
                                                    "should not have the care leaver information completed.")
        if filled and last is not None and last.REC == "E3":
            yield at("oc3", row, filled[0], "1011", "This child's care was transferred to another local authority "
                                                    "for the final episode, so care leaver information is not needed.")
        age = _oc3_age(ctx)
        if filled and last is not None and last.dec is None and ctx.age_on(ctx.year.end) in (17, 18):
            yield at("oc3", row, filled[0], "1007", "Care leaver information is not required for 17- or 18-year olds "
                                                    "who are still looked after.")
        if age is not None and not 17 <= age <= 21:
            yield at("oc3", row, "DOB", "391", f"Age {age} at the birthday in the year: Young person was not 17, 18, "
                                               "19, 20 or 21 during the current collection year.")
        if age == 17 and row.get("ACCOM") in ("Z1", "Z2"):
            yield at("oc3", row, "ACCOM", "3001", "Where care leavers information is being returned for a young person "
                                                  "around their 17th birthday, the accommodation cannot be with their "
                                                  "former foster carer(s).")
        if row.get("IN_TOUCH") in ("DIED", "RHOM") and (row.get("ACTIV") or row.get("ACCOM")):
            yield at("oc3", row, "ACTIV" if row.get("ACTIV") else "ACCOM", "344", "The young person has died or "
                     "returned home, but activity and/or accommodation on leaving care have been completed.")
        for ad1 in ctx.rows("ad1")[:1]:
            yield at("ad1", ad1, "CHILD", "134", "Data on adoption should not be entered for the OC3 cohort.")


@rule("544", "547", "182", "189")
def oc2_completeness(ctx: Ctx) -> Iterator[Problem]:
    four = ("IMMUNISATIONS", "TEETH_CHECK", "HEALTH_ASSESSMENT", "SUBSTANCE_MISUSE")
    columns = ("SDQ_SCORE", "SDQ_REASON", "CONVICTED", "HEALTH_CHECK", *four, "INTERVENTION_RECEIVED",
               "INTERVENTION_OFFERED")
    for row in ctx.rows("oc2"):
        blank = [c for c in four if not row.get(c)]
        for column, code in (("CONVICTED", "544"), ("HEALTH_CHECK", "547")):
            if row.get(column) and blank:
                yield at("oc2", row, blank[0], code, f"Any child who has {column} completed must also have "
                                                     "immunisation, teeth check, health assessment and substance "
                                                     "misuse problem identified fields completed.")
        if blank and len(blank) < 4 and any(row.get(c) for c in columns):
            yield at("oc2", row, blank[0], "182", "Data entries on immunisations, teeth checks, health assessments and "
                                                  "substance misuse problem identified should be completed or all OC2 "
                                                  "fields should be left blank.")
        age = ctx.age_on(ctx.year.start)
        if age is not None and age >= 17 and (row.get("SDQ_SCORE") or row.get("SDQ_REASON")):
            yield at("oc2", row, "SDQ_SCORE", "189", "Child is aged 17 years or over at the beginning of the year, but "
                                                     "an SDQ score or reason for no SDQ is completed.")


@rule("571", "581", "580")
def missing_and_care(ctx: Ctx) -> Iterator[Problem]:
    first = ctx.episodes[0].decom if ctx.episodes else None
    last = ctx.episodes[-1] if ctx.episodes else None
    for row in ctx.rows("missing"):
        start, end = date_or_none(row.get("MIS_START")), date_or_none(row.get("MIS_END"))
        if end is not None and not ctx.in_year(end):
            yield at("missing", row, "MIS_END", "571", "The date that the child ceased to be missing or away from "
                                                       "placement without authorisation is before the start or after "
                                                       "the end of the collection year.")
        if start is not None and first is not None and start < first:
            yield at("missing", row, "MIS_START", "581", "Child is missing but has not yet started to be looked after.")
        if start is not None and last is not None and last.dec is not None and last.REC not in ("", "X1", "E8") and \
                start <= last.dec and (end is None or end >= last.dec):
            yield at("episodes", last.row, "REC", "580", "Child is missing when cease being looked after but reason "
                                                         "episode ceased not 'E8'.")


def _placed(ctx: Ctx) -> list[tuple[dt.date | None, dt.date | None, str, int]]:
    rows = ctx.rows("placed_for_adoption")
    return sorted(((date_or_none(r.get("DATE_PLACED")), date_or_none(r.get("DATE_PLACED_CEASED")),
                    r.get("REASON_PLACED_CEASED"), i) for i, r in enumerate(rows)),
                  key=lambda t: (t[0] or dt.date.min, t[3]))


@rule("117", "118", "563", "551", "552", "553", "554", "521", "523", "525", "557", "558", "579", "583")
def adoption_decisions(ctx: Ctx) -> Iterator[Problem]:
    rows, y = ctx.rows("placed_for_adoption"), ctx.year
    for r in rows:
        placed, ceased = date_or_none(r.get("DATE_PLACED")), date_or_none(r.get("DATE_PLACED_CEASED"))
        if any(d is not None and d > y.end for d in (placed, ceased)):
            yield at("placed_for_adoption", r, "DATE_PLACED", "117", "Date of decision that a child should/should no "
                                                                     "longer be placed for adoption is beyond the "
                                                                     "current collection year.")
        if ceased is not None and ceased < y.start:
            yield at("placed_for_adoption", r, "DATE_PLACED_CEASED", "118", "Date of decision that a child should no "
                     "longer be placed for adoption is before the current collection year.")
        if (r.get("DATE_PLACED_CEASED") or r.get("REASON_PLACED_CEASED")) and not r.get("DATE_PLACED"):
            yield at("placed_for_adoption", r, "DATE_PLACED", "563", "The child should no longer be placed for "
                                                                     "adoption but the date of the decision that the "
                                                                     "child should be placed for adoption is blank.")
    decided = min((d for d, *_ in _placed(ctx) if d is not None), default=None)
    for place_col, values, none_code, late_code, what in (
            ("PLACE", ADOPTION_PLACEMENTS, "551", "552", "placed for adoption"),
            ("LS", ("E1",), "553", "554", "placement order")):
        eps = [e for e in ctx.episodes if getattr(e, place_col) in values and ctx.in_year(e.dec or y.end)]
        if eps and not rows:
            yield _ep(eps[0], place_col, none_code, f"Child has a {what} episode but there is no date of the decision "
                                                    "that the child should be placed for adoption.")
        elif eps and decided is not None and decided > eps[0].decom:
            yield _ep(eps[0], place_col, late_code, f"Date of decision that the child should be placed for adoption "
                                                    f"should be on or prior to the {what} date.")
    adopted = any(e.REC in ("E11", "E12") for e in ctx.episodes)
    for ad1 in ctx.rows("ad1")[:1]:
        interest = date_or_none(ad1.get("DATE_INT"))
        placed_eps = [e for e in ctx.episodes if e.PLACE in ADOPTION_PLACEMENTS]
        if interest and placed_eps and interest > placed_eps[0].decom:
            yield at("ad1", ad1, "DATE_INT", "521", "Date should be placed must be on or prior to the date the child "
                                                    "is placed for adoption.")
        if interest and decided and interest != decided:
            yield at("ad1", ad1, "DATE_INT", "523", "Date of decision that the child should be placed for adoption "
                                                    "should be the same date as the decision that adoption is in the "
                                                    "best interest (date should be placed).")
        if any(r.get("DATE_PLACED_CEASED") for r in rows):
            yield at("ad1", ad1, "CHILD", "525", "A child for whom the decision to be placed for adoption has been "
                                                 "reversed cannot be adopted during the year.")
    last = ctx.episodes[-1] if ctx.episodes else None
    for r in rows:
        if adopted and r.get("DATE_PLACED_CEASED"):
            yield at("placed_for_adoption", r, "DATE_PLACED_CEASED", "558", "If a child has been adopted, the date of "
                     "the decision that a child should no longer be placed for adoption should be left blank.")
        if last is not None and last.REC not in ("", "X1", "E11", "E12") and ctx.in_year(last.dec) and \
                not r.get("DATE_PLACED_CEASED"):
            yield at("placed_for_adoption", r, "DATE_PLACED_CEASED", "557", "Child for whom the decision was made that "
                     "they should be placed for adoption has left care but was not adopted, and the decision has no "
                     "end date.")
    ordered = _placed(ctx)
    for (_s, prev_end, _r, _i), (start, _e, _r2, i) in zip(ordered, ordered[1:], strict=False):
        row = rows[i]
        if prev_end is None:
            yield at("placed_for_adoption", row, "DATE_PLACED", "583", "More than one date the child should be placed "
                                                                       "for adoption has been reported, but an earlier "
                                                                       "decision has not been revoked.")
        elif start is not None and start < prev_end:
            yield at("placed_for_adoption", row, "DATE_PLACED", "579", "A new decision that the child should be placed "
                                                                       "for adoption must not be before the date the "
                                                                       "previous decision ceased.")


@rule("634")
def previous_permanence_start(ctx: Ctx) -> Iterator[Problem]:
    for row in ctx.rows("prev_perm")[:1]:
        if any(row.get(c) for c in ("PREV_PERM", "LA_PERM", "DATE_PERM")) and ctx.episodes and \
                all(e.decom < dt.date(2016, 4, 1) for e in ctx.episodes):
            yield at("prev_perm", row, "PREV_PERM", "634", "There are entries for previous permanence options, but "
                                                           "child has not started to be looked after from 1 April "
                                                           "2016 onwards.")

