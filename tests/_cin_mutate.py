"""Mutations of the minimal valid CIN census fixture, shared by the rule tests.

The fixture (tests/fixtures/ingest/cin_2025.xml) holds three children: CHILDA1 with an episode
carrying an assessment, S47, CP plan and CIN plan; CHILDB2 with a closed and an open episode;
CHILDC3, unborn, with an NFA referral. A change is a function editing the parsed tree in place.
"""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from model.upn import check_letter

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
VALID = FIXTURES / "cin_2025.xml"
A, B, C = "Children/Child[1]", "Children/Child[2]", "Children/Child[3]"
A_EP, B_EP1, B_EP2, C_EP = f"{A}/CINdetails", f"{B}/CINdetails[1]", f"{B}/CINdetails[2]", f"{C}/CINdetails"
A_ID, A_ASSESS, A_S47 = f"{A}/ChildIdentifiers", f"{A_EP}/Assessments", f"{A_EP}/Section47"
A_CIN, A_CP = f"{A_EP}/CINPlanDates", f"{A_EP}/ChildProtectionPlans"
Change = Callable[[ET.Element], None]


def text(path: str, value: str) -> Change:
    def change(root: ET.Element) -> None:
        root.find(path).text = value  # type: ignore[union-attr]
    return change


def drop(path: str) -> Change:
    parent, _, tag = path.rpartition("/")

    def change(root: ET.Element) -> None:
        holder = root.find(parent)
        holder.remove(holder.find(tag))  # type: ignore[union-attr, arg-type]
    return change


def add(parent: str, tag: str, value: str | None = None, *, index: int | None = None) -> Change:
    def change(root: ET.Element) -> None:
        holder = root.find(parent)
        elem = ET.Element(tag)
        elem.text = value
        holder.insert(len(holder) if index is None else index, elem)  # type: ignore[arg-type]
    return change


def block(parent: str, tag: str, **items: str) -> Change:
    """Append ``<tag>`` holding one sub-element per keyword (in the order given) to ``parent``."""
    def change(root: ET.Element) -> None:
        elem = ET.SubElement(root.find(parent), tag)  # type: ignore[arg-type]
        for sub, value in items.items():
            ET.SubElement(elem, sub).text = value
    return change


def dup(path: str, **texts: str) -> Change:
    """Append a copy of the element at ``path`` to its parent, with some sub-elements' text changed."""
    parent = path.rpartition("/")[0]

    def change(root: ET.Element) -> None:
        copied = copy.deepcopy(root.find(path))
        for tag, value in texts.items():
            if value == "":
                copied.remove(copied.find(tag))  # type: ignore[union-attr, arg-type]
            else:
                copied.find(tag).text = value  # type: ignore[union-attr]
        root.find(parent).append(copied)  # type: ignore[union-attr, arg-type]
    return change


def both(*changes: Change) -> Change:
    def change(root: ET.Element) -> None:
        for c in changes:
            c(root)
    return change


def upn_with(la: str) -> str:
    body = f"{la}123456789"
    return check_letter("X" + body) + body  # type: ignore[operator]


def mutated(tmp_path: Path, change: Change) -> Path:
    tree = ET.parse(VALID)
    change(tree.getroot())
    path = tmp_path / "mutated.xml"
    tree.write(path, encoding="utf-8", xml_declaration=True)
    return path
