"""What validation found, shaped for the acknowledgment builder, the translators, reports and the CLI.

Codes are the X12 acknowledgment codes of the level they belong to, so an ack is a projection of these
objects: interchange -> TA105, group -> AK905, transaction -> AK502, segment -> AK304, element -> AK403.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connectors.x12.mapspec import TransactionMap
from connectors.x12.normalise import Interchange, Problem

ACCEPTED, WITH_ERRORS, REJECTED, UNREADABLE = "accepted", "accepted_with_errors", "rejected", "unreadable"
_RANK = {ACCEPTED: 0, WITH_ERRORS: 1, REJECTED: 2, UNREADABLE: 3}


@dataclass(slots=True)
class Finding:
    """One error. ``tolerated`` findings are reported (ack code E) without rejecting anything."""

    level: str
    code: str
    message: str
    segment: str | None = None
    position: int | None = None
    element: int | None = None
    component: int | None = None
    data_element: str | None = None
    value: str | None = None
    line: int | None = None
    kind: str = ""
    tolerated: bool = False
    repetition: int | None = None  # which repetition of a repeated element (005010), 1-based

    def to_json(self) -> dict[str, Any]:
        return {
            "segment": self.segment,
            "position": self.position,
            "element": self.element,
            "component": self.component,
            **({"repetition": self.repetition} if self.repetition is not None else {}),
            "code": self.code,
            "kind": self.kind,
            "level": self.level,
            "message": self.message,
            "tolerated": self.tolerated,
        }


def _status(findings: list[Finding]) -> str:
    if any(not f.tolerated for f in findings):
        return REJECTED
    return WITH_ERRORS if findings else ACCEPTED


def worst(statuses: list[str]) -> str:
    return max(statuses, key=_RANK.__getitem__, default=ACCEPTED)


@dataclass(slots=True)
class TransactionResult:
    set_id: str
    control_number: str
    start: int
    implementation: str | None = None
    end: int | None = None
    errors: list[Finding] = field(default_factory=list)
    supported: bool = True

    @property
    def status(self) -> str:
        return _status(self.errors)

    @property
    def ack_code(self) -> str:
        return {ACCEPTED: "A", WITH_ERRORS: "E", REJECTED: "R"}[self.status]

    def to_json(self) -> dict[str, Any]:
        return {
            "set_id": self.set_id,
            "control_number": self.control_number,
            "status": self.status,
            "errors": [f.to_json() for f in self.errors],
        }


@dataclass(slots=True)
class GroupResult:
    functional_id: str
    control_number: str
    version: str
    sender: str
    receiver: str
    start: int
    map: TransactionMap | None = None
    declared: int | None = None
    transactions: list[TransactionResult] = field(default_factory=list)
    errors: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        """Worst of the group's own findings and its transactions (a partially accepted group is rejected)."""
        return worst([_status(self.errors), *(t.status for t in self.transactions)])

    @property
    def ack_code(self) -> str:
        """AK901: A, E, P (some transactions rejected) or R."""
        if _status(self.errors) == REJECTED:
            return "R"
        codes = [t.ack_code for t in self.transactions]
        if codes and all(c == "R" for c in codes):
            return "R"
        if "R" in codes:
            return "P"
        return "E" if "E" in codes or self.errors else "A"

    @property
    def accepted(self) -> int:
        return sum(t.ack_code != "R" for t in self.transactions)

    def to_json(self) -> dict[str, Any]:
        return {
            "functional_id": self.functional_id,
            "control_number": self.control_number,
            "version": self.version,
            "status": self.status,
            "errors": [f.to_json() for f in self.errors],
            "transactions": [t.to_json() for t in self.transactions],
        }


@dataclass(slots=True)
class InterchangeResult:
    interchange: Interchange
    groups: list[GroupResult] = field(default_factory=list)
    errors: list[Finding] = field(default_factory=list)

    @property
    def control_number(self) -> str:
        return self.interchange.control_number

    @property
    def ta1_code(self) -> str:
        """TA105 note code: the first interchange error's, 000 when there is none."""
        codes = [f.code for f in self.errors if not f.tolerated] or [f.code for f in self.errors]
        return codes[0] if codes else "000"

    @property
    def ta1_ack(self) -> str:
        return {ACCEPTED: "A", WITH_ERRORS: "E", REJECTED: "R"}[_status(self.errors)]

    @property
    def status(self) -> str:
        if _status(self.errors) == REJECTED:
            return REJECTED
        return worst([_status(self.errors), *(g.status for g in self.groups)])

    def to_json(self) -> dict[str, Any]:
        ic = self.interchange
        return {
            "sender": ":".join(ic.sender),
            "receiver": ":".join(ic.receiver),
            "control_number": ic.control_number,
            "version": ic.isa12,
            "status": self.status,
            "errors": [f.to_json() for f in self.errors],
            "notes": list(ic.notes),
            "groups": [g.to_json() for g in self.groups],
        }


@dataclass(slots=True)
class ValidationResult:
    problems: list[Problem]
    interchanges: list[InterchangeResult]

    @property
    def status(self) -> str:
        if not self.interchanges:
            return UNREADABLE
        status = worst([i.status for i in self.interchanges])
        return REJECTED if self.problems else status

    def transactions(self) -> list[tuple[InterchangeResult, GroupResult, TransactionResult]]:
        return [(i, g, t) for i in self.interchanges for g in i.groups for t in g.transactions]
