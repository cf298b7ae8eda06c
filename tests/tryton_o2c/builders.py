"""Canonical orders, plans, shipments and returns for the order-to-cash tests."""

from __future__ import annotations

from decimal import Decimal

from hub.models import Address, Money, Order, OrderLine, Quantity, Return, ReturnLine, Shipment, ShipmentLine
from hub.workflows.ports import Allocation, LinePlan

SHIP_TO = Address(
    kind="shipping", name="Dana Buyer", company="Acme Retail", line1="500 Commerce St", line2="Dock 4",
    city="Austin", region="TX", postal_code="78701", country="US",
)  # fmt: skip

# the trading-partner profile of the end-to-end EDI worlds (mappings/partners/bigbox.yaml there)
BIGBOX_PROFILE = {
    "partner": "bigbox",
    "name": "BigBox Stores",
    "customer_no": "C100",
    "order_prefix": "BB",
    "version": "004010",
    "interchange": {"partner": {"qualifier": "ZZ", "id": "BIGBOX"}, "us": {"qualifier": "ZZ", "id": "COMMERCEHUB"}},
    "groups": {"partner": "BIGBOX", "us": "COMMERCEHUB", "version": "004010VICS"},
    "documents": {"inbound": ["850", "997"], "outbound": ["855", "856", "810", "846", "997"]},
    "acknowledgment": {"send": "997", "overdue_after": "4h"},
    "crosswalk": [{"sku": "SKU-A", "upc": "012345678905", "buyer_part": "BB-A"}],
    "ship_to": {"0042": {"name": "BigBox Store 42", "line1": "100 Main St", "city": "Springfield",
                         "region": "IL", "postal_code": "62701", "country": "US", "warehouse": "WH1"}},
}  # fmt: skip


def order(
    order_no: str,
    lines: dict[str, int],
    *,
    customer: str = "C100",
    prices: dict[str, str] | None = None,
    ship_to: Address | None = SHIP_TO,
) -> Order:
    prices = prices or {}
    return Order(
        order_no=order_no,
        customer_no=customer,
        currency="USD",
        po_number=f"PO-{order_no}",
        ship_to=ship_to,
        lines=[
            OrderLine(
                line_no=n,
                sku=sku,
                quantity=Quantity(value=Decimal(qty)),
                unit_price=Money(amount=Decimal(prices[sku]), currency="USD") if sku in prices else None,
            )
            for n, (sku, qty) in enumerate(lines.items(), start=1)
        ],
    )


def plan(the_order: Order, warehouses: dict[str, dict[str, int]]) -> list[LinePlan]:
    """``warehouses``: SKU -> {warehouse: quantity}; what is not allocated is backordered."""
    out = []
    for line in the_order.lines:
        split = warehouses.get(line.sku, {})
        allocations = tuple(
            Allocation(line.line_no, line.sku, wh, Decimal(qty)) for wh, qty in split.items() if qty
        )
        allocated = sum((a.quantity for a in allocations), Decimal(0))
        out.append(
            LinePlan(
                line.line_no, line.sku, line.quantity.value, allocations,
                backordered=line.quantity.value - allocated,
                status="accepted" if allocations else "backordered",
            )
        )  # fmt: skip
    return out


def shipment(
    shipment_no: str, order_no: str, lines: dict[str, int], warehouse: str | None = None
) -> Shipment:
    return Shipment(
        shipment_no=shipment_no,
        order_no=order_no,
        warehouse=warehouse,
        carrier="UPS",
        tracking_numbers=[f"1Z{shipment_no}"],
        lines=[
            ShipmentLine(line_no=n, sku=sku, quantity=Quantity(value=Decimal(qty)))
            for n, (sku, qty) in enumerate(lines.items(), start=1)
        ],
    )


def rma(rma_no: str, order_no: str, lines: dict[str, int], customer: str | None = "C100") -> Return:
    return Return(
        rma_no=rma_no,
        order_no=order_no,
        customer_no=customer,
        status="approved",
        reason="damaged in transit",
        lines=[ReturnLine(sku=sku, quantity=Quantity(value=Decimal(q))) for sku, q in lines.items()],
    )
