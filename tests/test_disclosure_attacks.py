"""The attack suite: no count from 1 to 5 is recovered exactly and unambiguously by combining views.

Each test runs one attack class of ``tests/_attacks.py`` (slicer partition, period differencing,
time hierarchy, drill-through, rate cards, export vs chart, card vs chart) as one role with
aggregates (``data_access.policy.ROLES``: leadership; service managers of children's social care and
of SEND; a team manager and a caseworker of a CSC team; an analyst), through the public API only,
judging every derived number against plain SQL on the store. The assertion, per class and role
(``Result.problems``; the module docstring of ``_attacks`` derives it):

- exact recoveries of counts 1-5 (usable derivations, every input shown as a number, equal to the
  truth) are no more than chance under ±2 cell-key noise allows: the mean number of hits of the
  same usable derivations when each record set's noise is drawn from the documented p-table (once
  per record set, among the adjustments that would show it as the number it was shown as; 200
  seeded draws), plus 4 sd, plus 1;
- small counts recovered with certainty (two derivations sharing no noisy input agree on the truth
  and none disagrees) stay as rare as chance allows, by the same rule.

With protection per view (today's suppression) every usable derivation is exact, so these fail
wherever the attack finds usable derivations. Roles without identifiable rows must be refused
drill-through outright; a caseworker's drill-throughs rarely leave 1-5 children outside their
caseload, so that case may have nothing to judge. Then the consistency test: one set of records
keeps ONE published value in every view that counts exactly it. Two controls on the suite itself:
the same attacks with cell-key perturbation emulated on the true counts stay within the bounds (so
they can be met), and every number read is within ±2 of what the suite's SQL says it counts.
``bench/attacks.py`` prints the same figures for every class and role. Each test prints its own.
The Care leavers page is attacked by every class that applies to it in runs of its own
(``test_care_leavers``), with a control that the suite's SQL is exactly what the page publishes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import _attacks as attacks  # tests/ is on sys.path (no __init__.py), as conftest.py imports its helpers
import pytest

import data_access
from model.settings import Settings

# Roles without identifiable rows may not drill through at all: the route is refused (and audited).
NO_DRILL = {"leadership", "service_manager_csc", "service_manager_send", "analyst"}


class Suite:
    """Attackers per role over one bound store, and their results (each class once per role)."""

    def __init__(self, truth: attacks.Truth, threshold: int) -> None:
        self.truth = truth
        self.threshold = threshold
        self.attackers: dict[tuple[str, tuple[str, ...] | None], attacks.Attacker] = {}
        self.results: dict[tuple[str, str, tuple[str, ...] | None], attacks.Result] = {}

    def attacker(self, role: str, pages: tuple[str, ...] | None = None) -> attacks.Attacker:
        if (role, pages) not in self.attackers:
            self.attackers[(role, pages)] = attacks.Attacker(role, self.truth, threshold=self.threshold, pages=pages)
        return self.attackers[(role, pages)]

    def result(self, klass: str, role: str, pages: tuple[str, ...] | None = None) -> attacks.Result:
        if (klass, role, pages) not in self.results:
            self.results[(klass, role, pages)] = attacks.run(klass, self.attacker(role, pages))
        return self.results[(klass, role, pages)]


@pytest.fixture(scope="module")
def suite(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    tmp = tmp_path_factory.mktemp("attacks")
    settings = Settings.from_env({}, data_dir=tmp, analytics_url=f"duckdb:///{demo_store}",
                                 app_db_url=f"sqlite:///{tmp / 'app.sqlite'}", demo=True)
    stores = data_access.open_stores(settings)
    with data_access.bound(stores), attacks.store_runner() as run:
        yield Suite(attacks.Truth(run), settings.suppression_threshold)
    stores.close()


def judge(suite: Suite, klass: str, role: str, pages: tuple[str, ...] | None = None) -> None:
    result = suite.result(klass, role, pages)
    print(f"\n{attacks.HEADER}\n{result.line()}")
    for example in result.examples:
        print(f"    {example}")
    if klass == "drill_through" and role in NO_DRILL:
        assert result.refused and "AccessDenied" in result.refused, "roles without identifiable rows are refused"
        return
    assert result.refused is None, result.refused
    assert result.attempts > 0, "control: the attack found views to combine"
    problems = result.problems()
    assert not problems, f"{klass} as {role}: " + "; ".join(problems) + "\n" + "\n".join(result.examples)


@pytest.mark.parametrize("role", attacks.ROLES)
def test_slicer_partition(suite: Suite, role: str) -> None:
    """A chart or card for a locality (or sex) minus the other parts: locality x sex, both ways."""
    judge(suite, "slicer_partition", role)


@pytest.mark.parametrize("role", attacks.ROLES)
def test_period_differencing(suite: Suite, role: str) -> None:
    """The same card or bar for custom periods a day, a week or a month apart, from two starts."""
    judge(suite, "period_differencing", role)


@pytest.mark.parametrize("role", attacks.ROLES)
def test_time_hierarchy(suite: Suite, role: str) -> None:
    """Months against quarters, census and calendar years, totals, and partial quarters."""
    judge(suite, "time_hierarchy", role)


@pytest.mark.parametrize("role", attacks.ROLES)
def test_drill_through(suite: Suite, role: str) -> None:
    """The clicked figure minus the children listed; the "outside your scope" count itself."""
    judge(suite, "drill_through", role)


@pytest.mark.parametrize("role", attacks.ROLES)
def test_rate_cards(suite: Suite, role: str) -> None:
    """"11 of 12": denominators minus numerators, on cards and on the Trends page's rates."""
    judge(suite, "rate_cards", role)


