"""SSDA903 rules across rows: the chain of episodes, dates against the year and the child's age.

Each check follows the DfE 903 validation rule of the same code, as data-to-insight's
csc-validator-be-903 implements it (where the two differ, the DfE text). Episodes are taken in
DECOM order; a continuation episode starts the day the previous one ceased.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from model import codes_903 as c903
from refresh.ingest.ssda903_base import Ctx, Episode, Problem, add_years, at, rule

TEMPORARY = frozenset({"T0", "T1", "T2", "T3", "T4"})
CONTINUES = frozenset({"P", "L", "T", "U", "B"})


def _ep(e: Episode, column: str, code: str, message: str) -> Problem:
    return at("episodes", e.row, column, code, message)


def _pairs(ctx: Ctx) -> Iterator[tuple[Episode, Episode]]:
    yield from zip(ctx.episodes, ctx.episodes[1:], strict=False)


@rule("142")
def open_before_next(ctx: Ctx) -> Iterator[Problem]:
    for prev, nxt in _pairs(ctx):
        if prev.dec is None and not prev.DEC:
            yield _ep(prev, "DEC", "142", f"The episode of {prev.decom:%d/%m/%Y} has no DEC but another episode starts "
                                          f"{nxt.decom:%d/%m/%Y}: A new episode has started, but the previous episode "
                                          "has not ended.")


@rule("501")
def starts_before_previous_ends(ctx: Ctx) -> Iterator[Problem]:
    for prev, nxt in _pairs(ctx):
        if prev.dec is not None and nxt.decom < prev.dec:
            yield _ep(nxt, "DECOM", "501", f"DECOM {nxt.decom:%d/%m/%Y} is before the previous episode ceased "
                                           f"({prev.dec:%d/%m/%Y}): A new episode has started before the end date of "
                                           "the previous episode.")


@rule("148")
def dec_and_rec(ctx: Ctx) -> Iterator[Problem]:
    for row in ctx.rows("episodes"):
        if bool(row.get("DEC")) != bool(row.get("REC")):
            yield at("episodes", row, "REC" if row.get("DEC") else "DEC", "148",
                     "Date episode ceased and reason episode ceased must both be coded, or both left blank.")


@rule("388")
def continuation(ctx: Ctx) -> Iterator[Problem]:
    eps = ctx.episodes
    for i, e in enumerate(eps):
        nxt = eps[i + 1] if i + 1 < len(eps) else None
        if e.dec is None:
            continue
        if nxt is None and e.REC == "X1":
            yield _ep(e, "REC", "388", "REC X1 on the last episode: Reason episode ceased is coded new episode begins, "
                                       "but there is no continuation episode.")
        elif nxt is not None and e.REC == "X1" and nxt.decom != e.dec:
            yield _ep(e, "REC", "388", f"REC X1 but the next episode starts {nxt.decom:%d/%m/%Y}, not "
                                       f"{e.dec:%d/%m/%Y}: there is no continuation episode.")
        elif nxt is not None and e.REC and e.REC != "X1" and nxt.decom == e.dec:
            yield _ep(e, "REC", "388", f"REC {e.REC} but a new episode starts the same day: an episode that ends "
                                       "while the child stays looked after must have REC X1.")


@rule("433")
def continuation_starts_when_previous_ends(ctx: Ctx) -> Iterator[Problem]:
    for prev, nxt in _pairs(ctx):
        if nxt.RNE in CONTINUES and prev.dec != nxt.decom:
            ended = f"ended {prev.dec:%d/%m/%Y}" if prev.dec else "has no end date"
            yield _ep(nxt, "RNE", "433", f"RNE {nxt.RNE} but the previous episode {ended}: The reason for new episode "
                                         "suggests that this is a continuation episode, but the episode does not start "
                                         "on the same day as the last episode finished.")


@rule("357")
def first_episode_is_a_start(ctx: Ctx) -> Iterator[Problem]:
    if ctx.episodes and not ctx.earlier_episodes:
        first = ctx.episodes[0]
        if first.decom >= ctx.year.start and first.RNE != "S":
            yield _ep(first, "RNE", "357", f"RNE {first.RNE or '(blank)'} on the child's first episode: If this is "
                                           "the first episode ever for this child, reason for new episode must be S.")


@rule("354", "385")
def after_year_end(ctx: Ctx) -> Iterator[Problem]:
    for e in ctx.episodes:
        if e.decom > ctx.year.end:
            yield _ep(e, "DECOM", "354", f"DECOM {e.decom:%d/%m/%Y} is after {ctx.year.end:%d/%m/%Y}: Date episode "
                                         "started must be on or before the end of the current collection year.")
        if e.dec is not None and e.dec > ctx.year.end:
            yield _ep(e, "DEC", "385", f"DEC {e.dec:%d/%m/%Y} is after {ctx.year.end:%d/%m/%Y}: Date episode ceased "
                                       "must be on or before the end of the current collection year.")


@rule("356")
def ends_before_start(ctx: Ctx) -> Iterator[Problem]:
    for e in ctx.episodes:
        if e.dec is not None and e.dec < e.decom:
            yield _ep(e, "DEC", "356", "The date the episode ceased is before the date the same episode started.")


@rule("353")
def too_early(ctx: Ctx) -> Iterator[Problem]:
    for e in ctx.episodes:
        if e.decom < dt.date(1991, 10, 14):
            yield _ep(e, "DECOM", "353", "No episode submitted can start before 14 October 1991.")


@rule("302")
def before_birth(ctx: Ctx) -> Iterator[Problem]:
    if ctx.episodes and ctx.dob and ctx.episodes[0].decom < ctx.dob:
        yield _ep(ctx.episodes[0], "DECOM", "302", "First episode starts before child was born.")


@rule("301", "351")
def birth_date_in_range(ctx: Ctx) -> Iterator[Problem]:
    header, dob = ctx.header, ctx.dob
    if header is None or dob is None:
        return
    if dob > ctx.year.end:
        yield at("header", header, "DOB", "301", "Date of birth falls after the year ended.")
    if add_years(dob, 25) < ctx.year.start:
        yield at("header", header, "DOB", "351", "Child was over 25 at the start of the current collection year.")


# Minimum ages by legal status / placement (358, 372-374) and by reason ceased (386, 387, 389, 407, 460).
MIN_AGE_START = (("LS", frozenset({"J1", "J2", "J3"}), 10, "358", "Child with this legal status should not be under "
                  "10."),
                 ("PLACE", frozenset({"R5"}), 10, "372", "Child in youth custody or prison should be at least 10."),
                 ("PLACE", frozenset({"S1"}), 4, "373", "Child placed in a school should be at least 4 years old."),
                 ("PLACE", frozenset({"P3"}), 14, "374", "Child in residential employment should be at least 14."))
AGE_AT_END = (("E11 E12", None, 18, "386", "Reason episode ceased is adopted but child has reached age 18."),
              ("E5 E6", 14, None, "387", "Reason episode ceased is child moved into independent living arrangement, "
                                         "but the child is aged under 14."),
              ("E7", 16, None, "389", "Reason episode ceased is that child transferred to care of adult social care "
                                      "services, but child is aged under 16."),
              ("E45 E46 E47 E48", None, 18, "407", "Reason episode ceased is Special Guardianship Order, but child "
                                                   "has reached age 18."),
              ("E17", 18, None, "460", "Reason episode ceased is that child stayed with current carers at age 18 (or "
                                       "above), but child is aged under 18."))


@rule("358", "372", "373", "374", "386", "387", "389", "407", "460", "352")
def ages(ctx: Ctx) -> Iterator[Problem]:
    for e in ctx.episodes:
        age = ctx.age_on(e.decom)
        for column, values, minimum, code, message in MIN_AGE_START:
            if age is not None and getattr(e, column) in values and age < minimum:
                yield _ep(e, column, code, f"{column} {getattr(e, column)} at age {age}: {message}")
        if e.RNE == "S" and age is not None and age >= 18:
            yield _ep(e, "RNE", "352", f"Started at age {age}: Child who started to be looked after was aged 18 or "
                                       "over.")
        end_age = ctx.age_on(e.dec)
        for recs, at_least, under, code, message in AGE_AT_END:
            if end_age is None or e.REC not in recs.split():
                continue
            if (at_least is not None and end_age < at_least) or (under is not None and end_age >= under):
                yield _ep(e, "REC", code, f"REC {e.REC} at age {end_age}: {message}")


@rule("380")
def period_starts_temporary(ctx: Ctx) -> Iterator[Problem]:
    for e in ctx.episodes:
        if e.RNE == "S" and e.PLACE in TEMPORARY:
            yield _ep(e, "PLACE", "380", "A period of care cannot start with a temporary placement.")


@rule("437")
def episodes_after_death(ctx: Ctx) -> Iterator[Problem]:
    for prev, _nxt in _pairs(ctx):
        if prev.REC in ("E2", "E15"):
            yield _ep(prev, "REC", "437", "Reason episode ceased is child has died or is aged 18 or over but there are "
                                          "further episodes.")


@rule("225")
def reason_place_change_needed(ctx: Ctx) -> Iterator[Problem]:
    for prev, nxt in _pairs(ctx):
        if prev.REC == "X1" and not prev.REASON_PLACE_CHANGE and prev.PLACE not in TEMPORARY and \
                nxt.RNE in ("P", "B", "T", "U") and nxt.PLACE not in TEMPORARY:
            yield _ep(prev, "REASON_PLACE_CHANGE", "225", "The placement changes at the next episode: Reason for "
                                                          "placement change must be recorded.")


@rule("226")
def reason_place_change_not_needed(ctx: Ctx) -> Iterator[Problem]:
    previous = ""
    for e in ctx.episodes:
        if e.PLACE in TEMPORARY and (e.REASON_PLACE_CHANGE or previous):
            yield _ep(e, "REASON_PLACE_CHANGE", "226", f"Temporary placement {e.PLACE}: Reason for placement change "
                                                       "is not required.")
        previous = e.REASON_PLACE_CHANGE


@rule("214")
def short_breaks_have_no_location(ctx: Ctx) -> Iterator[Problem]:
    for e in ctx.episodes:
        if e.LS in c903.SHORT_BREAK_LS and (e.PL_POST or e.URN):
            yield _ep(e, "PL_POST" if e.PL_POST else "URN", "214", f"LS {e.LS}: Placement location information not "
                                                                   "required.")


# Placements a provider code cannot go with (527-531, 550).
PROVIDER_EXCLUDES = {
    "PR1": ("527", frozenset({"P1", "R2", "R5"})), "PR2": ("528", frozenset({"P1", "R2", "R5"})),
    "PR3": ("529", frozenset({"P1", "A3", "A4", "A5", "A6", "K1", "K2", "U1", "U2", "U3", "U4", "U5", "U6"})),
    "PR4": ("530", frozenset({"P1"})), "PR5": ("531", frozenset({"P1"})),
}


@rule("527", "528", "529", "530", "531", "550")
def provider_and_placement(ctx: Ctx) -> Iterator[Problem]:
    for e in ctx.episodes:
        provider, place = e.PLACE_PROVIDER, e.PLACE
        if provider in PROVIDER_EXCLUDES and place in PROVIDER_EXCLUDES[provider][1]:
            yield _ep(e, "PLACE_PROVIDER", PROVIDER_EXCLUDES[provider][0],
                      f"A placement provider code of {provider} cannot be associated with placement {place}.")
        if provider == "PR0" and place != "P1":
            yield _ep(e, "PLACE_PROVIDER", "550", f"PR0 with PLACE {place}: A placement provider code of PR0 can only "
                                                  "be associated with placement P1.")


@rule("178")
def provider_for_placement(ctx: Ctx) -> Iterator[Problem]:
    if ctx.year.year >= 2026:
        return  # 2025-26: rule 213 covers it, with Z11-Z14
    for e in ctx.episodes:
        if e.PLACE in c903.NO_PROVIDER_PLACEMENTS and e.PLACE_PROVIDER in c903.PLACEMENT_PROVIDER:
            yield _ep(e, "PLACE_PROVIDER", "178", f"PLACE_PROVIDER {e.PLACE_PROVIDER} with PLACE {e.PLACE}: "
                                                  "Placement provider code is not a valid code.")
