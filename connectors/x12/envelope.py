"""Envelope rules: functional groups and transaction sets opened and closed, control numbers matched, counts
checked, trailers missing, HL numbering (pyx12's X12Reader checks, with X12 acknowledgment codes)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from connectors.x12.checks import check_segment
from connectors.x12.mapspec import MapSet, SegmentSpec, TransactionMap
from connectors.x12.normalise import Interchange
from connectors.x12.results import Finding, GroupResult, InterchangeResult, TransactionResult
from connectors.x12.walk import Counts, Walker, walker


class EnvelopeRules:
    """The ISA/GS/ST bookkeeping of one interchange run (mixed into the validator's run)."""

    ic: Interchange
    maps: MapSet
    result: InterchangeResult
    component: str
    counts: Counts
    control: TransactionMap
    walker: Walker
    node: SegmentSpec | None
    group: GroupResult | None
    txn: TransactionResult | None
    group_ids: set[str]
    txn_ids: set[str]
    position: int
    line: int
    closed: bool
    hl_stack: list[int]
    hl_count: int

    def find(self, level: str, code: str, message: str, kind: str, **where: Any) -> Finding:
        raise NotImplementedError

    def close_open_group(self) -> None:
        """A new group or the end of input while a transaction or group is still open: report the missing trailers."""
        if self.txn is not None:
            self.unterminated_transaction()
        if self.group is not None:
            self.find(
                "group",
                "3",
                f"functional group {self.group.control_number} has no GE trailer",
                "missing_trailer",
            )
            self.group = None

    def open_group(self, seg: Sequence[str]) -> None:
        self.close_open_group()
        get = lambda i: seg[i] if i < len(seg) else ""  # noqa: E731
        group = GroupResult(get(1), get(6), get(8), get(2), get(3), self.line - 1)
        self.result.groups.append(group)
        self.group = group
        self.txn_ids = set()
        if group.control_number in self.group_ids:
            self.find("group", "6", f"duplicate group control number {group.control_number}", "duplicate")
        self.group_ids.add(group.control_number)
        entry = self.maps.lookup(self.ic.version, group.version, group.functional_id)
        if entry is None and group.version[:6] != group.version:
            entry = self.maps.lookup(self.ic.version, group.version[:6], group.functional_id)
            if entry is not None:
                group.notes.append(f"GS08 {group.version} validated as {group.version[:6]}")
        if entry is None:
            known = group.functional_id in self.maps.fics(self.ic.version)
            code, what = (
                ("2", f"version {group.version}")
                if known
                else ("1", f"functional group {group.functional_id}")
            )
            self.find("group", code, f"{what} is not supported (ISA12 {self.ic.isa12})", "not_supported")
            tmap = self.control
        else:
            tmap = group.map = self.maps.load(entry.file)
        self.walker = walker(tmap)
        self.node = self.walker.force(self.counts, "/ISA_LOOP/GS_LOOP", "/ISA_LOOP/GS_LOOP/GS")
        for issue in check_segment(self.node, seg, self.component):
            code = {6: "6", 8: "2"}.get(issue.element or 0, "1")
            self.find("group", code, f"GS: {issue.message}", issue.kind, segment="GS", element=issue.element)

    def open_transaction(self, seg: Sequence[str]) -> None:
        if self.group is None:
            self.find("interchange", "024", "ST outside a functional group", "outside_group", segment="ST")
            self.txn = TransactionResult(
                seg[1] if len(seg) > 1 else "", seg[2] if len(seg) > 2 else "", self.line - 1
            )
            self.txn.supported = False
            return
        if self.txn is not None:
            self.unterminated_transaction()
        txn = TransactionResult(seg[1] if len(seg) > 1 else "", seg[2] if len(seg) > 2 else "", self.line - 1)
        txn.implementation = seg[3] if len(seg) > 3 else None
        self.group.transactions.append(txn)
        self.txn = txn
        self.position = 1
        self.hl_stack, self.hl_count = [], 0
        if txn.control_number in self.txn_ids:
            self.find(
                "transaction",
                "23",
                f"duplicate transaction set control number {txn.control_number}",
                "duplicate",
            )
        self.txn_ids.add(txn.control_number)
        if self.group.map is None:
            txn.supported = False
            self.find(
                "transaction",
                "1",
                f"transaction set {txn.set_id} is not supported in this group",
                "not_supported",
            )
            return
        assert self.node is not None
        node, _ = self.walker.step(self.node, seg, self.component, self.counts)
        if node is None:
            txn.supported = False
            self.find(
                "transaction",
                "1",
                f"transaction set {txn.set_id} is not supported in a "
                f"{self.group.functional_id} {self.group.version} group",
                "not_supported",
            )
            return
        self.node = node
        for issue in check_segment(node, seg, self.component):
            code = {1: "6", 2: "7"}.get(issue.element or 0, "6")
            self.find(
                "transaction",
                code,
                f"ST: {issue.message}",
                issue.kind,
                segment="ST",
                position=1,
                element=issue.element,
            )

    def close_transaction(self, seg: Sequence[str]) -> None:
        txn = self.txn
        if txn is None:
            self.find("interchange", "024", "SE without ST", "outside_transaction", segment="SE")
            return
        txn.end = self.line - 1
        count, control = (seg[1] if len(seg) > 1 else ""), (seg[2] if len(seg) > 2 else "")
        if control != txn.control_number:
            self.find(
                "transaction",
                "3",
                f"SE02 {control} does not match ST02 {txn.control_number}",
                "control_number",
            )
        if count != str(self.position):
            self.find(
                "transaction",
                "4",
                f"SE01 says {count} segments, the transaction has {self.position}",
                "count",
            )
        self.txn = None
        self.position = 0

    def close_group(self, seg: Sequence[str]) -> None:
        if self.txn is not None:
            self.unterminated_transaction()
        group = self.group
        if group is None:
            self.find("interchange", "024", "GE without GS", "outside_group", segment="GE")
            return
        count, control = (seg[1] if len(seg) > 1 else ""), (seg[2] if len(seg) > 2 else "")
        group.declared = int(count) if count.isdigit() else None
        if control != group.control_number:
            self.find(
                "group", "4", f"GE02 {control} does not match GS06 {group.control_number}", "control_number"
            )
        if group.declared != len(group.transactions):
            self.find(
                "group",
                "5",
                f"GE01 says {count} transaction sets, the group has {len(group.transactions)}",
                "count",
            )
        self.group = None

    def close_interchange(self, seg: Sequence[str]) -> None:
        group_open = self.group is not None
        self.close_open_group()
        if group_open:
            self.find("interchange", "024", "IEA before the functional group was closed", "structure")
        count, control = (seg[1] if len(seg) > 1 else ""), (seg[2] if len(seg) > 2 else "")
        if control != self.ic.control_number:
            self.find(
                "interchange",
                "001",
                f"IEA02 {control} does not match ISA13 {self.ic.control_number}",
                "control_number",
            )
        if count != str(len(self.result.groups)) and (
            not count.isdigit() or int(count) != len(self.result.groups)
        ):
            self.find(
                "interchange",
                "021",
                f"IEA01 says {count} groups, the interchange has {len(self.result.groups)}",
                "count",
            )
        self.closed = True

    def hierarchy(self, seg: Sequence[str]) -> None:
        """HL01 numbers count up from 1 within a transaction; HL02 names an earlier, still open level."""
        stack = self.hl_stack
        self.hl_count += 1
        count = self.hl_count
        own = seg[1] if len(seg) > 1 else ""
        where = {"segment": "HL", "position": self.position, "data_element": "628"}
        if own != str(count):
            self.find(
                "element",
                "7",
                f"HL01 is {own}, expected {count}",
                "hl_sequence",
                element=1,
                value=own,
                **where,
            )
        parent = seg[2] if len(seg) > 2 else ""
        if parent:
            number = int(parent) if parent.isdigit() else None
            if number not in stack:
                where["data_element"] = "734"
                self.find(
                    "element",
                    "7",
                    f"HL02 parent {parent} is not an open HL",
                    "hl_parent",
                    element=2,
                    value=parent,
                    **where,
                )
            while stack and stack[-1] != number:
                stack.pop()
        stack.append(count)

    def unterminated_transaction(self) -> None:
        assert self.txn is not None
        self.find(
            "transaction",
            "2",
            f"transaction set {self.txn.control_number} has no SE trailer",
            "missing_trailer",
        )
        self.txn = None
        self.position = 0

    def finish(self) -> None:
        self.close_open_group()
        if not self.closed:
            self.find(
                "interchange",
                "023",
                "the interchange has no IEA trailer (file truncated?)",
                "missing_trailer",
            )
