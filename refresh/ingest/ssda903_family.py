"""SSDA903 rules on motherhood (header), adoption (AD1, placed for adoption) and previous permanence.

Codes and wording follow DfE's 903 validation rules as data-to-insight's csc-validator-be-903
implements them.
"""

from __future__ import annotations

from collections.abc import Iterator

from refresh.ingest.ssda903_base import Ctx, Problem, add_years, at, date_or_none, rule

# LS_ADOPTR -> the SEX_ADOPTR codes it allows (rules 514, 517-520, 524).
ADOPTER_SEXES = {"L0": ("514", ("M1", "F1"), "a single adopter"), "L11": ("520", ("MF",), "a different-sex married "
                 "couple"), "L12": ("524", ("MM", "FF"), "a same-sex married couple"),
                 "L2": ("519", ("MM", "FF", "MF"), "a civil partnership couple"),
                 "L3": ("517", ("MF",), "a different-sex unmarried couple"),
                 "L4": ("518", ("MM", "FF"), "a same-sex unmarried couple")}
AD1_ITEMS = ("DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR")


@rule("174", "611", "612", "620", "621")
def mother(ctx: Ctx) -> Iterator[Problem]:
    for row in ctx.rows("header"):
        child_born, born = date_or_none(row.get("MC_DOB")), ctx.dob
        if row.get("MC_DOB") and row.get("SEX") in ("1", "M"):
            yield at("header", row, "MC_DOB", "174", "Mother's child date of birth is recorded but gender shows that "
                                                     "the child is a male.")
        if row.get("MOTHER") == "1" and not row.get("MC_DOB"):
            yield at("header", row, "MC_DOB", "611", "Date of birth field is blank, but child is a mother.")
        if row.get("MC_DOB") and row.get("MOTHER") == "0":
            yield at("header", row, "MOTHER", "612", "Date of birth field has been completed but mother field "
                                                     "indicates child is not a mother.")
        if row.get("MOTHER") == "1" and born and add_years(born, 11) > ctx.year.start:
            yield at("header", row, "MOTHER", "620", "Child has been recorded as a mother, but date of birth shows "
                                                     "that the mother is under 11 years of age.")
        if child_born and born and child_born < born:
            yield at("header", row, "MC_DOB", "621", "Mother's field has been completed but date of birth shows that "
                                                     "the mother is younger than her child.")


@rule("399")
def short_breaks_only(ctx: Ctx) -> Iterator[Problem]:
    if not ctx.episodes or any(e.LS not in ("V3", "V4") for e in ctx.episodes):
        return
    header = ctx.header
    if header is not None and header.get("MOTHER"):
        yield at("header", header, "MOTHER", "399", "Mother field is completed but child is looked after only under "
                                                    "legal status V3 or V4.")
    for row in ctx.rows("reviews")[:1]:
        yield at("reviews", row, "REVIEW", "399", "Review field is completed but child is looked after only under "
                                                  "legal status V3 or V4.")


@rule("184", "119", "522")
def placed_for_adoption(ctx: Ctx) -> Iterator[Problem]:
    for row in ctx.rows("placed_for_adoption"):
        placed, ceased = date_or_none(row.get("DATE_PLACED")), date_or_none(row.get("DATE_PLACED_CEASED"))
        if placed and ctx.dob and placed < ctx.dob:
            yield at("placed_for_adoption", row, "DATE_PLACED", "184", "Date of decision that a child should be placed "
                                                                       "for adoption is before the child was born.")
        if bool(row.get("DATE_PLACED_CEASED")) != bool(row.get("REASON_PLACED_CEASED")):
            yield at("placed_for_adoption", row, "REASON_PLACED_CEASED" if row.get("DATE_PLACED_CEASED") else
                     "DATE_PLACED_CEASED", "119", "If the decision is made that a child should no longer be placed for "
                     "adoption, then the date of this decision and the reason why must be completed.")
        if placed and ceased and ceased < placed:
            yield at("placed_for_adoption", row, "DATE_PLACED_CEASED", "522", "Date of decision that the child should "
                     "be placed for adoption must be on or before the date that a child should no longer be placed.")


@rule("151", "333", "511", "514", "517", "518", "519", "520", "524", "601", "602")
def adoption(ctx: Ctx) -> Iterator[Problem]:
    adopted = [e for e in ctx.episodes if e.REC in ("E11", "E12") and ctx.in_year(e.dec)]
    rows = ctx.rows("ad1")
    if adopted and not rows:
        yield at("episodes", adopted[0].row, "REC", "601", "The additional fields relating to adoption have not been "
                 "completed although the episode data shows that the child was adopted during the year.")
    for row in rows:
        if not adopted:
            yield at("ad1", row, "CHILD", "602", "The episode data submitted for this child does not show that he/she "
                                                 "was adopted during the year.")
        filled = [c for c in AD1_ITEMS if row.get(c)]
        if 0 < len(filled) < len(AD1_ITEMS):
            yield at("ad1", row, next(c for c in AD1_ITEMS if not row.get(c)), "151", "All data items relating to a "
                     "child's adoption must be coded or left blank.")
        decided, matched = date_or_none(row.get("DATE_INT")), date_or_none(row.get("DATE_MATCH"))
        if decided and matched and matched < decided:
            yield at("ad1", row, "DATE_MATCH", "333", "Date should be placed for adoption must be on or prior to the "
                                                      "date of matching child with adopter(s).")
        sexes = row.get("SEX_ADOPTR")
        if row.get("NB_ADOPTR") == "2" and sexes and sexes not in ("MM", "FF", "MF"):
            yield at("ad1", row, "SEX_ADOPTR", "511", "If reporting that the number of person(s) adopting the looked "
                                                      "after child is two adopters then the code should only be MM, FF "
                                                      "or MF.")
        if (spec := ADOPTER_SEXES.get(row.get("LS_ADOPTR"))) and sexes not in spec[1]:
            yield at("ad1", row, "SEX_ADOPTR", spec[0], f"LS_ADOPTR {row.get('LS_ADOPTR')} ({spec[2]}) but SEX_ADOPTR "
                                                        f"'{sexes}': the genders of adopters should be "
                                                        f"{' or '.join(spec[1])}.")


@rule("630", "635")
def previous_permanence(ctx: Ctx) -> Iterator[Problem]:
    rows = ctx.rows("prev_perm")
    for row in rows:
        if row.get("PREV_PERM") == "Z1" and (row.get("LA_PERM") or row.get("DATE_PERM")):
            yield at("prev_perm", row, "LA_PERM" if row.get("LA_PERM") else "DATE_PERM", "635", "There are entries "
                     "for date of order and local authority code where previous permanence option was arranged but "
                     "previous permanence code is Z1.")
    for e in ctx.episodes:
        if e.RNE != "S" or e.decom < ctx.year.start:
            continue
        first = rows[0] if rows else None
        if first is None or not first.get("PREV_PERM") or (
                first.get("PREV_PERM") != "Z1" and not (first.get("LA_PERM") and first.get("DATE_PERM"))):
            yield at("episodes", e.row, "RNE", "630", "The child started to be looked after in the year: Information "
                                                      "on previous permanence option should be returned (PREV_PERM, "
                                                      "and LA_PERM and DATE_PERM unless Z1).")
