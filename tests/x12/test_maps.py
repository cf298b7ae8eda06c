"""The XML maps: well formed for pyx12 and for the fast validator, no pyx12 traps, retail elements defined."""

from __future__ import annotations

from collections import Counter
from xml.etree import ElementTree

import pytest
from pyx12.map_if import load_map_file
from pyx12.params import params

from connectors.x12.mapspec import MAPS_DIR, LoopSpec, SegmentSpec, map_set
from tests.x12.cases import BY_NAME
from tests.x12.pyx12_ref import pyx12_summary

MAP_FILES = sorted({e.file for e in map_set(MAPS_DIR).entries})
ALL_FILES = [*MAP_FILES, "x12.control.00401.xml", "x12.control.00501.xml"]


def test_index_covers_the_documents_and_versions() -> None:
    index = map_set(MAPS_DIR)
    expected = {
        ("00401", "004010", "PO"): "850.4010.xml",
        ("00401", "004010VICS", "PR"): "855.4010.xml",
        ("00401", "004010", "SH"): "856.4010.xml",
        ("00401", "004010", "IN"): "810.4010.xml",
        ("00401", "004010UCS", "IB"): "846.4010.xml",
        ("00401", "004010", "FA"): "997.4010.xml",
        ("00501", "005010", "PO"): "850.5010.xml",
        ("00501", "005010", "FA"): "997.5010.xml",
        ("00501", "005010X231A1", "FA"): "999.5010.xml",
    }
    for (icvn, vriic, fic), file in expected.items():
        entry = index.lookup(icvn, vriic, fic)
        assert entry is not None and entry.file == file


@pytest.mark.parametrize("file", ALL_FILES)
def test_pyx12_loads_every_map(file: str) -> None:
    tree = load_map_file(file, params(), str(MAPS_DIR))
    assert tree.getnodebypath("/ISA_LOOP/ISA") is not None


@pytest.mark.parametrize("file", ALL_FILES)
def test_elements_and_code_lists_are_defined(file: str) -> None:
    defined = {e.get("ele_num") for e in ElementTree.parse(MAPS_DIR / "dataele.xml").iter("data_ele")}
    codesets = {c.findtext("id") for c in ElementTree.parse(MAPS_DIR / "codes.xml").iter("codeset")}
    root = ElementTree.parse(MAPS_DIR / file).getroot()
    for element in root.iter("element"):
        assert element.findtext("data_ele") in defined, element.get("xid")
        codes = element.find("valid_codes")
        if codes is not None and codes.get("external"):
            assert codes.get("external") in codesets


@pytest.mark.parametrize("file", ALL_FILES)
def test_no_shared_positions_or_paths(file: str) -> None:
    """pyx12 counts repeats by path and tells same-position segments apart by code: keep both unique."""
    tmap = map_set(MAPS_DIR).load(file)
    loops = [n for n in tmap.nodes.values() if isinstance(n, LoopSpec)] + [tmap.root]
    for loop in loops:
        positions = Counter(child.pos for child in loop.children)
        assert [p for p, n in positions.items() if n > 1] == [], f"{file} {loop.path}"
        ids = Counter(child.id for child in loop.children if isinstance(child, SegmentSpec))
        assert [i for i, n in ids.items() if n > 1] == [], f"{file} {loop.path}"


def test_retail_elements_pyx12_lacks_are_defined() -> None:
    defined = {e.get("ele_num"): e for e in ElementTree.parse(MAPS_DIR / "dataele.xml").iter("data_ele")}
    for number, kind in {"92": "ID", "330": "R", "146": "ID", "336": "ID", "133": "ID"}.items():
        assert defined[number].get("data_type") == kind


def test_997_map_accepts_any_functional_group_code() -> None:
    """pyx12's own 997 map only knows HIPAA codes in AK101/AK201; ours must take PO, IN, SH, 850, 856 ..."""
    ak1 = map_set(MAPS_DIR).load("997.4010.xml").node("/ISA_LOOP/GS_LOOP/ST_LOOP/HEADER/AK1")
    assert isinstance(ak1, SegmentSpec) and ak1.qual is None


@pytest.mark.parametrize(
    "name",
    ["850_4010_valid", "850_5010_valid", "855_valid", "856_valid", "810_valid", "846_valid", "997_valid"],
)
def test_pyx12_accepts_valid_documents_with_these_maps(name: str) -> None:
    from connectors.x12.normalise import normalise

    (ic,) = normalise(BY_NAME[name].data).interchanges
    assert pyx12_summary(ic).valid


@pytest.mark.parametrize(
    "name", ["missing_required_element", "bad_code_value", "wrong_se_count", "missing_beg"]
)
def test_pyx12_rejects_invalid_documents_with_these_maps(name: str) -> None:
    from connectors.x12.normalise import normalise

    (ic,) = normalise(BY_NAME[name].data).interchanges
    assert not pyx12_summary(ic).valid
