"""What the order workflows need from the ERP, the 3PL, the shop and the mail server.

The workflows only see these ports: ``connectors.tryton.sales`` implements ``ErpOrders``, ``connectors.threepl``
implements ``ThreePL``, ``connectors.shopify`` implements ``ShopOrders``, ``hub.workflows.mailer`` implements
``Mailer``. Every call is idempotent by the natural key it carries (order number, request id, RMA number),
so a replay after a crash updates instead of duplicating.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal, Protocol

from hub.models import Address, Order, Return, Shipment, StockLevel

LineStatus = Literal["accepted", "backordered", "rejected"]


@dataclass(frozen=True)
class Allocation:
    """Part of an order line served from one warehouse (a line may be split over several)."""

    line_no: int
    sku: str
    warehouse: str
    quantity: Decimal


@dataclass(frozen=True)
class LinePlan:
    """What happens to one order line: allocated quantities per warehouse, and what is short."""

    line_no: int
    sku: str
    ordered: Decimal
    allocations: tuple[Allocation, ...] = ()
    backordered: Decimal = Decimal(0)
    status: LineStatus = "accepted"


@dataclass(frozen=True)
class ErpSale:
    """A sale in the ERP as the hub tracks it."""

    sale_id: int
    number: str | None
    reference: str  # the hub's order number
    state: str  # Tryton sale state: draft, quotation, confirmed, processing, done, cancelled
    total: Decimal | None = None
    shipment_ids: tuple[int, ...] = ()
    invoice_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class ErpInvoice:
    invoice_id: int
    number: str | None
    sale_reference: str
    state: str  # draft, validated, posted, paid
    total: Decimal
    tax: Decimal
    currency: str
    invoice_date: date | None


class ErpOrders(Protocol):
    """Order-to-cash operations in the ERP; all idempotent by the hub order number (the sale reference)."""

    def prices(self, skus: Sequence[str], customer_no: str | None) -> dict[str, Decimal]:
        """The ERP list price (or the customer's price) per SKU; unknown SKUs are absent."""
        ...

    def stock(self, skus: Sequence[str]) -> dict[str, dict[str, Decimal]]:
        """Forecast available quantity per SKU per warehouse code."""
        ...

    def customer_exists(self, customer_no: str) -> bool: ...

    def create_sale(self, order: Order, plan: Sequence[LinePlan], *, quote_only: bool = False) -> ErpSale:
        """Create (or find by reference) the sale with one line per allocation, then quote it.

        ``quote_only`` leaves it a quotation (requests for quote); otherwise the caller confirms it next.
        """
        ...

    def confirm_sale(self, reference: str) -> ErpSale:
        """Confirm and process the sale so shipments (and invoices per the sale's method) are created."""
        ...

    def sale(self, reference: str) -> ErpSale | None: ...

    def ship(self, reference: str, shipment: Shipment) -> list[int]:
        """Record a (possibly partial) shipment: the ERP customer shipment goes to done and stock goes down."""
        ...

    def invoices(self, reference: str) -> list[ErpInvoice]:
        """Invoices of the sale, posting any that are ready; the hub records them."""
        ...

    def create_return(self, ret: Return) -> ErpSale:
        """A return sale (negative quantities) for the RMA; idempotent by ``rma_no``."""
        ...

    def receive_return(self, rma_no: str, lines: Sequence[tuple[str, Decimal]]) -> None:
        """The 3PL received returned goods: the return shipment is received, stock goes back up."""
        ...

    def request_purchase(self, sku: str, warehouse: str, quantity: Decimal) -> int:
        """A purchase request (replenishment suggestion); one open request per SKU and warehouse."""
        ...

    def count_stock(self, warehouse: str, counts: Mapping[str, Decimal]) -> int | None:
        """A stock count from the 3PL that runs ``warehouse`` (SKU -> on hand) becomes the ERP's on-hand."""
        ...


@dataclass(frozen=True)
class FulfilmentLine:
    line_no: int
    sku: str
    quantity: Decimal


@dataclass(frozen=True)
class FulfilmentRequest:
    """What the 3PL must pick, pack and ship; ``request_id`` is unique (order no + warehouse + sequence)."""

    request_id: str
    order_no: str
    warehouse: str
    ship_to: Address
    lines: tuple[FulfilmentLine, ...]
    carrier: str | None = None
    service: str | None = None


@dataclass(frozen=True)
class ExpectedReceipt:
    rma_no: str
    order_no: str
    warehouse: str
    lines: tuple[FulfilmentLine, ...]


@dataclass(frozen=True)
class ThreePLMessage:
    """One message read from the 3PL's inbox: a shipment confirmation, a return receipt or a stock snapshot."""

    kind: Literal["shipment", "receipt", "inventory"]
    file: str
    shipment: Shipment | None = None
    receipt: ExpectedReceipt | None = None
    inventory: tuple[StockLevel, ...] = ()


@dataclass
class ThreePLRead:
    messages: list[ThreePLMessage] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (file, reason): moved to error/


class ThreePL(Protocol):
    """The 3PL over its mailbox: requests out (``.part`` then rename), confirmations in."""

    def send_fulfilment(self, request: FulfilmentRequest) -> str:
        """Write the request CSV to the 3PL outbox; returns the file name; same request id = same file."""
        ...

    def send_expected_receipt(self, receipt: ExpectedReceipt) -> str: ...

    def read_inbox(self) -> ThreePLRead:
        """Parse what the 3PL sent; good files move to archive/, malformed ones to error/ with a report."""
        ...


class ShopOrders(Protocol):
    """Order-side writes to the shop (the shop stays the system of record for its orders)."""

    def add_tags(self, order_no: str, tags: Sequence[str]) -> None: ...

    def fulfil(self, order_no: str, shipment: Shipment) -> str:
        """A fulfilment with carrier and tracking for the shipped lines; idempotent by shipment number."""
        ...

    def set_refund_status(self, order_no: str, rma_no: str, status: str) -> None: ...

    def send_quote(
        self, order_no: str, lines: Sequence[tuple[str, Decimal, Decimal]], total: Decimal
    ) -> None:
        """The priced quote back to the shop: (sku, quantity, unit price) per line."""
        ...


class Mailer(Protocol):
    def send(
        self, to: str, subject: str, text: str, *, html: str | None = None, key: str | None = None
    ) -> bool:
        """Send one email; ``key`` makes it idempotent (a replayed event does not email twice)."""
        ...
