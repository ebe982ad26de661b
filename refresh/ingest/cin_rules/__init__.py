"""CIN census validation rules, each with its DfE code (codes ending Q are queries: they never block a load).

The rules are those of the DfE CIN census validation for 2024-25 onwards as implemented one module
per rule by data-to-insight's csc-validator-be-cin (109 rules); where the validator and the DfE rule
text it quotes disagree, the DfE text is followed. ``catalogue.RULES`` lists every rule and where it
is implemented (docs/ingest.md shows the table).

Child rules take one child (``RawChild.data``: nested dicts of typed values from ``cin_xml``) and
the census ``Period``, and yield ``(element, rule, message)``; they run as each child is read, so
memory stays flat. Return-level rules (``whole_file.Tally``) count as children pass and report once
at the end with no child. ``Checker`` runs both; ``check_file`` is the same over a list of children.
Schema-level rules (missing or invalid values: 8500, 8568, 8590, 8640, 8650, 8842Q, ...) are raised
by ``cin_xml`` as the file is read.

Access and side effects: none. These are pure checks on values already read, run by the operator's
load command (``refresh.ingest``), never reachable from the web app.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from refresh.ingest.cin_rules import child as _child
from refresh.ingest.cin_rules import episodes as _episodes
from refresh.ingest.cin_rules import plans as _plans
from refresh.ingest.cin_rules import work as _work
from refresh.ingest.cin_rules.base import Data, Period, Problem
from refresh.ingest.cin_rules.whole_file import Tally, duplicates
from refresh.ingest.cin_xml import Header

__all__ = ["CHILD_RULES", "Checker", "Data", "Period", "Problem", "check_child", "check_file", "duplicates"]

CHILD_RULES: tuple[Callable[[Data, Period], Iterable[Problem]], ...] = (
    _child.identifiers, _child.birth_and_sex, _child.disabilities, _child.death,
    _episodes.episodes, _episodes.no_further_action, _episodes.closure,
    _work.assessments, _work.section47,
    _plans.plans, _plans.cin_and_cp_plans, _plans.conferences,
)


def check_child(child: Data, period: Period) -> list[Problem]:
    """Every child-level rule breach for one child."""
    return [problem for rule in CHILD_RULES for problem in rule(child, period)]


class Checker:
    """Runs every rule over a file: ``child`` for each child as read, then ``file_problems`` once.

    Side effects: none beyond its own counts (a few integers and a set of codes, whatever the file size).
    """

    def __init__(self, header: Header) -> None:
        if header.reference_date is None:
            raise ValueError("the census header has no ReferenceDate, so the census year is unknown")
        self.header = header
        self.period = Period.ending(header.reference_date)
        self._tally = Tally(self.period)

    def child(self, data: Data) -> list[Problem]:
        self._tally.add(data)
        return check_child(data, self.period)

    def file_problems(self) -> list[Problem]:
        """Return-level breaches (no child): 100 and 2883 are errors, 2886Q, 2887Q and 2888Q queries."""
        return list(self._tally.problems(self.header.year))


def check_file(header: Header, children: Sequence[Data]) -> list[tuple[int | None, Problem]]:
    """(child position or None for the return, problem) for every rule over ``children`` (tests, bench)."""
    checker = Checker(header)
    found: list[tuple[int | None, Problem]] = [
        (position, problem) for position, data in enumerate(children) for problem in checker.child(data)]
    ids = [(d.get("ChildIdentifiers", {}).get("LAchildID"), d.get("ChildIdentifiers", {}).get("UPN")) for d in children]
    found += list(duplicates(ids))
    found += [(None, problem) for problem in checker.file_problems()]
    return found
