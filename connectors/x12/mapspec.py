"""The pyx12-format XML maps compiled once into plain objects the fast validator walks.

The maps are the specification (files under ``maps/``); this module only reads them. It follows pyx12's own
reading rules so both tools see the same structure: children ordered by position with loops before segments
at equal positions, a segment recognised by its first element's codes when that element is a required ID with
valid codes (HL by HL03), data element types and lengths from ``dataele.xml``, external code lists from
``codes.xml``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from xml.etree import ElementTree

from connectors.x12.x12types import acceptor

MAPS_DIR = Path(__file__).resolve().parent / "maps"
MAXINT = 2147483647

_CHARS_4010 = r"""A-Z0-9!"&'()*+,\-./:;?= a-z%~@\[\]_{}\\|<>#$"""
_CHARS_5010 = _CHARS_4010 + "^`"


@dataclass(slots=True, eq=False)
class ElementSpec:
    """One simple element of a segment or composite, with everything needed to check a value."""

    refdes: str
    data_ele: str
    name: str
    usage: str
    seq: int
    dtype: str
    min_len: int
    max_len: int
    codes: frozenset[str] | None
    regex: re.Pattern[str] | None
    first_codes: tuple[str, ...] = ()
    ok: Callable[[str], bool] = lambda value: False
    bad_char: re.Pattern[str] | None = None
    optional_when_empty: bool = False
    repeat: int = 1  # how many repetitions (005010 ISA11 separator) the element may carry

    @property
    def number(self) -> str:
        """The X12 data element reference number (AK402), without the map's version suffix."""
        return self.data_ele.split("@")[0]


@dataclass(slots=True, eq=False)
class CompositeSpec:
    refdes: str
    data_ele: str
    name: str
    usage: str
    seq: int
    elements: tuple[ElementSpec, ...]
    repeat: int = 1

    @property
    def number(self) -> str:
        return self.data_ele


@dataclass(slots=True, eq=False)
class SegmentSpec:
    id: str
    name: str
    usage: str
    pos: int
    max_use: int
    children: tuple[ElementSpec | CompositeSpec, ...]
    syntax: tuple[tuple[str, tuple[int, ...], int], ...]
    parent: LoopSpec
    path: str = ""
    qual: tuple[int, int | None, frozenset[str]] | None = None
    required: frozenset[int] = frozenset()
    required_order: tuple[int, ...] = ()
    accept: tuple[Callable[[str], bool] | None, ...] = ()
    is_loop = False

    def matches(self, elements: Sequence[str], component: str) -> bool:
        """pyx12's segment_if.is_match: same id and, if the segment has a qualifier, a valid qualifier code."""
        if elements[0] != self.id:
            return False
        if self.qual is None:
            return True
        return qualifier_value(elements, self.qual[0], self.qual[1], component) in self.qual[2]


@dataclass(slots=True, eq=False)
class LoopSpec:
    id: str
    name: str
    usage: str
    pos: int
    repeat: int
    parent: LoopSpec | None
    children: list[LoopSpec | SegmentSpec] = field(default_factory=list)
    path: str = ""
    descendants: tuple[str, ...] = ()
    is_loop = True

    @property
    def is_root(self) -> bool:
        return self.parent is None

    def first_segment(self) -> SegmentSpec | None:
        first = self.children[0] if self.children else None
        return first if isinstance(first, SegmentSpec) else None


@dataclass(slots=True, eq=False)
class TransactionMap:
    """A compiled map: the tree, a path index and where qualifiers are read for each segment id."""

    id: str
    name: str
    file: str
    icvn: str
    root: LoopSpec
    nodes: dict[str, LoopSpec | SegmentSpec]
    qual_positions: dict[str, tuple[tuple[int, int | None], ...]]
    segment_ids: frozenset[str]

    def node(self, path: str) -> LoopSpec | SegmentSpec:
        return self.nodes[path]


def qualifier_value(elements: Sequence[str], ele: int, sub: int | None, component: str) -> str | None:
    """The value pyx12 compares with a segment's qualifier codes (``get_value('01')`` or ``'01-1'``)."""
    if ele >= len(elements):
        return None
    value = elements[ele]
    if sub is None:
        if component in value:
            parts = value.split(component)
            while len(parts) > 1 and parts[-1] == "":
                parts.pop()
            return component.join(parts)
        return value
    parts = value.split(component)
    return parts[sub - 1] if sub - 1 < len(parts) else None


@dataclass(frozen=True, slots=True)
class MapEntry:
    icvn: str
    vriic: str
    fic: str
    file: str
    abbr: str


