"""Every count from 1 to 5 in every aggregate response is suppressed, and none can be recovered.

Through every aggregate entry point ``data_access`` exports (found by signature: keyword-only
``user`` and ``filters``, so pages added later are checked too), over slicer combinations that make
small groups (locality x sex x age band x period, team filters): every count shown is ``"c"``, 0 or
at least the threshold + 1 (rates and percentages are not counts; their numerators and denominators
are), and no ``c`` can be worked out from any chart together with the totals the same response
shows, nor from the referrals trend together with its KPI. Pages whose counts are perturbed by cell
key (``data_access.protection``) are attacked as such (``_disclosure.pinned_cells``: every figure
within the adjustment of the truth), the others with ``suppression.recoverable_cells``. Then the same
through the HTTP callbacks, as the service manager sees them: the numbers in the KPI cards' text.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect
import itertools
import json
import random
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import data_access
from data_access import suppression
from data_access.cellkey import MAX_ADJUSTMENT
from model import codes
from model.settings import Settings

try:
    import _attack as attack  # type: ignore[import-not-found]
    from _disclosure import pinned_cells  # type: ignore[import-not-found]
    from _stores import Login  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover
    from . import _attack as attack  # type: ignore[no-redef]
    from ._disclosure import pinned_cells  # type: ignore[no-redef]
    from ._stores import Login  # type: ignore[no-redef]

SUPPRESSED = suppression.SUPPRESSED
# Entry points whose counts are protected by cell-key perturbation (the rest are converted page by page).
PERTURBED = {"overview_page", "service_users_page", "children_in_need_page", "interventions_page", "send_page",
             "trends_page", "looked_after_page", "care_leavers_page"}  # every aggregate page publishes by cell key
# Values that are not counts of children or events even when they are whole numbers.
NOT_A_COUNT = re.compile(r"rate|percent|pct|per_10k|share|median|mean|average|days|weeks|months|england|year",
                         re.I)


@dataclasses.dataclass(frozen=True)
class Viewer:
    role: str
    username: str
    user_id: int = 900
    team_ids: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    worker_id: str | None = None
    display_name: str | None = None


LEADER = Viewer("leadership", "supp-leader")
CSC_MANAGER = Viewer("service_manager", "supp-csc-manager", services=("CSC",))
SEND_MANAGER = Viewer("service_manager", "supp-send-manager", services=("SEND",))


@pytest.fixture(scope="module")
def store(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """data_access on the session's demo store with its own app store, for the module."""
    tmp = tmp_path_factory.mktemp("suppression")
    settings = Settings.from_env({}, data_dir=tmp, analytics_url=f"duckdb:///{demo_store}",
                                 app_db_url=f"sqlite:///{tmp / 'app.sqlite'}", demo=True)
    with data_access.bound(data_access.open_stores(settings)) as stores:
        yield settings
    stores.close()


def aggregate_functions() -> dict[str, Callable[..., Any]]:
    """Every exported function called as ``f(*, user, filters)``: the aggregate entry points."""
    found = {}
    for name in data_access.__all__:
        fn = getattr(data_access, name, None)
        if not inspect.isfunction(fn):
            continue
        params = inspect.signature(fn).parameters.values()
        keyword = {p.name for p in params if p.kind is p.KEYWORD_ONLY}
        required = {p.name for p in params if p.default is p.empty}
        if {"user", "filters"} <= keyword and required <= {"user", "filters"}:
            found[name] = fn
    return found


FUNCTIONS = aggregate_functions()


# --- what counts are in a response ---------------------------------------------------------------

def _count_columns(visual: Any) -> list[str]:
    columns = [c for c in visual.values if not NOT_A_COUNT.search(c)]
    if getattr(visual, "unit", "count") == "percent" and columns and columns[0] == next(iter(visual.values)):
        columns = columns[1:]  # a percentage chart's first value is the rate; the rest are its counts
    return columns


