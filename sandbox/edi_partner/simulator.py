"""The partner side of an EDI mailbox. It writes X12 the way a retailer's translator would (its own control
numbers, its delimiters from the profile) and checks what it receives with the same validator the hub uses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from connectors.mailbox import Mailbox
from connectors.x12.acks import AckOptions, build_ack
from connectors.x12.acks import Sequence as Numbers
from connectors.x12.outbound.writer import SegmentWriter, Syntax
from connectors.x12.partners import PartnerProfile
from connectors.x12.validate import validate_bytes

MALFORMED = {
    "empty": b"",
    "binary": bytes(range(256)) * 4,
    "truncated": None,  # an 850 cut in the middle
    "bad_counts": None,  # SE01 wrong
    "bad_control": None,  # IEA02 differs from ISA13
}


@dataclass(frozen=True)
class PoLine:
    item: str  # the partner's id for the item: a UPC, or their buyer part number
    quantity: Decimal
    price: Decimal
    qualifier: str = "UP"  # UP (UPC) or BP (buyer part)


@dataclass
class Received:
    """A file the hub put in the partner's inbox, as the partner sees it."""

    file: str
    status: str
    sets: list[tuple[str, str, str]] = field(default_factory=list)  # (set id, ST02, reference)
    group_controls: list[str] = field(default_factory=list)
    acked_with: str | None = None  # the file name of the 997/999 we answered with
    text: str = ""


class PartnerSimulator:
    def __init__(
        self,
        mailbox: Mailbox,
        profile: PartnerProfile,
        *,
        outbox: str = "outbound",
        inbox: str = "inbound",
        acknowledge: bool = True,
        control_start: int = 5000,
    ) -> None:
        self.mailbox, self.profile = mailbox, profile
        self.outbox, self.inbox = outbox, inbox
        self.acknowledge = acknowledge
        self.numbers = Numbers(isa=control_start, gs=control_start, st=1)
        self.syntax = Syntax.of(profile)
        self.received: list[Received] = []

    # -- sending -----------------------------------------------------------------------------------
    def send_850(
        self,
        po_number: str,
        lines: Sequence[PoLine],
        *,
        ship_to: str = "0042",
        po_date: date | None = None,
        name: str | None = None,
    ) -> str:
        """One purchase order in its own interchange; returns the file name."""
        text, control = self.po_text([(po_number, lines, ship_to)], po_date=po_date)
        file = name or f"850_{po_number}_{control}.x12"
        self.mailbox.write(self.outbox, file, text.encode())
        return file

    def po_text(
        self, orders: Sequence[tuple[str, Sequence[PoLine], str]], *, po_date: date | None = None
    ) -> tuple[str, str]:
        w = SegmentWriter(self.syntax)
        now = datetime.now()
        control = f"{self.numbers.next('isa'):09d}"
        ic, gs = self.profile.interchange, self.profile.groups
        w.add_raw(
            [
                "ISA", "00", " " * 10, "00", " " * 10,
                ic.partner.qualifier, ic.partner.id.ljust(15),
                ic.us.qualifier, ic.us.id.ljust(15),
                now.strftime("%y%m%d"), now.strftime("%H%M"),
                self.syntax.isa11, ic.isa12, control, "0", ic.usage, self.syntax.component,
            ]
        )  # fmt: skip
        group = str(self.numbers.next("gs"))
        version = "005010" if self.profile.version == "005010" else "004010"
        w.add(
            ["GS", "PO", gs.partner, gs.us, now.strftime("%Y%m%d"), now.strftime("%H%M"), group, "X", version]
        )
        day = (po_date or now.date()).strftime("%Y%m%d")
        for po_number, lines, ship_to in orders:
            st = f"{self.numbers.next('st'):04d}"
            body: list[list[str]] = [
                ["BEG", "00", "SA", po_number, "", day],
                ["CUR", "BY", self.profile.currency],
                ["N1", "ST", "STORE " + ship_to, "92", ship_to],
            ]
            for n, line in enumerate(lines, 1):
                body.append(
                    [
                        "PO1",
                        str(n),
                        str(line.quantity),
                        "EA",
                        str(line.price),
                        "PE",
                        line.qualifier,
                        line.item,
                    ]
                )
            body.append(["CTT", str(len(lines))])
            w.add(["ST", "850", st] + (["005010"] if version == "005010" else []))
            for seg in body:
                w.add(seg)
            w.add(["SE", str(len(body) + 2), st])
        w.add(["GE", str(len(orders)), group])
        w.add(["IEA", "1", control])
        return w.text(), control

    def send_malformed(self, kind: str, name: str | None = None) -> str:
        """A broken file of a known kind (see MALFORMED) into the partner's outbox."""
        if kind not in MALFORMED:
            raise ValueError(f"malformed kind {kind!r}: one of {', '.join(MALFORMED)}")
        data = MALFORMED[kind]
        if data is None:
            text, control = self.po_text(
                [("BROKEN-" + kind.upper(), [PoLine("012345678905", Decimal(1), Decimal(1))], "0042")]
            )
            if kind == "truncated":
                text = text[: len(text) // 2]
            elif kind == "bad_counts":
                text = text.replace(f"SE{self.syntax.element}", f"SE{self.syntax.element}9", 1)
            elif kind == "bad_control":
                text = text.replace(
                    f"IEA{self.syntax.element}1{self.syntax.element}{control}",
                    f"IEA{self.syntax.element}1{self.syntax.element}999999999",
                )
            data = text.encode()
        file = name or f"malformed_{kind}.x12"
        self.mailbox.write(self.outbox, file, data)
        return file

    # -- receiving ---------------------------------------------------------------------------------
    def collect(self) -> list[Received]:
        """Take what the hub sent: validate it, answer non-acknowledgment groups with a 997/999."""
        got = []
        for f in self.mailbox.list(self.inbox):
            data = self.mailbox.read(f.folder, f.name)
            _, result = validate_bytes(data)
            received = Received(f.name, result.status, text=data.decode("latin-1"))
            for ic_result, group, txn in result.transactions():
                ref = _reference(ic_result.interchange.segments, txn.start)
                received.sets.append((txn.set_id, txn.control_number, ref))
                if group.control_number not in received.group_controls:
                    received.group_controls.append(group.control_number)
            if self.acknowledge:
                for ic_result in result.interchanges:
                    if all(g.functional_id == "FA" for g in ic_result.groups):
                        continue
                    ack = build_ack(ic_result, self.numbers, datetime.now(), AckOptions(ta1="never"))
                    if ack is not None:
                        name = f"ACK_{ack.isa_control}.x12"
                        self.mailbox.write(self.outbox, name, ack.text.encode())
                        received.acked_with = name
            self.mailbox.move(f.folder, f.name, "received")
            got.append(received)
        self.received += got
        return got


def _reference(segments: list[tuple[str, ...]], start: int) -> str:
    """BAK03 (855), BSN02 (856), BIG02 (810), BIA03 (846), AK1 group (997)."""
    where = {"BAK": 3, "BSN": 2, "BIG": 2, "BIA": 3, "AK1": 2}
    for seg in segments[start + 1 : start + 3]:
        if seg[0] in where and len(seg) > where[seg[0]]:
            return seg[where[seg[0]]]
    return ""
