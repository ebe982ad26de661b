"""Single sign-on settings and the mapping of the identity provider's groups to roles and teams.

``CSI_OIDC_GROUP_MAP`` is JSON, one entry per provider group that grants access::

    {"csi-caseworkers": {"role": "caseworker", "team_ids": ["CSC-SGA"], "services": ["CSC"]},
     "csi-leadership": {"role": "leadership"}}

Deny by default: a user none of whose groups is in the map may not sign in, and neither may one
whose groups map to two different roles (no guessing which was meant). Groups mapping to the same
role add up their teams and services.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class GroupGrant:
    """What membership of one provider group grants."""

    role: str
    team_ids: tuple[str, ...] = ()
    services: tuple[str, ...] = ()


@dataclass(frozen=True)
class OidcConfig:
    """An OpenID provider and our client registration with it."""

    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    group_map: Mapping[str, GroupGrant]
    scopes: str = "openid profile email"
    username_claim: str = "preferred_username"
    groups_claim: str = "groups"
    label: str = "Sign in with your organisation account"

    def __post_init__(self) -> None:
        if not self.issuer.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise ValueError("the OpenID issuer must be an https:// URL (http only on this machine, for tests)")
        if "openid" not in self.scopes.split():
            raise ValueError("CSI_OIDC_SCOPES must include 'openid'")
        if not self.group_map:
            raise ValueError("CSI_OIDC_GROUP_MAP maps no group to a role: nobody could sign in")

    @property
    def metadata_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"

    @property
    def origin(self) -> str:
        scheme, _, rest = self.issuer.partition("://")
        return f"{scheme}://{rest.split('/', 1)[0]}"


def _strings(value: object, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{what} must be a list of strings")
    return tuple(value)


def parse_group_map(text: str) -> dict[str, GroupGrant]:
    """Parse ``CSI_OIDC_GROUP_MAP``; raises ValueError naming what is wrong."""
    try:
        raw = json.loads(text or "{}")
    except json.JSONDecodeError as exc:
        raise ValueError(f"CSI_OIDC_GROUP_MAP is not valid JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise ValueError("CSI_OIDC_GROUP_MAP must be a JSON object of group -> grant")
    grants: dict[str, GroupGrant] = {}
    for group, spec in raw.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("role"), str):
            raise ValueError(f"CSI_OIDC_GROUP_MAP[{group!r}] must be an object with a 'role'")
        unknown = set(spec) - {"role", "team_ids", "services"}
        if unknown:
            raise ValueError(f"CSI_OIDC_GROUP_MAP[{group!r}] has unknown keys {sorted(unknown)}")
        grants[group] = GroupGrant(spec["role"], _strings(spec.get("team_ids"), f"{group}.team_ids"),
                                   _strings(spec.get("services"), f"{group}.services"))
    return grants


def map_groups(groups: Iterable[str] | None, group_map: Mapping[str, GroupGrant]) -> GroupGrant | None:
    """The grant for a user in ``groups``; None when no group grants access or the roles conflict."""
    if isinstance(groups, str):  # some providers send a single group as a string
        groups = [groups]
    matched = [group_map[g] for g in (groups or ()) if isinstance(g, str) and g in group_map]
    if not matched or len({grant.role for grant in matched}) != 1:
        return None
    return GroupGrant(matched[0].role,
                      tuple(sorted({t for grant in matched for t in grant.team_ids})),
                      tuple(sorted({s for grant in matched for s in grant.services})))