def counts_in(result: Any, where: str = "") -> Iterator[tuple[str, object]]:
    """(where, value) for every count a response shows: KPI values, numerators, denominators,
    previous-period figures, chart cells and chart totals (not rates, medians or comparators)."""
    if isinstance(result, data_access.Filters) or result is None or isinstance(result, str | dt.date):
        return
    if hasattr(result, "unit") and hasattr(result, "key") and hasattr(result, "value"):  # a KPI card
        if result.unit == "count" and not NOT_A_COUNT.search(result.key):  # not a median, a rate ...
            yield f"{where}{result.key}.value", result.value
            yield f"{where}{result.key}.previous", getattr(result, "previous", None)
        yield f"{where}{result.key}.numerator", result.numerator
        yield f"{where}{result.key}.denominator", result.denominator
        return
    if hasattr(result, "frame") and hasattr(result, "values") and hasattr(result, "totals"):  # a chart
        for column in _count_columns(result):
            for code, value in zip(result.frame["code"], result.frame[column], strict=True):
                yield f"{where}{result.key}[{code}].{column}", value
            yield f"{where}{result.key}[Total].{column}", (result.totals or {}).get(column)
        return
    if isinstance(result, pd.DataFrame):
        for column in result.columns:
            if column not in ("month", "code", "label") and not NOT_A_COUNT.search(str(column)):
                for i, value in enumerate(result[column]):
                    yield f"{where}[{i}].{column}", value
        return
    if isinstance(result, dict):
        for key, value in result.items():
            yield from counts_in(value, f"{where}{key}.")
        return
    if isinstance(result, list | tuple):
        for item in result:
            yield from counts_in(item, where)
        return
    if dataclasses.is_dataclass(result):
        for f in dataclasses.fields(result):
            yield from counts_in(getattr(result, f.name), f"{where}{f.name}.")


def small_counts(result: Any, threshold: int) -> list[str]:
    bad = []
    for where, value in counts_in(result):
        if value is None or value == SUPPRESSED or value == suppression.NOT_APPLICABLE:
            continue
        if isinstance(value, float) and not value.is_integer():
            continue  # not a count (a rate that slipped through the names)
        if isinstance(value, bool) or not isinstance(value, int | float) or 1 <= value <= threshold or value < 0:
            bad.append(f"{where} = {value!r}")
    return bad


def visual_views(result: Any) -> Iterator[tuple[str, pd.DataFrame]]:
    """Each chart with a shown total as the attacker sees it: cells, a 'Total' row (and column)."""
    for visual in getattr(result, "visuals", {}).values():
        totals = visual.totals or {}
        columns = [c for c in _count_columns(visual) if totals.get(c) is not None]
        if not visual.available or not columns or visual.frame.empty:
            continue
        frame = visual.frame.set_index("code")[columns].astype(object)
        frame.loc[suppression.TOTAL] = [totals[c] for c in columns]
        if "total" in frame.columns:  # a two-way table: its row totals are the last column
            frame = frame[[c for c in frame.columns if c != "total"] + ["total"]].rename(
                columns={"total": suppression.TOTAL})
        yield visual.key, frame


def trend_with_kpi(result: Any) -> pd.DataFrame | None:
    """The monthly referrals with the referrals KPI as their total (the KPI is the bars' sum)."""
    cards = {k.key: k for k in (getattr(result, "cards", None) or [])}
    if "referrals" not in cards or cards["referrals"].value is None:
        return None
    trend = next((v for v in getattr(result, "visuals", {}).values()
                  if "referrals" in v.values and v.kind == "time" and v.available), None)
    if trend is None:
        return None
    months = trend.frame.set_index("code")[["referrals"]]
    frame = months.astype(object)
    frame.loc[suppression.TOTAL] = [cards["referrals"].value]
    return frame


# --- slicer combinations --------------------------------------------------------------------------

def _teams() -> list[str]:
    return [team for team, _name, service in data_access.known_teams() if service in ("CSC", "SEND", "EH")]


def combinations(seed: str, sample: int) -> list[dict[str, object]]:
    """Small groups on purpose: the smallest period with narrow slicers, plus a random sample of the
    full locality x sex x age band x period grid and of team filters."""
    localities, sexes, ages = [None, *codes.LOCALITY], [None, *codes.SEX], [None, *codes.AGE_BAND]
    grid = [{"period_months": p, "locality": loc, "sex": s, "age_band": a}
            for p, loc, s, a in itertools.product((3, 6, 12, 24), localities, sexes, ages)]
    rng = random.Random(seed)
    fixed = [
        {"period_months": 3, "locality": "CENTRAL", "sex": "U", "age_band": "unborn"},
        {"period_months": 3, "locality": "NORTH", "sex": "F", "age_band": "16-17"},
        {"period_months": 3, "locality": "EAST", "sex": "M", "age_band": "18+"},
        {"period_months": 3, "locality": "WEST", "sex": "F", "age_band": "0-4"},
        {"period_months": 12, "sex": "U"},
        {"period_months": 3, "age_band": "18+"},
    ]
    teams = [{"period_months": rng.choice((3, 12)), "team": t, "sex": rng.choice(sexes)} for t in _teams()]
    return fixed + rng.sample(grid, sample) + rng.sample(teams, min(3, len(teams)))


def _clean(filters: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in filters.items() if v is not None}


