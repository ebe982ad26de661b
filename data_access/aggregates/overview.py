"""Overview KPIs with their official definitions (shared/reference/data-standards.md §6).

Each measure is one SQL aggregate over the analytics store, scoped in SQL by the slicers and by the
user's services. Counts and rates are suppressed before they leave this module.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from data_access import policy, suppression
from data_access.aggregates.scope import Period, open_on, population_on, restrict_children
from data_access.filters import Filters
from model import schema

E, A, CP, EHC = schema.cin_episodes, schema.assessments, schema.cp_plans, schema.ehc_plans

DEFINITIONS = {
    "cin_now": ("Children in need now",
                "Children with a CIN episode open on the data date (referral on or before it, no closure "
                "by it); rate = ÷ ONS mid-year population aged 0-17 × 10,000 (DfE: previous mid-year)."),
    "referrals": ("Referrals, last 12 months",
                  "CIN episodes whose referral date falls in the 12 months to the data date."),
    "rereferral_rate": ("Re-referrals within 12 months",
                        "Referrals in the period made within 12 months of the same child's previous "
                        "referral ÷ all referrals in the period (DfE C1)."),
    "assessments_45": ("Assessments within 45 working days",
                       "Assessments authorised in the period whose authorisation came no more than 45 "
                       "working days (England bank holidays excluded) after the start ÷ all assessments "
                       "authorised in the period (DfE C2)."),
    "cp_open": ("Child protection plans open",
                "CP plans started on or before the data date and not ended by it; rate per 10,000 "
                "children aged 0-17 (DfE D5)."),
    "ehc_active": ("Active EHC plans",
                   "EHC plans issued on or before the data date and not ceased by it (SEN2 active plans)."),
}

CSC_KPIS = ("cin_now", "referrals", "rereferral_rate", "assessments_45", "cp_open")


@dataclass(frozen=True)
class Kpi:
    """One KPI card's content, already suppressed; ``value`` is a number, 'c' or None (n/a)."""

    key: str
    label: str
    value: int | float | str | None
    unit: str  # "count" or "percent"
    definition: str
    numerator: int | str | None = None
    denominator: int | str | None = None
    rate_per_10k: float | str | None = None
    note: str | None = None
    # Comparisons (the Overview): the previous period's shown value, the direction of travel and
    # whether that is better or worse, and the published England figure this KPI is compared with.
    previous: int | float | str | None = None
    direction: str | None = None  # "up", "down", "same"; None when either value is suppressed
    judgement: str | None = None  # "better", "worse" or None (a volume: neither)
    england: float | None = None
    england_note: str | None = None
    local_comparable: float | str | None = None  # this area's figure on England's basis (rate or %)


def _service_for(key: str) -> str:
    return "SEND" if key == "ehc_active" else "CSC"


def _episode_conds(filters: Filters, as_of: dt.date) -> list[sa.ColumnElement[bool]]:
    conds = restrict_children(E, filters, as_of)
    if filters.team:
        conds.append(E.c.team_id == filters.team)
    return conds


def raw_measures(conn: sa.Connection, filters: Filters, as_of: dt.date, wanted: set[str], *,
                 period: Period | None = None, services: tuple[str, ...] | None = None,
                 visual: str | None = None) -> dict[str, int]:
    """Unsuppressed counts behind the KPIs (internal: never returned to a caller outside data_access).

    ``period`` defaults to the ``filters.period_months`` months to ``as_of``; stock measures (open
    now) are taken on the period's last day. Slicers and a cross-filter selection (unless ``visual``
    is its source) are applied in SQL by ``_facts.conditions``, as on every other page."""
    from data_access.aggregates._facts import conditions

    period = period or Period.trailing(as_of, filters.period_months)
    day = period.end

    def where(fact: str) -> list[sa.ColumnElement[bool]]:
        return conditions(fact, filters, day, services=services, visual=visual).conds

    out: dict[str, int] = {}
    if "cin_now" in wanted:
        out["cin_now"] = conn.execute(
            sa.select(sa.func.count(sa.distinct(E.c.child_id)))
            .where(open_on(E.c.referral_date, E.c.closure_date, day), *where("episodes"))
        ).scalar_one()
    if wanted & {"referrals", "rereferral_rate"}:
        total, rerefs = conn.execute(
            sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(sa.case((E.c.is_rereferral, 1), else_=0)), 0))
            .where(period.contains(E.c.referral_date), *where("episodes"))
        ).one()
        out["referrals"], out["rereferrals"] = int(total), int(rerefs)
    if "assessments_45" in wanted:
        done, within = conn.execute(
            sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(sa.case((A.c.within_45_days, 1), else_=0)), 0))
            .where(period.contains(A.c.authorisation_date), *where("assessments"))
        ).one()
        out["assessments_done"], out["assessments_45"] = int(done), int(within)
    if "cp_open" in wanted:
        out["cp_open"] = conn.execute(
            sa.select(sa.func.count(sa.distinct(CP.c.child_id)))
            .where(open_on(CP.c.start_date, CP.c.end_date, day), *where("cp_plans"))
        ).scalar_one()
    if "ehc_active" in wanted:
        out["ehc_active"] = conn.execute(
            sa.select(sa.func.count()).where(open_on(EHC.c.start_date, EHC.c.ceased_date, day), *where("plans"))
        ).scalar_one()
    return out


