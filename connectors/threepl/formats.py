"""The five 3PL file layouts (columns, file names) and the writers of the two we send.

docs/threepl.md is the partner-facing description of these layouts; keep the two in step.
A request renders to the same bytes every time (no timestamps, normalised numbers), which is what makes
re-sending it detectable and harmless.
"""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import quote

from connectors.mailbox.base import safe_name
from connectors.threepl.csvcodec import UnwritableValue, render
from hub.errors import RecordRejected
from hub.workflows.ports import ExpectedReceipt, FulfilmentLine, FulfilmentRequest

ADDRESS_FIELDS = ("name", "company", "line1", "line2", "city", "region", "postal_code", "country", "phone")

FULFILMENT_COLUMNS = (
    "request_id",
    "order_no",
    "warehouse",
    "line_no",
    "sku",
    "quantity",
    *(f"ship_to_{name}" for name in ADDRESS_FIELDS),
    "carrier",
    "service",
)
EXPECTED_RECEIPT_COLUMNS = ("rma_no", "order_no", "warehouse", "line_no", "sku", "quantity")

# What the 3PL sends: required columns, then optional ones (missing optional columns read as empty).
SHIPMENT_COLUMNS = (
    "shipment_no",
    "request_id",
    "order_no",
    "line_no",
    "sku",
    "quantity_shipped",
    "carrier",
    "service",
    "tracking",
    "ship_date",
)
SHIPMENT_OPTIONAL = ("warehouse",)
RECEIPT_COLUMNS = ("rma_no", "line_no", "sku", "quantity", "condition")
RECEIPT_OPTIONAL = ("order_no", "warehouse")
INVENTORY_COLUMNS = ("warehouse", "sku", "on_hand", "reserved", "as_of")

FULFILMENT_PREFIX, EXPECTED_RECEIPT_PREFIX = "FR_", "ER_"
INBOUND_PREFIXES = {"SC_": "shipment", "RR_": "receipt", "INV_": "inventory"}
TRACKING_SEPARATOR = "|"
MAX_DECIMALS = 6  # what the inbound number pattern accepts, so what we send we could read back
MAX_QUANTITY = Decimal(10) ** 15


def file_token(value: str) -> str:
    """An id as a file-name part: percent-encoded outside ``A-Z a-z 0-9 - _ . ~``, so distinct ids never
    share a file name and no id can leave the folder."""
    return quote(value, safe="-_.")


def fulfilment_file_name(request_id: str) -> str:
    return _file_name(FULFILMENT_PREFIX, request_id)


def expected_receipt_file_name(rma_no: str) -> str:
    return _file_name(EXPECTED_RECEIPT_PREFIX, rma_no)


def _file_name(prefix: str, key: str) -> str:
    if not key or not key.strip():
        raise RecordRejected(f"{prefix}file needs a non-empty id", stage="write", field="id")
    name = f"{prefix}{file_token(key)}.csv"
    if len(name) > 200:  # leaves room for .part, collision suffixes and .error.txt
        raise RecordRejected(f"id {key[:40]!r}... is too long for a file name", stage="write", field="id")
    return safe_name(name)


def number(value: Decimal | int) -> str:
    """A quantity in plain notation without trailing zeros: 2, 2.5, 100 (never 1E+2)."""
    text = format(Decimal(value).normalize(), "f")
    return text


def render_fulfilment(request: FulfilmentRequest) -> bytes:
    """One row per request line; the ship-to address and carrier repeat on every row."""
    _check_lines(request.request_id, request.lines)
    address = request.ship_to
    ship_to = [_text(getattr(address, name, None)) for name in ADDRESS_FIELDS]
    rows = [
        [
            request.request_id,
            request.order_no,
            request.warehouse,
            str(line.line_no),
            line.sku,
            number(line.quantity),
            *ship_to,
            _text(request.carrier),
            _text(request.service),
        ]
        for line in request.lines
    ]
    return _render(request.request_id, FULFILMENT_COLUMNS, rows)


def render_expected_receipt(receipt: ExpectedReceipt) -> bytes:
    _check_lines(receipt.rma_no, receipt.lines)
    rows = [
        [
            receipt.rma_no,
            receipt.order_no,
            receipt.warehouse,
            str(line.line_no),
            line.sku,
            number(line.quantity),
        ]
        for line in receipt.lines
    ]
    return _render(receipt.rma_no, EXPECTED_RECEIPT_COLUMNS, rows)


def _render(key: str, columns: tuple[str, ...], rows: list[list[str]]) -> bytes:
    try:
        return render(columns, rows)
    except UnwritableValue as exc:
        raise RecordRejected(f"{key}: {exc}", stage="write", rule="csv_safe") from None


def _check_lines(key: str, lines: tuple[FulfilmentLine, ...]) -> None:
    """A request the 3PL would have to reject is refused here, before it is sent."""
    if not lines:
        raise RecordRejected(f"{key}: no lines to send", stage="write", field="lines")
    seen: set[int] = set()
    for line in lines:
        if line.line_no < 1 or line.line_no in seen:
            raise RecordRejected(
                f"{key}: line_no {line.line_no} is not a unique positive number",
                stage="write",
                field="line_no",
            )
        seen.add(line.line_no)
        if not line.sku or not line.sku.strip():
            raise RecordRejected(f"{key}: line {line.line_no} has no SKU", stage="write", field="sku")
        quantity = Decimal(line.quantity)
        if not (quantity.is_finite() and 0 < quantity < MAX_QUANTITY) or -_exponent(quantity) > MAX_DECIMALS:
            raise RecordRejected(
                f"{key}: line {line.line_no} quantity {line.quantity} is not a number > 0 with at most "
                f"{MAX_DECIMALS} decimals",
                stage="write",
                field="quantity",
            )


def _exponent(quantity: Decimal) -> int:
    exponent = quantity.normalize().as_tuple().exponent
    return exponent if isinstance(exponent, int) else 0


def _text(value: str | None) -> str:
    return "" if value is None else value
