"""One file from a partner's inbox, processed exactly once: the EDI idempotent receiver.

Per interchange: the sender must be the mailbox's partner (anything else is an unknown sender: error/ and an
alert); a (sender, ISA13) already processed is a duplicate and is not processed again; otherwise it is
validated, acknowledged (997/999/TA1 into the partner's outbox, the text kept in the ledger first so a resumed
run re-sends the same acknowledgment), its sets recorded, acknowledgments it carries reconciled against what we
sent, and accepted 850s handed to the order sink. The file then moves to ``archive/<date>/``, or to ``error/``
with a readable ``.report.txt`` when anything in it was rejected, unreadable, duplicate or from a stranger.
Nothing is deleted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from connectors.mailbox import Mailbox, RemoteFile
from connectors.x12.acks import AckOptions, build_ack
from connectors.x12.normalise import Delimiters
from connectors.x12.outbound.ack_reader import AckInterchange, read_acks
from connectors.x12.partners import PartnerProfile, find_partner
from connectors.x12.results import ACCEPTED, REJECTED, UNREADABLE, InterchangeResult, ValidationResult
from connectors.x12.translate import TranslatedOrder, translate_orders
from connectors.x12.validate import validate_bytes
from hub.alerts import Alert
from hub.edi.control import StoreControlNumbers
from hub.edi.ledger import EdiLedger, SetRecord
from hub.edi.mailboxes import PartnerMailbox
from hub.edi.reconcile import reconcile
from hub.edi.report import file_report
from hub.engine.stats import utcnow
from hub.faultpoints import reached
from hub.store import Store

log = logging.getLogger("hub.edi")

OrderSink = Callable[[PartnerProfile, list[TranslatedOrder]], None]
AlertSink = Callable[[Alert], object]


@dataclass
class InterchangeOutcome:
    sender: str
    control: str
    status: str  # accepted | accepted_with_errors | rejected | duplicate | unknown_sender
    ack: str | None = None
    orders: list[str] = field(default_factory=list)
    reconciled: int = 0
    note: str | None = None


@dataclass
class FileOutcome:
    file: str
    status: str  # archived | error
    moved_to: str
    interchanges: list[InterchangeOutcome] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return self.status == "archived"


class EdiInbox:
    """Processes the files of one partner's mailbox."""

    def __init__(
        self,
        store: Store,
        box: PartnerMailbox,
        *,
        profiles: dict[str, PartnerProfile],
        orders: OrderSink,
        alert: AlertSink | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store, self.box, self.profiles = store, box, profiles
        self.profile = box.profile
        self.ledger = EdiLedger(store)
        self.numbers = StoreControlNumbers(store, self.profile.partner)
        self.on_orders = orders
        self.alert = alert or (lambda a: None)
        self.clock = clock

    @property
    def mailbox(self) -> Mailbox:
        return self.box.mailbox

    def pending(self) -> list[RemoteFile]:
        return self.mailbox.list(self.box.inbox)

    def process(self, file: RemoteFile) -> FileOutcome:
        data = self.mailbox.read(file.folder, file.name)
        policy = self.profile.acknowledgment
        _, result = validate_bytes(data, tolerate=policy.tolerate)
        self._acks: dict[str, AckInterchange] | None = None
        self._data = data
        self._claimed: list[int] = []  # ledger rows of this file's interchanges, to note where it went
        self._seen: set[str] = set()
        outcomes = [self._interchange(ic_result, file.name) for ic_result in result.interchanges]
        problems = [f"{p.code}: {p.message}" for p in result.problems]
        bad = (
            result.status == UNREADABLE
            or problems
            or any(o.status not in (ACCEPTED, "accepted_with_errors") for o in outcomes)
        )
        if result.status == UNREADABLE and not outcomes:
            problems = problems or ["no interchange found"]
            self.alert(
                Alert(
                    "edi_error_file",
                    f"{self.profile.partner}/{file.name}",
                    f"EDI file from {self.profile.partner} is unreadable",
                    f"{file.name} ({file.size} bytes): {'; '.join(problems)}. Moved to error/.",
                )
            )
        folder = "error" if bad else f"archive/{self.clock():%Y-%m-%d}"
        reached("edi.inbox.finished")
        moved = self.mailbox.move(file.folder, file.name, folder)
        self.ledger.moved(self._claimed, f"{folder}/{moved}")
        outcome = FileOutcome(
            file.name, "error" if bad else "archived", f"{folder}/{moved}", outcomes, problems
        )
        if bad:
            report = file_report(self.profile.partner, file, outcome, result)
            self.mailbox.write("error", f"{moved}.report.txt", report.encode())
        log.info("%s: %s -> %s", self.profile.partner, file.name, outcome.moved_to)
        return outcome

    # -- one interchange -------------------------------------------------------------------------------
    def _interchange(self, ic_result: InterchangeResult, file: str) -> InterchangeOutcome:
        ic = ic_result.interchange
        sender = ":".join(ic.sender)
        control = ic.control_number
        known = find_partner(self.profiles, *ic.sender)
        if known is None or known.partner != self.profile.partner:
            who = known.partner if known else "no profile"
            self.alert(
                Alert(
                    "unknown_edi_sender",
                    f"{self.profile.partner}/{sender}",
                    f"EDI interchange from unknown sender {sender} in {self.profile.partner}'s mailbox",
                    f"{file}: ISA13 {control} from {sender} ({who}); expected "
                    f"{self.profile.interchange.partner.qualifier}:{self.profile.interchange.partner.id}. "
                    "Not processed; the file is in error/.",
                    severity="error",
                )
            )
            return InterchangeOutcome(sender, control, "unknown_sender", note=f"sender matches {who}")
        claim = self.ledger.claim(self.profile.partner, sender, ":".join(ic.receiver), control, file)
        # finished, yet its file is still here under the name it came in: a crash before the move, not a re-send
        resumed = claim.file == file and control not in self._seen
        self._seen.add(control)
        if claim.duplicate and not resumed:
            return InterchangeOutcome(
                sender,
                control,
                "duplicate",
                note=f"already processed from {claim.file} at {claim.at:%Y-%m-%d %H:%M:%S}",
            )
        self._claimed.append(claim.row_id)
        outcome = InterchangeOutcome(sender, control, ic_result.status)
        ack_text, ack_control = claim.ack_text, claim.ack_control
        if ack_text is None:
            ack = build_ack(ic_result, self.numbers, self.clock(), self._ack_options())
            if ack is not None:
                ack_text, ack_control = ack.text, ack.isa_control
                self.ledger.remember_ack(claim.row_id, ack_control, ack_text)
        if ack_text is not None and ack_control is not None:
            name = ack_file(ack_text, ack_control)
            # insert-once, and outside the branch above: a crash right after remember_ack must not leave the
            # acknowledgment out of the outbound ledger when the claim is resumed
            self.ledger.record_outbound_interchange(
                self.profile.partner, ":".join(ic.receiver), sender, ack_control, name
            )
        reached("edi.ack.decided")
        if ack_text is not None and ack_control is not None:
            if not claim.duplicate:  # a finished claim (resumed) uploaded it before it finished
                self.mailbox.write(self.box.outbox, name, ack_text.encode(self._encoding()))
            reached("edi.ack.uploaded")
            outcome.ack = name
        self.ledger.record_sets(self._set_records(ic_result, file))
        if any(g.functional_id == "FA" for g in ic_result.groups) or _has_ta1(ic_result):
            ack = self._ack_interchange(control)
            if ack is not None:
                outcome.reconciled = reconcile(self.ledger, self.profile.partner, ack)
        if ic_result.status != REJECTED:
            orders = translate_orders(ValidationResult([], [ic_result]), self.profile)
            if orders:
                self.on_orders(self.profile, orders)
                outcome.orders = [o.order["order_no"] for o in orders]
        self.ledger.finish(claim.row_id, ic_result.status)
        return outcome

    def _ack_interchange(self, control: str) -> AckInterchange | None:
        """The 997/999/TA1 content of one interchange of the current file (the file is read once)."""
        if self._acks is None:
            self._acks = {a.control_number: a for a in read_acks(self._data).interchanges}
        return self._acks.get(control)

    def _ack_options(self) -> AckOptions:
        policy = self.profile.acknowledgment
        delims = None
        if policy.delimiters == "profile":
            d = self.profile.delimiters
            delims = Delimiters(d.element, d.component, d.segment, d.repetition, d.line_ending)
        return AckOptions(policy.send, policy.ta1, policy.detail, delims, self.profile.interchange.isa12)

    def _encoding(self) -> str:
        return "ascii" if self.profile.encoding in ("ascii", "utf-8") else self.profile.encoding

    def _set_records(self, ic_result: InterchangeResult, file: str) -> list[SetRecord]:
        records = []
        for group in ic_result.groups:
            for txn in group.transactions:
                records.append(
                    SetRecord(
                        partner=self.profile.partner,
                        direction="in",
                        interchange=ic_result.control_number,
                        functional_id=group.functional_id,
                        group_control=group.control_number,
                        set_id=txn.set_id,
                        set_control=txn.control_number,
                        status=txn.status,
                        reference=(reference := _reference(ic_result, txn.start)),
                        order_no=f"{self.profile.prefix}-{reference}"
                        if txn.set_id == "850" and reference
                        else None,
                        file=file,
                    )
                )
        return records


def _has_ta1(ic_result: InterchangeResult) -> bool:
    return any(seg[0] == "TA1" for seg in ic_result.interchange.segments[1:3])


def _reference(ic_result: InterchangeResult, start: int) -> str | None:
    """The document's own number: BEG03 of an 850, AK102 of a 997 (the group it acknowledges)."""
    segments = ic_result.interchange.segments
    for seg in segments[start + 1 : start + 4]:
        if seg[0] == "BEG" and len(seg) > 3:
            return seg[3].strip()[:64] or None
        if seg[0] == "AK1" and len(seg) > 2:
            return f"{seg[1]}:{seg[2]}"[:64]
    return None


def ack_file(text: str, control: str) -> str:
    """``997_000000042.x12``, ``TA1_997_...``: the kinds an acknowledgment interchange carries, then its ISA13."""
    e = text[3] if len(text) > 3 else "*"
    kinds = [k for k in ("TA1", "997", "999") if f"{e}{k}{e}" in text or (f"TA1{e}" in text and k == "TA1")]
    return f"{'_'.join(kinds) or 'ACK'}_{control}.x12"
