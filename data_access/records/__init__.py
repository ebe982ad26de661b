"""Identifiable and pseudonymised reads, each checked, scoped in SQL and audited.

Every function takes the server-side ``user`` and the declared ``purpose``; a refusal raises
AccessDenied (or InvalidFilter / InvalidRequest for malformed input) and is audited; a successful
read is audited with the children's opaque ids, the field names, the purpose and the lawful basis,
never the values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from appstore import audit
from data_access import consent, policy
from data_access.errors import InvalidRequest, Refused
from data_access.filters import Filters
from data_access.policy import AccessDenied, Purpose
from data_access.records.break_glass import live_break_glass_children, open_break_glass
from data_access.records.care import CareHistory
from data_access.records.detail import ChildRecord
from data_access.records.detail import child_record as _child_record
from data_access.records.glass_review import (
    break_glass_review_history,
    break_glass_review_list,
    review_break_glass,
)
from data_access.records.listing import (
    Page,
    identifiable_page,
    parse_paging,
    parse_search,
    pseudonymised_page,
)
from data_access.records.refs import make_ref, parse_ref
from data_access.records.scope import Access, check_access
from data_access.records.through import DrillCounts, ensure_drill_through
from data_access.records.through import counts as drill_counts
from data_access.records.through import resolve as resolve_drill
from data_access.reference import parse_filters
from data_access.refusals import record_refusal
from data_access.retention_state import withheld_children
from data_access.stores import as_of, current, record_event

__all__ = ["child_records", "child_record", "open_break_glass", "live_break_glass_children",
           "break_glass_review_list",
           "break_glass_review_history", "review_break_glass", "declare_purpose", "permitted_purposes", "record_ref",
           "ref_to_child",
           "InvalidRequest", "Page", "ChildRecord", "CareHistory", "DrillCounts", "may_drill_through",
           "check_drill_through"]


def may_drill_through(user: policy.Principal | None) -> bool:
    """Whether the user's role may drill from a dashboard to children's records (no audit: a UI hint)."""
    return policy.can(ensure_drill_through, user)


def _access(user: policy.Principal | None, purpose: object, named_child: int | None = None) -> Access:
    settings = current().settings
    grants = live_break_glass_children(user) if purpose == Purpose.VITAL_INTERESTS else ()
    day = as_of()
    access = check_access(user, purpose if isinstance(purpose, str) else None, day=day,
                          grace_days=settings.caseworker_grace_days, named_child=named_child,
                          break_glass_children=grants, consent_withdrawn=consent.withdrawn_involvements(purpose, day))
    only = grants if access.purpose is Purpose.VITAL_INTERESTS else \
        (access.named_child,) if access.named_child is not None else None
    return replace(access, withheld=withheld_children(access.purpose, access.day, only=only))


def _audit(event: audit.AuditEvent) -> None:
    record_event(event)


def _refusal(user: policy.Principal | None, resource: str, purpose: object, exc: Exception,
             child_ids: tuple[int, ...] = ()) -> None:
    record_refusal(user, resource, exc, purpose=purpose, child_ids=child_ids)


def child_records(*, user: policy.Principal | None, purpose: object, filters: Mapping[str, object] | None = None,
                  page: object = 0, page_size: object = 50, sort: object = "surname",
                  descending: object = False, drill: object = None, search: object = None) -> Page:
    """A page of the children the user may see for ``purpose``.

    Identifiable rows for team managers (their team's allocated children, supervision) and
    caseworkers (their caseload, direct work); pseudonymised rows for analysts. Raises AccessDenied
    for any other role or purpose; refusals and reads are audited.

    ``drill``: a drill-through from a dashboard (``through.resolve``): only the children counted in
    that chart row or card, still limited to the user's scope, with how many counted children the
    user cannot see (suppressed). Roles without identifiable rows are refused (audited).

    ``search``: ``{"name": ..., "la_child_id": ...}`` (starts-with, in the database) for identifiable
    lists only: searching pseudonymised rows by name would re-identify them, so it is refused.
    """
    resource = "records" if drill is None else "drill_through"
    try:
        access = _access(user, purpose)
        through = resolve_drill(user, drill) if drill is not None else None
        parsed: Filters = parse_filters(filters)
        p, size, key, desc = parse_paging(page, page_size, sort, descending)
        wanted = parse_search(search)
        if wanted and access.role.rows is policy.RowLevel.PSEUDONYMISED:
            raise AccessDenied("Pseudonymised rows cannot be searched by name or LA child ID.")
        if access.role.row_scope is policy.Scope.NAMED_CHILD:
            raise AccessDenied("Subject access requests open one named child, not lists.")
        with current().analytics.connect() as conn:
            if access.role.rows is policy.RowLevel.PSEUDONYMISED:
                result = pseudonymised_page(conn, access, parsed, key=current().settings.pseudonym_key,
                                            page=p, page_size=size, k=current().settings.pseudonymised_k)
            else:
                result = identifiable_page(conn, access, parsed, page=p, page_size=size, sort=key,
                                           descending=desc, members=through.members if through else None,
                                           search=wanted, art9_only=through is not None and through.art9_only)
            if through is not None:
                result = replace(result, drill=drill_counts(conn, through, result.total), drill_title=through.title)
    except Refused as exc:
        _refusal(user, resource, purpose, exc)
        raise
    except ValueError as exc:  # a malformed value deeper down: refused like any other
        _refusal(user, resource, purpose, exc)
        raise InvalidRequest(str(exc)) from exc
    ids = tuple(int(c) for c in result.rows["child_id"]) if "child_id" in result.rows else ()
    # A pseudonymised read names no child_id (the analyst never sees one) but the pseudonyms shown:
    # ids too, which an IG officer holding the pseudonym key can match to a child.
    shown = tuple(str(p) for p in result.rows["pseudo_id"]) if "pseudo_id" in result.rows else ()
    _audit(audit.AuditEvent(
        action=audit.AuditAction.RECORD_READ, outcome="allowed", resource="records",
        username=user.username, user_id=user.user_id, purpose=access.purpose.value,  # type: ignore[union-attr]  # _access refused None
        lawful_basis=",".join(result.lawful_bases) or None, child_ids=ids, fields=result.fields,
        pseudonyms=shown, detail={"rows": len(result.rows), "pseudonymised": "child_id" not in result.rows,
                **({"drill_through": through.target} if through is not None else {}),
                **({"searched": ",".join(sorted(wanted))} if wanted else {})}))  # which fields, never the text
    return result


def check_drill_through(*, user: policy.Principal | None, drill: object) -> str:
    """Check a drill-through (as ``child_records`` will) before the page navigates to it; returns
    what it lists, e.g. "Referrals by source: Police". Raises AccessDenied / InvalidFilter (audited)."""
    try:
        return resolve_drill(user, drill).title
    except Refused as exc:
        _refusal(user, "drill_through", None, exc)
        raise
    except ValueError as exc:
        _refusal(user, "drill_through", None, exc)
        raise InvalidRequest(str(exc)) from exc


def child_record(*, user: policy.Principal | None, purpose: object, child_id: object) -> ChildRecord:
    """One child's record and timeline, if the child is in the user's scope for ``purpose``.

    Raises AccessDenied otherwise (audited with the requested id). Analysts get no single records.
    """
    requested = (child_id,) if isinstance(child_id, int) and not isinstance(child_id, bool) else ()
    try:
        if not requested:
            raise InvalidRequest("Field 'child_id' must be a record reference.")
        access = _access(user, purpose, named_child=requested[0])
        if not access.identifiable:
            raise AccessDenied("Your role sees pseudonymised rows only, not individual records.")
        with current().analytics.connect() as conn:
            record = _child_record(conn, access, requested[0])
    except Refused as exc:
        _refusal(user, "child", purpose, exc, requested)
        raise
    _audit(audit.AuditEvent(
        action=audit.AuditAction.RECORD_READ, outcome="allowed", resource="child", username=user.username,  # type: ignore[union-attr]  # _access refused None
        user_id=user.user_id, purpose=access.purpose.value, lawful_basis=record.lawful_basis,  # type: ignore[union-attr]  # _access refused None
        child_ids=requested, fields=record.fields,
        detail={"break_glass": access.purpose is Purpose.VITAL_INTERESTS}))
    return record


def permitted_purposes(*, user: policy.Principal | None) -> list[tuple[str, str]]:
    """(value, label) of the purposes the user may declare; empty for roles without row access."""
    return [(p.value, policy.PURPOSE_LABEL[p]) for p in policy.permitted_purposes(user)]


def declare_purpose(*, user: policy.Principal | None, purpose: object, previous: object = None) -> str:
    """Check ``purpose`` for the user's role and audit the change; returns the accepted value.

    Raises AccessDenied (audited) for a purpose the role does not carry.
    """
    try:
        accepted = policy.ensure_purpose(user, purpose if isinstance(purpose, str) else None)
    except AccessDenied as exc:
        _refusal(user, "purpose", purpose, exc)
        raise
    _audit(audit.AuditEvent(action=audit.AuditAction.PURPOSE_CHANGED, outcome="allowed",
                            username=user.username, user_id=user.user_id,  # type: ignore[union-attr]  # ensure_purpose refused None
                            purpose=accepted.value,
                            detail={"previous": str(previous)[:40] if previous else ""}))
    return accepted.value


def record_ref(child_id: int) -> str:
    """The opaque reference used in URLs and component ids for ``child_id``."""
    return make_ref(current().settings.pseudonym_key, int(child_id))


def ref_to_child(ref: object, *, user: policy.Principal | None = None) -> int | None:
    """The child_id behind a reference from the page, or None for anything malformed or forged.

    A reference that was given but is not one this app signed is a forged request: refused and
    audited (``resource = child``) for ``user``. No reference at all is not audited.
    """
    child_id = parse_ref(current().settings.pseudonym_key, ref)
    if child_id is None and ref not in (None, ""):
        _refusal(user, "child", None, InvalidRequest("forged or malformed record reference"))
    return child_id
