"""Saved views: a user names the view they are looking at (its URL state), opens it later, shares it.

A saved view holds only what a URL holds: validated slicer, selection and drill codes (``Filters``),
never a child or any identifier. It belongs to its user: only they list, share or delete it. A
shared view is opened by an unguessable link, and is validated against the OPENING user's access
like any URL (a view of a service outside their services is refused and audited), so sharing can
never widen anyone's access.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from appstore import saved_views as store
from data_access import policy
from data_access.errors import InvalidRequest
from data_access.export_context import LONDON, PAGE_TITLES
from data_access.policy import Principal
from data_access.refusals import guarded
from data_access.stores import current
from data_access.views import authorised_filters

# data_access page name -> the dashboard's path (tests check these against the page registry).
PAGE_PATHS = {"overview": "/", "service_users": "/service-users", "children_in_need": "/children-in-need",
              "interventions": "/interventions", "send": "/send", "trends": "/trends"}
MAX_VIEWS = 50
_NAME = re.compile(r"[^\x00-\x1f\x7f]{1,80}")
# A saved view holds no identifier: a name with a reference-like number (five or more digits in one
# word: an LA child ID, UPN, NHS number, case reference) is refused rather than stored and shown back.
_YEARS = re.compile(r"(?:19|20)\d\d(?:[-/](?:\d\d|(?:19|20)\d\d))?")  # 2024, 2024-25, 2024/2025


def _reference_like(word: str) -> bool:
    """Five or more digits in one word, once years (2024, 2024-25) are set aside."""
    return sum(c.isdigit() for c in _YEARS.sub("", word)) >= 5


@dataclass(frozen=True)
class View:
    """One saved view as its owner sees it."""

    view_id: int
    name: str
    page: str
    page_title: str
    url: str  # the dashboard path and query (codes only)
    saved: str  # when, in UK time
    share_path: str | None  # "/view/<token>" when shared


def _user_id(user: Principal | None) -> int:
    policy.ensure_aggregates(user)
    return int(user.user_id)  # type: ignore[union-attr]  # ensure_aggregates refused None


def _as_view(v: store.SavedView) -> View:
    saved = dt.datetime.fromisoformat(v.created_at).astimezone(LONDON)
    return View(v.view_id, v.name, v.page, PAGE_TITLES[v.page], PAGE_PATHS[v.page] + (f"?{v.query}" if v.query else ""),
                f"{saved:%d %b %Y %H:%M}", f"/view/{v.share_token}" if v.share_token else None)


def save_view(*, user: Principal | None, page: object, state: Mapping[str, object] | None, name: object) -> View:
    """Save the user's current view of ``page`` under ``name`` (replacing one of the same name).

    The state is validated exactly as the page validates it (AccessDenied / InvalidFilter, audited);
    raises InvalidRequest for an unknown page, a name that is empty, over 80 characters or holds
    control characters, or more than MAX_VIEWS views."""
    def run() -> View:
        user_id = _user_id(user)
        if not isinstance(page, str) or page not in PAGE_PATHS:
            raise InvalidRequest("Unknown page for a saved view.")
        text = name.strip() if isinstance(name, str) else ""
        if not _NAME.fullmatch(text):
            raise InvalidRequest("Give the view a name of 1 to 80 characters.")
        if any(_reference_like(word) for word in text.split()):
            raise InvalidRequest("A view's name cannot hold a reference number (it might identify a child).")
        filters, _ = authorised_filters(user, state)
        engine = current().app
        mine = store.of_user(engine, user_id)
        if len(mine) >= MAX_VIEWS and text not in {v.name for v in mine}:
            raise InvalidRequest(f"You can keep up to {MAX_VIEWS} saved views: delete one first.")
        query = urlencode(sorted((k, str(v)) for k, v in filters.to_dict().items()))
        return _as_view(store.save(engine, user_id=user_id, name=text, page=page, query=query))
    return guarded("saved_views", user, run)


def my_views(*, user: Principal | None) -> list[View]:
    """The user's own saved views, by name (AccessDenied, audited, for roles without dashboards)."""
    return guarded("saved_views", user, lambda: [_as_view(v) for v in store.of_user(current().app, _user_id(user))])


def share_view(*, user: Principal | None, view_id: object, shared: object) -> View:
    """Share one of the user's own views by a new link (or stop sharing it); InvalidRequest otherwise."""
    def run() -> View:
        user_id = _user_id(user)
        if isinstance(view_id, bool) or not isinstance(view_id, int) or not isinstance(shared, bool):
            raise InvalidRequest("Choose one of your saved views.")
        found = store.set_shared(current().app, user_id=user_id, view_id=view_id, shared=shared)
        if found is None:
            raise InvalidRequest("That is not one of your saved views.")
        return _as_view(found)
    return guarded("saved_views", user, run)


def delete_view(*, user: Principal | None, view_id: object) -> None:
    """Delete one of the user's own views; InvalidRequest (audited) for any other."""
    def run() -> None:
        user_id = _user_id(user)
        if isinstance(view_id, bool) or not isinstance(view_id, int) or \
                not store.delete(current().app, user_id=user_id, view_id=view_id):
            raise InvalidRequest("That is not one of your saved views.")
    guarded("saved_views", user, run)


def open_shared(*, user: Principal | None, token: object) -> str:
    """The dashboard URL of a shared view, validated against THIS user's access.

    Raises InvalidRequest (audited) for an unknown link, and AccessDenied / InvalidFilter (audited) when
    the view names a service, team or breakdown outside what this user may see."""
    def run() -> str:
        _user_id(user)
        found = store.by_share_token(current().app, token) if isinstance(token, str) and len(token) < 64 else None
        if found is None:
            raise InvalidRequest("That shared view does not exist or is no longer shared.")
        authorised_filters(user, dict(parse_qsl(found.query)), query=True)
        return _as_view(found).url
    return guarded("shared_view", user, run)
