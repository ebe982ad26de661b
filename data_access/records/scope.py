"""Which children a user may see at row level, for a purpose, on a day: one SQL subquery.

The scope subquery returns, per child, the lawful basis through which access flows and whether an
Art 9 condition is recorded on a qualifying involvement. All of it is SQLAlchemy expressions, so
scoping runs in the database, never by filtering fetched rows in pandas.

A qualifying involvement is one whose Art 6 basis covers the purpose: legal obligation, public task
or vital interests as listed for the purpose, or consent that was given on or before the day and
not withdrawn by it (in the source, or in the app store by information governance:
``Access.consent_withdrawn``, from ``data_access.consent``). The relationship must hold on the day:
an allocation to the user (caseworker, plus a grace period after it ends) or to one of their teams
(team manager), a named child (subject access request) or a live break-glass grant. Children past
their retention date (25th birthday) are out of scope unless the purpose is a subject access request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from data_access import policy
from data_access.policy import AccessDenied, Purpose, RowLevel, Scope
from model import schema

AL, INV, CH = schema.allocations.c, schema.involvements.c, schema.children.c


@dataclass(frozen=True)
class Access:
    """A checked request for rows: who, why, on which day, and through what relationship."""

    user: policy.Principal
    role: policy.Role
    purpose: Purpose
    day: dt.date
    grace_days: int
    named_child: int | None = None
    break_glass_children: tuple[int, ...] = ()
    consent_withdrawn: tuple[int, ...] = ()  # involvements whose consent IG recorded as withdrawn (app store)
    withheld: tuple[int, ...] = ()  # archived or destroyed for this purpose (``data_access.retention``)

    @property
    def identifiable(self) -> bool:
        return self.role.rows is RowLevel.IDENTIFIABLE or self.purpose is Purpose.VITAL_INTERESTS


def check_access(user: policy.Principal | None, purpose: str | None, *, day: dt.date, grace_days: int,
                 named_child: int | None = None, break_glass_children: Sequence[int] = (),
                 consent_withdrawn: Sequence[int] = ()) -> Access:
    """Raise AccessDenied unless the user's role may read rows for ``purpose``.

    Break-glass (purpose ``vital_interests``) is allowed only to roles that carry it and only for
    children with a live grant; a subject access request needs one named child.
    """
    role = policy.role_of(user)
    if purpose == Purpose.VITAL_INTERESTS:
        if not role.break_glass:
            raise AccessDenied("Your role cannot use emergency (break-glass) access.")
        if not break_glass_children:
            raise AccessDenied("There is no live emergency access grant for you.")
        parsed = Purpose.VITAL_INTERESTS
    else:
        parsed = policy.ensure_purpose(user, purpose)
    if role.row_scope is Scope.NAMED_CHILD and parsed is not Purpose.VITAL_INTERESTS and named_child is None:
        raise AccessDenied("A subject access request must name one child.")
    if role.row_scope is Scope.CASELOAD and not user.worker_id:  # type: ignore[union-attr]  # role_of refused None
        raise AccessDenied("Your account is not linked to a caseload.")
    if role.row_scope is Scope.TEAM and not user.team_ids:  # type: ignore[union-attr]  # role_of refused None
        raise AccessDenied("Your account is not linked to a team.")
    return Access(user, role, parsed, day, grace_days, named_child,  # type: ignore[arg-type]  # role_of refused None
                  tuple(int(c) for c in break_glass_children), tuple(int(i) for i in consent_withdrawn))


def _basis_covers(access: Access) -> sa.ColumnElement[bool]:
    bases = policy.bases_covering(access.purpose)
    non_consent = sorted(b for b in bases if b != "consent")
    conds: list[sa.ColumnElement[bool]] = [INV.lawful_basis.in_(non_consent)] if non_consent else []
    if "consent" in bases:
        given = sa.and_(INV.lawful_basis == "consent", INV.consent_given_date <= access.day)
        if access.purpose in policy.PURPOSES_PAST_RETENTION:
            conds.append(INV.lawful_basis == "consent")  # a SAR or legal claim covers data however it was held
        else:
            conds.append(sa.and_(given, sa.or_(INV.consent_withdrawn_date.is_(None),
                                               INV.consent_withdrawn_date > access.day),
                                 # inline integers: 200 bound parameters made DuckDB's list read 3x slower
                                 *([INV.involvement_id.not_in(sa.bindparam(
                                     "consent_withdrawn", list(access.consent_withdrawn), expanding=True,
                                     literal_execute=True))] if access.consent_withdrawn else [])))
    return sa.or_(*conds) if conds else sa.false()


def _relationship(access: Access) -> tuple[sa.FromClause, list[sa.ColumnElement[bool]]]:
    """The join and conditions that tie the user to a child's involvement on the day."""
    day = access.day
    if access.purpose is Purpose.VITAL_INTERESTS:
        return schema.involvements, [INV.child_id.in_(access.break_glass_children)]
    scope = access.role.row_scope
    if scope is Scope.NAMED_CHILD:
        return schema.involvements, [INV.child_id == access.named_child]
    if scope is Scope.ALL:  # pseudonymised rows only (analyst)
        return schema.involvements, []
    joined = schema.involvements.join(schema.allocations, AL.involvement_id == INV.involvement_id)
    if scope is Scope.CASELOAD:
        since = day - dt.timedelta(days=access.grace_days)
        return joined, [AL.worker_id == access.user.worker_id, AL.start_date <= day,
                        sa.or_(AL.end_date.is_(None), AL.end_date >= since)]
    if scope is Scope.TEAM:
        return joined, [AL.team_id.in_(access.user.team_ids), AL.start_date <= day,
                        sa.or_(AL.end_date.is_(None), AL.end_date >= day)]
    raise AccessDenied("Your role has no access to child-level records.")


def scope_subquery(access: Access) -> sa.Subquery:
    """(child_id, lawful_basis, art9) for every child the access reaches; one row per child."""
    source, conds = _relationship(access)
    basis = sa.func.min(INV.lawful_basis)
    art9 = sa.func.max(sa.case((INV.art9_condition.is_not(None), 1), else_=0))
    if access.withheld:
        conds.append(INV.child_id.not_in(access.withheld))
    query = (sa.select(INV.child_id.label("child_id"), basis.label("lawful_basis"), art9.label("art9"))
             .select_from(source).where(_basis_covers(access), *conds).group_by(INV.child_id))
    scoped = query.subquery("scoped")
    if access.purpose in policy.PURPOSES_PAST_RETENTION:
        return scoped
    live = (sa.select(scoped).join(schema.children, CH.child_id == scoped.c.child_id)
            .where(sa.or_(CH.retention_date.is_(None), CH.retention_date > access.day)))
    return live.subquery("in_retention")
