"""The access policy: roles, purposes, lawful bases and scopes, as data plus small pure functions.

Deny by default and deny wins: a role not listed, a purpose the role does not carry, or a lawful
basis that does not cover the purpose all mean no access. There is no bypass switch and no role
that "sees everything". ``can_*`` functions are defined as "``ensure_*`` did not raise", so each
rule has one source of truth. The README's policy table is generated from ``ROLES`` (see
``policy_table_markdown``) and tests cover every cell of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from data_access.errors import AccessDenied
from model import codes

__all__ = ["AccessDenied"]  # re-exported: the policy's refusal


class Purpose(StrEnum):
    DIRECT_WORK = "direct_work"
    SUPERVISION = "supervision"
    SUBJECT_ACCESS_REQUEST = "subject_access_request"
    STATUTORY_RETURN = "statutory_return"
    SERVICE_PLANNING = "service_planning"
    VITAL_INTERESTS = "vital_interests"  # break-glass only
    LEGAL_CLAIMS = "legal_claims"  # information governance: archived records for a legal claim


PURPOSE_LABEL = {
    Purpose.DIRECT_WORK: "Direct work with the child and family",
    Purpose.SUPERVISION: "Case supervision and management oversight",
    Purpose.SUBJECT_ACCESS_REQUEST: "Subject access request (UK GDPR Art 15)",
    Purpose.STATUTORY_RETURN: "Statutory return (CIN census, SEN2)",
    Purpose.SERVICE_PLANNING: "Service planning and commissioning",
    Purpose.VITAL_INTERESTS: "Emergency: protecting a child's vital interests (break-glass)",
    Purpose.LEGAL_CLAIMS: "Establishing, exercising or defending legal claims (UK GDPR Art 17(3)(e), 9(2)(f))",
}


class RowLevel(StrEnum):
    NONE = "none"
    PSEUDONYMISED = "pseudonymised"
    IDENTIFIABLE = "identifiable"


class Scope(StrEnum):
    NONE = "none"
    ALL = "all"  # aggregates across every service
    OWN_SERVICES = "own_services"
    TEAM = "team"  # children allocated to the user's team(s)
    CASELOAD = "caseload"  # children allocated to the user (plus a grace period)
    NAMED_CHILD = "named_child"  # one child named in the request (SAR)


@dataclass(frozen=True)
class Role:
    name: str
    label: str
    aggregates: Scope
    special_category_aggregates: bool
    rows: RowLevel
    row_scope: Scope
    purposes: tuple[Purpose, ...]
    special_category_rows: bool
    audit_trail: bool = False
    user_admin: bool = False
    break_glass: bool = False


ROLES: dict[str, Role] = {r.name: r for r in (
    Role("leadership", "Leadership", Scope.ALL, True, RowLevel.NONE, Scope.NONE, (), False),
    Role("service_manager", "Service manager", Scope.OWN_SERVICES, True, RowLevel.NONE, Scope.NONE, (), False),
    Role("team_manager", "Team manager", Scope.OWN_SERVICES, True, RowLevel.IDENTIFIABLE, Scope.TEAM,
         (Purpose.SUPERVISION,), True, break_glass=True),
    Role("caseworker", "Caseworker", Scope.OWN_SERVICES, False, RowLevel.IDENTIFIABLE, Scope.CASELOAD,
         (Purpose.DIRECT_WORK,), True, break_glass=True),
    Role("analyst", "Performance analyst", Scope.ALL, True, RowLevel.PSEUDONYMISED, Scope.ALL,
         (Purpose.STATUTORY_RETURN, Purpose.SERVICE_PLANNING), False),
    Role("ig_officer", "Information governance officer", Scope.NONE, False, RowLevel.IDENTIFIABLE,
         Scope.NAMED_CHILD, (Purpose.SUBJECT_ACCESS_REQUEST, Purpose.LEGAL_CLAIMS), True, audit_trail=True),
    Role("admin", "User administrator", Scope.NONE, False, RowLevel.NONE, Scope.NONE, (), False,
         user_admin=True),
)}

# Which Art 6 bases cover which purpose. Consent covers direct work only while given and not withdrawn
# (checked in SQL against the involvement's consent dates). A subject access request is the
# controller's own legal obligation (Art 15), so every basis the data was held under is in scope.
BASES_FOR_PURPOSE: dict[Purpose, frozenset[str]] = {
    Purpose.DIRECT_WORK: frozenset({"legal_obligation", "public_task", "vital_interests", "consent"}),
    Purpose.SUPERVISION: frozenset({"legal_obligation", "public_task", "vital_interests", "consent"}),
    Purpose.SUBJECT_ACCESS_REQUEST: frozenset(codes.LAWFUL_BASIS),
    Purpose.STATUTORY_RETURN: frozenset({"legal_obligation", "public_task"}),
    Purpose.SERVICE_PLANNING: frozenset({"legal_obligation", "public_task"}),
    Purpose.VITAL_INTERESTS: frozenset(codes.LAWFUL_BASIS),
    Purpose.LEGAL_CLAIMS: frozenset(codes.LAWFUL_BASIS),  # a claim concerns the record however it was held
}

# Purposes under which a record past its retention date, or archived (``data_access.retention``), may
# still be read: subject access, and legal claims (Art 17(3)(e)). A destroyed record: none.
PURPOSES_PAST_RETENTION = frozenset({Purpose.SUBJECT_ACCESS_REQUEST, Purpose.LEGAL_CLAIMS})


class Principal(Protocol):
    """What the policy needs to know about a user (any object with these attributes)."""

    @property
    def user_id(self) -> int: ...
    @property
    def username(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def team_ids(self) -> tuple[str, ...]: ...
    @property
    def services(self) -> tuple[str, ...]: ...
    @property
    def worker_id(self) -> str | None: ...


def role_of(user: Principal | None) -> Role:
    """The user's role; raises AccessDenied for no user or an unknown role (deny by default)."""
    if user is None or getattr(user, "role", None) not in ROLES:
        raise AccessDenied("You do not have a role that permits this.")
    return ROLES[user.role]


