"""The aggregate dashboards' public API: one function per page, plus view-state and slicer options.

Every function takes the server-side ``user`` and the page's raw filters (slicers, selection, drill
level; from the page or a shared URL), asks the policy first, parses the filters strictly, scopes
its queries in SQL and returns only suppressed frames. Refusals and invalid input are audited.
Aggregates only: no identifiable data, so reads are not audited (exports are, in ``export``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import sqlalchemy as sa

from data_access import export, export_context, page_pdf, policy
from data_access.aggregates import (
    care_leavers,
    children_in_need,
    interventions,
    leadership,
    limits,
    looked_after,
    periods,
    send,
    service_users,
    trends,
)
from data_access.aggregates.context import Context, run_batch
from data_access.aggregates.kpi import Kpi
from data_access.aggregates.visual import Visual, unavailable
from data_access.errors import InvalidFilter, Refused
from data_access.filters import Filters
from data_access.policy import AccessDenied, Principal
from data_access.reference import known_teams
from data_access.refusals import guarded
from data_access.stores import current, store_facts
from model import codes

PAGES = ("overview", "service_users", "children_in_need", "interventions", "send", "trends", "looked_after",
         "care_leavers")


@dataclass(frozen=True)
class PageData:
    """A page's cards and charts, all suppressed; ``period`` is the reporting window (inclusive)."""

    page: str
    as_of: dt.date
    first_day: dt.date
    last_day: dt.date
    filters: Filters
    cards: list[Kpi]
    visuals: dict[str, Visual]

    @property
    def period_label(self) -> str:
        return f"{self.first_day:%d %B %Y} to {self.last_day:%d %B %Y}"


def _teams() -> dict[str, str]:
    """team_id -> service for every team (reference data)."""
    return {team_id: service for team_id, _name, service in known_teams()}


def authorised_filters(user: Principal | None, raw: Mapping[str, object] | None, *,
                       query: bool = False) -> tuple[Filters, tuple[str, ...] | None]:
    """Parse ``raw`` and check every service it names is within the user's aggregates.

    Raises AccessDenied unless the user may see aggregates, for a service, team or drilled service
    outside their services, and for a special category slicer (need) or selection (by ethnicity,
    disability, factors or need) without special category aggregates; InvalidFilter for any unknown value."""
    policy.ensure_aggregates(user)
    services = policy.aggregate_services(user)
    teams = _teams()
    parsed = (Filters.from_query if query else Filters.parse)(raw, teams=list(teams))
    named = {parsed.service, parsed.drill_org, teams.get(parsed.team or "")}
    sel = parsed.selection
    if sel is not None and sel.dim in ("service", "team"):
        named.add(sel.value if sel.dim == "service" else teams.get(sel.value))
    if services is not None and any(s is not None and s not in services for s in named):
        raise AccessDenied("That service is outside the services you manage.")
    special_slicer = any(getattr(parsed, d, None) is not None for d in policy.SPECIAL_CATEGORY_DIMS)
    if special_slicer or (sel is not None and policy.selects_special(sel.visual, sel.dim)):  # Art 9: health too
        policy.ensure_special_category_aggregates(user)
    return parsed, services


def view_state(*, user: Principal | None, query: Mapping[str, object] | None) -> dict[str, object]:
    """A shared URL's query string, validated like any slicer input, as the page's filter state.

    Raises AccessDenied / InvalidFilter (audited) for a view the user may not open or a forged value."""
    return guarded("view_state", user, lambda: authorised_filters(user, query, query=True)[0].to_dict())


def slicer_options(*, user: Principal | None) -> dict[str, dict[str, str]]:
    """The services and teams the user may slice by (reference data, limited to their services):
    {"service": {code: label}, "team": {team_id: name}, "team_service": {team_id: service}}."""
    def run() -> dict[str, dict[str, str]]:
        policy.ensure_aggregates(user)
        services = policy.aggregate_services(user)
        teams = {team_id: (name, service) for team_id, name, service in known_teams()
                 if services is None or service in services}
        return {"service": {c: v for c, v in codes.SERVICE.items() if services is None or c in services},
                "team": {k: v[0] for k, v in teams.items()}, "team_service": {k: v[1] for k, v in teams.items()}}
    return guarded("slicer_options", user, run)


def page_context(conn: sa.Connection, parsed: Filters, services: tuple[str, ...] | None, special: bool,
                 day: dt.date) -> Context:
    """The aggregate query context for already-authorised filters (``authorised_filters``)."""
    return Context(conn, parsed, day, periods.resolve(parsed, day), services, current().settings.suppression_threshold,
                   special)


