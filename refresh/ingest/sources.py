"""Configured sources, and the analytics store as a pure rebuild of the landing ledger.

``IngestConfig`` says where the ledger and reports live and the defaults the census cannot supply
(the team census involvements are assigned to, a population when none is held). A sources file
(TOML, ``$CSI_DATA_DIR/sources.toml`` by default) lists the council's extracts a ``refresh``
reloads before rebuilding::

    [[source]]
    kind = "cin"            # cin | sen2 | 903 | interventions | population
    path = "/data/exports/cin_census_2025.xml"
    allow_partial = false

``build_frames`` turns the ledger into a frame per analytics table, derived columns computed by
the same functions as the demo generator (``refresh.derive``).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import sqlalchemy as sa

from model import schema
from model.codes import CSC_OUTCOME, EHC_OUTCOME
from model.recordkeys import SYNTHETIC_SECRET
from model.settings import Settings
from refresh import database, derive
from refresh.ingest import landing, ssda903_store

KINDS = ("cin", "sen2", "903", "interventions", "population")
CSC_TEAM, SEND_TEAM = "CSC-UNALLOCATED", "SEND-UNALLOCATED"
DEFAULT_TEAMS = {CSC_TEAM: ("Children's social care (not allocated to a team)", "CSC"),
                 SEND_TEAM: ("SEND (not allocated to a team)", "SEND")}


@dataclass(frozen=True)
class SourceSpec:
    """One configured source: a kind, its file(s) and per-source options."""

    kind: str
    paths: tuple[Path, ...]
    allow_partial: bool = False
    options: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class IngestConfig:
    """Where loads read and write, and the defaults applied when building the analytics store."""

    analytics_url: str
    landing_path: Path
    report_dir: Path
    sources_file: Path | None = None
    csc_team: str = CSC_TEAM
    send_team: str = SEND_TEAM
    default_population: int | None = None
    as_of: dt.date | None = None
    record_secret: bytes = field(default=SYNTHETIC_SECRET, repr=False)  # Settings.record_key_secret

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: object) -> IngestConfig:
        """The ledger, reports and sources file in the data directory; ``overrides`` win."""
        values: dict[str, Any] = {
            "analytics_url": settings.analytics_url,
            "landing_path": settings.data_dir / "landing.duckdb",
            "report_dir": settings.data_dir / "ingest-reports",
            "sources_file": settings.data_dir / "sources.toml",
            "record_secret": settings.record_key_secret,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def read_sources_file(path: Path) -> list[SourceSpec]:
    """The ``[[source]]`` entries of a TOML sources file (relative paths are relative to the file)."""
    with path.open("rb") as fh:
        entries = tomllib.load(fh).get("source", [])
    specs = []
    for number, entry in enumerate(entries, start=1):
        kind = str(entry.get("kind", ""))
        if kind not in KINDS or "path" not in entry:
            raise ValueError(f"{path}: source {number} needs kind (one of {', '.join(KINDS)}) and path")
        raw = entry["path"] if isinstance(entry["path"], list) else [entry["path"]]
        paths = tuple(p if p.is_absolute() else path.parent / p for p in map(Path, raw))
        options = {k: v for k, v in entry.items() if k not in ("kind", "path", "allow_partial")}
        specs.append(SourceSpec(kind, paths, bool(entry.get("allow_partial", False)), options))
    return specs


def served_reference(url: str) -> tuple[int, dict[str, pd.DataFrame]]:
    """(largest child_id, population/teams/workers as ledger frames) from the store being served.

    New loads hand out child_ids above every id the served store used, so an old grant or audit
    entry can never come to point at a different child. Empty when there is no store yet.
    """
    path = Path(url[len("duckdb:///"):]) if url.startswith("duckdb:///") else None
    if path is not None and not path.exists():
        return 0, {}
    engine = database.analytics_engine(url, read_only=True)
    try:
        with engine.connect() as conn:
            top = conn.execute(sa.select(sa.func.max(schema.children.c.child_id))).scalar() or 0
            frames = {}
            for ledger, table in (("l_population", schema.population), ("l_teams", schema.teams),
                                  ("l_workers", schema.workers)):
                rows = pd.DataFrame(conn.execute(sa.select(table)).all(), columns=[c.name for c in table.columns])
                frames[ledger] = landing.typed(rows, landing.TABLES[ledger])
        return int(top), frames
    except sa.exc.SQLAlchemyError:
        return 0, {}
    finally:
        engine.dispose()


def _ids(frame: pd.DataFrame, name: str, order: list[str]) -> pd.DataFrame:
    """Sort by ``order`` and number the rows 1..n in a new ``name`` column."""
    out = frame.sort_values(order, kind="stable", ignore_index=True)
    return out.assign(**{name: np.arange(1, len(out) + 1, dtype=np.int64)})


def _null(n: int, dtype: str) -> pd.api.extensions.ExtensionArray | np.ndarray:
    if dtype == "date":
        return np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")
    return pd.array([None] * n, dtype=dtype)  # type: ignore[call-overload]  # pandas-stubs: dtype literals only


def _census(led: dict[str, pd.DataFrame], keys: pd.DataFrame, team: str) -> dict[str, pd.DataFrame]:
    episodes = _ids(led["l_episodes"].merge(keys, on="la_child_id"), "episode_id", ["child_id", "referral_date"])
    episodes = episodes.assign(team_id=pd.Series([team] * len(episodes), dtype="str"),
                               referral_nfa=episodes["referral_nfa"].fillna(False).astype(bool),
                               is_rereferral=False)
    ep = episodes[["la_child_id", "referral_date", "episode_id", "child_id"]]
    out = {"cin_episodes": episodes}
    a = _ids(led["l_assessments"].merge(ep, on=["la_child_id", "referral_date"]), "assessment_id",
             ["episode_id", "start_date"])
    out["assessments"] = a.assign(working_days=_null(len(a), "Int64"), within_45_days=_null(len(a), "boolean"))
    akey = a[["la_child_id", "referral_date", "start_date", "assessment_id", "child_id"]].rename(
        columns={"start_date": "assessment_start"})
    out["assessment_factors"] = led["l_factors"].merge(akey, on=["la_child_id", "referral_date", "assessment_start"])
    s = _ids(led["l_section47"].merge(ep, on=["la_child_id", "referral_date"]), "s47_id", ["episode_id", "start_date"])
    out["section47"] = s.assign(icpc_not_required=s["icpc_not_required"].fillna(False).astype(bool),
                                icpc_working_days=_null(len(s), "Int64"))
    out["cin_plans"] = _ids(led["l_cin_plans"].merge(ep, on=["la_child_id", "referral_date"]), "cin_plan_id",
                            ["episode_id", "start_date"])
    cp = _ids(led["l_cp_plans"].merge(ep, on=["la_child_id", "referral_date"]), "cp_plan_id",
              ["episode_id", "start_date"])
    out["cp_plans"] = cp.assign(number_of_previous_cpp=cp["number_of_previous_cpp"].fillna(0).astype(np.int64),
                                is_subsequent=False)
    cpkey = cp[["la_child_id", "referral_date", "start_date", "cp_plan_id", "child_id"]].rename(
        columns={"start_date": "cp_start_date"})
    out["cp_reviews"] = led["l_cp_reviews"].merge(cpkey, on=["la_child_id", "referral_date", "cp_start_date"])
    return out


def _send(led: dict[str, pd.DataFrame], keys: pd.DataFrame) -> dict[str, pd.DataFrame]:
    r = _ids(led["l_ehc_requests"].merge(keys, on="la_child_id"), "request_id", ["child_id", "received_date"])
    out = {"ehc_requests": r.assign(mediation=r["mediation"].fillna(False).astype(bool),
                                    tribunal=r["tribunal"].fillna(False).astype(bool),
                                    decided_within_6_weeks=_null(len(r), "boolean"))}
    rkey = r[["la_child_id", "received_date", "request_id", "child_id"]]
    a = _ids(led["l_ehc_assessments"].merge(rkey, on=["la_child_id", "received_date"]), "ehc_assessment_id",
             ["request_id"])
    out["ehc_assessments"] = a.assign(exceptions_apply=a["exceptions_apply"].fillna(False).astype(bool),
                                      weeks_from_request=np.nan, within_20_weeks=_null(len(a), "boolean"))
    p = _ids(led["l_ehc_plans"].merge(rkey, on=["la_child_id", "received_date"]), "plan_id", ["request_id"])
    out["ehc_plans"] = p.assign(request_id=p["request_id"].astype("Int64"), primary_need=None)
    pkey = p[["la_child_id", "received_date", "plan_id", "child_id"]]
    out["sen_needs"] = led["l_sen_needs"].merge(pkey, on=["la_child_id", "received_date"]).assign(
        rank=lambda f: f["rank"].astype(np.int64))
    out["sen_placements"] = _ids(led["l_sen_placements"].merge(pkey, on=["la_child_id", "received_date"]),
                                 "placement_id", ["plan_id", "start_date", "rank", "setting"])
    return out


def _involvements(led: dict[str, pd.DataFrame], keys: pd.DataFrame, built: dict[str, pd.DataFrame],
                  config: IngestConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Census episodes and EHC requests become statutory involvements; the interventions ledger adds the rest."""
    ep, cp = built["cin_episodes"], built["cp_plans"]
    open_ep = ep["closure_date"].isna()
    census = pd.DataFrame({
        "child_id": ep["child_id"], "service": "CSC",
        "intervention_type": np.where(ep["episode_id"].isin(cp["episode_id"]), "CP", "CIN"),
        "team_id": config.csc_team, "worker_id": None, "start_date": ep["referral_date"],
        "end_date": ep["closure_date"],
        "outcome": np.where(open_ep, "OPEN", ep["closure_reason"].map(CSC_OUTCOME).astype(object)),
        "episode_id": ep["episode_id"], "ehc_plan_id": None, "lawful_basis": "legal_obligation",
        "art9_condition": "social_protection"})
    r, a, p = built["ehc_requests"], built["ehc_assessments"], built["ehc_plans"]
    req = r.merge(p[["request_id", "plan_id", "ceased_date", "cease_reason"]], on="request_id", how="left").merge(
        a[["request_id", "outcome"]].rename(columns={"outcome": "a_outcome"}), on="request_id", how="left")
    stopped = req["plan_id"].isna() & (req["outcome"].isin(["N", "W"]) | (req["a_outcome"] == "N"))
    end = req["ceased_date"].where(req["plan_id"].notna(), req["outcome_date"].where(stopped))
    send = pd.DataFrame({
        "child_id": req["child_id"], "service": "SEND", "intervention_type": "EHC", "team_id": config.send_team,
        "worker_id": None, "start_date": req["received_date"], "end_date": end,
        "outcome": np.where(end.isna(), "OPEN", req["cease_reason"].map(EHC_OUTCOME).astype(object)),
        "episode_id": None, "ehc_plan_id": req["plan_id"], "lawful_basis": "legal_obligation",
        "art9_condition": "health_social_care"})
    other = led["l_involvements"].merge(keys, on="la_child_id").assign(episode_id=None, ehc_plan_id=None)
    lac = ssda903_store.involvements(built["cla_periods"], config.csc_team)  # one per period of care
    frames = [f for f in (census, send, lac, other.drop(columns="la_child_id")) if not f.empty]
    inv = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(_cols(schema.involvements)))
    inv = _ids(inv.assign(start_date=pd.to_datetime(inv["start_date"]).astype("datetime64[s]")), "involvement_id",
               ["start_date", "child_id", "service", "intervention_type"])
    look = inv.dropna(subset=["start_date"]).merge(keys, on="child_id")[
        ["la_child_id", "service", "intervention_type", "start_date", "involvement_id", "child_id"]]
    alloc = led["l_allocations"].merge(look, on=["la_child_id", "service", "intervention_type", "start_date"])
    alloc = alloc.drop(columns="start_date").rename(columns={"alloc_start": "start_date", "alloc_end": "end_date"})
    return inv, _ids(alloc, "allocation_id", ["involvement_id", "start_date", "worker_id"])


