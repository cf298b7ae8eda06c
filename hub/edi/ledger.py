"""The EDI ledger: every interchange and transaction set received or sent, and what acknowledged it.

It is the idempotent receiver's memory: an interchange is claimed by (direction, sender, ISA13) before it is
processed; a claim that finished is a duplicate, a claim that did not (a crash) is resumed with the same
acknowledgment text, so the partner never gets two different 997s for one interchange.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.engine.stats import utcnow
from hub.store import Store
from hub.store.schema import edi_documents, edi_interchanges

DONE = "processed"


@dataclass(frozen=True)
class Claim:
    """The ledger row of an inbound interchange: ``duplicate`` when it was fully processed before."""

    row_id: int
    duplicate: bool
    status: str
    file: str | None
    ack_control: str | None
    ack_text: str | None
    at: datetime


@dataclass(frozen=True)
class SetRecord:
    """One transaction set for the ledger."""

    partner: str
    direction: str  # in | out
    interchange: str
    functional_id: str
    group_control: str
    set_id: str
    set_control: str
    status: str
    reference: str | None = None
    order_no: str | None = None
    file: str | None = None
    ack_due_at: datetime | None = None


class EdiLedger:
    def __init__(self, store: Store) -> None:
        self.store = store

    # -- interchanges ---------------------------------------------------------------------------------
    def claim(self, partner: str | None, sender: str, receiver: str, control: str, file: str) -> Claim:
        """Insert the inbound interchange, or return the existing claim (finished = duplicate)."""
        t = edi_interchanges
        with self.store.begin() as conn:
            self._insert_interchange(conn, partner, "in", sender, receiver, control, "received", file)
            row = (
                conn.execute(
                    sa.select(t).where(
                        t.c.direction == "in", t.c.sender == sender, t.c.control_number == control
                    )
                )
                .mappings()
                .one()
            )
        return Claim(
            row["id"],
            row["status"] == DONE,
            row["status"],
            row["file"],
            row["ack_control"],
            row["ack_text"],
            row["at"],
        )

    def remember_ack(self, row_id: int, control: str, text: str) -> None:
        self._update(row_id, ack_control=control, ack_text=text)

    def moved(self, row_ids: list[int], path: str) -> None:
        """Where the file of these interchanges went (``archive/<date>/name``): a file of the same name in the
        inbox later is a re-send, while one still under its first name is the same file after a crash."""
        if row_ids:
            with self.store.begin() as conn:
                conn.execute(
                    sa.update(edi_interchanges)
                    .where(edi_interchanges.c.id.in_(row_ids))
                    .values(file=path, updated_at=utcnow())
                )

    def finish(self, row_id: int, status: str, note: str | None = None) -> None:
        """Mark processed; ``status`` keeps the validation outcome in the note for reports."""
        self._update(row_id, status=DONE, note=f"{status}: {note}" if note else status)

    def _update(self, row_id: int, **values: Any) -> None:
        with self.store.begin() as conn:
            conn.execute(
                sa.update(edi_interchanges)
                .where(edi_interchanges.c.id == row_id)
                .values(updated_at=utcnow(), **values)
            )

    def record_outbound_interchange(
        self, partner: str, sender: str, receiver: str, control: str, file: str
    ) -> None:
        with self.store.begin() as conn:
            self._insert_interchange(conn, partner, "out", sender, receiver, control, "sent", file)

    def _insert_interchange(
        self, conn: Connection, partner: str | None, direction: str, sender: str, receiver: str, control: str,
        status: str, file: str,
    ) -> None:  # fmt: skip
        """Insert once: (direction, sender, ISA13) is unique, a second insert does nothing."""
        now = utcnow()
        conn.execute(
            self.store.insert(edi_interchanges)
            .values(
                partner=partner,
                direction=direction,
                sender=sender,
                receiver=receiver,
                control_number=control,
                status=status,
                file=file,
                at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["direction", "sender", "control_number"])
        )

    # -- transaction sets ------------------------------------------------------------------------------
    def record_sets(self, records: Iterable[SetRecord]) -> None:
        rows = [
            {
                "partner": r.partner,
                "direction": r.direction,
                "interchange": r.interchange,
                "functional_id": r.functional_id,
                "group_control": r.group_control,
                "set_id": r.set_id,
                "set_control": r.set_control,
                "status": r.status,
                "reference": r.reference,
                "order_no": r.order_no,
                "file": r.file,
                "at": utcnow(),
                "ack_due_at": r.ack_due_at,
            }
            for r in records
        ]
        if not rows:
            return
        with self.store.begin() as conn:
            self.store.upsert(
                conn,
                edi_documents,
                rows,
                conflict=("partner", "direction", "interchange", "group_control", "set_control"),
                update=("status", "reference", "order_no", "file"),
            )

    def acknowledge(
        self,
        partner: str,
        group_control: str,
        functional_id: str,
        statuses: dict[str, str],
        group_status: str,
    ) -> int:
        """Apply a received 997/999 to the sets we sent in that group: per set control number its status
        (sets not listed take the group's). Returns how many sets it reconciled."""
        t = edi_documents
        now = utcnow()
        with self.store.begin() as conn:
            rows = conn.execute(
                sa.select(t.c.id, t.c.set_control).where(
                    t.c.partner == partner,
                    t.c.direction == "out",
                    t.c.group_control == group_control,
                    t.c.functional_id == functional_id,
                )
            ).all()
            for row_id, set_control in rows:
                status = statuses.get(set_control.lstrip("0"), group_status)
                conn.execute(
                    sa.update(t)
                    .where(t.c.id == row_id)
                    .values(status="acknowledged", ack_status=status, acked_at=now)
                )
        return len(rows)

    def reject_interchange(self, partner: str, control: str, note: str) -> int:
        """A TA1 refused our whole interchange: every set in it is rejected."""
        t = edi_documents
        with self.store.begin() as conn:
            result = conn.execute(
                sa.update(t)
                .where(t.c.partner == partner, t.c.direction == "out", t.c.interchange == control.zfill(9))
                .values(status="acknowledged", ack_status=f"rejected ({note})"[:32], acked_at=utcnow())
            )
        return int(result.rowcount or 0)

    def overdue(self, now: datetime | None = None) -> list[dict[str, Any]]:
        """Sets we sent whose acknowledgment is later than the partner's window."""
        t = edi_documents
        now = now or utcnow()
        with self.store.begin() as conn:
            rows = conn.execute(
                sa.select(t)
                .where(
                    t.c.direction == "out",
                    t.c.acked_at.is_(None),
                    t.c.ack_due_at.is_not(None),
                    t.c.ack_due_at < now,
                )
                .order_by(t.c.partner, t.c.ack_due_at)
            ).mappings()
            return [dict(r) for r in rows]

    def documents(
        self, *, partner: str | None = None, order_no: str | None = None, direction: str | None = None
    ) -> list[dict[str, Any]]:
        t = edi_documents
        query = sa.select(t).order_by(t.c.id)
        for column, value in (("partner", partner), ("order_no", order_no), ("direction", direction)):
            if value is not None:
                query = query.where(t.c[column] == value)
        with self.store.begin() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def interchanges(
        self, *, partner: str | None = None, direction: str | None = None
    ) -> list[dict[str, Any]]:
        t = edi_interchanges
        query = sa.select(t).order_by(t.c.id)
        if partner is not None:
            query = query.where(t.c.partner == partner)
        if direction is not None:
            query = query.where(t.c.direction == direction)
        with self.store.begin() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]
