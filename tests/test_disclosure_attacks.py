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
        self.attackers: dict[str, attacks.Attacker] = {}
        self.results: dict[tuple[str, str], attacks.Result] = {}

    def attacker(self, role: str) -> attacks.Attacker:
        if role not in self.attackers:
            self.attackers[role] = attacks.Attacker(role, self.truth, threshold=self.threshold)
        return self.attackers[role]

    def result(self, klass: str, role: str) -> attacks.Result:
        if (klass, role) not in self.results:
            self.results[(klass, role)] = attacks.run(klass, self.attacker(role))
        return self.results[(klass, role)]


@pytest.fixture(scope="module")
def suite(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    tmp = tmp_path_factory.mktemp("attacks")
    settings = Settings.from_env({}, data_dir=tmp, analytics_url=f"duckdb:///{demo_store}",
                                 app_db_url=f"sqlite:///{tmp / 'app.sqlite'}", demo=True)
    stores = data_access.open_stores(settings)
    with data_access.bound(stores), attacks.store_runner() as run:
        yield Suite(attacks.Truth(run), settings.suppression_threshold)
    stores.close()


def judge(suite: Suite, klass: str, role: str) -> None:
    result = suite.result(klass, role)
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
