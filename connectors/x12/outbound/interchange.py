"""Transaction sets -> one interchange for a partner: ISA/GS/ST envelopes, counts and control numbers.

Control numbers come from the caller's ``ControlNumbers`` (persisted per partner by the hub, never reused), the
clock value is passed in, so the same inputs give the same text. The result names every control number it used
(ISA13, each GS06 and each ST02 with the caller's reference) so each set can be tracked until its 997/999 comes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from connectors.x12.acks import ControlNumbers
from connectors.x12.normalise import gc_paused
from connectors.x12.outbound.writer import Element, SegmentWriter, Syntax
from connectors.x12.partners import PartnerProfile
from hub.errors import ConfigError, FatalError

FUNCTIONAL_IDS = {"855": "PR", "856": "SH", "810": "IN", "846": "IB", "850": "PO", "997": "FA", "999": "FA"}
_MAX_CONTROL = 999_999_999


@dataclass(frozen=True, slots=True)
class TransactionSet:
    """One set to send: its id, its body (the segments between ST and SE) and the caller's reference for it
    (PO number, invoice number, report id) that comes back with its ST02."""

    set_id: str
    segments: Sequence[Sequence[Element]]
    reference: str = ""
    implementation: str | None = None  # ST03 (005010 implementation convention), when the partner wants it


@dataclass(frozen=True, slots=True)
class SentSet:
    set_id: str
    control_number: str  # ST02
    reference: str
    segment_count: int  # SE01


@dataclass(frozen=True, slots=True)
class SentGroup:
    functional_id: str  # GS01
    control_number: str  # GS06 (what the partner's AK102 names)
    version: str  # GS08
    sets: tuple[SentSet, ...]


@dataclass(frozen=True, slots=True)
class Outbound:
    """An interchange ready to write (``data``) and the control numbers to track it by."""

    partner: str
    text: str
    encoding: str
    isa_control: str  # ISA13 (what a TA1 names)
    isa12: str
    usage: str
    ack_requested: bool
    sender: tuple[str, str]  # (qualifier, id): us
    receiver: tuple[str, str]  # the partner
    created: datetime
    groups: tuple[SentGroup, ...]

    @property
    def data(self) -> bytes:
        """The bytes to upload, in the partner's encoding (the text is ASCII, so any encoding can carry it)."""
        return self.text.encode("ascii" if self.encoding == "ascii" else self.encoding)

    def sets(self) -> Iterator[tuple[SentGroup, SentSet]]:
        for group in self.groups:
            for sent in group.sets:
                yield group, sent

    def file_name(self, suffix: str = ".x12") -> str:
        """A name unique per partner: partner id, set ids and ISA13."""
        ids = "-".join(dict.fromkeys(s.set_id for _, s in self.sets()))
        return f"{self.partner}_{ids}_{self.isa_control}{suffix}"


def write_interchange(
    profile: PartnerProfile,
    numbers: ControlNumbers,
    now: datetime,
    sets: Iterable[TransactionSet],
    *,
    usage: str | None = None,
) -> Outbound:
    """One interchange with one functional group per functional id (in order of first appearance).

    Raises ``ConfigError`` for a set the profile does not send the partner (``documents.outbound``) and
    ``FatalError`` when the control number source is past 999999999."""
    todo = list(sets)
    if not todo:
        raise ValueError("an interchange needs at least one transaction set")
    groups: dict[str, list[TransactionSet]] = {}
    for ts in todo:
        fid = FUNCTIONAL_IDS.get(ts.set_id)
        if fid is None:
            raise ValueError(f"transaction set {ts.set_id} has no functional group id here")
        if ts.set_id not in profile.documents.outbound:
            raise ConfigError(
                f"partner {profile.partner} does not take {ts.set_id} "
                f"(documents.outbound: {', '.join(profile.documents.outbound) or 'none'})",
                key="documents.outbound",
            )
        groups.setdefault(fid, []).append(ts)
    syntax = Syntax.of(profile)
    with gc_paused():
        return _write(profile, numbers, now, groups, syntax, usage)


def _write(
    profile: PartnerProfile,
    numbers: ControlNumbers,
    now: datetime,
    groups: dict[str, list[TransactionSet]],
    syntax: Syntax,
    usage: str | None,
) -> Outbound:
    w = SegmentWriter(syntax)
    ic, gs = profile.interchange, profile.groups
    isa_control = f"{_control(numbers, 'isa'):09d}"
    usage = usage or ic.usage
    w.add_raw(
        [
            "ISA",
            "00",
            " " * 10,
            "00",
            " " * 10,
            ic.us.qualifier,
            w.clean(ic.us.id).ljust(15)[:15],
            ic.partner.qualifier,
            w.clean(ic.partner.id).ljust(15)[:15],
            now.strftime("%y%m%d"),
            now.strftime("%H%M"),
            syntax.isa11,
            ic.isa12,
            isa_control,
            "1" if ic.ack_requested else "0",
            usage,
            syntax.component,
        ]
    )
    sent_groups = []
    for fid, members in groups.items():
        gs_control = str(_control(numbers, "gs"))
        w.add(
            [
                "GS",
                fid,
                gs.us,
                gs.partner,
                now.strftime("%Y%m%d"),
                now.strftime("%H%M"),
                gs_control,
                "X",
                gs.version,
            ]
        )
        sent = []
        for ts in members:
            st_control = f"{_control(numbers, 'st'):04d}"
            w.add(["ST", ts.set_id, st_control, ts.implementation or ""])
            for seg in ts.segments:
                w.add(seg)
            count = len(ts.segments) + 2
            w.add(["SE", str(count), st_control])
            sent.append(SentSet(ts.set_id, st_control, ts.reference, count))
        w.add(["GE", str(len(members)), gs_control])
        sent_groups.append(SentGroup(fid, gs_control, gs.version, tuple(sent)))
    w.add(["IEA", str(len(groups)), isa_control])
    return Outbound(
        profile.partner,
        w.text(),
        profile.encoding,
        isa_control,
        ic.isa12,
        usage,
        ic.ack_requested,
        (ic.us.qualifier, ic.us.id),
        (ic.partner.qualifier, ic.partner.id),
        now,
        tuple(sent_groups),
    )


def _control(numbers: ControlNumbers, kind: str) -> int:
    value = numbers.next(kind)
    if not 0 < value <= _MAX_CONTROL:
        raise FatalError(
            f"{kind.upper()} control number {value} is outside 1..{_MAX_CONTROL}: reset the sequence"
        )
    return value