def _page(name: str, user: Principal | None, filters: Mapping[str, object] | None,
          build: Callable[[Context], tuple[list[Kpi], list[Visual]]]) -> PageData:
    def run() -> PageData:
        parsed, services = authorised_filters(user, filters)
        stores = current()
        facts = store_facts()
        day = dt.date.fromisoformat(facts["as_of"])
        special = policy.can(policy.ensure_special_category_aggregates, user)
        role = policy.role_of(user).name
        key = (name, role, services, special, tuple(sorted(parsed.to_dict().items())), facts.get("built_at"),
               facts.get("as_of"), stores.analytics_file, stores.settings.analytics_url,
               stores.settings.suppression_threshold)
        cached = stores.pages.get(key)
        if cached is not None:
            return cached
        settings = stores.settings
        capped = special and limits.slicers(parsed) > settings.special_category_max_slicers
        with stores.analytics.connect() as conn:
            ctx = page_context(conn, parsed, services, special and not capped, day)
            base = limits.base_query(parsed, ctx.period, services=services)
            if base is not None:
                ctx.riders["base"] = base  # counted in the page's own statement
            cards, visuals = build(ctx)
            if base is not None and "base" not in ctx.rider_rows:  # the page ran no query (outside services)
                ctx.rider_rows["base"] = run_batch(conn, {"base": base})["base"]
            withheld = base is not None and limits.too_few_children(
                ctx.rider_rows["base"], threshold=ctx.threshold, minimum=settings.min_view_children)
        if withheld:
            cards, visuals = _withheld(cards, visuals, limits.TOO_FEW)
        elif capped:
            message = limits.special_message(settings.special_category_max_slicers)
            visuals = [unavailable(v.key, v.title, message) if v.key in limits.SPECIAL_VISUALS else v
                       for v in visuals]
        period = ctx.period
        data = PageData(name, day, period.start + dt.timedelta(days=1), period.end, parsed, cards,
                        {v.key: v for v in visuals})
        stores.pages.put(key, data)
        return data
    return guarded(name, user, run)


def _withheld(cards: list[Kpi], visuals: list[Visual], message: str) -> tuple[list[Kpi], list[Visual]]:
    """Every figure of a view withheld, with ``message`` saying why (the view stays navigable)."""
    return ([replace(k, value=None, numerator=None, denominator=None, rate_per_10k=None, note=message, previous=None,
                     direction=None, judgement=None, local_comparable=None)
             for k in cards], [unavailable(v.key, v.title, message) for v in visuals])


def overview_page(*, user: Principal | None, filters: Mapping[str, object] | None) -> PageData:
    """Overview for leadership: statutory KPIs against the previous period and England, and referrals
    over time. Raises AccessDenied unless the role may see aggregates (KPIs outside a service
    manager's services say so); InvalidFilter for a bad value. Both audited."""
    return _page("overview", user, filters, leadership.page)


def service_users_page(*, user: Principal | None, filters: Mapping[str, object] | None) -> PageData:
    """Service users: children open per service and team, new and ended involvements, age, sex and
    locality (ethnicity and disability only for roles allowed special category aggregates).

    Raises AccessDenied unless the role may see aggregates (service managers: their services only);
    InvalidFilter for a bad slicer, selection or drill value. Both audited."""
    return _page("service_users", user, filters, service_users.page)


def children_in_need_page(*, user: Principal | None, filters: Mapping[str, object] | None) -> PageData:
    """Children in need: referrals, assessments, S47s and ICPCs, CIN and CP plans, closures.

    Access as ``service_users_page``; charts show "outside your services" unless the user's
    aggregates include children's social care; factors need special-category aggregates."""
    return _page("children_in_need", user, filters, children_in_need.page)


def interventions_page(*, user: Principal | None, filters: Mapping[str, object] | None) -> PageData:
    """Interventions: types, volumes, durations and outcomes by service and team. Access as above."""
    return _page("interventions", user, filters, interventions.page)


def send_page(*, user: Principal | None, filters: Mapping[str, object] | None) -> PageData:
    """SEND: EHC requests, 6-week decisions, assessments, 20-week plans, primary need, placements and
    annual reviews. Access as above (the SEND service)."""
    return _page("send", user, filters, send.page)


def looked_after_page(*, user: Principal | None, filters: Mapping[str, object] | None) -> PageData:
    """Children looked after (SSDA903): rate per 10,000, starts and ceased, legal status, placements, distance,
    stability, missing incidents; health and dental checks only for special-category aggregates. Access as
    ``children_in_need_page`` (children's social care)."""
    return _page("looked_after", user, filters, looked_after.page)


def care_leavers_page(*, user: Principal | None, filters: Mapping[str, object] | None) -> PageData:
    """Care leavers (SSDA903 OC3): in touch, in EET and in suitable accommodation at 17-18 and 19-21.
    Access as ``children_in_need_page`` (children's social care)."""
    return _page("care_leavers", user, filters, care_leavers.page)


def trends_page(*, user: Principal | None, filters: Mapping[str, object] | None) -> PageData:
    """Trends: one measure (``filters['measure']``) over months, quarters or years (calendar, census
    or financial), with drill-down. Raises InvalidFilter for a measure the page does not have;
    AccessDenied for a measure outside the user's services."""
    return _page("trends", user, filters, lambda ctx: ([], trends.visuals(ctx)))


