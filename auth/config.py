"""What ``init_auth`` needs to know, gathered by ``app.py`` from the app's settings."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from auth.oidc_config import OidcConfig
from auth.throttle import ThrottlePolicy


def _no_hashes() -> Sequence[str]:
    return ()


@dataclass(frozen=True)
class AuthConfig:
    """Sign-in options. ``script_hashes`` returns the CSP hashes of the app's inline scripts."""

    https: bool = False
    local_accounts: bool = True
    throttle: ThrottlePolicy = field(default_factory=ThrottlePolicy)
    oidc: OidcConfig | None = None
    script_hashes: Callable[[], Sequence[str]] = _no_hashes

    def __post_init__(self) -> None:
        if not self.local_accounts and self.oidc is None:
            raise ValueError("with local accounts switched off, single sign-on must be configured "
                             "(CSI_OIDC_ISSUER, CSI_OIDC_CLIENT_ID, CSI_OIDC_CLIENT_SECRET)")
