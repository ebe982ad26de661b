"""What you may see: the only door to data. This module only re-exports.

Every public function takes the server-side ``user`` explicitly, asks the policy, scopes its query
in SQL, protects published figures before returning, and audits refusals (``refusals.guarded``).
Every refusal is a ``Refused`` (``AccessDenied``, ``InvalidRequest``, ``InvalidFilter``), so a caller
catches one thing. Dashboards import this facade and nothing else from the data layer;
``data_access`` imports no Dash, Flask or flask-login.
"""

from __future__ import annotations

from data_access import (
    access_log,
    accounts,
    approvals,
    benchmarks,
    consent,
    extracts,
    policy,
    records,
    retention,
    sar,
    sar_pack,
    saved_views,
    setpassword,
)
from data_access.accounts import create_account, ensure_demo_accounts
from data_access.aggregates.kpi import Kpi
from data_access.aggregates.visual import Visual
from data_access.errors import AccessDenied, InvalidFilter, InvalidRequest, Refused
from data_access.export_context import PROTECTED_NOTE
from data_access.filters import GRAINS, YEAR_TYPES, Filters
from data_access.protection import NOT_APPLICABLE, SUPPRESSED
from data_access.reference import find_login, known_teams, parse_filters, user_banner
from data_access.refusals import record_failed_request
from data_access.stores import (
    Stores,
    analytics_available,
    as_of,
    bind,
    bound,
    current,
    open_stores,
    refusals_audited,
    reopen_analytics,
    store_facts,
    store_layout_problem,
    unbind,
)
from data_access.views import (
    PageData,
    care_leavers_page,
    children_in_need_page,
    export_image,
    export_page_pdf,
    export_visual,
    interventions_page,
    looked_after_page,
    overview_page,
    send_page,
    service_users_page,
    slicer_options,
    trend_measures,
    trends_page,
    view_state,
)
from model import codes
from model.settings import Settings

__all__ = [
    "NOT_APPLICABLE", "SUPPRESSED", "AccessDenied", "InvalidFilter", "InvalidRequest", "Refused", "Filters", "GRAINS",
    "YEAR_TYPES", "Settings",
    "Stores", "open_stores", "bind", "unbind", "bound", "current", "as_of", "analytics_available",
    "reopen_analytics", "store_facts", "store_layout_problem", "refusals_audited", "record_failed_request",
    "find_login", "user_banner", "known_teams", "parse_filters",
    "access_log",
    "create_account", "ensure_demo_accounts", "accounts", "approvals", "benchmarks", "extracts", "policy", "records",
    "retention", "saved_views", "setpassword", "codes", "sar", "sar_pack", "consent",
    "PageData", "children_in_need_page", "export_visual", "interventions_page", "overview_page",
    "export_image", "export_page_pdf", "send_page", "service_users_page", "slicer_options", "trend_measures",
    "trends_page", "view_state", "PROTECTED_NOTE", "looked_after_page", "care_leavers_page",
    "Kpi", "Visual",  # the types PageData carries, for the renderers' annotations
]
