"""The shop sandbox behaves like Shopify where connectors depend on it: auth, Link pages, the leaky
bucket, signed webhooks, and the validation errors that let a connector tell a duplicate from a fault."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from connectors.shopify import ShopifyResource
from sandbox.common import SandboxServer
from sandbox.shop import create_app

TOKEN, SECRET = "shpat_sandbox", "whsec_sandbox"
HEADERS = {"X-Shopify-Access-Token": TOKEN}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    db = Path(tmp_path_factory.mktemp("shop")) / "shop.db"
    app = create_app(db, TOKEN, SECRET, leak_rate=1000.0, webhook_backoff=(0.1, 0.2, 0.4))
    with SandboxServer(app, name="shop") as running:
        yield running


@pytest.fixture
def shop(server: SandboxServer) -> Iterator[str]:
    """The API base URL, with empty state and a fast bucket."""
    requests.post(f"{server.url}/__sandbox/reset", timeout=5).raise_for_status()
    limits(server.url, burst=40, leak_rate=1000.0)
    yield f"{server.url}/admin/api/2024-10"


def limits(url: str, **values: Any) -> None:
    requests.post(f"{url}/__sandbox/limits", json=values, timeout=5).raise_for_status()


def root(api: str) -> str:
    return api.split("/admin/")[0]


def post(api: str, path: str, body: dict[str, Any]) -> requests.Response:
    return requests.post(f"{api}/{path}", json=body, headers=HEADERS, timeout=5)


def seed_products(api: str, n: int) -> list[int]:
    body = {
        "products": [
            {"title": f"P{i}", "variants": [{"sku": f"S-{i:03d}", "price": "1.5"}]} for i in range(n)
        ]
    }
    response = requests.post(f"{root(api)}/__sandbox/seed", json=body, timeout=10)
    response.raise_for_status()
    return response.json()["created"]["products"]


def test_auth_is_required(shop: str) -> None:
    assert requests.get(f"{shop}/products.json", timeout=5).status_code == 401
    wrong = requests.get(f"{shop}/products.json", headers={"X-Shopify-Access-Token": "nope"}, timeout=5)
    assert wrong.status_code == 401 and "errors" in wrong.json()
    assert requests.get(f"{shop}/products.json", headers=HEADERS, timeout=5).status_code == 200


def test_link_header_pagination_with_page_info(shop: str) -> None:
    ids = seed_products(shop, 7)
    seen, url, pages = [], f"{shop}/products.json?limit=3", 0
    while url:
        response = requests.get(url, headers=HEADERS, timeout=5)
        assert response.status_code == 200
        seen += [p["id"] for p in response.json()["products"]]
        url, pages = response.links.get("next", {}).get("url"), pages + 1
        if url:
            assert "page_info=" in url and response.headers["Link"].endswith('rel="next"')
    assert seen == ids and pages == 3
    first = requests.get(f"{shop}/products.json?limit=3", headers=HEADERS, timeout=5)
    mixed = requests.get(
        first.links["next"]["url"] + "&updated_at_min=2000-01-01", headers=HEADERS, timeout=5
    )
    assert mixed.status_code == 400 and "page_info" in mixed.json()["errors"]
    assert requests.get(f"{shop}/products.json?limit=251", headers=HEADERS, timeout=5).status_code == 400


def test_updated_at_min_returns_only_later_changes(shop: str) -> None:
    ids = seed_products(shop, 3)
    products = requests.get(f"{shop}/products.json", headers=HEADERS, timeout=5).json()["products"]
    since = max(p["updated_at"] for p in products)
    body = {"product": {"title": "renamed"}}
    assert requests.put(f"{shop}/products/{ids[0]}.json", json=body, headers=HEADERS, timeout=5).ok
    same = {"product": {"title": "P1", "variants": [{"sku": "S-001", "price": 1.5}]}}
    assert requests.put(f"{shop}/products/{ids[1]}.json", json=same, headers=HEADERS, timeout=5).ok
    later = requests.get(
        f"{shop}/products.json", params={"updated_at_min": since}, headers=HEADERS, timeout=5
    )
    changed = [p["id"] for p in later.json()["products"] if p["updated_at"] > since]
    assert changed == [ids[0]]  # an identical PUT did not move updated_at


def test_invalid_input_is_a_422_with_errors(shop: str) -> None:
    assert post(shop, "products.json", {"product": {"variants": [{"sku": "X"}]}}).json() == {
        "errors": {"title": ["can't be blank"]}
    }
    assert (
        post(shop, "products.json", {"product": {"title": "A", "variants": [{"sku": "X"}]}}).status_code
        == 201
    )
    duplicate = post(shop, "products.json", {"product": {"title": "B", "variants": [{"sku": "X"}]}})
    assert duplicate.status_code == 422 and "already been taken" in str(duplicate.json()["errors"])
    assert post(shop, "customers.json", {"customer": {"email": "a@b.example"}}).status_code == 201
    assert post(shop, "customers.json", {"customer": {"email": "A@b.example"}}).status_code == 422
    assert post(shop, "customers.json", {"customer": {"email": "not-an-email"}}).status_code == 422
    assert post(shop, "products.json", {"title": "no root object"}).status_code == 400


def test_inventory_orders_and_fulfilments(shop: str) -> None:
    product = post(shop, "products.json", {"product": {"title": "A", "variants": [{"sku": "A-1"}]}}).json()
    item = product["product"]["variants"][0]["inventory_item_id"]
    level = {"location_id": 61000001, "inventory_item_id": item, "available": 12}
    assert post(shop, "inventory_levels/set.json", level).json()["inventory_level"]["available"] == 12
    assert post(shop, "inventory_levels/set.json", {**level, "location_id": 1}).status_code == 422
    levels = requests.get(
        f"{shop}/inventory_levels.json?inventory_item_ids={item}", headers=HEADERS, timeout=5
    )
    assert [(lv["location_id"], lv["available"]) for lv in levels.json()["inventory_levels"]] == [
        (61000001, 12)
    ]
    order = post(
        shop, "orders.json", {"order": {"line_items": [{"sku": "A-1", "quantity": 3, "price": "2"}]}}
    )
    order_id, line = order.json()["order"]["id"], order.json()["order"]["line_items"][0]
    assert (
        order.json()["order"]["name"] == "#1001"
        and line["variant_id"] == product["product"]["variants"][0]["id"]
    )
    too_many = {"fulfillment": {"line_items": [{"id": line["id"], "quantity": 4}]}}
    assert post(shop, f"orders/{order_id}/fulfillments.json", too_many).status_code == 422
    ship = {
        "fulfillment": {
            "tracking_number": "1Z999",
            "tracking_company": "UPS",
            "line_items": [{"id": line["id"], "quantity": 3}],
        }
    }
    assert (
        post(shop, f"orders/{order_id}/fulfillments.json", ship).json()["fulfillment"]["tracking_number"]
        == "1Z999"
    )
    found = requests.get(f"{shop}/orders.json?status=any&name=%231001", headers=HEADERS, timeout=5).json()
    assert found["orders"][0]["fulfillment_status"] == "fulfilled"


def test_leaky_bucket_40_burst_then_429_with_retry_after(shop: str) -> None:
    limits(root(shop), burst=40, leak_rate=0.1)  # so slow that the burst cannot drain while we send it
    session = requests.Session()
    used = []
    for _ in range(40):
        response = session.get(f"{shop}/locations.json", headers=HEADERS, timeout=5)
        assert response.status_code == 200
        used.append(response.headers["X-Shopify-Shop-Api-Call-Limit"])
    assert used[0] == "1/40" and used[-1] == "40/40"
    refused = session.get(f"{shop}/locations.json", headers=HEADERS, timeout=5)
    assert refused.status_code == 429
    assert float(refused.headers["Retry-After"]) > 0
    assert refused.headers["X-Shopify-Shop-Api-Call-Limit"] == "40/40"


def _burst(api: str, rate: float) -> dict[int, int]:
    connector = ShopifyResource(
        shop_url=root(api), access_token=TOKEN, rate_per_second=rate, burst=40
    ).connector("shop")
    for _ in range(100):
        connector.client.request("GET", "locations.json")
    assert connector.client.stats.calls - connector.client.stats.retries == 100
    return connector.client.stats.by_status


def test_client_limiter_keeps_a_100_request_burst_free_of_429(shop: str) -> None:
    """Shopify's 40 burst + 2/s scaled by 20 (40/s): 100 calls take ~1.5 s and never see a 429."""
    limits(root(shop), burst=40, leak_rate=40.0)
    started = time.monotonic()
    assert 429 not in _burst(shop, rate=40.0)
    assert time.monotonic() - started >= 1.2  # 60 calls beyond the burst at 40/s
    limits(root(shop), burst=40, leak_rate=40.0)
    assert _burst(shop, rate=10_000.0).get(429, 0) > 0  # without the limiter the shop pushes back


