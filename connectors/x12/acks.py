"""Acknowledgments built from a validation result: 997 (004010), 999 (005010) and TA1.

pyx12's own 997 writer is not used: it writes GS08 ``00401``, ignores the partner's delimiters, takes ISA13
from the clock and acknowledges only the last group. Here every functional group is acknowledged (except FA
groups: acknowledgments are never acknowledged), the partner's delimiters are used unless the profile says
otherwise, and control numbers come from the caller (a persisted sequence), never from the clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from connectors.x12.normalise import Delimiters
from connectors.x12.results import Finding, GroupResult, InterchangeResult, TransactionResult

IMPLEMENTATION_999 = "005010X231A1"


class ControlNumbers(Protocol):
    """Hands out control numbers; the hub's implementation persists them per partner (never reused)."""

    def next(self, kind: str) -> int:  # kind: "isa", "gs" or "st"
        ...


class Sequence:
    """In-memory control numbers: for tests, the CLI preview and one-off runs."""

    def __init__(self, isa: int = 1, gs: int = 1, st: int = 1) -> None:
        self.values = {"isa": isa, "gs": gs, "st": st}

    def next(self, kind: str) -> int:
        value = self.values[kind]
        self.values[kind] = value + 1
        return value


@dataclass(slots=True)
class Ack:
    """An acknowledgment interchange and the control numbers it used (to record and to match later)."""

    text: str
    isa_control: str
    group_controls: list[str] = field(default_factory=list)
    acknowledges: tuple[str, str] = ("", "")
    kinds: list[str] = field(default_factory=list)


@dataclass(slots=True)
class AckOptions:
    """What the partner profile decides: ack type, when to send TA1, detail level, envelope values."""

    kind: str = "auto"  # auto (997 for 004010 groups, 999 for 005010), 997, 999, none
    ta1: str = "auto"  # auto (when requested in ISA14 or when the envelope has errors), always, never
    detail: str = "all"  # all: an AK2 loop per transaction set; errors: only for those with findings
    delimiters: Delimiters | None = None  # None: answer with the partner's own delimiters
    isa12: str | None = None  # None: the partner's ISA12
    usage: str | None = None  # ISA15; None: the partner's


def build_ack(
    result: InterchangeResult, numbers: ControlNumbers, now: datetime, options: AckOptions | None = None
) -> Ack | None:
    """The acknowledgment interchange due for one received interchange, or None when nothing is due."""
    opts = options or AckOptions()
    ic = result.interchange
    isa = ic.isa
    d = opts.delimiters or ic.delimiters
    want_ta1 = opts.ta1 == "always" or (opts.ta1 == "auto" and (isa[14] == "1" or bool(result.errors)))
    groups = [] if result.ta1_ack == "R" else [g for g in result.groups if g.functional_id != "FA"]
    if opts.kind == "none":
        groups = []
    if not want_ta1 and not groups:
        return None
    w = _Writer(d)
    isa12 = opts.isa12 or ic.isa12
    control = f"{numbers.next('isa'):09d}"
    repetition = d.repetition if isa12 >= "00402" and d.repetition else "U"
    w.isa(
        [
            isa[7],
            isa[8],
            isa[5],
            isa[6],
            now.strftime("%y%m%d"),
            now.strftime("%H%M"),
            repetition,
            isa12,
            control,
            "0",
            opts.usage or isa[15],
        ]
    )
    ack = Ack("", control, acknowledges=(":".join(ic.sender), ic.control_number))
    if want_ta1:
        w.seg("TA1", ic.control_number, isa[9], isa[10], result.ta1_ack, result.ta1_code)
        ack.kinds.append("TA1")
    batches: dict[tuple[str, str, str], list[tuple[GroupResult, str]]] = {}
    for group in groups:
        kind = (
            opts.kind
            if opts.kind in ("997", "999")
            else ("999" if group.version.startswith("005") else "997")
        )
        version = IMPLEMENTATION_999 if kind == "999" else group.version
        batches.setdefault((group.receiver, group.sender, version), []).append((group, kind))
    for (sender, receiver, version), members in batches.items():
        gs_control = str(numbers.next("gs"))
        w.seg(
            "GS",
            "FA",
            sender,
            receiver,
            now.strftime("%Y%m%d"),
            now.strftime("%H%M"),
            gs_control,
            "X",
            version,
        )
        for group, kind in members:
            _functional_ack(w, group, kind, f"{numbers.next('st'):04d}", opts.detail)
            if kind not in ack.kinds:
                ack.kinds.append(kind)
        w.seg("GE", str(len(members)), gs_control)
        ack.group_controls.append(gs_control)
    w.seg("IEA", str(len(batches)), control)
    ack.text = w.text()
    return ack