def _cols(table: sa.Table) -> tuple[str, ...]:
    return tuple(c.name for c in table.columns)


def _reference(led: dict[str, pd.DataFrame], inv: pd.DataFrame, alloc: pd.DataFrame,
               config: IngestConfig) -> dict[str, pd.DataFrame]:
    teams = led["l_teams"]
    wanted = {config.csc_team: "CSC", config.send_team: "SEND"}
    wanted.update(dict(zip(inv["team_id"], inv["service"], strict=True)))
    wanted.update({t: "CSC" for t in alloc["team_id"] if t not in wanted})
    extra = [(t, DEFAULT_TEAMS.get(t, (t, s))[0], s, None) for t, s in sorted(wanted.items())
             if t not in set(teams["team_id"])]
    teams = pd.concat([teams, pd.DataFrame(extra, columns=list(teams.columns))], ignore_index=True)
    workers = led["l_workers"]
    seen = alloc.drop_duplicates("worker_id")
    seen = seen[~seen["worker_id"].isin(workers["worker_id"])]
    if len(seen):
        workers = pd.concat([workers, pd.DataFrame({
            "worker_id": seen["worker_id"], "name": seen["worker_id"], "team_id": seen["team_id"],
            "job_title": "Not recorded", "username": None})], ignore_index=True)
    return {"teams": teams, "workers": workers}


