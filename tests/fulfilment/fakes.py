"""In-memory stand-ins for the workflow ports, recording every call (the real ones have contract tests)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from hub.models import Order, Return, Shipment
from hub.workflows.ports import ErpInvoice, ErpSale, ExpectedReceipt, FulfilmentRequest, LinePlan, ThreePLRead


@dataclass
class FakeErp:
    sales: dict[str, ErpSale] = field(default_factory=dict)
    shipped: dict[str, list[str]] = field(default_factory=dict)
    invoice_on_ship: bool = True
    calls: list[str] = field(default_factory=list)
    fail_confirm: int = 0

    def prices(self, skus: Sequence[str], customer_no: str | None) -> dict[str, Decimal]:
        return {s: Decimal("10") for s in skus}

    def stock(self, skus: Sequence[str]) -> dict[str, dict[str, Decimal]]:
        return {s: {"main": Decimal(100)} for s in skus}

    def customer_exists(self, customer_no: str) -> bool:
        return True

    def create_sale(self, order: Order, plan: Sequence[LinePlan], *, quote_only: bool = False) -> ErpSale:
        self.calls.append(f"create {order.order_no}")
        sale = self.sales.get(order.order_no) or ErpSale(len(self.sales) + 1, f"S{len(self.sales) + 1}",
                                                         order.order_no, "quotation")  # fmt: skip
        self.sales[order.order_no] = sale
        return sale

    def confirm_sale(self, reference: str) -> ErpSale:
        self.calls.append(f"confirm {reference}")
        if self.fail_confirm:
            self.fail_confirm -= 1
            from hub.errors import RetriableError

            raise RetriableError("ERP timeout")
        sale = self.sales[reference]
        sale = ErpSale(sale.sale_id, sale.number, reference, "processing", shipment_ids=(sale.sale_id * 10,))
        self.sales[reference] = sale
        return sale

    def sale(self, reference: str) -> ErpSale | None:
        return self.sales.get(reference)

    def ship(self, reference: str, shipment: Shipment) -> list[int]:
        self.calls.append(f"ship {shipment.shipment_no}")
        self.shipped.setdefault(reference, [])
        if shipment.shipment_no not in self.shipped[reference]:
            self.shipped[reference].append(shipment.shipment_no)
        return [1]

    def invoices(self, reference: str) -> list[ErpInvoice]:
        if not self.invoice_on_ship:
            return []
        return [
            ErpInvoice(
                n,
                f"INV-{reference}-{n}",
                reference,
                "posted",
                Decimal(10),
                Decimal(0),
                "USD",
                date(2026, 11, 22),
            )
            for n, _ in enumerate(self.shipped.get(reference, []), 1)
        ]

    def create_return(self, ret: Return) -> ErpSale:
        self.calls.append(f"return {ret.rma_no}")
        return ErpSale(900, f"R-{ret.rma_no}", ret.rma_no, "processing")

    def receive_return(self, rma_no: str, lines: Sequence[tuple[str, Decimal]]) -> None:
        self.calls.append(f"receive {rma_no} " + ",".join(f"{s}:{q}" for s, q in lines))

    def count_stock(self, warehouse: str, counts: dict[str, Decimal]) -> int | None:
        self.calls.append(f"count {warehouse} " + ",".join(f"{s}:{q}" for s, q in sorted(counts.items())))
        return 1

    def request_purchase(self, sku: str, warehouse: str, quantity: Decimal) -> int:
        self.calls.append(f"purchase {sku}@{warehouse} {quantity}")
        return 1


@dataclass
class FakeThreePL:
    requests: dict[str, FulfilmentRequest] = field(default_factory=dict)
    writes: int = 0
    receipts: dict[str, ExpectedReceipt] = field(default_factory=dict)

    def send_fulfilment(self, request: FulfilmentRequest) -> str:
        self.writes += 1
        self.requests[request.request_id] = request
        return f"FR_{request.request_id}.csv"

    def send_expected_receipt(self, receipt: ExpectedReceipt) -> str:
        self.receipts[receipt.rma_no] = receipt
        return f"ER_{receipt.rma_no}.csv"

    def read_inbox(self) -> ThreePLRead:
        return ThreePLRead()


@dataclass
class FakeShop:
    tags: dict[str, set[str]] = field(default_factory=dict)
    fulfilments: dict[str, list[str]] = field(default_factory=dict)
    refunds: dict[str, str] = field(default_factory=dict)

    def add_tags(self, order_no: str, tags: Sequence[str]) -> None:
        self.tags.setdefault(order_no, set()).update(tags)

    def fulfil(self, order_no: str, shipment: Shipment) -> str:
        done = self.fulfilments.setdefault(order_no, [])
        if shipment.shipment_no not in done:
            done.append(shipment.shipment_no)
        return shipment.shipment_no

    def set_refund_status(self, order_no: str, rma_no: str, status: str) -> None:
        self.refunds[rma_no] = status

    def send_quote(
        self, order_no: str, lines: Sequence[tuple[str, Decimal, Decimal]], total: Decimal
    ) -> None:
        return None


@dataclass
class FakeMailer:
    sent: dict[str, tuple[str, str]] = field(default_factory=dict)

    def send(
        self, to: str, subject: str, text: str, *, html: str | None = None, key: str | None = None
    ) -> bool:
        if key in self.sent:
            return False
        self.sent[key or subject] = (to, subject)
        return True
