"""The landing ledger: every record loaded from a council's files, kept across loads and years.

A DuckDB file (``$CSI_DATA_DIR/landing.duckdb`` by default) holding one table per kind of record,
keyed on natural keys (LAchildID + referral date for an episode, + start date for what hangs off
it), with the ``source_id`` of the load that last wrote each row. A load merges a file into it in
one transaction: rows whose key is in the file are replaced, rows that are not are kept (history).
``child_keys`` gives each LAchildID a surrogate ``child_id`` once and for ever, so the app store's
audit trail and grants keep pointing at the same child across reloads. The analytics store is a
pure rebuild from this ledger (``sources.build_frames``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

_DTYPES = {"text": "str", "date": "datetime64[s]", "bool": "boolean", "int": "Int64", "float": "float64"}
_SQL_TYPES = {"text": "VARCHAR", "date": "DATE", "bool": "BOOLEAN", "int": "INTEGER", "float": "DOUBLE"}
EPISODE_KEY = ("la_child_id", "referral_date")
REQUEST_KEY = ("la_child_id", "received_date")
INVOLVEMENT_KEY = ("la_child_id", "service", "intervention_type", "start_date")


@dataclass(frozen=True)
class Table:
    columns: tuple[tuple[str, str], ...]  # (name, kind)
    key: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)


def _t(key: Sequence[str], *columns: str) -> Table:
    """Columns as 'name:kind' (kind defaults to text)."""
    parsed = tuple((c.split(":")[0], c.split(":")[1] if ":" in c else "text") for c in columns)
    return Table(parsed, tuple(key))


TABLES: dict[str, Table] = {
    "l_children": _t(("la_child_id",), "la_child_id", "upn", "former_upn", "upn_unknown", "forename", "surname",
                     "birth_date:date", "expected_birth_date:date", "sex", "ethnicity", "religion", "postcode",
                     "locality", "death_date:date"),
    "l_disabilities": _t(("la_child_id", "disability"), "la_child_id", "disability"),
    "l_episodes": _t(EPISODE_KEY, "la_child_id", "referral_date:date", "referral_source", "primary_need",
                     "referral_nfa:bool", "closure_date:date", "closure_reason"),
    "l_assessments": _t(EPISODE_KEY + ("start_date",), "la_child_id", "referral_date:date", "start_date:date",
                        "authorisation_date:date"),
    "l_factors": _t(EPISODE_KEY + ("assessment_start", "factor"), "la_child_id", "referral_date:date",
                    "assessment_start:date", "factor"),
    "l_section47": _t(EPISODE_KEY + ("start_date",), "la_child_id", "referral_date:date", "start_date:date",
                      "icpc_target_date:date", "icpc_date:date", "icpc_not_required:bool"),
    "l_cin_plans": _t(EPISODE_KEY + ("start_date",), "la_child_id", "referral_date:date", "start_date:date",
                      "end_date:date"),
    "l_cp_plans": _t(EPISODE_KEY + ("start_date",), "la_child_id", "referral_date:date", "start_date:date",
                     "end_date:date", "initial_category", "latest_category", "number_of_previous_cpp:int"),
    "l_cp_reviews": _t(EPISODE_KEY + ("cp_start_date", "review_date"), "la_child_id", "referral_date:date",
                       "cp_start_date:date", "review_date:date"),
    "l_ehc_requests": _t(REQUEST_KEY, "la_child_id", "received_date:date", "request_source", "outcome",
                         "outcome_date:date", "mediation:bool", "tribunal:bool"),
    "l_ehc_assessments": _t(REQUEST_KEY, "la_child_id", "received_date:date", "outcome", "outcome_date:date",
                            "exceptions_apply:bool"),
    "l_ehc_plans": _t(REQUEST_KEY, "la_child_id", "received_date:date", "start_date:date", "ceased_date:date",
                      "cease_reason", "last_review_date:date"),
    "l_sen_needs": _t(REQUEST_KEY + ("rank",), "la_child_id", "received_date:date", "need", "rank:int"),
    # rank: SEN2 placement rank (1 the main placement, 2 a dual placement); both may start the same day
    "l_sen_placements": _t(REQUEST_KEY + ("start_date", "rank"), "la_child_id", "received_date:date", "urn",
                           "setting", "start_date:date", "end_date:date", "rank:int"),
    "l_involvements": _t(INVOLVEMENT_KEY, "la_child_id", "service", "intervention_type", "start_date:date",
                         "team_id", "worker_id", "end_date:date", "outcome", "lawful_basis", "art9_condition",
                         "consent_purpose", "consent_given_date:date", "consent_withdrawn_date:date"),
    "l_allocations": _t(INVOLVEMENT_KEY + ("worker_id", "alloc_start"), "la_child_id", "service",
                        "intervention_type", "start_date:date", "worker_id", "team_id", "alloc_start:date",
                        "alloc_end:date"),
    **{  # SSDA903 (refresh.ingest.ssda903): one table per module, keyed on child + date or collection year
        "l_cla_header": _t(("la_child_id", "year"), "la_child_id", "year:int", "mother:bool", "mc_dob:date", "sex",
                           "birth_date:date", "ethnicity", "upn"),  # the year's header, for next year's checks
        "l_cla_episodes": _t(("la_child_id", "start_date"), "la_child_id", "start_date:date", "rne", "legal_status",
                             "category_of_need", "placement_type", "placement_provider", "end_date:date",
                             "reason_ceased", "reason_place_change", "home_postcode", "placement_postcode", "urn",
                             "placement_distance:float", "placement_la"),
        "l_cla_reviews": _t(("la_child_id", "review_date"), "la_child_id", "review_date:date", "participation"),
        "l_cla_uasc": _t(("la_child_id",), "la_child_id", "uasc_ceased_date:date"),
        "l_cla_missing": _t(("la_child_id", "start_date"), "la_child_id", "start_date:date", "missing_type",
                            "end_date:date"),
        "l_cla_oc2": _t(("la_child_id", "year"), "la_child_id", "year:int", "sdq_score:int", "sdq_reason",
                        "convicted:bool", "health_check:bool", "immunisations:bool", "teeth_check:bool",
                        "health_assessment:bool", "substance_misuse:bool", "intervention_received:bool",
                        "intervention_offered:bool"),
        "l_cla_oc3": _t(("la_child_id", "year"), "la_child_id", "year:int", "in_touch", "activity", "accommodation"),
        "l_cla_adoptions": _t(("la_child_id", "year"), "la_child_id", "year:int", "decision_date:date",
                              "match_date:date", "foster_care:bool", "number_adopters:int", "sex_adopters",
                              "legal_status_adopters"),
        "l_cla_placed_for_adoption": _t(("la_child_id", "decision_date"), "la_child_id", "decision_date:date",
                                        "ceased_date:date", "reason_ceased"),
        "l_cla_previous_permanence": _t(("la_child_id", "year"), "la_child_id", "year:int", "previous_permanence",
                                        "la_perm", "date_perm"),
    },
    "l_population": _t(("year",), "year:int", "children_0_17:int"),
    "l_teams": _t(("team_id",), "team_id", "name", "service", "locality"),
    "l_workers": _t(("worker_id",), "worker_id", "name", "team_id", "job_title", "username"),
}
CHILD_LEVEL = tuple(name for name, t in TABLES.items() if t.key[0] == "la_child_id")


def frame(table: str, rows: Sequence[Sequence[object]] | None = None) -> pd.DataFrame:
    """Rows (tuples in the table's column order) as a typed frame: dates datetime64[s], text str."""
    spec = TABLES[table]
    raw = pd.DataFrame(list(rows or []), columns=list(spec.names), dtype=object)
    return typed(raw, spec)


def typed(raw: pd.DataFrame, spec: Table) -> pd.DataFrame:
    """``raw``'s columns that ``spec`` has, converted to the ledger's dtypes."""
    out = {}
    for name, kind in spec.columns:
        if name not in raw:
            continue
        col = raw[name]
        want = _DTYPES[kind]
        if col.dtype == want:
            out[name] = col
        elif kind == "date":
            out[name] = pd.to_datetime(col, errors="raise").astype(want)  # type: ignore[call-overload]  # pandas-stubs: astype() takes dtype literals only
        elif kind == "int":
            out[name] = pd.to_numeric(col).astype(want)  # type: ignore[call-overload]  # pandas-stubs: astype() takes dtype literals only
        else:
            out[name] = col.astype(want)  # type: ignore[call-overload]  # pandas-stubs: astype() takes dtype literals only
    return pd.DataFrame(out, index=raw.index)


def open_ledger(path: Path) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the ledger; the caller owns the connection and its transaction."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)")
    con.execute("CREATE TABLE IF NOT EXISTS child_keys (la_child_id VARCHAR PRIMARY KEY, child_id INTEGER NOT NULL)")
    con.execute("""CREATE TABLE IF NOT EXISTS sources (
        source_id INTEGER PRIMARY KEY, kind VARCHAR NOT NULL, name VARCHAR NOT NULL, sha256 VARCHAR,
        reference_date DATE, loaded_at TIMESTAMP NOT NULL, children INTEGER, loaded INTEGER, quarantined INTEGER,
        status VARCHAR NOT NULL)""")
    for name, spec in TABLES.items():
        cols = ", ".join(f'"{c}" {_SQL_TYPES[k]}' for c, k in spec.columns)
        con.execute(f'CREATE TABLE IF NOT EXISTS "{name}" ({cols}, source_id INTEGER)')
    _add_new_columns(con)
    return con


