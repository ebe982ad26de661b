"""The care history section of the child record (SSDA903): periods of care, episodes (legal status and
placement), reviews, missing incidents and health outcomes, as accessible tables.

Renders only what ``data_access.records.child_record`` returned: special category fields arrive already
replaced by "withheld" when the access does not allow them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from dash import html

from data_access import records

Table = Callable[[list[tuple], tuple[str, ...], str], html.Table]


def _when(value: object, open_text: str = "open") -> str:
    return str(value) if value is not None else open_text


def section(care: records.CareHistory, table: Table) -> html.Section | None:
    """The care history, or None when the child has never been looked after."""
    if not care.periods:
        return None
    parts: list[Any] = [
        html.H2("Care history"),
        table([(str(p["start_date"]), _when(p["end_date"], "looked after now"), p["reason_ceased"], p["placements"])
               for p in care.periods], ("Started", "Ceased", "Reason ceased", "Placements"), "Periods of care"),
        table([(str(e["start_date"]), _when(e["end_date"]), e["reason_new"], e["legal_status"], e["placement"],
                e["provider"], e["over_20_miles"], e["category_of_need"], e["reason_place_change"])
               for e in care.episodes],
              ("From", "To", "Reason for new episode", "Legal status", "Placement", "Provider",
               "More than 20 miles from home", "Category of need", "Reason placement changed"),
              "Episodes: legal status and placements"),
        table([(str(r["review_date"]), r["participation"]) for r in care.reviews], ("Date", "Participation"),
              "Looked-after reviews"),
        table([(m["type"], str(m["start_date"]), _when(m["end_date"], "still missing")) for m in care.missing],
              ("Type", "From", "Until"), "Missing and away-from-placement incidents"),
    ]
    if care.health:
        headers: Sequence[str] = ("Year", "Health assessment", "Dental check", "Immunisations",
                                  "Development check (under 5)", "Convicted")
        parts.append(table([(h["year"], h["health_assessment"], h["teeth_check"], h["immunisations"],
                             h["health_check"], h["convicted"]) for h in care.health], tuple(headers),
                           "Annual outcomes (OC2)"))
    return html.Section(parts, id="child-care-history", className="care-history")