def ensure_aggregates(user: Principal | None, *, service: str | None = None) -> Role:
    """Raise AccessDenied unless the user may see aggregates (for ``service`` when given)."""
    role = role_of(user)
    if role.aggregates is Scope.NONE:
        raise AccessDenied(f"The {role.label} role has no access to dashboards.")
    if service is not None and role.aggregates is Scope.OWN_SERVICES and service not in user.services:  # type: ignore[union-attr]  # role_of refused None
        raise AccessDenied("That service is outside the services you manage.")
    return role


def aggregate_services(user: Principal | None) -> tuple[str, ...] | None:
    """The services the user's aggregates are limited to; None means all services."""
    role = ensure_aggregates(user)
    if role.aggregates is Scope.ALL:
        return None
    return tuple(s for s in user.services if s in codes.SERVICE)  # type: ignore[union-attr]  # role_of refused None


# Charts whose categories are special category data (UK GDPR Art 9: ethnicity, religion, disability,
# health; factors identified at assessment are health and family circumstances; a SEN primary need is
# health). Filtering, selecting (cross-filtering) or drilling through by one of them reveals the
# category of every child it lists.
SPECIAL_CATEGORY_VISUALS = frozenset({"by_ethnicity", "by_disability", "factors", "primary_need", "health_checks"})
# Slicers and selection dimensions that are special category data: "need" is a CIN primary need (N1-N9;
# N2 is the child's disability or illness) or a SEN primary need (health).
SPECIAL_CATEGORY_DIMS = frozenset({"need"})


def selects_special(visual: str | None, dim: str | None) -> bool:
    """Whether a selection on chart ``visual`` by dimension ``dim`` is by special category data."""
    return visual in SPECIAL_CATEGORY_VISUALS or dim in SPECIAL_CATEGORY_DIMS


def ensure_special_category_aggregates(user: Principal | None) -> Role:
    """Raise AccessDenied unless the role may see breakdowns by special category fields."""
    role = ensure_aggregates(user)
    if not role.special_category_aggregates:
        raise AccessDenied("Breakdowns or filters by ethnicity, religion, disability or health are not available "
                           "to your role.")
    return role


def ensure_special_category_lists(user: Principal | None) -> Role:
    """Raise AccessDenied unless the role may list children by a special category value (drill-through
    from a breakdown by ethnicity, religion, disability or health): it needs special category
    breakdowns AND special category fields. Even then only children whose Art 9 condition is recorded
    for the user's access are listed (``records.listing``)."""
    role = ensure_special_category_aggregates(user)
    if not role.special_category_rows:
        raise AccessDenied("Lists of children by ethnicity, religion, disability or health are not available "
                           "to your role.")
    return role


def ensure_purpose(user: Principal | None, purpose: str | None) -> Purpose:
    """Raise AccessDenied unless the role carries ``purpose`` for row-level access."""
    role = role_of(user)
    if role.rows is RowLevel.NONE:
        raise AccessDenied(f"The {role.label} role has no access to child-level records.")
    try:
        parsed = Purpose(purpose)  # type: ignore[arg-type]  # None raises ValueError: refused below
    except ValueError:
        raise AccessDenied("Choose a purpose before viewing records.") from None
    if parsed not in role.purposes:
        raise AccessDenied(f"The purpose '{PURPOSE_LABEL[parsed]}' is not permitted for your role.")
    return parsed


