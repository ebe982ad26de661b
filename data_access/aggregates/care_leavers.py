"""Care leavers (SSDA903 OC3): in touch, in education, employment or training (EET), and in suitable
accommodation, at 17-18 and at 19-21.

OC3 is collected once a year for former relevant care leavers whose 17th to 21st birthday falls in the
collection year; the page shows the latest collection year ending on or before the period's end (its
31 March). Definitions as DfE publishes them: each share is of all the care leavers of that age,
including those the authority is not in touch with. Counts are rows of OC3 (one per care leaver and
year), protected by their cell keys; shares come from the published counts.
"""

from __future__ import annotations

import sqlalchemy as sa

from data_access import protection
from data_access.aggregates.context import Context, Grouped, by_code, ignored_note, labels_for, tally
from data_access.aggregates.kpi import Kpi
from data_access.aggregates.looked_after import collection_year, percent_card
from data_access.aggregates.visual import Visual, cross, series, table
from model import codes, schema_903

L = schema_903.cla_oc3
AGES = {"17-18": "Aged 17 to 18", "19-21": "Aged 19 to 21"}
TITLES = {"contact": "Care leavers in touch, by age", "eet": "Care leavers in education, employment or training",
          "accommodation": "Care leavers in suitable accommodation", "in_touch": "Care leavers by contact",
          "activity": "Care leavers by main activity"}
CONTACT = {"yes": "In touch", "no": "Not in touch"}
EET = {"eet": "In EET", "neet": "Not in EET", "unknown": "Not known"}
ACCOM = {"suitable": "Suitable", "unsuitable": "Not suitable", "unknown": "Not known"}


def _year(ctx: Context, visual: str | None = None) -> int:
    return collection_year(ctx.period_for(visual).end)


def queries(ctx: Context) -> dict[str, Grouped]:
    """Every count the page needs, each scoped for the chart it feeds."""
    def where(visual: str | None = None) -> list[sa.ColumnElement[bool]]:
        return [L.c.year == _year(ctx, visual), L.c.age.between(17, 21), *ctx.scoped("cla_oc3", visual).conds]

    group = sa.case((L.c.age <= 18, "17-18"), else_="19-21")
    touch = L.c.in_touch == "YES"
    eet = sa.case((L.c.in_eet, "eet"), (touch, "neet"), else_="unknown")
    suitable = sa.case((L.c.suitable_accommodation, "suitable"), (L.c.accommodation.like("_2"), "unsuitable"),
                       else_="unknown")
    cards = {f"{m}_{a.replace('-', '_')}": group == a for a in AGES
             for m in ("cl", "cl_in_touch", "cl_eet", "cl_suitable")}
    return {
        "leavers": Grouped([group], [tally(), tally(touch), tally(L.c.in_eet), tally(L.c.suitable_accommodation)], L,
                           where(), cards=cards),
        "contact": Grouped([group, sa.case((touch, "yes"), else_="no")], [tally()], L, where("contact"),
                           charts={"contact": 0}),
        "eet": Grouped([group, eet], [tally()], L, where("eet"), charts={"eet": 0}),
        "accommodation": Grouped([group, suitable], [tally()], L, where("accommodation"), charts={"accommodation": 0}),
        "in_touch": Grouped([sa.func.coalesce(L.c.in_touch, "")], [tally()], L, where("in_touch"),
                            charts={"in_touch": 0}),
        "activity": Grouped([sa.func.coalesce(L.c.activity, "")], [tally()], L, where("activity"),
                            charts={"activity": 0}),
    }


def page(ctx: Context) -> tuple[list[Kpi], list[Visual]]:
    if not ctx.may_see("cla_oc3"):
        return [], [ctx.outside(k, t) for k, t in TITLES.items()]
    result = ctx.run(queries(ctx))
    return _cards(ctx, result), _charts(ctx, result)


def _cards(ctx: Context, result: dict[str, list[tuple]]) -> list[Kpi]:
    t = ctx.threshold
    year = _year(ctx)
    by_age = {row[0]: [protection.shown(n, threshold=t) for n in row[1:]] for row in result["leavers"]}
    scope = f"in the year to 31 March {year} (OC3: former relevant care leavers, by their birthday in the year)"
    cards: list[Kpi] = []
    for age, label in AGES.items():
        total, touch, eet, suitable = by_age.get(age, [0, 0, 0, 0])
        suffix = age.replace("-", "_")
        cards += [
            Kpi(f"cl_{suffix}", f"Care leavers {label.lower()}", total, "count", f"Care leavers {label.lower()} "
                f"{scope}."),
            percent_card(f"cl_in_touch_{suffix}", f"In touch ({age})", touch, total,
                         f"Care leavers {label.lower()} the authority was in touch with ÷ all care leavers of that "
                         f"age {scope} (DfE)."),
            percent_card(f"cl_eet_{suffix}", f"In education, employment or training ({age})", eet, total,
                         f"Care leavers {label.lower()} in education, employment or training (ACTIV F1-F5, P1-P5) ÷ "
                         f"all care leavers of that age {scope} (DfE)."),
            percent_card(f"cl_suitable_{suffix}", f"Suitable accommodation ({age})", suitable, total,
                         f"Care leavers {label.lower()} in accommodation judged suitable (ACCOM ending 1) ÷ all care "
                         f"leavers of that age {scope} (DfE)."),
        ]
    return cards


def _charts(ctx: Context, result: dict[str, list[tuple]]) -> list[Visual]:
    t = ctx.threshold
    notes = ignored_note(ctx.scoped("cla_oc3", None).ignored)
    year = _year(ctx)
    definition = f"Care leavers aged 17 to 21 on their birthday in the year to 31 March {year} (OC3)."
    contact = by_code(result, "in_touch")
    activity = by_code(result, "activity")
    return [
        table("contact", TITLES["contact"], cross(result["contact"], AGES, CONTACT), AGES, CONTACT, threshold=t,
              notes=notes, definition=definition),
        table("eet", TITLES["eet"], cross(result["eet"], AGES, EET), AGES, EET, threshold=t, notes=notes,
              definition=definition + " EET: ACTIV F1-F5 or P1-P5; not known includes those not in touch."),
        table("accommodation", TITLES["accommodation"], cross(result["accommodation"], AGES, ACCOM), AGES, ACCOM,
              threshold=t, notes=notes, definition=definition + " Suitable: ACCOM ending 1; not suitable: ending 2."),
        series("in_touch", TITLES["in_touch"], contact, labels_for(codes.IN_TOUCH, list(contact)), threshold=t,
               value="leavers", value_label="Care leavers", dim="in_touch", kind="hbar",
               selected=ctx.selected("in_touch"), notes=notes, definition=definition),
        series("activity", TITLES["activity"], activity, labels_for(codes.ACTIVITY, list(activity)), threshold=t,
               value="leavers", value_label="Care leavers", dim="activity", kind="hbar",
               selected=ctx.selected("activity"), notes=notes, definition=definition),
    ]
