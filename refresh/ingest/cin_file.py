"""Stream a CIN census file: one ``<Child>`` at a time, memory bounded whatever the file holds.

``iterparse`` hands over each element as it starts and ends. Every element is placed against the
schema's structure (``cin_xml.MESSAGE``) when it starts; one the schema does not allow there is a
*stray*: it is dropped as soon as it ends (with everything inside it), and reported once per place
with the line of its first occurrence and how many there were. A finished ``<Child>`` is converted
(``cin_xml.read_child``) and removed from the tree, as is the ``<Header>``, so the tree never holds
more than the element being read. Strays outside a child are errors with the file (it is refused
whole, with or without --allow-partial); strays inside a child are errors with that child.
"""

from __future__ import annotations

import datetime as dt
import os
import xml.etree.ElementTree as ET
import xml.parsers.expat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from xml.sax.saxutils import escape, quoteattr

from refresh.ingest.cin_xml import CHILD, HEADER, MESSAGE, Block, Header, Item, RawChild, read_child

Spec = Item | Block | None  # None: not in the schema here (a stray, or inside one)
MAX_STRAY_PLACES = 100  # distinct places reported per child and for the file; the rest are counted


@dataclass
class Stray:
    """Elements the schema does not allow at ``path``: the first one's start (``ordinal``) and how many."""

    path: str  # e.g. "Message/Children/Note", or "ChildIdentifiers/Nickname" in a child
    child: int | None  # position of the child it is in, None when outside any child
    ordinal: int  # the first one's number among all elements of the file, in document order (1-based)
    count: int = 1
    line: int | None = None

    @property
    def message(self) -> str:
        parent, _, tag = self.path.rpartition("/")
        where = f" at line {self.line}" if self.line else ""
        many = f" ({self.count:,} such elements)" if self.count > 1 else ""
        return (f"<{tag}> is not an element the CIN census schema allows in <{parent.rpartition('/')[2] or 'Child'}>"
                f"{where}{many}; it was not read")


def _header(elem: ET.Element) -> Header:
    details, source = elem.find("CollectionDetails"), elem.find("Source")
    header = Header()
    if details is not None:
        header.collection = (details.findtext("Collection") or "").strip() or None
        year = (details.findtext("Year") or "").strip()
        header.year = int(year) if year.isdigit() else None
        try:
            header.reference_date = dt.date.fromisoformat((details.findtext("ReferenceDate") or "").strip())
        except ValueError:
            header.reference_date = None
    if source is not None:
        header.lea = (source.findtext("LEA") or "").strip() or None
    return header


def _xml(elem: ET.Element) -> bytes:
    """``elem`` as XML (UTF-8): a plain serialiser several times faster than ``ET.tostring`` for the
    census's plain elements; anything namespaced goes through ``ET.tostring``."""
    parts: list[str] = []

    def write(e: ET.Element) -> None:
        tag = e.tag
        if tag[:1] == "{":
            raise ValueError(tag)
        attrs = "".join(f" {k}={quoteattr(v)}" for k, v in e.attrib.items()) if e.attrib else ""
        parts.append(f"<{tag}{attrs}>")
        if e.text:
            parts.append(escape(e.text))
        for sub in e:
            write(sub)
        parts.append(f"</{tag}>")
        if e.tail:
            parts.append(escape(e.tail))

    try:
        write(elem)
    except ValueError:
        return ET.tostring(elem, encoding="utf-8", xml_declaration=False)
    return "".join(parts).encode("utf-8")


class _Tapped:
    """A binary file wrapper handing every chunk read to ``on_chunk`` (progress bar, checksum)."""

    def __init__(self, fh: IO[bytes], on_chunk: Callable[[bytes], None]) -> None:
        self._fh, self._on_chunk = fh, on_chunk

    def read(self, size: int = -1) -> bytes:
        chunk = self._fh.read(size)
        self._on_chunk(chunk)
        return chunk


