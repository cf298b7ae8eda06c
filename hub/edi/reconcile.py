"""Acknowledgments from a partner applied to what we sent: each 997/999 group (AK1) and set (AK2) resolves the
ledger rows of our group GS06 / set ST02; a TA1 rejecting an interchange rejects every set in it."""

from __future__ import annotations

from connectors.x12.outbound.ack_reader import AckInterchange, GroupAck
from hub.edi.ledger import EdiLedger

STATUS = {"A": "accepted", "E": "accepted_with_errors", "P": "partially_accepted"}


def ack_status(code: str) -> str:
    """AK5/IK5/AK9 code -> ledger status (M, R, W, X and anything unknown: rejected)."""
    return STATUS.get(code, "rejected")


def reconcile(ledger: EdiLedger, partner: str, ack: AckInterchange) -> int:
    """Apply one acknowledgment interchange; returns how many of our sets it resolved."""
    resolved = 0
    for group in ack.groups:
        unlisted = group.set_status("") or "A"  # AK9 R/M/W/X rejects the sets it does not list, else accepts
        resolved += ledger.acknowledge(
            partner, group.control_number, group.functional_id, _set_statuses(group), ack_status(unlisted)
        )
    for ta1 in ack.ta1:
        if ta1.status == "R":
            resolved += ledger.reject_interchange(
                partner, ta1.control_number, f"TA1 {ta1.note_code}: {ta1.note}"
            )
    return resolved


def _set_statuses(group: GroupAck) -> dict[str, str]:
    return {s.control_number.lstrip("0"): ack_status(s.status) for s in group.sets if s.status}
