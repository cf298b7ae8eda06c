"""Order-side writes to the shop sandbox: tags, fulfilments with tracking (idempotent), refund status, quotes."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from connectors.shopify import ShopifyResource
from connectors.shopify.orders import ShopifyOrders
from hub.errors import RemoteRejected
from hub.models import Shipment
from sandbox.common import SandboxServer
from sandbox.shop import create_app

TOKEN = "shpat_orders"


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    db = Path(tmp_path_factory.mktemp("shop")) / "shop.db"
    with SandboxServer(create_app(db, TOKEN, "whsec", leak_rate=1000.0), name="shop") as server:
        yield server


@pytest.fixture
def orders(shop: SandboxServer) -> Iterator[tuple[ShopifyOrders, str]]:
    requests.post(f"{shop.url}/__sandbox/reset", timeout=5).raise_for_status()
    resource = ShopifyResource(shop_url=shop.url, access_token=TOKEN, backoff=0.05, rate_per_second=1000.0)
    api = f"{shop.url}/admin/api/2024-10"
    headers = {"X-Shopify-Access-Token": TOKEN}
    for sku in ("SKU-1", "SKU-2"):
        product = {"product": {"title": sku, "variants": [{"sku": sku, "price": "10.00"}]}}
        requests.post(f"{api}/products.json", json=product, headers=headers, timeout=5).raise_for_status()
    order = {
        "order": {
            "email": "buyer@example.com",
            "line_items": [{"sku": "SKU-1", "quantity": 3}, {"sku": "SKU-2", "quantity": 2}],
            "tags": "b2b",
        }
    }
    created = requests.post(f"{api}/orders.json", json=order, headers=headers, timeout=5)
    created.raise_for_status()
    yield resource.orders(), created.json()["order"]["name"].lstrip("#")


def _order(shop_orders: ShopifyOrders, order_no: str) -> dict:
    return shop_orders._order(order_no)


def _shipment(no: str, order_no: str, lines: list[tuple[str, int]], tracking: list[str]) -> Shipment:
    return Shipment.model_validate(
        {"shipment_no": no, "order_no": order_no, "carrier": "UPS", "tracking_numbers": tracking,
         "lines": [{"line_no": i, "sku": s, "quantity": {"value": q}} for i, (s, q) in enumerate(lines, 1)]}
    )  # fmt: skip


def test_tags_are_added_once(orders: tuple[ShopifyOrders, str]) -> None:
    api, order_no = orders
    api.add_tags(order_no, ["ready-to-ship"])
    api.add_tags(order_no, ["ready-to-ship"])
    assert _order(api, order_no)["tags"] == "b2b, ready-to-ship"


def test_partial_fulfilments_with_tracking_are_idempotent(orders: tuple[ShopifyOrders, str]) -> None:
    api, order_no = orders
    first = _shipment("SH1", order_no, [("SKU-1", 2)], ["1ZAAA"])
    fid = api.fulfil(order_no, first)
    assert api.fulfil(order_no, first) == fid  # replayed: the same fulfilment
    order = _order(api, order_no)
    assert order["fulfillment_status"] == "partial" and len(order["fulfillments"]) == 1
    api.fulfil(order_no, _shipment("SH2", order_no, [("SKU-1", 1), ("SKU-2", 2)], ["1ZBBB"]))
    order = _order(api, order_no)
    assert order["fulfillment_status"] == "fulfilled"
    assert [f["tracking_numbers"] for f in order["fulfillments"]] == [["1ZAAA"], ["1ZBBB"]]


def test_refund_status_and_quotes_are_note_attributes(orders: tuple[ShopifyOrders, str]) -> None:
    api, order_no = orders
    api.set_refund_status(order_no, "RMA-1", "refunded")
    api.send_quote(order_no, [("SKU-1", Decimal(3), Decimal("9.50"))], Decimal("28.50"))
    notes = {a["name"]: a["value"] for a in _order(api, order_no)["note_attributes"]}
    assert notes == {"return RMA-1": "refunded", "quote": "SKU-1 x 3 @ 9.50", "quote_total": "28.50"}


def test_unknown_orders_and_skus_are_rejected_clearly(orders: tuple[ShopifyOrders, str]) -> None:
    api, order_no = orders
    with pytest.raises(RemoteRejected, match="no order #9999"):
        api.add_tags("9999", ["x"])
    with pytest.raises(RemoteRejected, match="no line with SKU NOPE"):
        api.fulfil(order_no, _shipment("SH9", order_no, [("NOPE", 1)], []))