class MapSet:
    """All maps of one folder: ``maps.xml`` decides which map validates a functional group."""

    def __init__(self, folder: Path = MAPS_DIR) -> None:
        self.folder = Path(folder)
        root = ElementTree.parse(self.folder / "maps.xml").getroot()
        self.entries = [
            MapEntry(
                v.get("icvn", ""),
                m.get("vriic", ""),
                m.get("fic", ""),
                (m.text or "").strip(),
                m.get("abbr", ""),
            )
            for v in root.iter("version")
            for m in v.iter("map")
        ]

    def lookup(self, icvn: str, vriic: str, fic: str) -> MapEntry | None:
        """The entry pyx12 would pick (exact match on ISA12, GS08, GS01)."""
        for entry in self.entries:
            if entry.icvn == icvn and entry.vriic == vriic and entry.fic == fic and entry.fic:
                return entry
        return None

    def fics(self, icvn: str) -> frozenset[str]:
        return frozenset(e.fic for e in self.entries if e.icvn == icvn and e.fic)

    def load(self, file: str) -> TransactionMap:
        return _load(self.folder, file)

    def control(self, icvn: str) -> TransactionMap:
        return _load(self.folder, f"x12.control.{icvn if icvn == '00501' else '00401'}.xml")


@cache
def map_set(folder: Path = MAPS_DIR) -> MapSet:
    return MapSet(folder)


@cache
def _dictionary(folder: Path) -> tuple[dict[str, tuple[str, int, int]], dict[str, frozenset[str]]]:
    elements = {
        e.get("ele_num", ""): (
            e.get("data_type", "AN"),
            int(e.get("min_len", "1")),
            int(e.get("max_len", "1")),
        )
        for e in ElementTree.parse(folder / "dataele.xml").getroot().iter("data_ele")
    }
    codes = {
        (c.findtext("id") or "").strip(): frozenset((x.text or "").strip() for x in c.iter("code"))
        for c in ElementTree.parse(folder / "codes.xml").getroot().iter("codeset")
    }
    return elements, codes


@cache
def _load(folder: Path, file: str) -> TransactionMap:
    root_el = ElementTree.parse(folder / file).getroot()
    elements, external = _dictionary(folder)
    isa_version = root_el.find(".//segment[@xid='ISA']/element[@xid='ISA12']/valid_codes/code")
    icvn = (isa_version.text or "00401") if isa_version is not None else "00401"
    chars = _CHARS_5010 if icvn == "00501" else _CHARS_4010
    builder = _Builder(elements, external, chars)
    root = LoopSpec(root_el.get("xid", ""), root_el.findtext("name", ""), "R", 0, 1, None, path="")
    builder.children(root_el, root)
    quals: dict[str, set[tuple[int, int | None]]] = {}
    for node in builder.nodes.values():
        if isinstance(node, SegmentSpec) and node.qual is not None:
            quals.setdefault(node.id, set()).add((node.qual[0], node.qual[1]))
    seg_ids = frozenset(n.id for n in builder.nodes.values() if isinstance(n, SegmentSpec))
    return TransactionMap(
        root_el.get("xid", ""),
        root.name,
        file,
        icvn,
        root,
        builder.nodes,
        {k: tuple(sorted(v, key=lambda p: (p[0], p[1] or 0))) for k, v in quals.items()},
        seg_ids,
    )


