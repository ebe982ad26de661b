"""Further SSDA903 rules: what each reason for a new episode says changed (434-436), returning from a
temporary placement (383), adoption and legal status (390, 408, 446), respite limits (367, 426), and
cross-module checks (566, 575, 582, 625, 215, 628). Codes and wording follow DfE's 903 validation
rules as csc-validator-be-903 implements them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from refresh.ingest.ssda903_base import Ctx, Episode, Problem, at, date_or_none, rule

ADOPTION_PLACEMENTS = ("A3", "A4", "A5", "A6")


def _ep(e: Episode, column: str, code: str, message: str) -> Problem:
    return at("episodes", e.row, column, code, message)


PLACEMENT_ITEMS = ("PLACE", "PL_POST", "URN", "PLACE_PROVIDER")
RNE_MEANS = {"L": (True, False, "434", "Reason for new episode is that child's legal status has changed but not the "
                                      "placement, but this is not reflected in the episode data."),
             "P": (False, True, "435", "Reason for new episode is that child's placement has changed but not the legal "
                                       "status, but this is not reflected in the episode data."),
             "T": (False, True, "435", "Reason for new episode is that child's placement has changed but not the legal "
                                       "status, but this is not reflected in the episode data."),
             "U": (True, True, "436", "Reason for new episode is that both child's placement and legal status have "
                                      "changed, but this is not reflected in the episode data."),
             "B": (True, True, "436", "Reason for new episode is that both child's placement and legal status have "
                                      "changed, but this is not reflected in the episode data.")}


@rule("434", "435", "436", "383")
def what_changed(ctx: Ctx) -> Iterator[Problem]:
    eps = ctx.episodes
    for prev, e in zip(eps, eps[1:], strict=False):
        if e.RNE in RNE_MEANS:
            legal, placement, code, message = RNE_MEANS[e.RNE]
            moved = any(getattr(prev, c) != getattr(e, c) for c in PLACEMENT_ITEMS)
            if (prev.LS != e.LS) != legal or moved != placement:
                yield _ep(e, "RNE", code, f"RNE {e.RNE}: {message}")
    for before, temporary, after in zip(eps, eps[1:], eps[2:], strict=False):
        if temporary.PLACE.startswith("T") and not before.PLACE.startswith("T") and after.PLACE != before.PLACE:
            yield _ep(after, "PLACE", "383", "A child in a temporary placement must subsequently return to his/her "
                                             "normal placement.")


@rule("390", "408", "446", "367", "426")
def legal_and_placement(ctx: Ctx) -> Iterator[Problem]:
    respite = 0
    for e in ctx.episodes:
        if e.REC in ("E11", "E12") and e.PLACE not in ADOPTION_PLACEMENTS:
            yield _ep(e, "REC", "390", "Reason episode ceased is adopted but child has not been previously placed for "
                                       "adoption.")
        if e.PLACE in ("A5", "A6") and e.LS != "E1":
            yield _ep(e, "LS", "408", "Child is placed for adoption with a placement order, but no placement order has "
                                      "been recorded.")
        if e.LS == "E1" and e.decom < dt.date(2005, 12, 30):
            yield _ep(e, "LS", "446", "E1 is not a valid code for episodes starting before December 2005.")
        if e.LS == "V3":
            respite += max(0, ((min(e.dec or ctx.year.end, ctx.year.end)) - max(e.decom, ctx.year.start)).days)
    if respite > 75:
        yield _ep(ctx.episodes[-1], "LS", "367", f"{respite} days of respite care: The maximum amount of respite "
                                                 "care allowable is 75 days in any 12-month period.")
    kinds = {e.LS for e in ctx.episodes if e.LS in ("V3", "V4") and ctx.in_year(e.dec or ctx.year.end)}
    if kinds == {"V3", "V4"}:
        yield _ep(ctx.episodes[-1], "LS", "426", "A child receiving respite care cannot be recorded under a legal "
                                                 "status of V3 and V4 in the same year.")


@rule("566", "575", "582", "625", "215", "628")
def more_cross_checks(ctx: Ctx) -> Iterator[Problem]:
    for row in ctx.rows("missing"):
        start, end = date_or_none(row.get("MIS_START")), date_or_none(row.get("MIS_END"))
        if not row.get("MISSING") and row.get("MIS_END"):
            yield at("missing", row, "MISSING", "566", "The date that the child ceased to be missing or away has been "
                                                       "completed but whether the child was missing or away has not.")
        if start and end is None and any(e.dec is not None and e.decom <= start <= e.dec and e.REC not in ("", "X1")
                                         for e in ctx.episodes):
            yield at("missing", row, "MIS_END", "575", "If the placement from which the child goes missing ends, the "
                                                       "missing period must also have an end date.")
    for ad1 in ctx.rows("ad1")[:1]:
        matched = date_or_none(ad1.get("DATE_MATCH"))
        if matched and any(e.REC in ("E11", "E12") and e.dec == matched for e in ctx.episodes):
            yield at("ad1", ad1, "DATE_MATCH", "582", "Child is showing as ceasing to be looked after due to adoption, "
                                                      "but the date of adoption is the same as the date matched with "
                                                      "adopters.")
    header = ctx.header
    if header is not None:
        child_born = date_or_none(header.get("MC_DOB"))
        ended = [e.dec for e in ctx.episodes if e.dec is not None]
        if child_born and (child_born > ctx.year.end or (ended and ctx.episodes[-1].dec is not None and
                                                         child_born > max(ended))):
            yield at("header", header, "MC_DOB", "625", "Date of birth of the first child is beyond the end of this "
                                                        "reporting year or the date the child ceased to be looked "
                                                        "after.")
        in_year = any(e.dec is None or e.dec >= ctx.year.start for e in ctx.episodes)
        if ctx.rows("oc3") and not in_year and (header.get("MOTHER") or header.get("MC_DOB")):
            yield at("header", header, "MOTHER", "628", "Motherhood details are not required for care leavers who have "
                                                        "not been looked after during the year.")
    for oc3 in ctx.rows("oc3")[:1]:
        oc2_items = ("CONVICTED", "HEALTH_CHECK", "IMMUNISATIONS", "TEETH_CHECK", "HEALTH_ASSESSMENT",
                     "SUBSTANCE_MISUSE")
        if any(oc3.get(c) for c in ("IN_TOUCH", "ACTIV", "ACCOM")) and any(
                r.get(c) for r in ctx.rows("oc2")[:1] for c in oc2_items):
            yield at("oc2", ctx.rows("oc2")[0], "CHILD", "215", "Child has care leaver information but one or more "
                                                                "data items relating to children looked after for 12 "
                                                                "months have been completed.")
