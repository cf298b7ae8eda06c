"""Order-side writes to the shop (``hub.workflows.ports.ShopOrders``): tags, fulfilments with tracking, refund
status and quotes. The shop stays the system of record of its orders; the hub only adds what it learned.

Orders are found by name (``#1001`` for the hub's ``1001``). Every write is idempotent: a tag already present is
not written again, a fulfilment whose tracking numbers (or, without tracking, whose lines) are already on the
order is not created twice, note attributes are keyed.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from connectors.shopify.client import ShopifyClient
from hub.errors import RemoteRejected
from hub.models import Shipment


class ShopifyOrders:
    def __init__(self, client: ShopifyClient) -> None:
        self.client = client

    def _order(self, order_no: str) -> dict[str, Any]:
        name = order_no if order_no.startswith("#") else f"#{order_no}"
        found = self.client.json("GET", f"/orders.json?status=any&name={quote(name)}").get("orders") or []
        if not found:
            raise RemoteRejected(f"shop has no order {name}", status=404)
        return found[0]

    def add_tags(self, order_no: str, tags: Sequence[str]) -> None:
        order = self._order(order_no)
        current = [t.strip() for t in (order.get("tags") or "").split(",") if t.strip()]
        missing = [t for t in tags if t not in current]
        if missing:
            body = {"order": {"id": order["id"], "tags": ", ".join([*current, *missing])}}
            self.client.json("PUT", f"/orders/{order['id']}.json", json=body)

    def fulfil(self, order_no: str, shipment: Shipment) -> str:
        order = self._order(order_no)
        existing = (
            self.client.json("GET", f"/orders/{order['id']}/fulfillments.json").get("fulfillments") or []
        )
        lines = _line_items(order, shipment)
        for f in existing:
            if shipment.tracking_numbers and sorted(f.get("tracking_numbers") or []) == sorted(
                shipment.tracking_numbers
            ):
                return str(f["id"])
            if not shipment.tracking_numbers and _same_lines(f, lines):
                return str(f["id"])
        body = {
            "fulfillment": {
                "line_items": lines,
                "tracking_company": shipment.carrier,
                "tracking_numbers": list(shipment.tracking_numbers),
                "tracking_number": shipment.tracking_numbers[0] if shipment.tracking_numbers else None,
                "notify_customer": False,  # the hub mails the customer itself
            }
        }
        created = self.client.json("POST", f"/orders/{order['id']}/fulfillments.json", json=body)
        return str(created["fulfillment"]["id"])

    def _note(self, order_no: str, attributes: dict[str, str]) -> None:
        order = self._order(order_no)
        notes = {a["name"]: a["value"] for a in order.get("note_attributes") or []}
        if all(notes.get(k) == v for k, v in attributes.items()):
            return
        notes.update(attributes)
        body = {
            "order": {
                "id": order["id"],
                "note_attributes": [{"name": k, "value": v} for k, v in notes.items()],
            }
        }
        self.client.json("PUT", f"/orders/{order['id']}.json", json=body)

    def set_refund_status(self, order_no: str, rma_no: str, status: str) -> None:
        self._note(order_no, {f"return {rma_no}": status})

    def send_quote(
        self, order_no: str, lines: Sequence[tuple[str, Decimal, Decimal]], total: Decimal
    ) -> None:
        priced = "; ".join(f"{sku} x {qty} @ {price}" for sku, qty, price in lines)
        self._note(order_no, {"quote": priced, "quote_total": str(total)})


def _line_items(order: dict[str, Any], shipment: Shipment) -> list[dict[str, int]]:
    by_sku: dict[str, dict[str, Any]] = {}
    for item in order.get("line_items") or []:
        by_sku.setdefault(str(item.get("sku")), item)
    out = []
    for line in shipment.lines:
        item = by_sku.get(line.sku)
        if item is None:
            raise RemoteRejected(
                f"shop order {order.get('name')} has no line with SKU {line.sku}", status=422
            )
        out.append({"id": int(item["id"]), "quantity": int(line.quantity.value)})
    return out


def _same_lines(fulfillment: dict[str, Any], lines: list[dict[str, int]]) -> bool:
    got = sorted((int(li["id"]), int(li["quantity"])) for li in fulfillment.get("line_items") or [])
    return got == sorted((li["id"], li["quantity"]) for li in lines)
