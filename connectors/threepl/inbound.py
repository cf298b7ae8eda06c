"""Parses what the 3PL sends (shipment confirmations, return receipts, inventory snapshots) into typed messages.

All or nothing per file: every row is checked, every problem is collected with its line and column, and a file
with any problem yields no message at all (a half-applied confirmation is worse than a quarantined one).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, TypeVar

from pydantic import ValidationError

from connectors.threepl import formats
from connectors.threepl.csvcodec import FileProblem, Problem, Row, Table, decode, parse
from hub.models import Quantity, Shipment, ShipmentLine, StockLevel
from hub.models.common import CanonicalModel
from hub.workflows.ports import ExpectedReceipt, FulfilmentLine, ThreePLMessage

Kind = Literal["shipment", "receipt", "inventory"]
CONDITIONS = ("new", "opened", "damaged")
_NUMBER = re.compile(r"[0-9]{1,15}(\.[0-9]{1,6})?")
_INTEGER = re.compile(r"[0-9]{1,9}")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MAX_PROBLEMS = 50
M = TypeVar("M", bound=CanonicalModel)

LAYOUTS: dict[Kind, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "shipment": (formats.SHIPMENT_COLUMNS, formats.SHIPMENT_OPTIONAL),
    "receipt": (formats.RECEIPT_COLUMNS, formats.RECEIPT_OPTIONAL),
    "inventory": (formats.INVENTORY_COLUMNS, ()),
}


@dataclass(frozen=True)
class ReceiptLine(FulfilmentLine):
    """A received return line: a ``FulfilmentLine`` plus the condition the 3PL found the goods in."""

    condition: Literal["new", "opened", "damaged"] | None = None


@dataclass(frozen=True)
class InboundMessage(ThreePLMessage):
    """A ``ThreePLMessage`` that also carries the request id a shipment confirms (None for other kinds)."""

    request_id: str | None = None


def detect_kind(name: str, data: bytes) -> Kind:
    """By file-name prefix (SC_, RR_, INV_); failing that, by a header that fits exactly one layout."""
    for prefix, kind in formats.INBOUND_PREFIXES.items():
        if name.upper().startswith(prefix):
            return kind  # type: ignore[return-value]
    first = decode(data).splitlines()[0]
    columns = {c.strip().strip('"') for c in first.split(",")}
    fits = [kind for kind, (required, _) in LAYOUTS.items() if set(required) <= columns]
    if len(fits) == 1:
        return fits[0]
    raise FileProblem(
        Problem(
            "unknown kind of file: the name does not start with SC_, RR_ or INV_ and the header "
            "is not that of a shipment confirmation, return receipt or inventory snapshot",
            1,
        )
    )


def parse_file(name: str, data: bytes, *, warehouse: str) -> tuple[Kind, list[InboundMessage]]:
    """Messages of one complete file, or FileProblem listing everything wrong with it."""
    kind = detect_kind(name, data)
    required, optional = LAYOUTS[kind]
    try:
        cells = _Cells(parse(data, required, optional))
    except FileProblem as exc:
        raise FileProblem(*exc.problems, kind=kind) from None
    messages = _BUILDERS[kind](cells, name, warehouse)
    if cells.problems:
        raise FileProblem(*cells.problems[:MAX_PROBLEMS], kind=kind)
    return kind, messages


class _Cells:
    """Typed access to cells; each bad value becomes a located Problem instead of an exception."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.problems: list[Problem] = []

    def fail(self, row: Row, name: str, message: str) -> None:
        self.problems.append(Problem(message, row.line, self._column(name), name))

    def _column(self, name: str) -> int | None:
        return self.table.position(name) if name in self.table.header else None

    def text(self, row: Row, name: str, *, required: bool = True) -> str | None:
        value = row.cells.get(name, "").strip()
        if value:
            return value
        if required:
            self.fail(row, name, "a value is required")
        return None

    def integer(self, row: Row, name: str) -> int | None:
        value = self.text(row, name)
        if value is None:
            return None
        if not _INTEGER.fullmatch(value) or int(value) < 1:
            self.fail(row, name, f"{value!r} is not a line number (a whole number from 1)")
            return None
        return int(value)

    def quantity(self, row: Row, name: str, *, zero_ok: bool) -> Decimal | None:
        value = self.text(row, name)
        if value is None:
            return None
        try:
            number = Decimal(value) if _NUMBER.fullmatch(value) else None
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
            number = None
        if number is None or (number == 0 and not zero_ok):
            wanted = "a number >= 0" if zero_ok else "a number > 0"
            self.fail(row, name, f"{value!r} is not {wanted} (digits, optional '.' decimals)")
            return None
        return number

    def day(self, row: Row, name: str) -> date | None:
        value = self.text(row, name)
        if value is None:
            return None
        try:
            if _DAY.fullmatch(value):
                return date.fromisoformat(value)
        except ValueError:
            pass
        self.fail(row, name, f"{value!r} is not a date (YYYY-MM-DD)")
        return None

    def moment(self, row: Row, name: str) -> datetime | None:
        value = self.text(row, name)
        if value is None:
            return None
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            self.fail(row, name, f"{value!r} is not an ISO 8601 date-time (2026-01-31T08:00:00Z)")
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    def same(self, first: Row, row: Row, name: str, group: str) -> None:
        """Header-like values must agree on every row of one shipment / receipt."""
        a, b = first.cells.get(name, "").strip(), row.cells.get(name, "").strip()
        if a != b:
            self.fail(row, name, f"{b!r} differs from {a!r} on line {first.line} of the same {group}")

    def too_many(self) -> bool:
        return len(self.problems) >= MAX_PROBLEMS