class CensusFile:
    """A census file read lazily: ``children()`` yields each child; ``header`` is set once read.

    ``error`` holds a message when the file is not a well-formed CIN census message; ``strays`` the
    elements the schema does not allow (with lines, once ``children()`` is exhausted).
    """

    def __init__(self, path: Path, on_chunk: Callable[[bytes], None] | None = None) -> None:
        self.path = path
        self.header = Header()
        self.header_seen = False
        self.error: str | None = None
        self.strays: list[Stray] = []
        self.more_strays = 0  # strays beyond MAX_STRAY_PLACES places (counted, not listed)
        self._places: dict[tuple[int | None, str], Stray] = {}
        self._child_places: dict[int | None, int] = {}  # places kept per child (None: outside children)
        self._on_chunk = on_chunk or (lambda _chunk: None)

    def children(self) -> Iterator[RawChild]:
        position, ordinal = 0, 0
        elems: list[ET.Element] = []  # the open elements, root first
        specs: list[Spec] = []  # and what the schema says each is (None: a stray, or inside one)
        in_child: int | None = None  # position of the child being read
        root: ET.Element | None = None
        with self.path.open("rb") as raw:
            try:
                for event, elem in ET.iterparse(_Tapped(raw, self._on_chunk), events=("start", "end")):
                    if event == "start":  # kept lean: this runs for every element of the file
                        ordinal += 1
                        spec: Spec = None
                        if specs:
                            parent_spec = specs[-1]
                            if isinstance(parent_spec, Block):
                                spec = parent_spec.items.get(elem.tag)
                                if spec is CHILD:
                                    in_child = position
                            if spec is None and parent_spec is not None:  # a stray starts (not inside one)
                                self._stray(elems, elem.tag, in_child, ordinal)
                        else:
                            root = elem
                            spec = MESSAGE if elem.tag == "Message" else None
                        specs.append(spec)
                        elems.append(elem)
                        continue
                    spec = specs.pop()
                    elems.pop()
                    if (spec is None or spec is CHILD or spec is HEADER) and elems:
                        if spec is CHILD:
                            yield read_child(elem, position)
                            position, in_child = position + 1, None
                        elif spec is HEADER:
                            self.header, self.header_seen = _header(elem), True
                        elems[-1].remove(elem)  # the last of its parent's children: removing it costs nothing
            except ET.ParseError as exc:
                self.error = f"The file is not well-formed XML ({exc}); nothing after that point could be read"
            else:
                if root is not None and root.tag != "Message":
                    self.error = f"The root element is <{root.tag}>, not <Message>: this is not a CIN census file"
        self.strays = sorted(self._places.values(), key=lambda s: s.ordinal)
        if self.strays and not self.error:
            self._find_lines()

    def _stray(self, parents: list[ET.Element], tag: str, child: int | None, ordinal: int) -> None:
        """Count an element the schema does not allow inside ``parents[-1]``; the first of each place is kept."""
        path = "/".join([*(e.tag for e in parents), tag])
        key = (child, path)
        if key in self._places:
            self._places[key].count += 1
        elif self._child_places.get(child, 0) < MAX_STRAY_PLACES:
            self._child_places[child] = self._child_places.get(child, 0) + 1
            # inside a child, the element is named from the child (as its other findings)
            self._places[key] = Stray(path.split("/Child/", 1)[1] if child is not None else path, child, ordinal)
        else:
            self.more_strays += 1

    def _find_lines(self) -> None:
        """Set each stray's line: a second pass with expat counting element starts, stopped at the last one."""
        wanted = {s.ordinal: s for s in self.strays}
        last, count = max(wanted), 0
        parser = xml.parsers.expat.ParserCreate()

        class Done(Exception):
            pass

        def start(_name: str, _attrs: object) -> None:
            nonlocal count
            count += 1
            if count in wanted:
                wanted[count].line = parser.CurrentLineNumber
            if count >= last:
                raise Done

        parser.StartElementHandler = start
        try:
            with self.path.open("rb") as fh:
                parser.ParseFile(fh)
        except (Done, xml.parsers.expat.ExpatError):
            pass

    def copy_children(self, positions: set[int], target: Path) -> Path:
        """Write the children at ``positions`` (0-based, in file order) to a census file at ``target``."""
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out, self.path.open("rb") as raw:
            out.write(b'<?xml version="1.0" encoding="UTF-8"?>\n<Message>\n')
            position, depth, opened = 0, 0, False
            parents: list[ET.Element] = []
            for event, elem in ET.iterparse(raw, events=("start", "end")):
                if event == "start":
                    depth += 1
                    parents.append(elem)
                    continue
                depth -= 1
                parents.pop()
                if elem.tag == "Header" and depth == 1:
                    elem.tail = "\n"
                    out.write(ET.tostring(elem, encoding="utf-8", xml_declaration=False))
                elif elem.tag == "Child" and depth == 2:
                    if position in positions:
                        if not opened:
                            out.write(b"<Children>\n")
                            opened = True
                        elem.tail = "\n"
                        out.write(_xml(elem))
                    position += 1
                if depth == 1 or (depth == 2 and parents[-1].tag != "Header"):
                    parents[-1].remove(elem)  # written or not needed: keep memory flat
            out.write(b"</Children>\n</Message>\n" if opened else b"<Children/>\n</Message>\n")
        return target
