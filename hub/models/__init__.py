"""Canonical entities: the hub's own shape of every record, independent of any system.

Money is a Decimal with an explicit ISO 4217 currency; a quantity carries its unit of measure.
Golden records are stored as the JSON form of these models (``model_dump(mode="json")``).
"""

from __future__ import annotations

from hub.models.common import Address, Contact, Money, Quantity
from hub.models.entities import (
    ENTITIES,
    Customer,
    EntitySpec,
    Order,
    OrderLine,
    Product,
    Return,
    ReturnLine,
    Shipment,
    ShipmentLine,
    StockLevel,
    entity_spec,
)

__all__ = [
    "ENTITIES",
    "Address",
    "Contact",
    "Customer",
    "EntitySpec",
    "Money",
    "Order",
    "OrderLine",
    "Product",
    "Quantity",
    "Return",
    "ReturnLine",
    "Shipment",
    "ShipmentLine",
    "StockLevel",
    "entity_spec",
]