_NEW_COLUMN_DEFAULTS = {("l_sen_placements", "rank"): 1}  # before ranks were kept, every placement was one row


def _add_new_columns(con: duckdb.DuckDBPyConnection) -> None:
    """A ledger written by an earlier version gets the columns added since, filled with their defaults."""
    have = set(con.execute("SELECT table_name, column_name FROM information_schema.columns").fetchall())
    for name, spec in TABLES.items():
        for column, kind in spec.columns:
            if (name, column) not in have:
                default = _NEW_COLUMN_DEFAULTS.get((name, column))
                con.execute(f'ALTER TABLE "{name}" ADD COLUMN "{column}" {_SQL_TYPES[kind]}'
                            + (f" DEFAULT {int(default)}" if default is not None else ""))
                if default is not None:
                    con.execute(f'ALTER TABLE "{name}" ALTER COLUMN "{column}" DROP DEFAULT')


def first(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object] = ()) -> tuple[Any, ...] | None:
    """The first row of a query, fetching all of it (DuckDB wants every result finished)."""
    rows = con.execute(sql, list(params)).fetchall()
    return tuple(rows[0]) if rows else None


def is_new(con: duckdb.DuckDBPyConnection) -> bool:
    """True until the ledger has been seeded (``seed``)."""
    return first(con, "SELECT count(*) FROM meta WHERE key = 'seeded'") == (0,)


