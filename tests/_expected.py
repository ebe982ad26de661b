"""KPI expectations written as plain SQL, independently of data_access's queries: each count with the
key sum of exactly its rows, published by the p-table (``protection.shown``)."""

from __future__ import annotations

import datetime as dt

import data_access
from data_access import protection
from data_access.protection import Count


def direct_counts(path, as_of: dt.date) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """The official definitions, written as plain SQL independently of data_access."""
    start = as_of.replace(year=as_of.year - 1)
    threshold = data_access.current().settings.suppression_threshold
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
        def counted(sql: str) -> int | str:  # count(*), sum(rkey) of exactly the rows: the published value
            n, keysum = q(sql)
            return protection.shown(Count(int(n), int(keysum or 0)), threshold=threshold)

        cin = counted("select count(*), sum(rkey) from children where child_id in (select child_id from cin_episodes "
                      "where referral_date <= $a and (closure_date is null or closure_date > $a))")
        flow = "from cin_episodes where referral_date > $s and referral_date <= $a"
        refs, rerefs = counted(f"select count(*), sum(rkey) {flow}"), \
            counted(f"select count(*), sum(rkey) {flow} and is_rereferral")
        done_sql = "from assessments where authorisation_date > $s and authorisation_date <= $a"
        done, within = counted(f"select count(*), sum(rkey) {done_sql}"), \
            counted(f"select count(*), sum(rkey) {done_sql} and within_45_days")
        cp = counted("select count(*), sum(rkey) from children where child_id in (select child_id from cp_plans "
                     "where start_date <= $a and (end_date is null or end_date > $a))")
        ehc = counted("select count(*), sum(rkey) from ehc_plans where start_date <= $a and "
                      "(ceased_date is null or ceased_date > $a)")
    finally:
        sa_conn.close()
    return {"cin_now": cin, "cin_rate": protection.population_rate(cin, pop), "referrals": refs,
            "rereferral_rate": protection.rate(rerefs, refs), "assessments_45": protection.rate(within, done),
            "cp_open": cp, "cp_rate": protection.population_rate(cp, pop), "ehc_active": ehc}
