"""The six canonical entities and the registry the mapping loader and engine use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field

from hub.models.common import Address, CanonicalModel, Contact, Money, Quantity


class Product(CanonicalModel):
    sku: str = Field(min_length=1, max_length=64)
    name: str | None = None
    description: str | None = None
    brand: str | None = None
    category: str | None = None
    gtin: str | None = Field(default=None, description="GS1 GTIN-8/12/13/14; its check digit is a rule.")
    status: Literal["active", "draft", "archived"] = "active"
    uom: str = "EA"
    weight: Quantity | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)
    images: list[str] = Field(default_factory=list)
    price: Money | None = None
    cost: Money | None = None
    updated_at: datetime | None = None


class Customer(CanonicalModel):
    """A B2B account with its contacts and addresses."""

    account_no: str = Field(min_length=1, max_length=64)
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    segment: str | None = None
    tags: list[str] = Field(default_factory=list)
    payment_terms: str | None = None
    credit_limit: Money | None = None
    credit_hold: bool = False
    tax_id: str | None = None
    status: Literal["active", "inactive", "prospect"] = "active"
    contacts: list[Contact] = Field(default_factory=list)
    addresses: list[Address] = Field(default_factory=list)
    updated_at: datetime | None = None


class OrderLine(CanonicalModel):
    line_no: int = Field(ge=1)
    sku: str
    description: str | None = None
    quantity: Quantity
    unit_price: Money | None = None
    buyer_part: str | None = None
    upc: str | None = None


class Order(CanonicalModel):
    order_no: str = Field(min_length=1, max_length=64)
    channel: Literal["shop", "edi", "erp", "manual"] = "shop"
    status: str = "new"
    customer_no: str | None = None
    email: str | None = None
    po_number: str | None = None
    order_date: datetime | None = None
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    lines: list[OrderLine] = Field(default_factory=list)
    ship_to: Address | None = None
    bill_to: Address | None = None
    total: Money | None = None
    tags: list[str] = Field(default_factory=list)
    notes: str | None = None
    updated_at: datetime | None = None


class StockLevel(CanonicalModel):
    """Stock of one SKU at one warehouse; ``available`` = on hand - reserved."""

    sku: str
    warehouse: str
    on_hand: Quantity
    reserved: Quantity | None = None
    available: Quantity | None = None
    reorder_point: Quantity | None = None
    as_of: datetime | None = None


class ShipmentLine(CanonicalModel):
    line_no: int = Field(ge=1)
    sku: str
    quantity: Quantity
    order_line_no: int | None = None


class Shipment(CanonicalModel):
    shipment_no: str
    order_no: str
    status: Literal["pending", "shipped", "delivered", "cancelled"] = "shipped"
    warehouse: str | None = None
    carrier: str | None = None
    service: str | None = None
    tracking_numbers: list[str] = Field(default_factory=list)
    ship_date: date | None = None
    ship_to: Address | None = None
    lines: list[ShipmentLine] = Field(default_factory=list)


class ReturnLine(CanonicalModel):
    sku: str
    quantity: Quantity
    reason: str | None = None
    condition: Literal["new", "opened", "damaged"] | None = None


class Return(CanonicalModel):
    rma_no: str
    order_no: str
    customer_no: str | None = None
    status: Literal["requested", "approved", "rejected", "received", "refunded"] = "requested"
    reason: str | None = None
    requested_at: datetime | None = None
    lines: list[ReturnLine] = Field(default_factory=list)
    refund: Money | None = None


@dataclass(frozen=True)
class EntitySpec:
    """What the engine needs to know about a canonical entity."""

    name: str
    model: type[CanonicalModel]
    key_fields: tuple[str, ...]

    def key_of(self, record: dict[str, Any]) -> str | None:
        """The natural key as one string (composite keys joined with '@'), or None when incomplete."""
        parts = [record.get(f) for f in self.key_fields]
        if any(p is None or p == "" for p in parts):
            return None
        return "@".join(str(p) for p in parts)


ENTITIES: dict[str, EntitySpec] = {
    spec.name: spec
    for spec in (
        EntitySpec("product", Product, ("sku",)),
        EntitySpec("customer", Customer, ("account_no",)),
        EntitySpec("order", Order, ("order_no",)),
        EntitySpec("stock", StockLevel, ("sku", "warehouse")),
        EntitySpec("shipment", Shipment, ("shipment_no",)),
        EntitySpec("return", Return, ("rma_no",)),
    )
}


def entity_spec(name: str) -> EntitySpec:
    try:
        return ENTITIES[name]
    except KeyError:
        raise KeyError(f"unknown entity '{name}'; known: {', '.join(sorted(ENTITIES))}") from None
