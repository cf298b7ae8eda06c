"""The 3PL's stock count becomes the ERP's: one confirmed Tryton inventory per snapshot at the 3PL's warehouse.

The 3PL owns on-hand at the warehouses it runs; Tryton's inventory sets each counted product to the counted
quantity and books the difference. Idempotent: the same counts again book nothing (no difference left).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from connectors.tryton.refs import Refs, quantity


def count_stock(refs: Refs, warehouse: str, counts: Mapping[str, Decimal]) -> int | None:
    """Book a stock count at ``warehouse`` (SKU -> on hand); returns the inventory id, None when nothing to count."""
    if not counts:
        return None
    storage = refs.warehouse(warehouse).storage
    products = refs.require_products(list(counts))
    lines = [
        {"product": products[sku]["id"], "quantity": quantity(qty)} for sku, qty in sorted(counts.items())
    ]
    (inventory,) = refs.client.create(
        "stock.inventory", [{"location": storage, "lines": [["create", lines]]}]
    )
    refs.client.call("model.stock.inventory.confirm", [inventory])
    return int(inventory)
