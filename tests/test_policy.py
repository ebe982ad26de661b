"""The policy table as a parametrized matrix: every role against every purpose and capability."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from data_access import policy
from data_access.policy import AccessDenied, Purpose


@dataclass(frozen=True)
class FakeUser:
    role: str
    user_id: int = 1
    username: str = "someone"
    team_ids: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    worker_id: str | None = None


# Expected purposes per role: the README's policy table, written out independently of ROLES.
EXPECTED_PURPOSES = {
    "leadership": set(),
    "service_manager": set(),
    "team_manager": {Purpose.SUPERVISION},
    "caseworker": {Purpose.DIRECT_WORK},
    "analyst": {Purpose.STATUTORY_RETURN, Purpose.SERVICE_PLANNING},
    "ig_officer": {Purpose.SUBJECT_ACCESS_REQUEST, Purpose.LEGAL_CLAIMS},
    "admin": set(),
}
EXPECTED_AGGREGATES = {"leadership": True, "service_manager": True, "team_manager": True, "caseworker": True,
                       "analyst": True, "ig_officer": False, "admin": False}


def test_matrix_covers_every_role() -> None:
    assert set(EXPECTED_PURPOSES) == set(policy.ROLES)


@pytest.mark.parametrize("role", sorted(EXPECTED_PURPOSES))
@pytest.mark.parametrize("purpose", list(Purpose))
def test_purpose_matrix(role: str, purpose: Purpose) -> None:
    user = FakeUser(role)
    allowed = purpose in EXPECTED_PURPOSES[role]
    assert policy.can(policy.ensure_purpose, user, purpose.value) is allowed
    if not allowed:
        with pytest.raises(AccessDenied):
            policy.ensure_purpose(user, purpose.value)


@pytest.mark.parametrize("role", sorted(EXPECTED_AGGREGATES))
def test_aggregate_matrix(role: str) -> None:
    assert policy.can(policy.ensure_aggregates, FakeUser(role)) is EXPECTED_AGGREGATES[role]


@pytest.mark.parametrize("user", [None, FakeUser("superuser"), FakeUser(""), object()])
def test_unknown_or_missing_users_are_denied_everything(user: object) -> None:
    assert not policy.can(policy.ensure_aggregates, user)
    assert policy.permitted_purposes(user) == ()  # type: ignore[arg-type]
    for purpose in Purpose:
        assert not policy.can(policy.ensure_purpose, user, purpose.value)


@pytest.mark.parametrize("bad", [None, "", "DIRECT_WORK", "anything", 7])
def test_unparseable_purpose_is_denied(bad: object) -> None:
    assert not policy.can(policy.ensure_purpose, FakeUser("caseworker"), bad)


def test_service_manager_aggregates_limited_to_their_services() -> None:
    manager = FakeUser("service_manager", services=("CSC", "BOGUS"))
    assert policy.aggregate_services(manager) == ("CSC",)
    assert policy.can(policy.ensure_aggregates, manager, service="CSC")
    assert not policy.can(policy.ensure_aggregates, manager, service="SEND")
    assert policy.aggregate_services(FakeUser("leadership")) is None


def test_special_category_aggregates_only_for_permitted_roles() -> None:
    assert policy.can(policy.ensure_special_category_aggregates, FakeUser("leadership"))
    assert not policy.can(policy.ensure_special_category_aggregates, FakeUser("caseworker"))


def test_consent_never_covers_statistical_purposes() -> None:
    for purpose in (Purpose.STATUTORY_RETURN, Purpose.SERVICE_PLANNING):
        assert "consent" not in policy.bases_covering(purpose)
    assert "consent" in policy.bases_covering(Purpose.DIRECT_WORK)


def test_no_role_is_a_superuser() -> None:
    """No role both sees identifiable rows and administers users or reads everything."""
    for role in policy.ROLES.values():
        assert not (role.user_admin and role.rows is not policy.RowLevel.NONE)
        assert not (role.rows is policy.RowLevel.IDENTIFIABLE and role.row_scope is policy.Scope.ALL)


def test_readme_policy_table_is_generated_from_roles() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert policy.policy_table_markdown() in readme
