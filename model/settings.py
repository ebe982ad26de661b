"""Configuration from environment variables, with safe defaults.

Every setting is read once into a frozen ``Settings``; nothing else in the project reads the
environment. The secret keys (session, pseudonym, record and audit keys) are generated on first run
and kept in the data directory (mode 0600), never hard-coded, unless given in the environment.
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from model.la_codes import CURRENT_CODES, name_of

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _council(code: str | None) -> str:
    """CSI_LA_CODE: empty, or a current council's code in DfE's list of LA codes (model/la_codes.csv)."""
    code = (code or "").strip()
    if code and code not in CURRENT_CODES:
        known = name_of(code)
        raise ValueError(f"CSI_LA_CODE '{code}' is not a current council's code in DfE's list of LA codes"
                         + (f" ({known})" if known else "") + ": see model/la_codes.csv")
    return code


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Everything the app and its data layer need to know about where they run."""

    data_dir: Path
    analytics_url: str
    app_db_url: str
    demo: bool = False
    demo_scale: float = 1.0
    demo_seed: int = 20250331
    la_code: str = ""  # the council's 3-digit DfE LA number (statistical neighbours); demo: DEMO_LA_CODE
    suppression_threshold: int = 5
    min_view_children: int = 20  # a filtered view counting fewer children (published) shows no figures
    special_category_max_slicers: int = 1  # slicers a breakdown by ethnicity or disability may combine with
    caseworker_grace_days: int = 28
    break_glass_hours: int = 4  # lifetime of a grant
    break_glass_limit: int = 3  # grants per user in any 24 hours; past it, refused and IG alerted
    break_glass_review_days: int = 5  # an unreviewed grant older than this is overdue
    # The IG access log's pattern flags (data_access.access_log.patterns).
    ig_working_hours: str = "08:00-18:00"  # Europe/London, Monday to Friday except bank holidays
    ig_outside_caseload_children: int = 5  # children read outside one's caseload in a searched period: flagged
    ig_break_glass_baseline_days: int = 90  # a user's usual break-glass rate is measured over this many days
    set_password_hours: int = 72  # lifetime of a one-time set-password link
    pseudonymised_k: int = 5  # every combination of quasi-identifiers in analysts' rows covers >= k children
    pseudonym_key: bytes = field(default=b"", repr=False)
    extract_key: bytes = field(default=b"", repr=False)  # derives each external recipient's pseudonym key
    record_key_secret: bytes = field(default=b"", repr=False)  # record keys of council data (cell-key protection)
    secret_key: str = field(default="", repr=False)
    # The audit trail's HMAC key and signed checkpoints: both kept outside the app store.
    audit_key: bytes = field(default=b"", repr=False)
    audit_checkpoint_file: str = ""  # default: data_dir / "audit-checkpoints.log"
    audit_checkpoint_every: int = 10  # sign the chain head every N entries (0: only at start, exit, verify)
    audit_syslog: bool = False  # also send checkpoint lines to syslog (/dev/log)
    session_idle_minutes: int = 30
    session_max_hours: int = 12
    https: bool = False
    proxy_hops: int = 0  # reverse proxies in front whose X-Forwarded-* headers are trusted
    # Sign-in throttling (failed password attempts, counted from the audit trail in the app store).
    login_account_limit: int = 5  # failures per username before delays start
    login_client_limit: int = 50  # failures per client address before delays start
    login_window_minutes: int = 15  # failures older than this are forgotten
    login_delay_seconds: int = 30  # first delay; doubles with each further failure (max: the window)
    # Single sign-on (OpenID Connect) and whether local (password) accounts may sign in at all.
    local_accounts: bool = True
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = field(default=None, repr=False)
    oidc_group_map: str = "{}"  # JSON: {"group": {"role": ..., "team_ids": [...], "services": [...]}}
    oidc_scopes: str = "openid profile email"
    oidc_username_claim: str = "preferred_username"
    oidc_groups_claim: str = "groups"
    oidc_label: str = "Sign in with your organisation account"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Read CSI_* variables (see README 'Configuration'); ``overrides`` win over the environment."""
        env = dict(os.environ if env is None else env)
        data_dir = Path(str(overrides.pop("data_dir", env.get("CSI_DATA_DIR") or PROJECT_ROOT / "var")))
        data_dir.mkdir(parents=True, exist_ok=True)
        settings = cls(
            data_dir=data_dir,
            analytics_url=env.get("CSI_ANALYTICS_URL") or f"duckdb:///{data_dir / 'analytics.duckdb'}",
            app_db_url=env.get("CSI_APP_DB_URL") or f"sqlite:///{data_dir / 'app.sqlite'}",
            demo=_flag(env.get("CSI_DEMO"), False),
            demo_scale=float(env.get("CSI_DEMO_SCALE") or 1.0),
            demo_seed=int(env.get("CSI_DEMO_SEED") or 20250331),
            la_code=_council(env.get("CSI_LA_CODE")),
            suppression_threshold=int(env.get("CSI_SUPPRESSION_THRESHOLD") or 5),
            min_view_children=int(env.get("CSI_MIN_VIEW_CHILDREN") or 20),
            special_category_max_slicers=int(env.get("CSI_SPECIAL_CATEGORY_MAX_SLICERS") or 1),
            caseworker_grace_days=int(env.get("CSI_CASEWORKER_GRACE_DAYS") or 28),
            break_glass_hours=int(env.get("CSI_BREAK_GLASS_HOURS") or 4),
            break_glass_limit=int(env.get("CSI_BREAK_GLASS_LIMIT") or 3),
            break_glass_review_days=int(env.get("CSI_BREAK_GLASS_REVIEW_DAYS") or 5),
            ig_working_hours=env.get("CSI_IG_WORKING_HOURS") or "08:00-18:00",
            ig_outside_caseload_children=max(1, int(env.get("CSI_IG_OUTSIDE_CASELOAD") or 5)),
            ig_break_glass_baseline_days=max(1, int(env.get("CSI_IG_BREAK_GLASS_BASELINE_DAYS") or 90)),
            set_password_hours=int(env.get("CSI_SET_PASSWORD_HOURS") or 72),
            pseudonymised_k=max(2, int(env.get("CSI_PSEUDONYMISED_K") or 5)),
            pseudonym_key=_kept_secret(data_dir, "pseudonym_key", env.get("CSI_PSEUDONYM_KEY")).encode(),
            extract_key=_kept_secret(data_dir, "extract_key", env.get("CSI_EXTRACT_KEY")).encode(),
            record_key_secret=_kept_secret(data_dir, "record_key", env.get("CSI_RECORD_KEY")).encode(),
            secret_key=_kept_secret(data_dir, "secret_key", env.get("CSI_SECRET_KEY")),
            audit_key=_kept_secret(data_dir, "audit_key", env.get("CSI_AUDIT_KEY")).encode(),
            audit_checkpoint_file=env.get("CSI_AUDIT_CHECKPOINTS") or "",
            audit_checkpoint_every=int(env.get("CSI_AUDIT_CHECKPOINT_EVERY") or 10),
            audit_syslog=_flag(env.get("CSI_AUDIT_SYSLOG"), False),
            session_idle_minutes=int(env.get("CSI_SESSION_IDLE_MINUTES") or 30),
            session_max_hours=int(env.get("CSI_SESSION_MAX_HOURS") or 12),
            https=_flag(env.get("CSI_HTTPS"), False),
            proxy_hops=int(env.get("CSI_PROXY_HOPS") or 0),
            login_account_limit=int(env.get("CSI_LOGIN_ACCOUNT_LIMIT") or 5),
            login_client_limit=int(env.get("CSI_LOGIN_CLIENT_LIMIT") or 50),
            login_window_minutes=int(env.get("CSI_LOGIN_WINDOW_MINUTES") or 15),
            login_delay_seconds=int(env.get("CSI_LOGIN_DELAY_SECONDS") or 30),
            local_accounts=_flag(env.get("CSI_LOCAL_ACCOUNTS"), True),
            oidc_issuer=env.get("CSI_OIDC_ISSUER") or None,
            oidc_client_id=env.get("CSI_OIDC_CLIENT_ID") or None,
            oidc_client_secret=env.get("CSI_OIDC_CLIENT_SECRET") or None,
            oidc_group_map=env.get("CSI_OIDC_GROUP_MAP") or "{}",
            oidc_scopes=env.get("CSI_OIDC_SCOPES") or "openid profile email",
            oidc_username_claim=env.get("CSI_OIDC_USERNAME_CLAIM") or "preferred_username",
            oidc_groups_claim=env.get("CSI_OIDC_GROUPS_CLAIM") or "groups",
            oidc_label=env.get("CSI_OIDC_LABEL") or "Sign in with your organisation account",
        )
        return replace(settings, **overrides)

    @property
    def audit_checkpoints(self) -> Path:
        """The append-only file of signed audit checkpoints (``CSI_AUDIT_CHECKPOINTS``)."""
        given = self.audit_checkpoint_file
        return Path(given) if given else self.data_dir / "audit-checkpoints.log"

    @property
    def analytics_path(self) -> Path | None:
        """The DuckDB file behind the analytics store, when it is one."""
        prefix = "duckdb:///"
        return Path(self.analytics_url[len(prefix):]) if self.analytics_url.startswith(prefix) else None


def _kept_secret(data_dir: Path, name: str, given: str | None, patience: float = 10.0) -> str:
    """A secret from the environment, else one generated on first run and kept in the data dir.

    Side effect: on first run, writes ``data_dir/name`` (mode 0600). Safe when several processes
    (server workers) start together: the file is created with O_EXCL, so exactly one process writes
    it; the others get FileExistsError and read the winner's value, waiting (up to ``patience``
    seconds) while the file is still empty. One ``write`` of a few dozen bytes into a fresh file is
    seen whole or not at all (the file size moves after the bytes are in place), never in part.
    """
    if given:
        return given
    path = data_dir / name
    if not path.exists():
        value = secrets.token_urlsafe(48)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process is creating it right now
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(value)
            return value
    deadline = time.monotonic() + patience
    while not (value := path.read_text().strip()):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{path} is empty; delete it to have a new secret generated")
        time.sleep(0.01)
    return value
