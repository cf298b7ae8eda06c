"""Settle what we sent against what the partner acknowledged: per transaction set accepted, accepted with
errors, rejected or still pending (no 997/999 yet; the hub alerts when that lasts past the profile's
``acknowledgment.overdue_after``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from connectors.x12.outbound.ack_reader import REJECTING, AckInterchange
from connectors.x12.outbound.interchange import Outbound
from connectors.x12.results import ACCEPTED, REJECTED, WITH_ERRORS

PENDING = "pending"


@dataclass(frozen=True, slots=True)
class SetOutcome:
    """One set we sent and what became of it."""

    functional_id: str
    group_control: str  # GS06
    set_id: str
    set_control: str  # ST02
    reference: str  # the caller's reference (PO number, invoice number, report id)
    status: str  # accepted, accepted_with_errors, rejected, pending
    code: str | None  # AK501/IK501 (or implied from AK9; TA104 R for a rejected interchange)
    detail: str
    ack_interchange: str | None  # ISA13 of the partner's interchange that settled it


def reconcile(sent: Outbound, acks: Iterable[AckInterchange]) -> list[SetOutcome]:
    """Every set of ``sent`` with its status from the partner's acknowledgments (only interchanges from that
    partner count; a later acknowledgment of the same group wins; a TA1 rejecting our ISA13 rejects all)."""
    ours = [a for a in acks if _same_party(a.sender, sent.receiver)]
    interchange_rejected = None
    for a in ours:
        for ta1 in a.ta1:
            if ta1.control_number == sent.isa_control and ta1.status == "R":
                interchange_rejected = (a, ta1)
    out = []
    for group, sset in sent.sets():
        status, code, detail, via = PENDING, None, "no acknowledgment yet", None
        if interchange_rejected is not None:
            a, ta1 = interchange_rejected
            status, code, detail, via = (
                REJECTED,
                "R",
                f"interchange rejected (TA1): {ta1.note}",
                a.control_number,
            )
        else:
            for a in ours:
                ack = a.group(group.functional_id, group.control_number)
                if ack is None:
                    continue
                set_code = ack.set_status(sset.control_number)
                if set_code is None:
                    continue
                listed = ack.find(sset.control_number)
                code, via = set_code, a.control_number
                detail = listed.detail if listed is not None else f"group {ack.detail} (set not listed)"
                status = REJECTED if set_code in REJECTING else (WITH_ERRORS if set_code == "E" else ACCEPTED)
        out.append(
            SetOutcome(
                group.functional_id,
                group.control_number,
                sset.set_id,
                sset.control_number,
                sset.reference,
                status,
                code,
                detail,
                via,
            )
        )
    return out


def _same_party(a: tuple[str, str], b: tuple[str, str]) -> bool:
    return a[0] == b[0] and a[1].strip() == b[1].strip()