class _Receiver(BaseHTTPRequestHandler):
    got: list[tuple[dict[str, str], bytes]] = []
    fail_first: set[str] = set()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        topic = self.headers["X-Shopify-Topic"]
        if topic in self.fail_first:
            self.fail_first.discard(topic)
            self.send_response(500)
        else:
            self.got.append((dict(self.headers), body))
            self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    _Receiver.got, _Receiver.fail_first = [], {"customers/update"}
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/hooks"
    httpd.shutdown()


def test_webhooks_are_signed_and_retried(shop: str, receiver: str) -> None:
    for topic in ("orders/create", "customers/update"):
        assert (
            post(shop, "webhooks.json", {"webhook": {"topic": topic, "address": receiver}}).status_code == 201
        )
    assert post(shop, "webhooks.json", {"webhook": {"topic": "nope", "address": receiver}}).status_code == 422
    customer = post(shop, "customers.json", {"customer": {"email": "c@d.example"}}).json()["customer"]
    post(
        shop, "orders.json", {"order": {"email": "c@d.example", "line_items": [{"sku": "Z", "quantity": 1}]}}
    )
    body = {"customer": {"note": "account:C10001"}}
    requests.put(f"{shop}/customers/{customer['id']}.json", json=body, headers=HEADERS, timeout=5)
    deadline = time.monotonic() + 5
    while len(_Receiver.got) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sorted(h["X-Shopify-Topic"] for h, _ in _Receiver.got) == ["customers/update", "orders/create"]
    for headers, raw in _Receiver.got:
        expected = base64.b64encode(hmac.new(SECRET.encode(), raw, hashlib.sha256).digest()).decode()
        assert hmac.compare_digest(headers["X-Shopify-Hmac-Sha256"], expected)
        forged = base64.b64encode(hmac.new(b"other", raw, hashlib.sha256).digest()).decode()
        assert headers["X-Shopify-Hmac-Sha256"] != forged
        assert headers["X-Shopify-Webhook-Id"]
    update = next(json.loads(raw) for h, raw in _Receiver.got if h["X-Shopify-Topic"] == "customers/update")
    assert update["note"] == "account:C10001"
    log = requests.get(f"{root(shop)}/__sandbox/webhooks", timeout=5).json()["deliveries"]
    retried = next(d for d in log if d["topic"] == "customers/update")
    assert retried["delivered"] and [a["status"] for a in retried["attempts"]] == [500, 200]


def test_state_survives_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "shop.db"
    with SandboxServer(create_app(db, TOKEN, SECRET)) as first:
        post(
            f"{first.url}/admin/api/2024-10",
            "products.json",
            {"product": {"title": "kept", "variants": [{"sku": "K"}]}},
        )
    with SandboxServer(create_app(db, TOKEN, SECRET)) as second:
        products = requests.get(
            f"{second.url}/admin/api/2024-10/products.json", headers=HEADERS, timeout=5
        ).json()
    assert [p["title"] for p in products["products"]] == ["kept"]