def seed(con: duckdb.DuckDBPyConnection, *, next_child_id: int, reference: Mapping[str, pd.DataFrame]) -> None:
    """First use: the first child_id to hand out, and reference rows carried over from the served store."""
    for table, rows in reference.items():
        if not rows.empty:
            merge(con, table, rows, source_id=0)
    set_meta(con, "next_child_id", str(next_child_id))
    set_meta(con, "seeded", dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))


def set_meta(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    con.execute("DELETE FROM meta WHERE key = ?", [key])
    con.execute("INSERT INTO meta VALUES (?, ?)", [key, value])


def get_meta(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    row = first(con, "SELECT value FROM meta WHERE key = ?", [key])
    return None if row is None else str(row[0])


def merge(con: duckdb.DuckDBPyConnection, table: str, rows: pd.DataFrame, *, source_id: int,
          scope: pd.DataFrame | None = None) -> None:
    """Replace the rows matching ``scope`` (default: the incoming rows' keys) with ``rows``.

    Columns ``rows`` does not have keep their stored values for keys that exist (so a SEN2 person
    does not blank the census fields of the same child, and vice versa).
    """
    spec = TABLES[table]
    rows = rows.drop_duplicates(subset=list(spec.key), keep="last")
    scope = rows[list(spec.key)] if scope is None else scope.drop_duplicates()
    missing = [c for c in spec.names if c not in rows.columns]
    if missing and not rows.empty:
        con.register("_incoming_keys", rows[list(spec.key)])
        kept = con.execute(f'SELECT {", ".join(_q(spec.key + tuple(missing)))} FROM "{table}" t WHERE EXISTS '
                           f'(SELECT 1 FROM _incoming_keys i WHERE {_match("t", "i", spec.key)})').df()
        con.unregister("_incoming_keys")
        rows = rows.merge(typed(kept, spec), on=list(spec.key), how="left") if not kept.empty else \
            rows.assign(**{c: None for c in missing})
        rows = typed(rows.reindex(columns=list(spec.names)), spec)
    if not scope.empty:
        con.register("_scope", scope)
        con.execute(f'DELETE FROM "{table}" t WHERE EXISTS (SELECT 1 FROM _scope s '
                    f'WHERE {_match("t", "s", tuple(scope.columns))})')
        con.unregister("_scope")
    if not rows.empty:
        con.register("_rows", rows[list(spec.names)])
        con.execute(f'INSERT INTO "{table}" ({", ".join(_q(spec.names))}, source_id) '
                    f'SELECT {", ".join(_q(spec.names))}, {int(source_id)} FROM _rows')
        con.unregister("_rows")


def _q(names: Sequence[str]) -> list[str]:
    return [f'"{n}"' for n in names]


def _match(left: str, right: str, columns: Sequence[str]) -> str:
    return " AND ".join(f'{left}."{c}" IS NOT DISTINCT FROM {right}."{c}"' for c in columns)


def assign_child_ids(con: duckdb.DuckDBPyConnection) -> int:
    """Give every child in the ledger without a child_id the next free one; returns how many were new."""
    new = [r[0] for r in con.execute(
        "SELECT la_child_id FROM l_children WHERE la_child_id NOT IN (SELECT la_child_id FROM child_keys) "
        "ORDER BY la_child_id").fetchall()]
    if not new:
        return 0
    used = first(con, "SELECT coalesce(max(child_id), 0) FROM child_keys")
    start = max(int(get_meta(con, "next_child_id") or 1), int(used[0] if used else 0) + 1)
    keys = pd.DataFrame({"la_child_id": pd.Series(new, dtype="str"),
                         "child_id": pd.Series(range(start, start + len(new)), dtype="int64")})
    con.register("_keys", keys)
    con.execute("INSERT INTO child_keys SELECT la_child_id, child_id FROM _keys")
    con.unregister("_keys")
    set_meta(con, "next_child_id", str(start + len(new)))
    return len(new)


def register_source(con: duckdb.DuckDBPyConnection, *, kind: str, name: str, sha256: str | None,
                    reference_date: dt.date | None, children: int, loaded: int, quarantined: int,
                    status: str) -> int:
    """Record a load in the sources registry; returns its source_id."""
    row = first(con, "SELECT coalesce(max(source_id), 0) + 1 FROM sources")
    source_id = int(row[0]) if row else 1
    con.execute("INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [source_id, kind, name, sha256, reference_date, dt.datetime.now(dt.UTC).replace(tzinfo=None),
                 children, loaded, quarantined, status])
    return source_id


def read_table(con: duckdb.DuckDBPyConnection, table: str) -> pd.DataFrame:
    """A ledger table as a typed frame (without source_id)."""
    spec = TABLES[table]
    order = ", ".join(_q(spec.key))
    return typed(con.execute(f'SELECT {", ".join(_q(spec.names))} FROM "{table}" ORDER BY {order}').df(), spec)


def counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows per ledger table (for reports and tests)."""
    out = {}
    for name in (*TABLES, "child_keys", "sources"):
        row = first(con, f'SELECT count(*) FROM "{name}"')
        out[name] = int(row[0]) if row else 0
    return out
