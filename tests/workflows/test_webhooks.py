"""The webhook receiver over real HTTP on loopback, fed by the shop sandbox's signed deliveries.

Forged, tampered and stale deliveries are refused; a delivery replayed 50 times and the same order
read by polling make one inbox event and one order.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from connectors.shopify import ShopifyResource
from hub.mapping import Translator
from hub.store import Store
from hub.store.schema import order_inbox
from hub.workflows import intake
from hub.workflows.policy import OrdersConfig
from hub.workflows.processor import OrderProcessor
from hub.workflows.states import OrderState, get_order
from hub.workflows.webhooks import create_webhook_app
from sandbox.common import SandboxServer
from sandbox.shop import create_app
from sandbox.shop.webhooks import sign
from tests.workflows.helpers import ADDRESS, FakeErp, seed_catalog, seed_customer

TOKEN, SECRET = "shpat_orders", "whsec_orders_test_secret"
PATH = "/webhooks/shop"


@pytest.fixture(scope="module")
def shop_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    db = Path(tmp_path_factory.mktemp("shop")) / "shop.db"
    app = create_app(db, TOKEN, SECRET, leak_rate=1000.0, webhook_backoff=(0.1, 0.2, 0.4))
    with SandboxServer(app, name="shop") as running:
        yield running


@pytest.fixture
def shop(shop_server: SandboxServer) -> str:
    requests.post(f"{shop_server.url}/__sandbox/reset", timeout=5).raise_for_status()
    return f"{shop_server.url}/admin/api/2024-10"


@pytest.fixture
def receiver(store: Store) -> Iterator[str]:
    """The hub's receiver, served by uvicorn on a free loopback port."""
    with SandboxServer(
        create_webhook_app(store, SECRET, path=PATH, max_age_seconds=300), name="receiver"
    ) as srv:
        yield srv.url + PATH