def build_kpis(raw: dict[str, int], wanted: set[str], population: int | None, threshold: int) -> list[Kpi]:
    """Turn raw counts into suppressed KPI cards (pure; unit-tested without a database)."""
    cards: list[Kpi] = []

    def count(n: int) -> int | str:
        return suppression.suppress_count(n, threshold=threshold)

    def per_10k(n: int) -> float | str | None:
        if population is None:
            return None
        return suppression.suppress_rate(n, population, threshold=threshold, per=10_000, decimals=1)

    for key, (label, definition) in DEFINITIONS.items():
        if key not in wanted:
            cards.append(Kpi(key, label, None, "count", definition, note="Outside your services or slicers"))
            continue
        if key in ("cin_now", "cp_open", "ehc_active"):
            cards.append(Kpi(key, label, count(raw[key]), "count", definition,
                             rate_per_10k=per_10k(raw[key]) if key != "ehc_active" else None))
        elif key == "referrals":
            cards.append(Kpi(key, label, count(raw["referrals"]), "count", definition))
        elif key == "rereferral_rate":
            num, den = raw["rereferrals"], raw["referrals"]
            cards.append(Kpi(key, label, suppression.suppress_rate(num, den, threshold=threshold),
                             "percent", definition, count(num), count(den)))
        elif key == "assessments_45":
            num, den = raw["assessments_45"], raw["assessments_done"]
            cards.append(Kpi(key, label, suppression.suppress_rate(num, den, threshold=threshold),
                             "percent", definition, count(num), count(den)))
    return cards


def overview_kpis(conn: sa.Connection, *, user: policy.Principal, filters: Filters, as_of: dt.date,
                  threshold: int) -> list[Kpi]:
    """KPI cards for the Overview. Raises AccessDenied unless the user may see aggregates."""
    services = policy.aggregate_services(user)
    wanted = {k for k in DEFINITIONS
              if (services is None or _service_for(k) in services)
              and (filters.service is None or filters.service == _service_for(k))}
    raw = raw_measures(conn, filters, as_of, wanted)
    return build_kpis(raw, wanted, population_on(conn, as_of), threshold)


def referrals_by_month(conn: sa.Connection, *, user: policy.Principal, filters: Filters, as_of: dt.date,
                       threshold: int) -> pd.DataFrame:
    """Referrals per calendar month in the period, suppressed with the period total as a known margin.

    Raises AccessDenied unless the user's aggregates include children's social care. Columns:
    month (first day), referrals (int or 'c'), rereferrals (int or 'c').
    """
    services = policy.aggregate_services(user)
    if services is not None and "CSC" not in services:
        raise policy.AccessDenied("Children's social care is outside the services you manage.")
    period = Period.trailing(as_of, filters.period_months)
    month = sa.func.date_trunc("month", E.c.referral_date) if conn.dialect.name != "sqlite" else \
        sa.func.date(E.c.referral_date, "start of month")
    rows = conn.execute(
        sa.select(month.label("month"), sa.func.count().label("referrals"),
                  sa.func.sum(sa.case((E.c.is_rereferral, 1), else_=0)).label("rereferrals"))
        .where(period.contains(E.c.referral_date), *_episode_conds(filters, as_of))
        .group_by(month).order_by(month)
    ).all()
    frame = pd.DataFrame(rows, columns=["month", "referrals", "rereferrals"])
    frame["month"] = pd.to_datetime(frame["month"]).dt.date
    months = pd.DataFrame({"month": _month_starts(period)})
    frame = months.merge(frame, on="month", how="left").fillna({"referrals": 0, "rereferrals": 0})
    out = pd.DataFrame({"month": frame["month"]})
    for column in ("referrals", "rereferrals"):
        out[column] = suppression.suppress_series(frame[column].astype(int), threshold=threshold,
                                                  total=True).tolist()
    return out


def _month_starts(period: Period) -> list[dt.date]:
    first = (period.start + dt.timedelta(days=1)).replace(day=1)
    months = pd.date_range(first, period.end, freq="MS")
    return [d.date() for d in months]
