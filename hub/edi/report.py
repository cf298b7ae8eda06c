"""The readable report left next to a file moved to ``error/``: what was wrong, where, and what was sent back."""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.mailbox import RemoteFile
from connectors.x12.results import ValidationResult
from hub.engine.stats import utcnow

if TYPE_CHECKING:
    from hub.edi.inbox import FileOutcome


def file_report(partner: str, file: RemoteFile, outcome: FileOutcome, result: ValidationResult) -> str:
    lines = [
        f"EDI file report: {file.name}",
        f"partner mailbox: {partner}",
        f"size: {file.size} bytes; processed at {utcnow():%Y-%m-%d %H:%M:%S} UTC; moved to {outcome.moved_to}",
        f"validation: {result.status}",
        "",
    ]
    for problem in outcome.problems:
        lines.append(f"file problem: {problem}")
    by_control = {r.control_number: r for r in result.interchanges}
    for ic in outcome.interchanges:
        lines.append(f"interchange {ic.control} from {ic.sender}: {ic.status}")
        if ic.note:
            lines.append(f"  {ic.note}")
        if ic.ack:
            lines.append(f"  acknowledgment sent: {ic.ack}")
        if ic.orders:
            lines.append(f"  orders: {', '.join(ic.orders)}")
        ic_result = by_control.get(ic.control)
        if ic_result is None or ic.status in ("duplicate", "unknown_sender"):
            continue
        for f in ic_result.errors:
            lines.append(f"  envelope {f.code}: {f.message}")
        for group in ic_result.groups:
            for f in group.errors:
                lines.append(f"  group {group.functional_id} {group.control_number} {f.code}: {f.message}")
            for txn in group.transactions:
                if not txn.errors:
                    continue
                lines.append(f"  set {txn.set_id} {txn.control_number}: {txn.status}")
                for f in txn.errors:
                    where = " ".join(
                        part
                        for part in (
                            f.segment or "",
                            f"segment {f.position}" if f.position is not None else "",
                            f"element {f.element}" if f.element else "",
                        )
                        if part
                    )
                    lines.append(f"    {where + ': ' if where else ''}code {f.code}: {f.message}")
    return "\n".join(lines) + "\n"
