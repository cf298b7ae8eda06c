"""What every shop route shares: the document store, locations, webhook subscriptions and delivery."""

from __future__ import annotations

from typing import Any

from sandbox.common.docstore import DocStore
from sandbox.shop.common import moment
from sandbox.shop.webhooks import WebhookDispatcher

COLLECTIONS = [
    "products",
    "variants",  # index: key = SKU -> product id; its id is the variant id
    "inventory_items",
    "inventory_levels",  # key = "<inventory_item_id>:<location_id>"
    "customers",  # key = lower-case email
    "orders",  # key = order name ("#1001")
    "fulfillments",
    "webhooks",
]

DEFAULT_LOCATIONS: list[dict[str, Any]] = [
    {"id": 61000001, "name": "East warehouse", "city": "Chicago", "country_code": "US", "active": True},
    {"id": 61000002, "name": "West warehouse", "city": "Reno", "country_code": "US", "active": True},
]


class ShopState:
    def __init__(
        self, store: DocStore, dispatcher: WebhookDispatcher, locations: list[dict[str, Any]] | None = None
    ) -> None:
        self.store, self.dispatcher = store, dispatcher
        self.locations = locations or DEFAULT_LOCATIONS

    def notify(self, topic: str, payload: dict[str, Any]) -> None:
        addresses = [w["address"] for w in self.store.all("webhooks") if w["topic"] == topic]
        if addresses:
            self.dispatcher.emit(topic, payload, addresses)

    @staticmethod
    def time_filters(query: dict[str, str]) -> dict[str, Any]:
        """``updated_at_min`` (inclusive, used by the store's index) and ``updated_at_max``."""
        out: dict[str, Any] = {}
        if query.get("updated_at_min"):
            out["since"] = moment(query["updated_at_min"], "updated_at_min")
        if query.get("updated_at_max"):
            out["until"] = moment(query["updated_at_max"], "updated_at_max")
        if query.get("created_at_min"):
            out["created_min"] = moment(query["created_at_min"], "created_at_min")
        return out

    @staticmethod
    def in_window(doc: dict[str, Any], f: dict[str, Any]) -> bool:
        return (not f.get("until") or doc["updated_at"] <= f["until"]) and (
            not f.get("created_min") or doc["created_at"] >= f["created_min"]
        )
