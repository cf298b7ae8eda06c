"""A world ready to take orders: products with stock at WH1 and customers in Tryton, the same products
in the shop stand-in. Shared by the order-latency bench and the load scenario."""

from __future__ import annotations

from typing import Any

import requests

from hub.engine.ports import OutboundRecord
from sandbox.runner import CREDENTIALS


def seed_order_world(
    sandboxes: Any, skus: dict[str, str], customers: dict[str, str], *, quantity: float, label: str
) -> None:
    """``skus``: SKU -> list price; ``customers``: account code -> name; ``quantity`` on hand per SKU."""
    conn = sandboxes.erp_connector()
    conn.write("product", [OutboundRecord(s, None, {"code": s, "name": f"{label} {s}", "list_price": p,
                                                    "cost_price": "1.00", "default_uom": "each"}, "create")
                           for s, p in skus.items()])  # fmt: skip
    conn.write("customer", [OutboundRecord(c, None, {"code": c, "name": name, "payment_term": "net30"}, "create")
                            for c, name in customers.items()])  # fmt: skip
    client = conn.client
    ids = {r["code"]: r["id"] for r in client.search_read("product.product", [], ["code"])}
    [wh] = client.search_read("stock.location", [("code", "=", "WH1")], ["storage_location"])
    lines = [{"product": ids[s], "quantity": quantity} for s in skus]
    inventory = client.create(
        "stock.inventory", [{"location": wh["storage_location"], "lines": [["create", lines]]}]
    )
    client.call("model.stock.inventory.confirm", inventory)
    api = f"{sandboxes.servers['shop'].url}/admin/api/2024-10"
    headers = {"X-Shopify-Access-Token": CREDENTIALS["shop"]["access_token"]}
    for sku, price in skus.items():
        body = {"product": {"title": sku, "variants": [{"sku": sku, "price": price}]}}
        requests.post(f"{api}/products.json", json=body, headers=headers, timeout=10).raise_for_status()
