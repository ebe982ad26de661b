"""KPI expectations written as plain SQL, independently of data_access."""

from __future__ import annotations

import datetime as dt

import data_access


def direct_counts(path, as_of: dt.date) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """The official definitions, written as plain SQL independently of data_access."""
    start = as_of.replace(year=as_of.year - 1)
    # Through the store's own DuckDB handle (one process may not open a file twice with different
    # settings), but with plain SQL strings, not data_access's queries.
    sa_conn = data_access.current().analytics.connect()
    con = sa_conn.connection.driver_connection
    q = lambda sql: con.execute(sql, {k: v for k, v in {"a": as_of, "s": start}.items()  # noqa: E731
                                      if f"${k}" in sql}).fetchone()
    try:
        pop = q("select children_0_17 from population where year <= "
                "(case when month($a::date) >= 7 then year($a::date) else year($a::date) - 1 end) "
                "order by year desc limit 1")[0]
        cin = q("select count(distinct child_id) from cin_episodes where referral_date <= $a "
                "and (closure_date is null or closure_date > $a)")[0]
        refs, rerefs = q("select count(*), sum(is_rereferral::int) from cin_episodes "
                         "where referral_date > $s and referral_date <= $a")
        done, within = q("select count(*), sum(within_45_days::int) from assessments "
                         "where authorisation_date > $s and authorisation_date <= $a")
        cp = q("select count(distinct child_id) from cp_plans where start_date <= $a "
               "and (end_date is null or end_date > $a)")[0]
        ehc = q("select count(*) from ehc_plans where start_date <= $a and (ceased_date is null or ceased_date > $a)")[0]
    finally:
        sa_conn.close()
    return {"cin_now": cin, "cin_rate": round(cin / pop * 10_000, 1), "referrals": refs,
            "rereferral_rate": round(100 * rerefs / refs, 1), "assessments_45": round(100 * within / done, 1),
            "cp_open": cp, "cp_rate": round(cp / pop * 10_000, 1), "ehc_active": ehc}
