"""A census file is streamed: elements the schema does not have are refused with file, element and line,
and memory stays flat however many of them the file holds."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

from refresh import ingest
from refresh.ingest.cin import read_cin

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
CIN_2025 = FIXTURES / "cin_2025.xml"
JUNK = "<Note><Text>x</Text></Note>\n"


def with_junk(tmp_path: Path, notes: int, *, where: str = "</Children>", name: str = "junk.xml") -> tuple[Path, int]:
    """The fixture with ``notes`` junk elements inserted before ``where``; returns (path, line of the first)."""
    text = CIN_2025.read_text(encoding="utf-8")
    at = text.index(where)
    line = text[:at].count("\n") + 1 + (0 if text[:at].endswith("\n") else 1)
    prefix = text[:at] if text[:at].endswith("\n") else text[:at] + "\n"
    path = tmp_path / name
    path.write_text(prefix + JUNK * notes + text[at:], encoding="utf-8")
    return path, line


def config(root: Path) -> ingest.IngestConfig:
    return ingest.IngestConfig(analytics_url=f"duckdb:///{root / 'a.duckdb'}", landing_path=root / "l.duckdb",
                               report_dir=root / "r")


def test_elements_outside_the_schema_refuse_the_file_naming_element_and_line(tmp_path: Path) -> None:
    path, line = with_junk(tmp_path, 500)
    report = ingest.load_cin(path, config=config(tmp_path), allow_partial=True)  # not even a partial load
    assert report.refused and report.results[0].loaded == 0
    strays = [f for f in report.findings if "Note" in f.element]
    assert [(f.file, f.la_child_id, f.element, f.is_error) for f in strays] == [
        ("junk.xml", "", "Message/Children/Note", True)]
    assert f"at line {line}" in strays[0].message and "500 such elements" in strays[0].message
    assert not Path(config(tmp_path).analytics_url[len("duckdb:///"):]).exists()


def test_an_element_outside_the_schema_inside_a_child_quarantines_that_child(tmp_path: Path) -> None:
    path, line = with_junk(tmp_path, 3, where="<ChildCharacteristics>")  # in the first child (CHILDA1)
    report = ingest.load_cin(path, config=config(tmp_path), allow_partial=True)
    result = report.results[0]
    assert report.ok and (result.loaded, result.quarantined) == (2, 1)
    [stray] = [f for f in report.findings if f.element == "Note"]
    assert stray.la_child_id == "CHILDA1" and f"at line {line}" in stray.message
    assert "3 such elements" in stray.message


def peak_reading(path: Path) -> int:
    tracemalloc.start()
    try:
        read_cin(path)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_however_much_the_file_holds_outside_the_schema(tmp_path: Path) -> None:
    small, _ = with_junk(tmp_path, 2_000, name="small.xml")
    large, _ = with_junk(tmp_path, 60_000, name="large.xml")  # 1.7 MB of junk: 58,000 more elements
    grown = peak_reading(large) - peak_reading(small)
    assert grown < 1_000_000, f"reading grew by {grown:,} bytes for 58,000 more stray elements"


def test_the_quarantine_copy_holds_the_children_exactly_as_read(tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    from refresh.ingest.cin_file import CensusFile

    source = tmp_path / "odd.xml"  # text needing escapes and an attribute survive the copy
    source.write_text(CIN_2025.read_text(encoding="utf-8").replace("<LAchildID>CHILDB2</LAchildID>",
                      '<LAchildID note="a &quot;b&quot; &amp; c">CHILD&amp;B2 &lt;x&gt;</LAchildID>'), encoding="utf-8")
    copied = CensusFile(source).copy_children({1, 2}, tmp_path / "copy.xml")
    original = ET.parse(source).getroot().findall("Children/Child")[1:]
    again = ET.parse(copied).getroot().findall("Children/Child")
    assert [ET.canonicalize(ET.tostring(c)) for c in again] == [ET.canonicalize(ET.tostring(c)) for c in original]
    assert again[0].findtext("ChildIdentifiers/LAchildID") == "CHILD&B2 <x>"
