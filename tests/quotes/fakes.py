"""Stand-ins for the ERP and shop ports of the quote flow, recording every call (the real ones have contract
tests of their own); the CRM is the real sandbox."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from hub.models import Order
from hub.workflows.ports import ErpSale, LinePlan


@dataclass
class QuoteErp:
    """Prices per SKU and sales by reference (as Tryton: a second create finds the first sale)."""

    price_list: dict[str, Decimal] = field(default_factory=dict)
    sales: dict[str, ErpSale] = field(default_factory=dict)
    quoted: dict[str, Order] = field(default_factory=dict)  # reference -> the order the quotation was made of
    plans: dict[str, list[LinePlan]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    fail_next: list[Exception] = field(default_factory=list)  # raised by the next create_sale calls

    def prices(self, skus: Sequence[str], customer_no: str | None) -> dict[str, Decimal]:
        self.calls.append(f"prices {customer_no}")
        return {s: self.price_list[s] for s in skus if s in self.price_list}

    def stock(self, skus: Sequence[str]) -> dict[str, dict[str, Decimal]]:
        raise AssertionError("a quote does not allocate stock")

    def customer_exists(self, customer_no: str) -> bool:
        return True

    def create_sale(self, order: Order, plan: Sequence[LinePlan], *, quote_only: bool = False) -> ErpSale:
        self.calls.append(f"create {order.order_no} quote_only={quote_only}")
        if self.fail_next:
            raise self.fail_next.pop(0)
        sale = self.sales.get(order.order_no)
        if sale is None:  # a replay finds the sale by reference
            number = len(self.sales) + 1
            total = sum(
                (x.unit_price.amount * x.quantity.value for x in order.lines if x.unit_price), Decimal(0)
            )
            sale = ErpSale(number, f"SO{number:04d}", order.order_no, "quotation", total)
            self.sales[order.order_no] = sale
            self.quoted[order.order_no] = order
            self.plans[order.order_no] = list(plan)
        return sale

    def confirm_sale(self, reference: str) -> ErpSale:
        raise AssertionError("a quote is never confirmed by the quote flow")

    def sale(self, reference: str) -> ErpSale | None:
        return self.sales.get(reference)


@dataclass
class QuoteShop:
    """The shop's order notes: the last quote written per order, and every call."""

    quotes: dict[str, tuple[list[tuple[str, Decimal, Decimal]], Decimal]] = field(default_factory=dict)
    calls: int = 0
    fail_next: list[Exception] = field(default_factory=list)

    def add_tags(self, order_no: str, tags: Sequence[str]) -> None:
        raise AssertionError("not used by quotes")

    def fulfil(self, order_no: str, shipment: object) -> str:
        raise AssertionError("not used by quotes")

    def set_refund_status(self, order_no: str, rma_no: str, status: str) -> None:
        raise AssertionError("not used by quotes")

    def send_quote(
        self, order_no: str, lines: Sequence[tuple[str, Decimal, Decimal]], total: Decimal
    ) -> None:
        self.calls += 1
        if self.fail_next:
            raise self.fail_next.pop(0)
        self.quotes[order_no] = (list(lines), total)
