"""Validate normalised interchanges against the maps: envelopes, control numbers, counts, segments, elements.

The envelope rules (duplicate and mismatched control numbers, SE01/GE01/IEA01 counts, missing trailers) are
pyx12's ``X12Reader`` checks; segment placement is ``walk.py``; element content is ``checks.py``. pyx12 stays
the reference implementation: ``tests/x12/test_differential.py`` runs both on every fixture.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from connectors.x12.checks import check_segment, split_repetitions
from connectors.x12.envelope import EnvelopeRules
from connectors.x12.mapspec import MAPS_DIR, MapSet, SegmentSpec, map_set
from connectors.x12.normalise import Interchange, Normalised, gc_paused, normalise
from connectors.x12.results import (
    Finding,
    GroupResult,
    InterchangeResult,
    TransactionResult,
    ValidationResult,
)
from connectors.x12.walk import Counts, check_cached, walker

DEFAULT_TOLERATE = frozenset({"trailing_separator", "trailing_spaces"})
_SEG_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}")
# TA105 note code for an error in ISA01..ISA16
_ISA_CODES = dict(
    zip(range(1, 17), "010 011 012 013 005 006 007 008 014 015 016 017 018 019 020 027".split(), strict=True)
)


def validate_bytes(
    data: bytes | str,
    *,
    tolerate: Iterable[str] = DEFAULT_TOLERATE,
    maps: Path = MAPS_DIR,
    encoding: str | None = None,
) -> tuple[Normalised, ValidationResult]:
    """Normalise and validate a whole file."""
    normalised = normalise(data, encoding=encoding)
    return normalised, validate(normalised, tolerate=tolerate, maps=maps)


def validate(
    normalised: Normalised,
    *,
    tolerate: Iterable[str] | Callable[[Interchange], Iterable[str]] = DEFAULT_TOLERATE,
    maps: Path = MAPS_DIR,
) -> ValidationResult:
    """Validate every interchange; ``tolerate`` (finding kinds reported but not rejected) may depend on the
    interchange, i.e. on the partner profile matched by its sender."""
    mapset = map_set(Path(maps))
    seen: set[str] = set()
    checked: dict[tuple[object, ...], list[Any]] = {}
    results = []
    with gc_paused():
        for ic in normalised.interchanges:
            kinds = frozenset(tolerate(ic) if callable(tolerate) else tolerate)
            results.append(_Run(ic, mapset, kinds, seen, checked).run())
    return ValidationResult(list(normalised.problems), results)


class _Run(EnvelopeRules):
    """Validation of one interchange: a small state machine over its segments."""

    def __init__(
        self,
        ic: Interchange,
        maps: MapSet,
        tolerate: frozenset[str],
        seen: set[str],
        checked: dict[tuple[object, ...], list[Any]],
    ) -> None:
        self.ic, self.maps, self.tolerate, self.seen, self.checked = ic, maps, tolerate, seen, checked
        self.result = InterchangeResult(ic)
        self.component = ic.delimiters.component
        rep = ic.delimiters.repetition
        # ISA11 (00402+): split repeated elements only when the separator occurs at all (one scan, not per segment)
        self.repetition = rep if rep and any(rep in v for seg in ic.segments[1:] for v in seg[1:]) else None
        self.counts = Counts()
        self.control = maps.control(ic.version)
        self.walker = walker(self.control)
        self.node: SegmentSpec | None = None
        self.group: GroupResult | None = None
        self.txn: TransactionResult | None = None
        self.group_ids: set[str] = set()
        self.txn_ids: set[str] = set()
        self.position = 0
        self.line = 0
        self.closed = False
        self.hl_stack: list[int] = []
        self.hl_count = 0

    def find(self, level: str, code: str, message: str, kind: str, **where: object) -> Finding:
        finding = Finding(level, code, message, kind=kind, line=self.line, **where)  # type: ignore[arg-type]
        finding.tolerated = kind in self.tolerate
        target = {
            "interchange": self.result.errors,
            "group": self.group.errors if self.group else self.result.errors,
        }
        if level in target:
            target[level].append(finding)
        elif self.txn is not None:
            self.txn.errors.append(finding)
        else:
            finding.level = "interchange"
            self.result.errors.append(finding)
        return finding

    def run(self) -> InterchangeResult:
        segments = self.ic.segments
        isa = segments[0]
        self.line = 1
        if isa[13] in self.seen:
            self.find(
                "interchange",
                "025",
                f"duplicate interchange control number {isa[13]} in this file",
                "duplicate",
            )
        self.seen.add(isa[13])
        self.node = self.walker.force(self.counts, "/ISA_LOOP", "/ISA_LOOP/ISA")
        delimiters = (11, 16) if self.ic.version == "00501" else (16,)
        for issue in check_segment(self.node, isa, "\x00"):
            if issue.element in delimiters and issue.kind == "invalid_character":
                continue  # a delimiter is not data: any character the envelope could be split with is fine
            code = _ISA_CODES.get(issue.element or 0, "022")
            self.find(
                "interchange", code, f"ISA: {issue.message}", issue.kind, segment="ISA", element=issue.element
            )
        for index in range(1, len(segments)):
            self.line = index + 1
            self.segment(segments[index])
        self.finish()
        return self.result

    def segment(self, seg: Sequence[str]) -> None:
        sid = seg[0]
        if self.txn is not None and sid not in ("ISA", "IEA", "GS", "GE", "ST"):
            self.position += 1  # position in the transaction set (ST = 1), SE01 counts the same way
        if not _SEG_ID.fullmatch(sid):
            self.find(
                "segment",
                "1",
                f"'{sid}' is not a valid segment identifier",
                "invalid_segment_id",
                segment=sid,
                position=self.position or None,
            )
            return
        if not any(seg[1:]):
            self.find(
                "segment",
                "8",
                f"{sid} has no data elements",
                "empty_segment",
                segment=sid,
                position=self.position or None,
            )
        elif seg[-1] == "":
            self.find(
                "segment",
                "8",
                f"{sid} ends with an element separator (trailing empty elements)",
                "trailing_separator",
                segment=sid,
                position=self.position or None,
            )
        if sid == "GS":
            self.open_group(seg)
        elif sid == "ST":
            self.open_transaction(seg)
        else:
            self.walk(seg)
            if sid == "SE":
                self.close_transaction(seg)
            elif sid == "GE":
                self.close_group(seg)
            elif sid == "IEA":
                self.close_interchange(seg)
            elif sid == "HL" and self.txn is not None and self.txn.supported:
                self.hierarchy(seg)

    def walk(self, seg: Sequence[str]) -> None:
        """Place the segment in the map and check its content (pyx12's walk + apply_segment_errors)."""
        sid = seg[0]
        in_txn = self.txn is not None
        if self.txn is not None and not self.txn.supported:
            return  # an unsupported transaction set is skipped up to its SE
        if not in_txn and sid not in ("GE", "IEA", "TA1"):
            self.find(
                "interchange",
                "024",
                f"segment {sid} is outside a transaction set",
                "outside_transaction",
                segment=sid,
            )
            return
        assert self.node is not None
        node, missing = self.walker.step(self.node, seg, self.component, self.counts)
        where = {"position": self.position} if in_txn else {}
        for m in missing:
            self.find(
                "segment",
                m.code,
                m.message,
                "missing" if m.code == "3" else "repeat",
                segment=m.segment,
                **where,
            )
        if node is None:
            known = sid in self.walker.map.segment_ids
            code, why = (
                ("2", "is not expected here") if known else ("6", "is not defined in this transaction set")
            )
            self.find("segment", code, f"segment {sid} {why}", "unexpected_segment", segment=sid, **where)
            return
        self.node = node
        rep = self.repetition
        if rep is not None and any(rep in v for v in seg[1:]):
            first, repeated = split_repetitions(node, seg, self.component, rep)
            issues = check_segment(node, first, self.component) + repeated
        else:
            issues = check_cached(node, seg, self.component, self.checked)
        for issue in issues:
            level = "element" if issue.element is not None else "segment"
            self.find(
                level,
                issue.code,
                f"{sid}: {issue.message}",
                issue.kind,
                segment=sid,
                element=issue.element,
                component=issue.component,
                data_element=issue.data_element,
                value=issue.value,
                repetition=issue.repetition,
                **where,
            )
