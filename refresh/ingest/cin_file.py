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

import os
import xml.etree.ElementTree as ET
import xml.parsers.expat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

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
    import datetime as dt

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
        self._on_chunk = on_chunk or (lambda _chunk: None)

    def children(self) -> Iterator[RawChild]:
        position, ordinal = 0, 0
        stack: list[tuple[ET.Element, Spec, str]] = []  # open elements: (element, its spec, its path)
        places: dict[tuple[int | None, str], Stray] = {}
        in_child: int | None = None  # places reported for the child being read
        child_places = 0
        root: ET.Element | None = None
        with self.path.open("rb") as raw:
            try:
                for event, elem in ET.iterparse(_Tapped(raw, self._on_chunk), events=("start", "end")):
                    if event == "start":
                        ordinal += 1
                        if not stack:
                            root = elem
                            stack.append((elem, MESSAGE if elem.tag == "Message" else None, elem.tag))
                            continue
                        parent_elem, parent_spec, parent_path = stack[-1]
                        spec = parent_spec.items.get(elem.tag) if isinstance(parent_spec, Block) else None
                        path = f"{parent_path}/{elem.tag}"
                        if spec is CHILD and parent_spec is not CHILD:
                            in_child, child_places = position, 0
                        if spec is None and parent_spec is not None:  # a stray starts here (not inside one)
                            key = (in_child, path)
                            if key in places:
                                places[key].count += 1
                            elif len(places) < MAX_STRAY_PLACES * (1 + position) and child_places < MAX_STRAY_PLACES:
                                # inside a child, the element is named from the child (as its other findings)
                                where = path.split("/Child/", 1)[1] if in_child is not None else path
                                places[key] = Stray(where, in_child, ordinal)
                                child_places += in_child is not None
                            else:
                                self.more_strays += 1
                        stack.append((elem, spec, path))
                        continue
                    _, spec, _path = stack.pop()
                    if not stack:
                        continue  # the root ended; anything after it is a parse error
                    parent = stack[-1][0]
                    if spec is CHILD and stack[-1][1] is not CHILD:
                        yield read_child(elem, position)
                        position, in_child = position + 1, None
                        parent.remove(elem)
                    elif spec is None or spec is HEADER:
                        if spec is HEADER:
                            self.header, self.header_seen = _header(elem), True
                        parent.remove(elem)  # the last of its parent's children: removing it costs nothing
            except ET.ParseError as exc:
                self.error = f"The file is not well-formed XML ({exc}); nothing after that point could be read"
            else:
                if root is not None and root.tag != "Message":
                    self.error = f"The root element is <{root.tag}>, not <Message>: this is not a CIN census file"
        self.strays = sorted(places.values(), key=lambda s: s.ordinal)
        if self.strays and not self.error:
            self._find_lines()

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
                        out.write(ET.tostring(elem, encoding="utf-8", xml_declaration=False))
                    position += 1
                if depth == 1 or (depth == 2 and parents[-1].tag != "Header"):
                    parents[-1].remove(elem)  # written or not needed: keep memory flat
            out.write(b"</Children>\n</Message>\n" if opened else b"<Children/>\n</Message>\n")
        return target