@pytest.mark.parametrize("role", attacks.ROLES)
def test_export_vs_chart(suite: Suite, role: str) -> None:
    """CSV exports and their Total rows against the charts of the other parts and of the same view."""
    judge(suite, "export_vs_chart", role)


@pytest.mark.parametrize("role", attacks.ROLES)
def test_card_vs_chart(suite: Suite, role: str) -> None:
    """Cards (also under a selection, over a few months, for the previous period) against charts."""
    judge(suite, "card_vs_chart", role)


def test_one_record_set_keeps_one_published_value(suite: Suite) -> None:
    """Referrals from one source in one month for one locality (and a month's referrals for a
    locality), read from every view that counts exactly those referrals: the Children in need page's
    by-source chart for that month (custom period; or 12 or 24 months with the month selected on
    another chart), its referrals-over-time chart with the source selected (by month; drilled into
    the quarter; over 24 months), the Overview's and the Trends page's monthly charts (census and
    calendar years) with the source selected, both pages' referrals cards for the month with the
    source selected, slicers given in another order, and the CSV exports: one value everywhere."""
    att = suite.attacker("leadership")
    followed = attacks.consistency_cells(att)
    assert len(followed) >= 3, "control: cells to follow"
    problems = []
    for month, locality, source in followed:
        cells = attacks.consistency_views(att, month, locality, source)
        assert len(cells) >= 12, f"control: views of {month} {locality} {source}"
        assert len({c.records for c in cells}) == 1, f"every view counts the same referrals: {cells}"
        values = sorted({str(c.shown) for c in cells})
        print(f"referrals {month:%b %Y} {locality} from {source or 'any source'}: true {cells[0].n}, "
              f"{len(cells)} views, published {', '.join(values)}")
        if len(values) > 1:
            problems.append(f"{month:%b %Y} {locality} {source}: " + "; ".join(
                f"{c.where} = {c.shown}" for c in cells))
    assert not problems, f"{len(problems)} record sets published with more than one value:\n" + "\n".join(problems)


@pytest.mark.parametrize("klass", ["slicer_partition", "time_hierarchy"])
def test_the_bounds_hold_under_emulated_cell_key_perturbation(suite: Suite, klass: str) -> None:
    """A control on the assertion itself: the same attack, reading every count as consistent cell-key
    perturbation publishes it (``data_access.cellkey`` on the true counts), stays within the bounds,
    and still hits the truth now and then (the noise cancels by chance; the attacker cannot tell when)."""
    result = attacks.run(klass, suite.attacker("leadership").emulated())
    print(f"\n{attacks.HEADER}\n{result.line()}")
    assert result.usable >= 10, "control: usable derivations of small counts"
    assert result.problems() == []
    assert 0 < result.hits < result.usable


