"""The connector contract for the Shopify connector, against the shop sandbox on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from connectors.shopify import ShopifyConnector, ShopifyResource
from hub.engine.ports import Connector, OutboundRecord
from sandbox.common import SandboxServer
from sandbox.shop import create_app
from tests.contract.base import ConnectorContract

TOKEN = "shpat_contract"


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    """One sandbox per module; each test starts from ``/__sandbox/reset``. A fast bucket: tests, not waits."""
    db = Path(tmp_path_factory.mktemp("shop")) / "shop.db"
    with SandboxServer(create_app(db, TOKEN, "whsec", leak_rate=1000.0), name="shop") as server:
        yield server


@pytest.fixture
def connector(shop: SandboxServer) -> Iterator[ShopifyConnector]:
    requests.post(f"{shop.url}/__sandbox/reset", timeout=5).raise_for_status()
    resource = ShopifyResource(
        shop_url=shop.url, access_token=TOKEN, timeout=0.5, backoff=0.05, rate_per_second=1000.0, burst=40
    )
    built = resource.connector("shop")
    built.sandbox_url = shop.url  # type: ignore[attr-defined]
    yield built
    built.close()


def _faults(connector: Connector, rate: float) -> None:
    url = connector.sandbox_url  # type: ignore[attr-defined]
    body = {"rate": rate, "retry_after": 0.05, "timeout_s": 1.0, "seed": 7}
    requests.post(f"{url}/__sandbox/faults", json=body, timeout=5).raise_for_status()


class TestShopifyProducts(ConnectorContract):
    entity = "product"

    def payload(self, i: int) -> dict[str, Any]:
        return {
            "title": f"Hex bolt M{i}",
            "body_html": f"<p>Bolt {i}</p>",
            "vendor": "Acme",
            "product_type": "fasteners",
            "status": "active",
            "variants": [
                {
                    "sku": f"SKU-{i:05d}",
                    "price": f"{1 + i / 100:.2f}",
                    "barcode": None,
                    "weight": 0.1,
                    "weight_unit": "kg",
                }
            ],
        }

    def changed(self, payload: dict[str, Any]) -> dict[str, Any]:
        return {**payload, "title": payload["title"] + " (new)"}

    def invalid(self) -> dict[str, Any]:
        return {"title": "", "variants": [{"sku": "SKU-BAD", "price": "1.00"}]}

    def key(self, payload: dict[str, Any]) -> str:
        return payload["variants"][0]["sku"]

    def read_key(self, record: dict[str, Any]) -> str:
        return record["variants"][0]["sku"]

    def set_faults(self, connector: Connector, rate: float) -> None:
        _faults(connector, rate)


class TestShopifyCustomers(ConnectorContract):
    entity = "customer"

    def payload(self, i: int) -> dict[str, Any]:
        return {
            "email": f"buyer{i}@example.com",
            "first_name": "Pat",
            "last_name": f"Buyer {i}",
            "note": f"account:C{10000 + i}",
            "tags": "b2b, wholesale",
            "company": f"Company {i}",  # today's mapping sends the company flat
        }

    def changed(self, payload: dict[str, Any]) -> dict[str, Any]:
        return {**payload, "tags": "b2b, key-account"}

    def invalid(self) -> dict[str, Any]:
        return {"email": "not-an-email", "first_name": "X"}

    def key(self, payload: dict[str, Any]) -> str:
        return payload["email"]

    def read_key(self, record: dict[str, Any]) -> str:
        return record["email"]

    def set_faults(self, connector: Connector, rate: float) -> None:
        _faults(connector, rate)


def test_stock_is_set_by_sku_and_read_back(connector: ShopifyConnector) -> None:
    products = TestShopifyProducts()
    assert all(r.ok for r in connector.write("product", [_record(products.payload(i)) for i in range(3)]))
    levels = [
        OutboundRecord(
            "SKU-00000|WH-EAST",
            None,
            {"sku": "SKU-00000", "location_id": "61000001", "available": 7},
            "create",
        ),
        OutboundRecord(
            "SKU-00001|WH-WEST",
            None,
            {"sku": "SKU-00001", "location_id": 61000002, "available": 3.0},
            "create",
        ),
        OutboundRecord(
            "NOPE|WH-EAST", None, {"sku": "NOPE", "location_id": 61000001, "available": 1}, "create"
        ),
    ]
    results = connector.write("stock", levels)
    assert results[0].ok and results[1].ok and results[0].system_id
    assert not results[2].ok and results[2].retriable  # the product may be published later
    read = [r for batch in connector.read("stock", None, 10) for r in batch.records]
    assert {(r["sku"], r["location_id"], r["available"]) for r in read} == {
        ("SKU-00000", 61000001, 7),
        ("SKU-00001", 61000002, 3),
    }
    again = connector.write("stock", levels[:2])
    assert [r.system_id for r in again] == [r.system_id for r in results[:2]]


def test_order_tags_by_name_and_incremental_order_read(connector: ShopifyConnector) -> None:
    url = connector.sandbox_url  # type: ignore[attr-defined]
    seed = {
        "orders": [
            {"email": f"b{i}@example.com", "tags": "b2c, vip", "line_items": [{"sku": "A", "quantity": 1}]}
            for i in range(3)
        ]
    }
    requests.post(f"{url}/__sandbox/seed", json=seed, timeout=5).raise_for_status()
    first = [r for b in connector.read("order", None, 2) for r in b.records]
    assert [o["name"] for o in first] == ["#1001", "#1002", "#1003"]
    *_, last = connector.read("order", None, 2)
    result = connector.write(
        "order", [OutboundRecord("1002", None, {"tags": ["b2b", "ready-to-ship"]}, "update")]
    )
    assert result[0].ok and result[0].system_id == str(first[1]["id"])
    changed = [r for b in connector.read("order", last.cursor, 50) for r in b.records]
    assert [(o["name"], o["tags"]) for o in changed] == [("#1002", "b2b, ready-to-ship")]
    add = OutboundRecord("1003", None, {"add_tags": ["ready-to-ship"], "remove_tags": "b2c"}, "update")
    assert connector.write("order", [add])[0].ok
    tagged = [o["tags"] for b in connector.read("order", None, 50) for o in b.records if o["name"] == "#1003"]
    assert tagged == ["ready-to-ship, vip"]
    missing = connector.write("order", [OutboundRecord("9999", None, {"tags": "x"}, "update")])
    assert not missing[0].ok and not missing[0].retriable


def test_wrong_token_stops_the_run(shop: SandboxServer) -> None:
    bad = ShopifyResource(shop_url=shop.url, access_token="wrong", rate_per_second=1000.0).connector("shop")
    with pytest.raises(Exception, match="credentials"):
        bad.write("product", [_record(TestShopifyProducts().payload(0))])


def _record(payload: dict[str, Any]) -> OutboundRecord:
    return OutboundRecord(payload["variants"][0]["sku"], None, payload, "create")


def test_a_change_made_while_reading_is_read_next_time(connector: ShopifyConnector) -> None:
    """Shopify pages in id order: a record changed behind the read must not fall behind the cursor."""
    products = TestShopifyProducts()
    results = connector.write("product", [_record(products.payload(i)) for i in range(4)])
    batches = connector.read("product", None, 1)
    first = next(batches)
    changed = products.changed(products.payload(0))
    update = OutboundRecord("SKU-00000", results[0].system_id, changed, "update")
    assert connector.write("product", [update])[0].ok
    *_, last = batches
    assert [p["variants"][0]["sku"] for p in first.records] == ["SKU-00000"]
    again = [p for b in connector.read("product", last.cursor, 50) for p in b.records]
    assert [p["title"] for p in again] == [changed["title"]]


def test_exhausted_retries_fail_records_as_retriable(shop: SandboxServer) -> None:
    requests.post(f"{shop.url}/__sandbox/reset", timeout=5).raise_for_status()
    impatient = ShopifyResource(
        shop_url=shop.url, access_token=TOKEN, max_attempts=2, backoff=0.01, rate_per_second=1000.0
    ).connector("shop")
    requests.post(f"{shop.url}/__sandbox/faults", json={"rate": 1.0, "kinds": ["503"]}, timeout=5)
    try:
        results = impatient.write("product", [_record(TestShopifyProducts().payload(i)) for i in range(2)])
    finally:
        requests.post(f"{shop.url}/__sandbox/faults", json={"rate": 0.0}, timeout=5)
    assert [(r.ok, r.retriable) for r in results] == [(False, True), (False, True)]
    assert "503" in (results[0].error or "")