def build_acks(
    results: Iterable[InterchangeResult],
    numbers: ControlNumbers,
    now: datetime,
    options: AckOptions | None = None,
) -> list[Ack]:
    """One acknowledgment interchange per received interchange that needs one."""
    return [a for r in results if (a := build_ack(r, numbers, now, options)) is not None]


def _functional_ack(w: _Writer, group: GroupResult, kind: str, st_control: str, detail: str) -> None:
    start = w.count
    five = group.version.startswith("005")
    w.seg("ST", kind, st_control, *([IMPLEMENTATION_999] if kind == "999" else []))
    w.seg("AK1", group.functional_id, group.control_number, *([group.version] if five else []))
    for txn in group.transactions:
        if detail == "errors" and not txn.errors:
            continue
        w.seg(
            "AK2",
            txn.set_id,
            txn.control_number,
            *([txn.implementation] if five and txn.implementation else []),
        )
        _segment_notes(w, txn, kind, five)
        codes = _unique(
            [f.code for f in txn.errors if f.level == "transaction"]
            + (["5"] if any(f.level in ("segment", "element") for f in txn.errors) else [])
        )
        w.seg("IK5" if kind == "999" else "AK5", txn.ack_code, *codes[:5])
    declared = group.declared if group.declared is not None else len(group.transactions)
    codes = _unique([f.code for f in group.errors])
    w.seg("AK9", group.ack_code, str(declared), str(len(group.transactions)), str(group.accepted), *codes[:5])
    w.seg("SE", str(w.count - start + 1), st_control)


def _segment_notes(w: _Writer, txn: TransactionResult, kind: str, five: bool = False) -> None:
    """AK3/AK4 (IK3/IK4): one note per segment and segment-level code; element notes under code 8."""
    by_segment: dict[tuple[int, str], list[Finding]] = {}
    for f in txn.errors:
        if f.level in ("segment", "element") and f.position is not None:
            by_segment.setdefault((f.position, f.segment or ""), []).append(f)
    seg_tag, ele_tag = ("IK3", "IK4") if kind == "999" else ("AK3", "AK4")
    for (position, seg_id), findings in sorted(by_segment.items()):
        seg_codes = _unique([f.code for f in findings if f.level == "segment" or f.element is None])
        elements = [f for f in findings if f.level == "element" and f.element is not None]
        for code in seg_codes:
            if code != "8" or not elements:
                w.seg(seg_tag, seg_id, str(position), "", code)
        if elements:
            w.seg(seg_tag, seg_id, str(position), "", "8")
            notes: dict[tuple[str, ...], None] = {}
            for f in elements:
                where = _element_position(f, w.d.component, five)
                notes[(where, f.data_element or "", f.code, w.clean(f.value or ""))] = None
            for note in list(notes)[:99]:
                w.seg(ele_tag, *note)


def _element_position(f: Finding, component: str, with_repetition: bool) -> str:
    """AK401/IK401 (C030): element, component and (005010 only) repetition position."""
    parts = [str(f.element), "" if f.component is None else str(f.component)]
    if with_repetition and f.repetition is not None:
        parts.append(str(f.repetition))
    while parts[-1] == "":
        parts.pop()
    return component.join(parts)


def _unique(codes: list[str]) -> list[str]:
    return list(dict.fromkeys(codes))


class _Writer:
    """Segments joined with the answer's delimiters; trailing empty elements dropped."""

    def __init__(self, d: Delimiters) -> None:
        self.d = d
        self.lines: list[str] = []
        self.count = 0
        self.bad = {c for c in (d.element, d.component, d.segment, d.repetition or "") if c} | {"\r", "\n"}

    def isa(self, values: list[str]) -> None:
        qual_to, to, qual_from, sender, *rest = values
        fields = [
            "00",
            " " * 10,
            "00",
            " " * 10,
            qual_to,
            to.ljust(15)[:15],
            qual_from,
            sender.ljust(15)[:15],
            *rest,
            self.d.component,
        ]
        self.lines.append(self.d.element.join(["ISA", *fields]))
        self.count += 1

    def seg(self, seg_id: str, *values: str) -> None:
        items = list(values)
        while items and items[-1] == "":
            items.pop()
        self.lines.append(self.d.element.join([seg_id, *items]))
        self.count += 1

    def clean(self, value: str) -> str:
        """A copy of bad data must not contain the answer's delimiters (AK404 is AN 1/99)."""
        return "".join(c for c in value if c not in self.bad and c.isprintable())[:99].strip()

    def text(self) -> str:
        end = self.d.segment + self.d.suffix
        return end.join(self.lines) + end
