"""Sending EDI documents exactly once: prepare (control numbers taken, text and sets recorded), upload, mark sent.

Each document has a natural key (set id + reference: the PO number of an 855, the shipment number of an 856, the
invoice number of an 810, the date of an 846), so a replayed hub event sends nothing new. An interchange that was
prepared but not confirmed as uploaded (a crash, a dropped SFTP session) is uploaded again with the same text and
file name, never rebuilt with new control numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from connectors.x12.outbound.interchange import Outbound, TransactionSet, write_interchange
from hub.edi.control import StoreControlNumbers
from hub.edi.mailboxes import PartnerMailbox
from hub.engine.stats import utcnow
from hub.faultpoints import reached
from hub.store import Store
from hub.store.schema import edi_documents, edi_interchanges

PREPARED, SENT = "prepared", "sent"


@dataclass(frozen=True)
class SendResult:
    file: str | None
    isa_control: str | None
    sent: list[str]  # references sent now
    skipped: list[str]  # references sent before


class EdiSender:
    def __init__(self, store: Store, box: PartnerMailbox, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.store, self.box, self.profile = store, box, box.profile
        self.numbers = StoreControlNumbers(store, self.profile.partner)
        self.clock = clock

    def send(self, sets: Sequence[TransactionSet], *, order_no: str | None = None) -> SendResult:
        self.resume()
        already = self._sent_references({ts.set_id for ts in sets})
        todo = [ts for ts in sets if (ts.set_id, ts.reference) not in already]
        skipped = [ts.reference for ts in sets if (ts.set_id, ts.reference) in already]
        if not todo:
            return SendResult(None, None, [], skipped)
        outbound = write_interchange(self.profile, self.numbers, self.clock(), todo)
        name = outbound.file_name()
        self._prepare(outbound, name, order_no)
        reached("edi.send.prepared")
        self._upload(name, outbound.text, outbound.isa_control)
        return SendResult(name, outbound.isa_control, [ts.reference for ts in todo], skipped)

    def resume(self) -> int:
        """Upload again what was prepared but not confirmed sent; returns how many interchanges."""
        t = edi_interchanges
        with self.store.begin() as conn:
            rows = conn.execute(
                sa.select(t.c.file, t.c.payload, t.c.control_number).where(
                    t.c.partner == self.profile.partner, t.c.direction == "out", t.c.status == PREPARED
                )
            ).all()
        for file, payload, control in rows:
            self._upload(file, payload, control)
        return len(rows)

    # -- steps -----------------------------------------------------------------------------------------
    def _sent_references(self, set_ids: set[str]) -> set[tuple[str, str]]:
        d = edi_documents
        with self.store.begin() as conn:
            rows = conn.execute(
                sa.select(d.c.set_id, d.c.reference).where(
                    d.c.partner == self.profile.partner, d.c.direction == "out", d.c.set_id.in_(set_ids)
                )
            ).all()
        return {(s, r) for s, r in rows}

    def _prepare(self, outbound: Outbound, name: str, order_no: str | None) -> None:
        policy = self.profile.acknowledgment
        due = outbound.created + policy.overdue if policy.expect else None
        now = utcnow()
        docs = [
            {
                "partner": self.profile.partner,
                "direction": "out",
                "interchange": outbound.isa_control,
                "functional_id": group.functional_id,
                "group_control": group.control_number,
                "set_id": sent.set_id,
                "set_control": sent.control_number,
                "reference": sent.reference,
                "order_no": order_no,
                "status": PREPARED,
                "file": name,
                "at": now,
                "ack_due_at": due,
            }
            for group, sent in outbound.sets()
        ]
        with self.store.begin() as conn:
            conn.execute(
                sa.insert(edi_interchanges).values(
                    partner=self.profile.partner,
                    direction="out",
                    sender=":".join(outbound.sender),
                    receiver=":".join(outbound.receiver),
                    control_number=outbound.isa_control,
                    status=PREPARED,
                    file=name,
                    payload=outbound.text,
                    at=now,
                    updated_at=now,
                )
            )
            conn.execute(sa.insert(edi_documents), docs)

    def _upload(self, name: str, text: str, control: str) -> None:
        encoding = "ascii" if self.profile.encoding in ("ascii", "utf-8") else self.profile.encoding
        self.box.mailbox.write(self.box.outbox, name, text.encode(encoding))
        reached("edi.send.uploaded")
        now = utcnow()
        with self.store.begin() as conn:
            conn.execute(
                sa.update(edi_interchanges)
                .where(
                    edi_interchanges.c.partner == self.profile.partner,
                    edi_interchanges.c.direction == "out",
                    edi_interchanges.c.control_number == control,
                    edi_interchanges.c.status == PREPARED,
                )
                .values(status=SENT, updated_at=now)
            )
            conn.execute(
                sa.update(edi_documents)
                .where(
                    edi_documents.c.partner == self.profile.partner,
                    edi_documents.c.direction == "out",
                    edi_documents.c.interchange == control,
                    edi_documents.c.status == PREPARED,
                )
                .values(status=SENT)
            )
