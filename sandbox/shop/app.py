"""The shop sandbox: a Shopify Admin REST stand-in (``/admin/api/2024-10/*.json``) on Starlette.

State lives in one SQLite file (``DocStore``); the app is wrapped in the leaky-bucket gate (token
check, ``X-Shopify-Shop-Api-Call-Limit``, 429 + Retry-After) and in ``FaultInjector``. Control
endpoints (never rate limited or faulted): ``POST /__sandbox/reset``, ``POST /__sandbox/seed``,
``POST /__sandbox/limits`` ({burst, leak_rate}), ``GET /__sandbox/webhooks`` (delivery log) and the
injector's ``/__sandbox/faults``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from sandbox.common.docstore import DocStore
from sandbox.common.faults import FaultConfig, FaultInjector
from sandbox.shop.catalog import Catalog
from sandbox.shop.common import ShopError, body_of, invalid, public, respond
from sandbox.shop.limits import AdminGate, LeakyBucket
from sandbox.shop.sales import Sales
from sandbox.shop.state import COLLECTIONS, ShopState
from sandbox.shop.webhooks import TOPICS, WebhookDispatcher

API = "/admin/api/{version}"
Handler = Callable[[Request], Awaitable[JSONResponse]]


def _guard(handler: Handler) -> Handler:
    """Shopify-shaped errors for anything a handler refuses."""

    async def run(request: Request) -> JSONResponse:
        try:
            return await handler(request)
        except ShopError as exc:
            errors = exc.errors
            return respond(
                errors if isinstance(errors, dict) and "errors" in errors else {"errors": errors}, exc.status
            )

    return run


class ShopApp:
    """Routes and control endpoints around one ``ShopState``."""

    def __init__(self, state: ShopState, bucket: LeakyBucket) -> None:
        self.state, self.bucket = state, bucket
        self.catalog, self.sales = Catalog(state), Sales(state)
        self.injector: FaultInjector | None = None

    def routes(self) -> list[Route]:
        c, s = self.catalog, self.sales
        table: list[tuple[str, Handler, list[str]]] = [
            ("/products.json", c.products, ["GET", "POST"]),
            ("/products/count.json", c.product_count, ["GET"]),
            ("/products/{id:int}.json", c.product, ["GET", "PUT"]),
            ("/locations.json", c.locations, ["GET"]),
            ("/inventory_levels.json", c.inventory_levels, ["GET"]),
            ("/inventory_levels/set.json", c.set_inventory, ["POST"]),
            ("/customers.json", s.customers, ["GET", "POST"]),
            ("/customers/search.json", s.search_customers, ["GET"]),
            ("/customers/{id:int}.json", s.customer, ["GET", "PUT"]),
            ("/orders.json", s.orders, ["GET", "POST"]),
            ("/orders/{id:int}.json", s.order, ["GET", "PUT"]),
            ("/orders/{id:int}/fulfillments.json", s.fulfillments, ["GET", "POST"]),
            ("/webhooks.json", self.webhooks, ["GET", "POST"]),
            ("/webhooks/{id:int}.json", self.webhook, ["GET", "DELETE"]),
        ]
        routes = [Route(API + path, _guard(handler), methods=methods) for path, handler, methods in table]
        control = [
            ("/__sandbox/reset", self.reset, ["POST"]),
            ("/__sandbox/seed", self.seed, ["POST"]),
            ("/__sandbox/limits", self.limits, ["GET", "POST"]),
            ("/__sandbox/webhooks", self.deliveries, ["GET"]),
        ]
        return routes + [Route(path, _guard(handler), methods=methods) for path, handler, methods in control]

    # -- webhook subscriptions -----------------------------------------------------------------------
    async def webhooks(self, request: Request) -> JSONResponse:
        store = self.state.store
        if request.method == "GET":
            return respond({"webhooks": [public(w) for w in store.all("webhooks")]})
        data = await body_of(request, "webhook")
        topic, address = data.get("topic"), str(data.get("address") or "")
        if topic not in TOPICS:
            raise invalid("topic", f"Invalid topic specified: {topic}")
        if not address.startswith(("http://", "https://")):
            raise invalid("address", "must be an http(s) URL")
        if any(w["topic"] == topic and w["address"] == address for w in store.all("webhooks")):
            raise invalid("address", "for this topic has already been taken")
        doc = store.insert("webhooks", {"topic": topic, "address": address, "format": "json"})
        return respond({"webhook": public(doc)}, 201)

    async def webhook(self, request: Request) -> JSONResponse:
        webhook_id = int(request.path_params["id"])
        doc = self.state.store.get("webhooks", webhook_id)
        if doc is None:
            raise ShopError(404, "Not Found")
        if request.method == "DELETE":
            self.state.store.delete("webhooks", webhook_id)
            return respond({})
        return respond({"webhook": public(doc)})

    # -- control -------------------------------------------------------------------------------------
    async def reset(self, request: Request) -> JSONResponse:
        """Empty every collection, the buckets, the delivery log, and switch faults off."""
        self.state.store.reset()
        self.bucket.reset()
        self.state.dispatcher.reset()
        if self.injector is not None:
            self.injector.configure(rate=0.0, latency_ms=0)
            self.injector.counts.clear()
        return respond({"reset": True})

    async def seed(self, request: Request) -> JSONResponse:
        """Create products, customers, orders and inventory levels through the same rules as the API.

        Inventory levels are given by SKU: ``{"sku", "location_id", "available"}``. Orders are taken
        even with defects the API would refuse (zero quantities), so sample data can show rejections.
        """
        data = await body_of(request, None)
        made: dict[str, list[Any]] = {"products": [], "customers": [], "orders": [], "inventory_levels": []}
        errors: list[dict[str, Any]] = []
        creators: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "products": self.catalog.create_product,
            "customers": self.sales.create_customer,
            "orders": lambda order: self.sales.create_order(order, strict=False),
            "inventory_levels": self._seed_level,
        }
        for kind, create in creators.items():
            for i, item in enumerate(data.get(kind) or []):
                try:
                    made[kind].append(create(item)["id"])
                except ShopError as exc:
                    errors.append({"kind": kind, "index": i, "errors": exc.errors})
        return respond({"created": made, "errors": errors}, 200 if not errors else 422)

    def _seed_level(self, item: dict[str, Any]) -> dict[str, Any]:
        variant = self.state.store.by_key("variants", str(item.get("sku")))
        if variant is None:
            raise invalid("sku", f"unknown SKU {item.get('sku')}")
        product = self.state.store.get("products", variant["product_id"]) or {"variants": []}
        item_id = next(v["inventory_item_id"] for v in product["variants"] if v["id"] == variant["id"])
        return self.catalog.set_level({**item, "inventory_item_id": item_id})

    async def limits(self, request: Request) -> JSONResponse:
        if request.method == "POST":
            data = await body_of(request, None)
            self.bucket.configure(burst=data.get("burst"), leak_rate=data.get("leak_rate"))
        bucket = self.bucket
        return respond({"burst": bucket.burst, "leak_rate": bucket.leak_rate, "rejected": bucket.rejected})

    async def deliveries(self, request: Request) -> JSONResponse:
        return respond({"deliveries": self.state.dispatcher.report()})


def create_app(
    db_path: str | Path,
    token: str,
    webhook_secret: str,
    leak_rate: float = 2.0,
    burst: int = 40,
    *,
    faults: FaultConfig | None = None,
    locations: list[dict[str, Any]] | None = None,
    webhook_backoff: tuple[float, ...] = (0.2, 0.5, 1.0, 2.0, 5.0),
) -> FaultInjector:
    """The ASGI app; ``app.shop`` gives tests the state (store, bucket, dispatcher)."""
    store = DocStore(db_path, COLLECTIONS)
    store.conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable enough for a sandbox, far faster
    dispatcher = WebhookDispatcher(webhook_secret, backoff=webhook_backoff)
    state = ShopState(store, dispatcher, locations)
    bucket = LeakyBucket(burst=burst, leak_rate=leak_rate)
    shop = ShopApp(state, bucket)
    inner = Starlette(routes=shop.routes())
    injector = FaultInjector(AdminGate(inner, token, bucket), faults)
    shop.injector = injector
    injector.shop = shop  # type: ignore[attr-defined]
    return injector