def build_frames(con: duckdb.DuckDBPyConnection, config: IngestConfig) -> dict[str, pd.DataFrame]:
    """Every analytics table from the ledger (ids numbered in natural-key order; derived columns computed)."""
    led = {name: landing.read_table(con, name) for name in landing.TABLES}
    keys = con.execute("SELECT la_child_id, child_id FROM child_keys").df().astype(
        {"la_child_id": "str", "child_id": "int64"})
    children = led["l_children"].merge(keys, on="la_child_id").sort_values("child_id", ignore_index=True)
    frames: dict[str, pd.DataFrame] = {
        "children": children.assign(postcode_sector=None, retention_date=np.datetime64("NaT")),
        "child_disabilities": led["l_disabilities"].merge(keys, on="la_child_id"),
    }
    frames |= _census(led, keys, config.csc_team)
    frames |= _send(led, keys)
    frames |= ssda903_store.frames(led, keys)
    frames["involvements"], frames["allocations"] = _involvements(led, keys, frames, config)
    frames |= _reference(led, frames["involvements"], frames["allocations"], config)
    frames["population"] = _population(led["l_population"], frames, config)
    frames["store_metadata"] = _metadata(con, frames, config)
    frames = derive.derive_all({name: _conform(schema.metadata.tables[name], f) for name, f in frames.items()})
    return {t.name: _conform(t, frames[t.name]) for t in schema.ALL_TABLES}