_RESULTS: dict[str, Any] = {}


def _result(name: str, viewer: Viewer, filters: dict[str, object]) -> Any:
    """The entry point's response (memoised for the module: both tests read the same responses)."""
    key = f"{name}|{viewer.username}|{json.dumps(filters, sort_keys=True)}"
    if key not in _RESULTS:
        try:
            _RESULTS[key] = FUNCTIONS[name](user=viewer, filters=_clean(filters))
        except (data_access.AccessDenied, data_access.InvalidFilter) as exc:
            _RESULTS[key] = exc  # e.g. a team outside the manager's services: refused, shows nothing
    return _RESULTS[key]


def _viewed(name: str) -> Iterator[tuple[dict[str, object], Viewer, Any]]:
    """Each combination once, as leadership or (every third) a service manager of one service."""
    for i, filters in enumerate(combinations(name, 5)):
        viewer = (LEADER, LEADER, CSC_MANAGER if i % 2 else SEND_MANAGER)[i % 3]
        result = _result(name, viewer, filters)
        if not isinstance(result, Exception):
            yield filters, viewer, result


def test_the_aggregate_entry_points_are_found() -> None:
    assert "overview_page" in FUNCTIONS


def test_the_checks_see_small_counts_and_recoverable_cells() -> None:
    """A control for the checks below: they flag a 3, and a lone c next to a shown total."""
    from data_access.aggregates.kpi import Kpi

    card = Kpi("cases", "Cases", 3, "count", "")
    assert small_counts([card], 5) == ["cases.value = 3"]
    rate = Kpi("cases_rate", "Cases", 3.0, "percent", "", numerator=3, denominator=100)
    assert small_counts([rate], 5) == ["cases_rate.numerator = 3"]
    frame = pd.DataFrame({"count": [SUPPRESSED, 10, 12]}, index=["a", "b", suppression.TOTAL], dtype=object)
    assert suppression.recoverable_cells(frame)
    # Perturbed: 10 and 12 are within 2 of the truth, so the c is 1 to 4 (not pinned) ...
    assert not pinned_cells(frame, 5)
    # ... unless the figures leave one value: the cells at least 18, the total at most 19.
    frame = pd.DataFrame({"count": [SUPPRESSED, 20, 17]}, index=["a", "b", suppression.TOTAL], dtype=object)
    assert [(r.row, r.value) for r in pinned_cells(frame, 5)] == [("a", 1)]
    text = lambda css, words: {"props": {"className": css, "children": words}}  # noqa: E731
    card = {"props": {"data-kpi": "referrals", "children": [
        text("kpi-value", "3"), text("kpi-sub", "4 of 1,200"),
        text("kpi-trend kpi-neutral", "\u25B2 up on the previous 3 months (2)")]}}
    (key, texts), = _cards([{"props": {"children": [card]}}])
    assert key == "referrals" and card_counts(texts) == ["3", "4", "1,200", "2"]


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_no_count_from_1_to_5_in_any_aggregate(store: Settings, name: str) -> None:
    threshold = store.suppression_threshold
    checked, problems = 0, []
    for filters, viewer, result in _viewed(name):
        checked += len(list(counts_in(result)))
        problems += [f"{filters} as {viewer.username}: {p}" for p in small_counts(result, threshold)]
    assert checked > 50, "control: the responses held counts to check"
    assert not problems, f"{len(problems)} small counts shown:\n" + "\n".join(problems[:15])


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_no_suppressed_count_can_be_recovered_from_the_totals_shown(store: Settings, name: str) -> None:
    views, problems, threshold = 0, [], store.suppression_threshold
    for filters, _viewer, result in _viewed(name):
        candidates = list(visual_views(result))
        kpi_trend = trend_with_kpi(result)
        if kpi_trend is not None:
            candidates.append(("referrals trend + KPI", kpi_trend))
        for key, frame in candidates:
            views += 1
            try:
                recovered = pinned_cells(frame, threshold) if name in PERTURBED else \
                    suppression.recoverable_cells(frame)
            except ValueError as exc:  # the totals shown are not (within the noise) the cells' sum
                problems.append(f"{filters} {key}: totals do not add up ({exc})")
                continue
            problems += [f"{filters} {key}: {r.row}/{r.column} = {r.value}" for r in recovered]
    assert views, "control: the responses had charts (or a trend and its KPI) with totals to check"
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:15])


