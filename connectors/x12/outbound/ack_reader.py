"""Read the acknowledgments partners send back: 997 (004010 / 005010), 999 (005010) and TA1.

The result says, per acknowledged functional group (AK1: GS01 + GS06) its AK9 status and, per transaction set
(AK2: ST01 + ST02), its AK5/IK5 status with the AK3/AK4 (IK3/IK4) detail as text: what the hub needs to settle
the sets it sent (``tracking.reconcile``). Reading is lenient: what does not fit is noted in ``problems``, never
raised, so one odd segment does not hide the statuses around it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from connectors.x12.normalise import Interchange, normalise
from connectors.x12.outbound.ack_codes import (
    ACK_STATUS,
    ELEMENT_CODES,
    GROUP_CODES,
    SEGMENT_CODES,
    SET_CODES,
    TA1_NOTES,
    describe,
)

REJECTING = frozenset("RMWX")


@dataclass(frozen=True, slots=True)
class ElementNote:
    """AK4 / IK4: which element (position, component, repetition), data element number, error, bad value."""

    position: int | None
    component: int | None
    repetition: int | None
    data_element: str
    code: str
    value: str

    @property
    def text(self) -> str:
        where = f"element {self.position if self.position is not None else '?'}"
        if self.component is not None:
            where += f".{self.component}"
        if self.repetition is not None:
            where += f" repetition {self.repetition}"
        if self.data_element:
            where += f" (DE {self.data_element})"
        copy = f": '{self.value}'" if self.value else ""
        return f"{where} {describe(ELEMENT_CODES, self.code)}{copy}"


@dataclass(slots=True)
class SegmentNote:
    """AK3 / IK3: the segment (id, position in the set, loop) and why it is in error."""

    segment_id: str
    position: int | None
    loop_id: str
    code: str
    elements: list[ElementNote] = field(default_factory=list)

    @property
    def text(self) -> str:
        head = f"segment {self.segment_id or '?'}"
        if self.position is not None:
            head += f" at position {self.position}"
        if self.loop_id:
            head += f" (loop {self.loop_id})"
        head += f": {describe(SEGMENT_CODES, self.code)}" if self.code else ""
        return "; ".join([head, *(e.text for e in self.elements)])


@dataclass(slots=True)
class SetAck:
    """AK2 .. AK5 (IK5): one acknowledged transaction set."""

    set_id: str
    control_number: str
    implementation: str = ""
    status: str = ""  # A, E, M, R, W, X ("" when the AK5/IK5 is missing)
    codes: list[str] = field(default_factory=list)
    notes: list[SegmentNote] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return self.status in ("A", "E")

    @property
    def detail(self) -> str:
        """Everything the partner said about this set, as one line of text."""
        parts = [describe(ACK_STATUS, self.status) if self.status else "no AK5/IK5 status"]
        parts += [describe(SET_CODES, c) for c in self.codes]
        parts += [n.text for n in self.notes]
        return "; ".join(parts)


@dataclass(slots=True)
class GroupAck:
    """AK1 .. AK9: one acknowledged functional group of ours (GS01 + GS06)."""

    functional_id: str
    control_number: str
    version: str = ""  # AK103 (005010)
    kind: str = ""  # 997 or 999
    ack_set_control: str = ""  # ST02 of the 997/999 that carried it
    status: str = ""  # AK901: A, E, P, R, M, W, X
    declared: int | None = None  # AK902
    received: int | None = None  # AK903
    accepted_count: int | None = None  # AK904
    codes: list[str] = field(default_factory=list)
    sets: list[SetAck] = field(default_factory=list)

    def set_status(self, control_number: str) -> str | None:
        """The status of one of our sets (ST02): its AK5/IK5 when listed, else implied by AK9 (an unlisted set
        of a rejected group is rejected, otherwise it was accepted); None without AK9."""
        for s in self.sets:
            if s.control_number == control_number and s.status:
                return s.status
        if not self.status:
            return None
        return "R" if self.status in REJECTING else "A"

    def find(self, control_number: str) -> SetAck | None:
        return next((s for s in self.sets if s.control_number == control_number), None)

    @property
    def detail(self) -> str:
        parts = [describe(ACK_STATUS, self.status) if self.status else "no AK9 status"]
        return "; ".join(parts + [describe(GROUP_CODES, c) for c in self.codes])


@dataclass(frozen=True, slots=True)
class TA1Ack:
    """TA1: the interchange (our ISA13) it answers, its date/time, status and note code."""

    control_number: str
    date: str
    time: str
    status: str  # A, E, R
    note_code: str

    @property
    def note(self) -> str:
        return describe(TA1_NOTES, self.note_code)


@dataclass(slots=True)
class AckInterchange:
    """One interchange from a partner that carried acknowledgments."""

    sender: tuple[str, str]
    receiver: tuple[str, str]
    control_number: str
    isa12: str
    date: str
    time: str
    ta1: list[TA1Ack] = field(default_factory=list)
    groups: list[GroupAck] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def group(self, functional_id: str, control_number: str) -> GroupAck | None:
        """The acknowledgment of our group GS01/GS06 (the last one when a partner repeats it)."""
        found = None
        for g in self.groups:
            if g.functional_id == functional_id and g.control_number == control_number:
                found = g
        return found


@dataclass(slots=True)
class AckFile:
    interchanges: list[AckInterchange]
    problems: list[str]


def read_acks(data: bytes | str, *, encoding: str | None = None) -> AckFile:
    """Every acknowledgment in a file (any delimiters, encodings, several interchanges)."""
    normalised = normalise(data, encoding=encoding)
    problems = [f"{p.code}: {p.message}" for p in normalised.problems]
    return AckFile([_read(ic) for ic in normalised.interchanges], problems)


def _read(ic: Interchange) -> AckInterchange:
    isa = ic.isa
    out = AckInterchange(
        (ic.sender[0], ic.sender[1]),
        (ic.receiver[0], ic.receiver[1]),
        ic.control_number,
        ic.isa12,
        isa[9],
        isa[10],
    )
    comp = ic.delimiters.component
    kind = ""
    in_fa = False
    ack_st = ""
    group: GroupAck | None = None
    txn: SetAck | None = None
    note: SegmentNote | None = None
    for seg in ic.segments[1:]:
        sid = seg[0]
        v = seg + ("",) * (10 - len(seg)) if len(seg) < 10 else seg
        if sid == "TA1":
            out.ta1.append(TA1Ack(v[1], v[2], v[3], v[4], v[5]))
        elif sid == "GS":
            in_fa = v[1] == "FA"
            if not in_fa:
                out.problems.append(f"group {v[6]} is {v[1]}, not an acknowledgment group: skipped")
        elif not in_fa or sid in ("GE", "IEA"):
            continue
        elif sid == "ST":
            kind, ack_st, group, txn, note = v[1], v[2], None, None, None
            if kind not in ("997", "999"):
                out.problems.append(f"transaction set {kind} {ack_st} in an FA group is not a 997 or 999")
        elif sid == "AK1":
            group = GroupAck(v[1], v[2], v[3], kind, ack_st)
            out.groups.append(group)
            txn, note = None, None
        elif sid == "AK2":
            if group is None:
                out.problems.append(f"AK2 {v[1]} {v[2]} before any AK1 (997/999 {ack_st})")
                continue
            txn, note = SetAck(v[1], v[2], v[3]), None
            group.sets.append(txn)
        elif sid in ("AK3", "IK3"):
            if txn is None:
                out.problems.append(f"{sid} {v[1]} outside an AK2 loop (997/999 {ack_st})")
                continue
            note = SegmentNote(v[1], _int(v[2]), v[3], v[4])
            txn.notes.append(note)
        elif sid in ("AK4", "IK4"):
            if note is None:
                out.problems.append(f"{sid} outside an AK3/IK3 loop (997/999 {ack_st})")
                continue
            parts = [*v[1].split(comp), "", ""]
            note.elements.append(
                ElementNote(_int(parts[0]), _int(parts[1]), _int(parts[2]), v[2], v[3], v[4])
            )
        elif sid in ("AK5", "IK5"):
            if txn is None:
                out.problems.append(f"{sid} outside an AK2 loop (997/999 {ack_st})")
                continue
            txn.status, txn.codes = v[1], [c for c in seg[2:7] if c]
            txn, note = None, None
        elif sid == "AK9":
            if group is None:
                out.problems.append(f"AK9 without AK1 (997/999 {ack_st})")
                continue
            group.status, group.codes = v[1], [c for c in seg[5:10] if c]
            group.declared, group.received, group.accepted_count = _int(v[2]), _int(v[3]), _int(v[4])
        elif sid == "SE":
            if txn is not None:
                out.problems.append(
                    f"AK2 {txn.set_id} {txn.control_number} has no AK5/IK5 (997/999 {ack_st})"
                )
            if group is not None and not group.status:
                out.problems.append(
                    f"AK1 {group.functional_id} {group.control_number} has no AK9 (997/999 {ack_st})"
                )
            kind, group, txn, note = "", None, None, None
        elif sid != "CTX":  # 999 context segments add nothing the hub reconciles on
            out.problems.append(f"unexpected segment {sid} in 997/999 {ack_st}")
    return out


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() else None