def test_custom_periods_a_day_or_a_week_apart_are_the_same_view(suite: Suite) -> None:
    """Period differencing by days is closed, not just blurred: custom periods are whole months, so a
    period one day or one week longer within the same month is the same window and shows the same
    figures; only whole months can be added, and a month is a published (protected) cell itself."""
    att = suite.attacker("leadership")
    for start, end in (("2024-05-10", "2024-09-12"), ("2023-11-03", "2024-02-20")):
        base = data_access.children_in_need_page(user=att.viewer, filters={"period": "custom", "start": start,
                                                                           "end": end})
        assert base.first_day.day == 1 and (base.last_day + dt.timedelta(days=1)).day == 1
        for later in (1, 7):
            shifted = (dt.date.fromisoformat(end) + dt.timedelta(days=later)).isoformat()
            other = data_access.children_in_need_page(user=att.viewer, filters={"period": "custom", "start": start,
                                                                                "end": shifted})
            assert (other.first_day, other.last_day) == (base.first_day, base.last_day)
            assert [k.value for k in other.cards] == [k.value for k in base.cards]


def test_published_counts_are_within_the_noise_of_the_truth(suite: Suite) -> None:
    """A control on the suite's own SQL: every count the slicer attack read as a number is within 2 of
    what the store says it counts (exact without perturbation, within ±2 with it)."""
    att = suite.attacker("analyst")
    suite.result("slicer_partition", "analyst")
    numbers = [(c, c.value) for c in att.cells if c.value is not None]
    assert len(numbers) > 500, "control: the attack read numbers"
    off = [f"{c.where} = {c.shown}, true {c.n}" for c, value in numbers if abs(value - c.n) > 2]
    assert not off, f"{len(off)} published counts are not the truth within ±2:\n" + "\n".join(off[:10])


# --- Care leavers (SSDA903 OC3), attacked in runs of its own (attacks.OWN_RUNS) ---------------------

CARE_LEAVERS = ("care_leavers",)
CARE_CLASSES = tuple(c for c in attacks.CLASSES if c not in attacks.OWN_RUN_SKIPS["care_leavers"])
NO_CSC = {"service_manager_send"}  # sees no children's social care aggregates: the page shows none


@pytest.mark.parametrize("klass", CARE_CLASSES)
@pytest.mark.parametrize("role", attacks.ROLES)
def test_care_leavers(suite: Suite, role: str, klass: str) -> None:
    """The attack classes on the Care leavers page alone: its three tables (age group x in touch, EET,
    suitable accommodation, with their margins), its bars by contact and by main activity and its
    twelve card figures (count, and each rate's numerator and denominator, at 17-18 and 19-21) by
    locality x sex; custom periods a day to a month apart, also under an age band (ages on the
    period's last day, so the 16-17s and the 18+ change within a collection year); denominators
    minus numerators; CSV exports against charts; cards, tables and bars against each other, a
    suppressed bar read from the age cards under a selection of it; drill-through (team managers and
    caseworkers) from a table's row, a bar or an age group's card, the children listed subtracted."""
    if role in NO_CSC:
        att = suite.attacker(role, CARE_LEAVERS)
        assert att.probes() == [] and att.card_probes() == []
        data = attacks.PAGES["care_leavers"](user=att.viewer, filters={})
        assert data.cards == [] and not any(v.available for v in data.visuals.values())
        return
    judge(suite, klass, role, CARE_LEAVERS)


CARE_VIEWS: tuple[dict[str, object], ...] = (
    {}, {"period_months": 24}, {"locality": "NORTH"}, {"locality": "SOUTH", "sex": "F"},
    {"age_band": "18+", "locality": "EAST"}, {"age_band": "16-17"},
    {"period": "custom", "start": "2023-10-01", "end": "2024-03-30"},  # the year before: ends before 31 March
    {"selection": "in_touch:in_touch:YES"}, {"selection": "activity:activity:F3", "sex": "M"},
    {"team": "CSC-SGA"},
)


