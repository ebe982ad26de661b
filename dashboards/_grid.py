"""The Records grid's rows as people read them: codes as labels, the name as text, the record link apart.

Pure (no Dash callbacks): ``grid_rows`` turns one page of rows from ``data_access.records`` into the
grid's row data, and ``code_of`` turns a typed column filter (a code or its label) back into a code.
"""

from __future__ import annotations

from typing import Any

from data_access import codes, records

# Coded columns and their labels: the grid shows "Art 6(1)(c) legal obligation", never "legal_obligation".
LABELLED = {"sex": codes.SEX, "locality": codes.LOCALITY, "ethnicity": codes.ETHNICITY,
            "religion": codes.RELIGION, "lawful_basis": codes.LAWFUL_BASIS}


def grid_rows(rows: Any) -> list[dict]:
    """The page's rows (a DataFrame) as the grid shows them: the name as plain text, codes as their labels,
    and the link to the record (by opaque reference) in a separate field the ChildLink renderer uses."""
    rows = rows.assign(**{column: rows[column].map(lambda c, labels=labels: labels.get(c, c) if isinstance(c, str)
                                                   else c)
                          for column, labels in LABELLED.items() if column in rows})
    if "child_id" in rows:
        rows = rows.assign(
            name=[" ".join(str(p) for p in (f, s) if p is not None and p == p) for f, s in
                  zip(rows["forename"], rows["surname"], strict=True)],
            href=[f"/child?ref={records.record_ref(c)}" for c in rows["child_id"]],
            birth_date=rows["birth_date"].map(lambda d: d.isoformat() if d else ""),
        ).drop(columns=["child_id", "forename", "surname"])
    out: list[dict] = rows.to_dict("records")
    return out


def code_of(column: str, typed: object) -> object:
    """A typed sex or locality filter as its code: the code itself or its label, in any case (anything
    else goes to data_access as typed, which refuses it)."""
    if not isinstance(typed, str):
        return typed
    text = typed.strip()
    labels = LABELLED[column]
    by_label = {label.casefold(): code for code, label in labels.items()}
    return text.upper() if text.upper() in labels else by_label.get(text.casefold(), text)