@pytest.mark.parametrize("name", ["overview_page"])
def test_referrals_kpi_is_the_sum_of_the_monthly_bars(store: Settings, name: str) -> None:
    """The KPI counts the same referrals as the trend's total: the same published value. The bars,
    each perturbed on its own, add up to it within their noise, and pin no c down."""
    compared = 0
    for filters, _viewer, result in _viewed(name):
        frame = trend_with_kpi(result)
        if frame is None:  # outside the viewer's services
            continue
        trend = next(v for v in result.visuals.values()
                     if "referrals" in v.values and v.kind == "time" and v.available)
        if trend.drill_label is None and trend.selected is None and not filters.get("selection"):
            assert trend.totals is not None and trend.totals["referrals"] == frame["referrals"].iloc[-1], filters
        cells, total = frame["referrals"].iloc[:-1], frame["referrals"].iloc[-1]
        if SUPPRESSED not in set(cells) and total != SUPPRESSED:
            assert abs(sum(cells) - total) <= (len(cells) + 1) * MAX_ADJUSTMENT, filters
            compared += 1
        assert pinned_cells(frame, store.suppression_threshold) == [], filters
    assert compared, "control: some trends had nothing suppressed"


# --- through the HTTP callbacks, as the service manager ------------------------------------------

_COUNT_TEXT = re.compile(r"\d{1,3}(?:,\d{3})*")


def _cards(component: object) -> Iterator[tuple[str, dict[str, list[str]]]]:
    """(KPI key, {class: [texts]}) for every KPI card in a Dash component tree (as JSON)."""
    if isinstance(component, list):
        for item in component:
            yield from _cards(item)
    elif isinstance(component, dict):
        props = component.get("props", {})
        if "data-kpi" in props:
            texts: dict[str, list[str]] = {}
            _collect(props.get("children"), texts)
            yield str(props["data-kpi"]), texts
            return
        for value in props.values():
            if isinstance(value, list | dict):
                yield from _cards(value)


def _collect(component: object, texts: dict[str, list[str]]) -> None:
    if isinstance(component, list):
        for item in component:
            _collect(item, texts)
    elif isinstance(component, dict):
        props = component.get("props", {})
        for css in str(props.get("className", "")).split():
            texts.setdefault(css, []).append(_plain(props.get("children")))
        _collect(props.get("children"), texts)


def _plain(children: object) -> str:
    if isinstance(children, list):
        return " ".join(_plain(c) for c in children)
    if isinstance(children, dict):
        return _plain(children.get("props", {}).get("children"))
    return "" if children is None else str(children)


def card_counts(texts: dict[str, list[str]]) -> list[str]:
    """The counts a card's text shows: a whole-number value, "N of D" under a percentage, and the
    previous period's count in "(N)" at the end of the trend line."""
    found = [v for v in texts.get("kpi-value", []) if _COUNT_TEXT.fullmatch(v.strip())]
    for sub in texts.get("kpi-sub", []):
        match = re.fullmatch(r"\s*(\S+) of (\S+)\s*", sub)
        if match:
            found += [g for g in match.groups() if _COUNT_TEXT.fullmatch(g)]
    for line in texts.get("kpi-trend", []):
        match = re.search(r"\(([\d,]+)\)(?::.*)?$", line)
        if match:
            found.append(match.group(1))
    return found


@pytest.fixture(scope="module")
def manager_client(store: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, list]]:
    import app as app_module

    application = app_module.create_app(store)
    application.server.config.update(TESTING=True)
    client = application.server.test_client()
    assert Login(client).login("demo-manager").status_code == 302
    callbacks = attack.server_callbacks(client.get("/_dash-dependencies").get_json())
    yield client, callbacks


def test_kpi_cards_over_http_show_no_count_from_1_to_5(store: Settings, manager_client: tuple[Any, list]) -> None:
    client, callbacks = manager_client
    renders = attack.page_views(callbacks)
    assert renders, "control: the aggregate pages' view callbacks are listed"
    threshold, shown, problems = store.suppression_threshold, 0, []
    for cb in renders:
        for filters in combinations(cb["output"], 2)[:5]:
            reply = attack.view_call(client, cb, _clean(filters), open_tables=[])  # tables closed
            assert reply.status == 200, f"{cb['output'][:40]} {filters}: {reply.status} {reply.error}"
            for component_id, props in json.loads(reply.text)["response"].items():
                for key, texts in _cards(props.get("children")):
                    if NOT_A_COUNT.search(key):
                        continue
                    for number in card_counts(texts):
                        shown += 1
                        if 1 <= int(number.replace(",", "")) <= threshold:
                            problems.append(f"{component_id} {key} {filters}: {texts}")
    assert shown > 20, "control: the cards showed numbers"
    assert not problems, f"{len(problems)} small counts in card text:\n" + "\n".join(problems[:15])