def _groups(table: Table, key: str) -> dict[str, list[Row]]:
    groups: dict[str, list[Row]] = {}
    for row in table.rows:
        groups.setdefault(row.cells.get(key, "").strip(), []).append(row)
    return groups


def _shipments(cells: _Cells, name: str, warehouse: str) -> list[InboundMessage]:
    """One Shipment per shipment_no; several shipments (partial ones of one order) may share a file."""
    messages = []
    shared = ("request_id", "order_no", "carrier", "service", "ship_date", "warehouse")
    for shipment_no, rows in _groups(cells.table, "shipment_no").items():
        first, lines, tracking = rows[0], [], []
        seen: set[int] = set()
        for row in rows:
            if cells.too_many():
                break
            cells.text(row, "shipment_no")
            for column in shared:
                cells.same(first, row, column, f"shipment {shipment_no!r}")
            line_no = cells.integer(row, "line_no")
            sku = cells.text(row, "sku")
            quantity = cells.quantity(row, "quantity_shipped", zero_ok=False)
            if line_no is not None and line_no in seen:
                cells.fail(row, "line_no", f"line {line_no} appears twice in shipment {shipment_no!r}")
            seen.add(line_no or 0)
            for number in row.cells.get("tracking", "").split(formats.TRACKING_SEPARATOR):
                if number.strip() and number.strip() not in tracking:
                    tracking.append(number.strip())
            if line_no is not None and sku is not None and quantity is not None:
                lines.append(
                    ShipmentLine(
                        line_no=len(lines) + 1,
                        sku=sku,
                        quantity=Quantity(value=quantity),
                        order_line_no=line_no,
                    )
                )
        order_no = cells.text(first, "order_no")
        ship_date = cells.day(first, "ship_date")
        if cells.problems or order_no is None:
            continue
        shipment = _model(
            cells,
            first,
            Shipment,
            dict(
                shipment_no=shipment_no,
                order_no=order_no,
                status="shipped",
                warehouse=cells.text(first, "warehouse", required=False) or warehouse,
                carrier=cells.text(first, "carrier", required=False),
                service=cells.text(first, "service", required=False),
                tracking_numbers=tracking,
                ship_date=ship_date,
                lines=lines,
            ),
        )
        if shipment is not None:
            request_id = cells.text(first, "request_id", required=False)
            messages.append(InboundMessage("shipment", name, shipment=shipment, request_id=request_id))
    return messages


def _receipts(cells: _Cells, name: str, warehouse: str) -> list[InboundMessage]:
    """One received return per rma_no; a line may appear once per condition (2 new + 1 damaged)."""
    messages = []
    for rma_no, rows in _groups(cells.table, "rma_no").items():
        first, lines = rows[0], []
        for row in rows:
            if cells.too_many():
                break
            cells.text(row, "rma_no")
            cells.same(first, row, "order_no", f"receipt {rma_no!r}")
            cells.same(first, row, "warehouse", f"receipt {rma_no!r}")
            line_no = cells.integer(row, "line_no")
            sku = cells.text(row, "sku")
            quantity = cells.quantity(row, "quantity", zero_ok=False)
            condition = (cells.text(row, "condition", required=False) or "").lower() or None
            if condition is not None and condition not in CONDITIONS:
                cells.fail(
                    row, "condition", f"{condition!r} is not one of {', '.join(CONDITIONS)} (or empty)"
                )
            elif line_no is not None and sku is not None and quantity is not None:
                lines.append(ReceiptLine(line_no, sku, quantity, condition))  # type: ignore[arg-type]
        if cells.problems:
            continue
        receipt = ExpectedReceipt(
            rma_no=rma_no,
            order_no=cells.text(first, "order_no", required=False) or "",
            warehouse=cells.text(first, "warehouse", required=False) or warehouse,
            lines=tuple(lines),
        )
        messages.append(InboundMessage("receipt", name, receipt=receipt))
    return messages


def _inventory(cells: _Cells, name: str, warehouse: str) -> list[InboundMessage]:
    """The whole file is one snapshot; a (warehouse, sku) pair may appear only once."""
    levels: list[StockLevel] = []
    seen: dict[tuple[str, str], int] = {}
    for row in cells.table.rows:
        if cells.too_many():
            break
        site, sku = cells.text(row, "warehouse"), cells.text(row, "sku")
        on_hand = cells.quantity(row, "on_hand", zero_ok=True)
        reserved = cells.quantity(row, "reserved", zero_ok=True)
        as_of = cells.moment(row, "as_of")
        if site is not None and sku is not None:
            if (site, sku) in seen:
                cells.fail(row, "sku", f"{sku!r} at {site!r} already appears on line {seen[site, sku]}")
            seen[site, sku] = row.line
        if None in (site, sku, on_hand, reserved, as_of) or cells.problems:
            continue
        level = _model(
            cells,
            row,
            StockLevel,
            dict(
                sku=sku,
                warehouse=site,
                on_hand={"value": on_hand},
                reserved={"value": reserved},
                available={"value": on_hand - reserved},  # type: ignore[operator]
                as_of=as_of,
            ),
        )
        if level is not None:
            levels.append(level)
    return [InboundMessage("inventory", name, inventory=tuple(levels))]


_BUILDERS: dict[Kind, Callable[[_Cells, str, str], list[InboundMessage]]] = {
    "shipment": _shipments,
    "receipt": _receipts,
    "inventory": _inventory,
}


def _model(cells: _Cells, row: Row, model: type[M], values: dict[str, Any]) -> M | None:
    """Canonical-model validation errors are problems of the row, not crashes."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        cells.problems.append(Problem(f"{where}: {first['msg']}", row.line))
        return None