def trend_measures(*, user: Principal | None) -> dict[str, str]:
    """The measures the Trends page offers this user (those within their services)."""
    def run() -> dict[str, str]:
        services = policy.aggregate_services(user)
        return {k: m.label for k, m in trends.MEASURES.items() if services is None or m.service in services}
    return guarded("trends", user, run)


def export_visual(*, user: Principal | None, page: str, visual: str, filters: Mapping[str, object] | None,
                  fmt: str) -> export.ExportFile:
    """The data behind one chart of ``page`` as CSV or XLSX, from its suppressed frame.

    Access exactly as the page itself (the page's data function runs with the same user and
    filters); raises InvalidFilter for an unknown page, chart or format. Records an EXPORT audit
    event on success and an ACCESS_REFUSED event on refusal."""
    data, chosen = _exported(user, page, visual, filters, fmt, ("csv", "xlsx"))
    lines = _context(data, f"{export_context.PAGE_TITLES[page]}: {chosen.title}", user)
    content = export.to_csv(data, chosen, lines) if fmt == "csv" else export.to_xlsx(data, chosen, lines)
    export.record(user, page=page, visual=visual, fmt=fmt, filters=data.filters.to_dict(), rows=len(chosen.frame))
    return export.ExportFile(export.filename(page, visual, fmt, data.as_of), export.FORMATS[fmt], content)


def _context(data: PageData, title: str, user: Principal | None) -> list[tuple[str, str]]:
    teams = {team_id: name for team_id, name, _service in known_teams()}
    return export_context.context_lines(data, title=title, username=getattr(user, "username", None), teams=teams)


def export_image(*, user: Principal | None, page: str, visual: str, filters: Mapping[str, object] | None) -> list[str]:
    """Audit a chart saved as PNG (drawn in the browser from what the page shows) and return the lines
    its caption must carry (title, period, filters, data date, protection). Access exactly as the page
    itself; raises AccessDenied / InvalidFilter (audited) otherwise, so nothing is exported then."""
    data, chosen = _exported(user, page, visual, filters, "png", ("png",))
    lines = _context(data, f"{export_context.PAGE_TITLES[page]}: {chosen.title}", user)
    export.record(user, page=page, visual=visual, fmt="png", filters=data.filters.to_dict())
    return [value if label == "Title" else f"{label}: {value}" for label, value in lines]


def export_page_pdf(*, user: Principal | None, page: str, filters: Mapping[str, object] | None) -> export.ExportFile:
    """The whole page as a PDF built on the server (``page_pdf``), stating its context. Access exactly as
    the page itself; records an EXPORT event, or ACCESS_REFUSED on refusal."""
    data = _exported(user, page, None, filters, "pdf", ("pdf",))[0]
    content = page_pdf.page_pdf(data, _context(data, export_context.PAGE_TITLES[page], user))
    export.record(user, page=page, visual="page", fmt="pdf", filters=data.filters.to_dict())
    return export.ExportFile(export.filename(page, "page", "pdf", data.as_of), export.FORMATS["pdf"], content)


def _exported(user: Principal | None, page: object, visual: object, filters: Mapping[str, object] | None,
              fmt: object, formats: tuple[str, ...]) -> tuple[PageData, Visual]:
    """The page's data for an export in one of ``formats``, and the chart ``visual`` (None: the whole page,
    whose first chart is returned); InvalidFilter for an unknown page, chart or format, every refusal audited."""
    try:
        whole_page = visual is None and formats == ("pdf",)  # only the page PDF exports no one chart
        if not isinstance(page, str) or page not in PAGE_FUNCTIONS or not (whole_page or isinstance(visual, str)) \
                or not isinstance(fmt, str) or fmt not in formats:
            raise InvalidFilter(f"Unknown export {str(page)[:30]!r} / {str(fmt)[:10]!r}.")
        data = PAGE_FUNCTIONS[page](user=user, filters=dict(filters or {}))
        chosen = data.visuals.get(visual) if isinstance(visual, str) else next(iter(data.visuals.values()), None)
        if chosen is None or (visual is not None and not chosen.available):
            raise InvalidFilter(f"There is no chart {str(visual)[:30]!r} to export on this page.")
    except Refused as exc:
        export.record(user, page=str(page), visual=str(visual or "page"), fmt=str(fmt), filters={}, outcome="refused",
                      reason=f"{type(exc).__name__}: {exc}"[:300])
        raise
    return data, chosen


PAGE_FUNCTIONS: dict[str, Callable[..., PageData]] = {
    "overview": overview_page, "service_users": service_users_page, "children_in_need": children_in_need_page,
    "interventions": interventions_page, "send": send_page, "trends": trends_page,
    "looked_after": looked_after_page, "care_leavers": care_leavers_page,
}