def _api(shop: str, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = requests.request(
        method, f"{shop}/{path}", json=body, headers={"X-Shopify-Access-Token": TOKEN}, timeout=5
    )
    response.raise_for_status()
    return response.json()


def _inbox(store: Store) -> list[dict[str, Any]]:
    with store.begin() as conn:
        return [dict(r) for r in conn.execute(sa.select(order_inbox).order_by(order_inbox.c.id)).mappings()]


def _wait_delivered(shop: str, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
    root = shop.split("/admin/")[0]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log = requests.get(f"{root}/__sandbox/webhooks", timeout=5).json()["deliveries"]
        if sum(d["delivered"] for d in log) >= count:
            return log
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} deliveries arrived: {log}")


def _post(
    url: str, body: bytes, *, signature: str | None, topic: str = "orders/create", **headers: str
) -> requests.Response:
    sent = {"Content-Type": "application/json", "X-Shopify-Topic": topic, **headers}
    if signature is not None:
        sent["X-Shopify-Hmac-Sha256"] = signature
    return requests.post(url, data=body, headers=sent, timeout=5)


def _place_order(shop: str) -> dict[str, Any]:
    _api(
        shop, "POST", "customers.json", {"customer": {"email": "buyer@example.com", "note": "account:C10001"}}
    )
    order = {
        "email": "buyer@example.com",
        "line_items": [{"sku": "SKU-1", "quantity": 2, "price": "10.00"}],
        "shipping_address": ADDRESS,
    }
    return _api(shop, "POST", "orders.json", {"order": order})["order"]


def test_shop_deliveries_replays_and_polling_make_one_order(
    store: Store, shop: str, receiver: str, translators: dict[str, Translator]
) -> None:
    for topic in ("orders/create", "orders/updated"):
        _api(shop, "POST", "webhooks.json", {"webhook": {"topic": topic, "address": receiver}})
    placed = _place_order(shop)
    (delivery,) = [d for d in _wait_delivered(shop, 1) if d["topic"] == "orders/create"]
    assert delivery["attempts"][0]["status"] == 200
    (row,) = _inbox(store)
    assert row["source"] == "webhook" and row["webhook_id"] == delivery["id"]
    assert row["external_id"] == str(placed["id"]) and row["topic"] == "orders/create"

    # the same delivery replayed 50 times (a retrying sender, or an attacker who captured it)
    body = row["payload"].encode()
    fresh = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    headers = {"X-Shopify-Webhook-Id": delivery["id"], "X-Shopify-Triggered-At": fresh}
    started = time.perf_counter()
    answers = [_post(receiver, body, signature=sign(SECRET, body), **headers) for _ in range(50)]
    per_request_ms = (time.perf_counter() - started) / 50 * 1000
    assert all(a.status_code == 200 and a.json()["duplicate"] for a in answers)
    assert per_request_ms < 250, f"{per_request_ms:.0f} ms per delivery"

    # polling reads the same version of the order: nothing new
    connector = ShopifyResource(shop_url=shop.split("/admin/")[0], access_token=TOKEN).connector("shop")
    polled = intake.poll_orders(store, connector)
    assert (polled.read, polled.enqueued) == (1, 0)
    assert len(_inbox(store)) == 1

    seed_catalog(store)
    seed_customer(store, "C10001")
    handed: list[str] = []
    erp = FakeErp(prices={"SKU-1": "10.00"}, stock={"SKU-1": {"EAST": 5}})
    processor = OrderProcessor(
        store,
        OrdersConfig(),
        translators=translators,
        erp=erp,
        next_step=lambda o, p: handed.append(o.order_no),
    )
    processor.run_once()
    number = placed["name"].lstrip("#")
    assert get_order(store, number).state is OrderState.allocated and handed == [number]

    # the hub tags the order in the shop: an orders/updated delivery, noted but not re-applied
    _api(shop, "PUT", f"orders/{placed['id']}.json", {"order": {"id": placed["id"], "tags": "ready-to-ship"}})
    _wait_delivered(shop, 2)
    stats = processor.run_once()
    assert stats.ignored == 1 and get_order(store, number).state is OrderState.allocated
    assert handed == [number]


def test_forged_tampered_and_stale_deliveries_are_refused(
    store: Store, receiver: str, caplog: pytest.LogCaptureFixture
) -> None:
    body = b'{"id": 1, "name": "#1", "updated_at": "2026-11-20T10:00:00Z"}'
    now = datetime.now(UTC)
    stamp = lambda delta: (now + delta).strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    caplog.set_level(logging.WARNING, logger="hub.workflows.webhooks")
    refused = {
        "no signature": _post(receiver, body, signature=None),
        "wrong secret": _post(receiver, body, signature=sign("not-the-secret", body)),
        "tampered body": _post(receiver, body.replace(b"#1", b"#2"), signature=sign(SECRET, body)),
        "garbage": _post(receiver, body, signature="!!!"),
        "stale": _post(
            receiver,
            body,
            signature=sign(SECRET, body),
            **{"X-Shopify-Triggered-At": stamp(timedelta(hours=-1))},
        ),
        "future": _post(
            receiver,
            body,
            signature=sign(SECRET, body),
            **{"X-Shopify-Triggered-At": stamp(timedelta(hours=1))},
        ),
    }
    assert {why: r.status_code for why, r in refused.items()} == dict.fromkeys(refused, 401)
    assert _inbox(store) == []
    assert len([r for r in caplog.records if "refused webhook" in r.getMessage()]) == len(refused)
    assert SECRET not in caplog.text
    # the genuine article, inside the window, is taken
    ok = _post(
        receiver,
        body,
        signature=sign(SECRET, body),
        **{"X-Shopify-Triggered-At": stamp(timedelta(seconds=-5))},
    )
    assert ok.status_code == 200 and len(_inbox(store)) == 1
    # topics that are not about orders are acknowledged and not stored
    other = _post(receiver, body, signature=sign(SECRET, body), topic="products/update")
    assert other.status_code == 200 and "ignored" in other.json() and len(_inbox(store)) == 1


def test_nothing_is_acknowledged_that_was_not_stored(store: Store, receiver: str) -> None:
    with store.begin() as conn:
        conn.execute(sa.text("DROP TABLE order_inbox"))
    body = b'{"id": 2, "updated_at": "2026-11-20T10:00:00Z"}'
    answer = _post(receiver, body, signature=sign(SECRET, body))
    assert answer.status_code == 503  # the shop delivers again later