def can(check: Callable[..., object], *args: object, **kwargs: object) -> bool:
    """True when ``check(*args, **kwargs)`` does not raise AccessDenied."""
    try:
        check(*args, **kwargs)
    except AccessDenied:
        return False
    return True


def permitted_purposes(user: Principal | None) -> tuple[Purpose, ...]:
    """Purposes the user may declare (empty for roles without row-level access)."""
    try:
        role = role_of(user)
    except AccessDenied:
        return ()
    return role.purposes if role.rows is not RowLevel.NONE else ()


def grant_needs_approval(role: str) -> bool:
    """Granting ``role`` (or widening its teams or services) needs a second approver (four eyes):
    every role with child-level rows (identifiable; pseudonymised too, which are still personal data)
    and every role that may approve such grants (user administration). Leadership and service
    managers see protected aggregates only, so an administrator grants them alone."""
    r = ROLES[role]
    return r.rows is not RowLevel.NONE or r.user_admin


# Who may approve another person's request: an information governance officer or a second
# user administrator, never the requester and never the account the request is about.
APPROVER_ROLES = frozenset({"ig_officer", "admin"})


def ensure_information_governance(user: Principal | None) -> Role:
    """Raise AccessDenied unless the user is an information governance officer (the audit trail, the
    retention steps, pseudonymised extracts for external recipients)."""
    role = role_of(user)
    if not role.audit_trail:
        raise AccessDenied("Only information governance officers may do this.")
    return role


def ensure_approver(user: Principal | None) -> Role:
    """Raise AccessDenied unless the user may approve or reject access requests."""
    role = role_of(user)
    if role.name not in APPROVER_ROLES:
        raise AccessDenied("Only an information governance officer or a user administrator may approve access.")
    return role


# What each page needs, named where the page registers (``dash.register_page(..., access=...)``), so
# navigation and landing pages are derived from the policy rather than listed per role. A page's own
# callbacks still ask data_access on every call: hiding a link is for clarity, never a boundary.
#   "aggregates[:SERVICE]"  dashboards (for SERVICE's figures when named);
#   "records"               child-level rows in a caseload, team or the analysts' pseudonymised scope;
#   "audit"                 the audit trail and its reviews (information governance);
#   "approve"               approving access requests; "user_admin" user administration;
#   "signed_in"             any signed-in user with a role (help pages).
PAGE_NEEDS = ("aggregates", "records", "audit", "approve", "user_admin", "signed_in")


def may_open_page(user: Principal | None, access: str) -> bool:
    """Whether ``user``'s role may use a page that declares ``access`` (see PAGE_NEEDS); unknown means no."""
    need, _, service = access.partition(":")
    try:
        role = role_of(user)
    except AccessDenied:
        return False
    if need == "aggregates":
        return can(ensure_aggregates, user, service=service or None)
    if need == "records":
        return role.rows is not RowLevel.NONE and role.row_scope not in (Scope.NONE, Scope.NAMED_CHILD)
    if need == "audit":
        return role.audit_trail
    if need == "approve":
        return role.name in APPROVER_ROLES
    if need == "user_admin":
        return role.user_admin
    return need == "signed_in"


def bases_covering(purpose: Purpose) -> frozenset[str]:
    return BASES_FOR_PURPOSE[purpose]


def figures_of(role: Role) -> str:
    """Which kind of figure the role's aggregates are: "protected" (cell-key perturbation, the same in
    every view) wherever the records behind a figure are not all rows the role may open; the role's own
    child-level rows are exact lists, never aggregated here."""
    if role.aggregates is Scope.NONE:
        return "none"
    return "protected" + ("; own rows exact" if role.rows is RowLevel.IDENTIFIABLE else "")


def policy_table_markdown() -> str:
    """The README's policy table, generated from ROLES so the two cannot drift apart."""
    head = ("| Role | Aggregates | Published figures | Special-category breakdowns | Child-level rows | Row scope | "
            "Purposes | Special-category fields | Audit trail | User admin | Break-glass |")
    lines = [head, "|" + "---|" * 11]
    yes = {True: "yes", False: "no"}
    for r in ROLES.values():
        purposes = ", ".join(p.value for p in r.purposes) or "none"
        lines.append(f"| `{r.name}` | {r.aggregates.value} | {figures_of(r)} | {yes[r.special_category_aggregates]} | "
                     f"{r.rows.value} | {r.row_scope.value} | {purposes} | {yes[r.special_category_rows]} | "
                     f"{yes[r.audit_trail]} | {yes[r.user_admin]} | {yes[r.break_glass]} |")
    return "\n".join(lines)