def _population(pop: pd.DataFrame, frames: dict[str, pd.DataFrame], config: IngestConfig) -> pd.DataFrame:
    if not pop.empty or config.default_population is None:
        return pop
    first = frames["cin_episodes"]["referral_date"].min()
    start = first.year - 1 if pd.notna(first) else dt.date.today().year - 7
    years = np.arange(start, dt.date.today().year + 1)
    return pd.DataFrame({"year": years, "children_0_17": config.default_population})


def _metadata(con: duckdb.DuckDBPyConnection, frames: dict[str, pd.DataFrame], config: IngestConfig) -> pd.DataFrame:
    row = landing.first(con, "SELECT max(reference_date), count(*) FROM sources WHERE source_id > 0")
    latest, loads = (row or (None, 0))
    as_of = config.as_of or (latest if latest is not None else dt.date.today())
    starts = [frames[t][c].min() for t, c in (("cin_episodes", "referral_date"), ("ehc_requests", "received_date"),
                                              ("involvements", "start_date")) if len(frames[t])]
    first = min((s for s in starts if pd.notna(s)), default=pd.Timestamp(as_of))
    facts = {"as_of": as_of.isoformat(), "source": "ingest", "loads": str(loads),
             "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
             "history_start": pd.Timestamp(first).date().isoformat()}
    return pd.DataFrame({"key": list(facts), "value": list(facts.values())}, dtype="str")


def _conform(table: sa.Table, frame: pd.DataFrame) -> pd.DataFrame:
    """The table's columns in order, with the dtypes the demo generator's frames have."""
    out = {}
    for column in table.columns:
        if column.name in schema.KEY_COLUMNS:  # the build gives every row its record keys
            continue
        values = frame[column.name] if column.name in frame else pd.Series([None] * len(frame), index=frame.index,
                                                                           dtype=object)
        kind = type(column.type)
        if kind is sa.Date:
            want: object = "datetime64[s]"
            if values.dtype != want:
                values = pd.to_datetime(values)
        elif kind is sa.Integer:
            want = "Int64" if column.nullable else np.int64
        elif kind is sa.Boolean:
            want = "boolean" if column.nullable else bool
        elif kind is sa.Float:
            want = "float64"
        else:
            want = "str"
        out[column.name] = values if values.dtype == want else values.astype(want)  # type: ignore[call-overload]  # pandas-stubs: astype() takes dtype literals only
    return pd.DataFrame(out).reset_index(drop=True)