def test_care_leavers_truth_is_what_the_page_publishes(suite: Suite) -> None:
    """A control on the suite's SQL for Care leavers, stricter than ±2: with the record keys of the
    rows it counts, every count the page shows (each table cell and margin, each bar and total, each
    card's value, numerator and denominator) is exactly what the cell-key method publishes from it
    (``protection.shown``), under slicers, an age band, a selection and a custom period in the year
    before. A truth that counted other records would publish other values."""
    from data_access import protection
    from data_access.protection import Count

    att = suite.attacker("leadership", CARE_LEAVERS)
    checked, values, off = 0, set(), []
    for filters in CARE_VIEWS:
        data = att.page("care_leavers", filters)
        assert data is not None
        for probe in att.probes("care_leavers"):
            visual = data.visuals[probe.visual]
            where = attacks.where_for(filters, data, probe.visual, att.services)
            assert where is not None and visual.available
            truth = suite.truth.keysums(probe.spec, probe.group, where, probe.extra)
            shown = dict(zip(visual.cols["code"], visual.cols[probe.column], strict=True))
            assert set(truth) <= set(shown), f"{probe.name}: rows counted but not shown {set(truth) - set(shown)}"
            everything = Count(sum(n for n, _ in truth.values()), sum(k for _, k in truth.values()))
            expected = {code: protection.shown(Count(*truth.get(code, (0, 0))), threshold=att.threshold)
                        for code in shown}
            expected[attacks.TOTAL] = protection.shown(everything, threshold=att.threshold)
            shown[attacks.TOTAL] = (visual.totals or {}).get(probe.column)
            for code, value in shown.items():
                checked += 1
                values.add(str(value))
                if value != expected[code]:
                    off.append(f"{probe.name}[{code}] {filters}: shown {value}, truth publishes {expected[code]}")
        for card in att.card_probes("care_leavers"):
            kpi = next(k for k in data.cards if k.key == card.key)
            where = attacks.where_for(filters, data, None, att.services)
            assert where is not None
            n, keysum = suite.truth.keysums(card.spec, None, where).get("", (0, 0))
            expected_card = protection.shown(Count(n, keysum), threshold=att.threshold)
            checked += 1
            if getattr(kpi, card.part) != expected_card:
                off.append(f"{card.name} {filters}: shown {getattr(kpi, card.part)}, truth publishes {expected_card}")
    assert not off, f"{len(off)} of {checked} published counts are not the truth's:\n" + "\n".join(off[:15])
    assert checked > 400, "control: counts compared"
    assert "c" in values and "0" in values and len(values) > 20, f"control: small, zero and larger counts {values}"


def test_care_leavers_bounds_hold_under_emulated_cell_key_perturbation(suite: Suite) -> None:
    """The control on the assertion, for Care leavers: the slicer attack on it, reading every count as
    emulated cell-key perturbation publishes it, stays within the bounds and hits now and then."""
    result = attacks.run("slicer_partition", suite.attacker("leadership", CARE_LEAVERS).emulated())
    print(f"\n{attacks.HEADER}\n{result.line()}")
    assert result.usable >= 10, "control: usable derivations of small counts"
    assert result.problems() == []
    assert 0 < result.hits < result.usable


def test_the_care_leavers_page_is_left_to_its_own_runs(suite: Suite) -> None:
    """The seeded draws of one page per class and role leave Care leavers out (so they draw what they
    drew before it was attacked), and its own runs attack nothing else."""
    assert all(p.page != "care_leavers" for p in suite.attacker("analyst").probes())
    own = suite.attacker("analyst", CARE_LEAVERS)
    assert {p.page for p in own.probes()} == {c.page for c in own.card_probes()} == {"care_leavers"}
    assert len(own.probes()) == 13 and len(own.card_probes()) == 14
