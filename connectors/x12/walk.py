"""Finding each segment's place in a map: loops entered and left, repeats counted, mandatory segments missed.

The rules are pyx12's ``map_walker.walk_tree`` (so both validators report the same places). Which nodes a
segment passes on its way depends only on the start node, the segment id and its qualifier, never on counts,
so the route is computed once per (start node, segment id, qualifier) and replayed with this transaction's
counts: that replay is what makes the validator fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from connectors.x12.checks import ElementIssue, check_segment
from connectors.x12.mapspec import LoopSpec, SegmentSpec, TransactionMap, qualifier_value

Node = LoopSpec | SegmentSpec


@dataclass(slots=True)
class Route:
    """A precomputed walk: R nodes passed (checked against counts on replay) and where the segment landed."""

    target: SegmentSpec | None
    passed: tuple[tuple[Node, SegmentSpec], ...]
    entered: LoopSpec | None


@dataclass(slots=True)
class Missing:
    """A walk finding: code is AK304 (3 mandatory missing, 4 loop over max, 5 segment over max use)."""

    code: str
    segment: str
    message: str
    node: Node


class Counts:
    """Loop and segment counts of the current loop instances (pyx12's NodeCounter, keyed by map path)."""

    def __init__(self) -> None:
        self.by_loop: dict[str, dict[str, int]] = {}

    def get(self, node: Node) -> int:
        parent = node.parent
        if parent is None:
            return 0
        return self.by_loop.get(parent.path, {}).get(node.path, 0)

    def bump(self, node: Node) -> int:
        parent = node.parent
        key = parent.path if parent is not None else ""
        counts = self.by_loop.get(key)
        if counts is None:
            counts = self.by_loop[key] = {}
        value = counts.get(node.path, 0) + 1
        counts[node.path] = value
        return value

    def reset_under(self, loop: LoopSpec) -> None:
        """Forget every count below ``loop`` (a new iteration of it starts); keep the loop's own count."""
        pop = self.by_loop.pop
        pop(loop.path, None)
        for path in loop.descendants:
            pop(path, None)

    def reset_prefix(self, path: str) -> None:
        """Forget every count below ``path`` whatever map it came from (a new ISA or GS starts)."""
        for key in [k for k in self.by_loop if k == path or k.startswith(path + "/")]:
            del self.by_loop[key]


class Walker:
    """Walks one map; routes are cached per map and shared by every transaction that uses it."""

    def __init__(self, tmap: TransactionMap) -> None:
        self.map = tmap
        self.routes: dict[tuple[object, ...], Route] = {}

    def force(self, counts: Counts, loop_path: str, seg_path: str) -> SegmentSpec:
        """ISA and GS are not walked: their loop starts over (pyx12 forceWalkCounterToLoopStart)."""
        loop = self.map.node(loop_path)
        seg = self.map.node(seg_path)
        assert isinstance(loop, LoopSpec) and isinstance(seg, SegmentSpec)
        counts.reset_prefix(loop.path)
        counts.bump(loop)
        counts.bump(seg)
        return seg

    def step(
        self, start: Node, elements: Sequence[str], component: str, counts: Counts
    ) -> tuple[SegmentSpec | None, list[Missing]]:
        """Move from ``start`` to the node of this segment; returns it (None if not found) and findings."""
        seg_id = elements[0]
        positions = self.map.qual_positions.get(seg_id)
        if positions:
            key: tuple[object, ...] = (
                start.path,
                seg_id,
                *(qualifier_value(elements, e, s, component) for e, s in positions),
            )
        else:
            key = (start.path, seg_id)
        route = self.routes.get(key)
        if route is None:
            route = self.routes[key] = _route(start, elements, component)
        return route.target, _replay(route, counts)


def _replay(route: Route, counts: Counts) -> list[Missing]:
    found: list[Missing] = []
    target = route.target
    if target is None:
        return found
    pending = [(node, first) for node, first in route.passed if counts.get(node) < 1]
    loop = route.entered
    if loop is not None:
        for node, first in pending:
            found.append(_missing(node, first))
        counts.reset_under(loop)
        n = counts.bump(loop)
        if n > loop.repeat:
            found.append(
                Missing("4", target.id, f"loop {loop.id} occurs {n} times, at most {loop.repeat}", loop)
            )
        counts.bump(target)
        return found
    for node, first in pending:
        if node.pos != target.pos and not (node.id == target.id and node.parent is target.parent):
            found.append(_missing(node, first))
    n = counts.bump(target)
    if n > target.max_use:
        found.append(
            Missing("5", target.id, f"segment {target.id} occurs {n} times, at most {target.max_use}", target)
        )
    return found


def _missing(node: Node, first: SegmentSpec) -> Missing:
    if isinstance(node, LoopSpec):
        return Missing("3", first.id, f"mandatory loop {node.id} ({node.name}) is missing", node)
    return Missing("3", node.id, f"mandatory segment {node.id} ({node.name}) is missing", node)


def _route(start: Node, elements: Sequence[str], component: str) -> Route:
    """Dry run of pyx12's walk_errors: scan forward in the current loop, then in each enclosing loop."""
    passed: list[tuple[Node, SegmentSpec]] = []

    def loop_match(loop: LoopSpec) -> bool:
        if not loop.children:
            return False
        first = loop.children[0]
        if isinstance(first, LoopSpec):
            return any(loop_match(c) for c in loop.children if isinstance(c, LoopSpec))
        if first.matches(elements, component):
            return True
        if loop.usage == "R":
            passed.append((loop, first))
        return False

    def enter(loop: LoopSpec) -> Route | None:
        first = loop.first_segment()
        if first is not None and first.matches(elements, component):
            return Route(first, tuple(passed), loop)
        for child in loop.children:
            if isinstance(child, LoopSpec):
                found = enter(child)
                if found is not None:
                    return found
        return None

    pos = start.pos
    loop = start if isinstance(start, LoopSpec) else start.parent
    assert loop is not None
    while True:
        for child in loop.children:
            if child.pos < pos:
                continue
            if isinstance(child, SegmentSpec):
                if child.matches(elements, component):
                    if not loop.is_root and loop_match(loop):
                        entered = enter(loop)
                        if entered is not None:
                            return entered
                    return Route(child, tuple(passed), None)
                if child.usage == "R":
                    passed.append((child, child))
            elif loop_match(child):
                entered = enter(child)
                if entered is not None:
                    return entered
        if loop.is_root:
            return Route(None, (), None)
        pos = loop.pos
        loop = loop.parent
        assert loop is not None


def check_cached(
    node: SegmentSpec,
    elements: Sequence[str],
    component: str,
    cache: dict[tuple[object, ...], list[ElementIssue]],
) -> list[ElementIssue]:
    """Content check of a segment; identical segments of one file (same node, same values) are checked once."""
    key = (node, elements, component)
    found = cache.get(key)
    if found is None:
        found = cache[key] = check_segment(node, elements, component)
    return found


_walkers: dict[int, Walker] = {}


def walker(tmap: TransactionMap) -> Walker:
    """One walker (and route cache) per compiled map, shared by every run."""
    found = _walkers.get(id(tmap))
    if found is None or found.map is not tmap:
        found = _walkers[id(tmap)] = Walker(tmap)
    return found