class _Builder:
    """Turns the XML tree into specs (kept apart so ``_load`` stays readable)."""

    def __init__(
        self, elements: dict[str, tuple[str, int, int]], external: dict[str, frozenset[str]], chars: str
    ):
        self.elements, self.external, self.chars = elements, external, chars
        self.nodes: dict[str, LoopSpec | SegmentSpec] = {}

    def children(self, xml: ElementTree.Element, loop: LoopSpec) -> None:
        kids: list[LoopSpec | SegmentSpec] = []
        for x in xml.findall("loop"):
            kids.append(self.loop(x, loop))
        for x in xml.findall("segment"):
            kids.append(self.segment(x, loop))
        order = {id(k): i for i, k in enumerate(kids)}
        kids.sort(key=lambda k: (k.pos, order[id(k)]))
        loop.children = kids
        by_pos: dict[int, list[SegmentSpec]] = {}
        for kid in kids:
            if isinstance(kid, SegmentSpec):
                by_pos.setdefault(kid.pos, []).append(kid)
        for kid in kids:
            if isinstance(kid, SegmentSpec):
                kid.path = f"{loop.path}/{kid.id}"
                if len(by_pos[kid.pos]) > 1 and kid.qual is not None:
                    kid.path += f"[{sorted(kid.qual[2])[0] if kid.qual[2] else ''}]"
                self.nodes[kid.path] = kid
        loop.descendants = tuple(p for k in kids if isinstance(k, LoopSpec) for p in (k.path, *k.descendants))

    def loop(self, x: ElementTree.Element, parent: LoopSpec) -> LoopSpec:
        node = LoopSpec(
            x.get("xid", ""),
            x.findtext("name", ""),
            x.findtext("usage", "S"),
            int(x.findtext("pos", "0")),
            _repeat(x.findtext("repeat")),
            parent,
        )
        node.path = f"{parent.path}/{node.id}"
        self.nodes[node.path] = node
        self.children(x, node)
        return node

    def segment(self, x: ElementTree.Element, parent: LoopSpec) -> SegmentSpec:
        kids: dict[int, ElementSpec | CompositeSpec] = {}
        for e in x.findall("element"):
            spec = self.element(e, None)
            kids[spec.seq] = spec
        for c in x.findall("composite"):
            usage = c.findtext("usage", "S")
            subs = tuple(self.element(e, usage) for e in c.findall("element"))
            seq = int(c.findtext("seq", "0"))
            refdes = c.findtext("refdes") or c.get("xid") or ""
            kids[seq] = CompositeSpec(
                refdes,
                c.findtext("data_ele", ""),
                c.findtext("name", ""),
                usage,
                seq,
                subs,
                _element_repeat(c),
            )
        children = tuple(kids[k] for k in sorted(kids))
        syntax = []
        for s in x.findall("syntax"):
            text = (s.text or "").strip()
            if text[:1] in "PRCLE" and len(text) >= 5:
                positions = tuple(int(text[i : i + 2]) for i in range(1, len(text) - 1, 2))
                syntax.append((text[0], positions, min(positions)))
        seg = SegmentSpec(
            x.get("xid", ""),
            x.findtext("name", ""),
            x.findtext("usage", "S"),
            int(x.findtext("pos", "0")),
            _repeat(x.findtext("max_use")),
            children,
            tuple(syntax),
            parent,
        )
        seg.qual = _qualifier(seg)
        seg.required = frozenset(
            i
            for i, c in enumerate(children)
            if (isinstance(c, ElementSpec) and not c.optional_when_empty)
            or (isinstance(c, CompositeSpec) and c.usage == "R")
        )
        seg.required_order = tuple(sorted(seg.required))
        seg.accept = tuple(c.ok if isinstance(c, ElementSpec) else None for c in children)
        return seg

    def element(self, e: ElementTree.Element, composite_usage: str | None) -> ElementSpec:
        num = e.findtext("data_ele", "")
        dtype, mn, mx = self.elements.get(num, ("AN", 1, 999))
        vc = e.find("valid_codes")
        listed = tuple((c.text or "").strip() for c in vc.findall("code")) if vc is not None else ()
        codes: frozenset[str] | None = None
        if vc is not None and vc.get("external"):
            codes = self.external.get(vc.get("external", ""), frozenset()) | frozenset(listed)
        elif listed:
            codes = frozenset(listed)
        regex = e.findtext("regex")
        seq = int(e.findtext("seq", "0"))
        usage = e.findtext("usage", "S")
        spec = ElementSpec(
            e.get("xid", ""),
            num,
            e.findtext("name", ""),
            usage,
            seq,
            dtype,
            mn,
            mx,
            codes,
            re.compile(regex, re.S) if regex else None,
            listed,
        )
        spec.repeat = _element_repeat(e) if composite_usage is None else 1
        spec.optional_when_empty = usage != "R" or (
            seq == 1 and composite_usage is not None and composite_usage != "R"
        )
        if dtype in ("ID", "AN"):
            spec.bad_char = re.compile(f"[^{self.chars}]")
        if spec.regex is None and usage != "N":
            spec.ok = acceptor(dtype, mn, mx, codes, self.chars)
        return spec


def _qualifier(seg: SegmentSpec) -> tuple[int, int | None, frozenset[str]] | None:
    """Where pyx12 reads the code that tells same-id segments apart (segment_if._resolve_unique_key_field)."""
    kids = seg.children
    c0 = kids[0] if kids else None
    if isinstance(c0, ElementSpec) and c0.dtype == "ID" and c0.usage == "R" and c0.first_codes:
        return (1, None, frozenset(c0.first_codes))
    if (
        isinstance(c0, CompositeSpec)
        and c0.elements
        and c0.elements[0].dtype == "ID"
        and c0.elements[0].first_codes
    ):
        return (1, 1, frozenset(c0.elements[0].first_codes))
    if seg.id == "HL" and len(kids) > 2 and isinstance(kids[2], ElementSpec) and kids[2].first_codes:
        return (3, None, frozenset(kids[2].first_codes))
    return None


def _element_repeat(x: ElementTree.Element) -> int:
    """An element's or composite's repeat (pyx12 form: ``repeat`` attribute or child); 1 when not repeatable."""
    text = x.get("repeat") or x.findtext("repeat")
    return _repeat(text) if text else 1


def _repeat(text: str | None) -> int:
    text = (text or "").strip()
    if not text or text in (">1", "&gt;1"):
        return MAXINT
    return int(text)
