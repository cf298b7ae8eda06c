"""Webhook delivery like Shopify's: JSON POSTed to each subscribed address, signed, retried on failure.

Headers: ``X-Shopify-Topic``, ``X-Shopify-Hmac-Sha256`` (base64 HMAC-SHA256 of the raw body with the
app secret), ``X-Shopify-Webhook-Id``, ``X-Shopify-Shop-Domain``, ``X-Shopify-API-Version``. Delivery
runs in a background thread so a slow receiver never slows the API; failures are retried with backoff
(seconds here, hours at Shopify). Every attempt is logged for ``GET /__sandbox/webhooks``.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import hmac
import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import requests

TOPICS = frozenset(
    {
        "orders/create",
        "orders/updated",
        "orders/fulfilled",
        "customers/create",
        "customers/update",
        "products/create",
        "products/update",
        "fulfillments/create",
        "inventory_levels/update",
    }
)


def sign(secret: str, body: bytes) -> str:
    """What a receiver recomputes to check ``X-Shopify-Hmac-Sha256``."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@dataclass
class Delivery:
    webhook_id: str
    topic: str
    address: str
    body: bytes
    attempts: list[dict[str, Any]] = field(default_factory=list)
    delivered: bool = False


class WebhookDispatcher:
    def __init__(
        self,
        secret: str,
        shop_domain: str = "sandbox.myshopify.com",
        api_version: str = "2024-10",
        backoff: tuple[float, ...] = (0.2, 0.5, 1.0, 2.0, 5.0),
        timeout: float = 5.0,
    ) -> None:
        self.secret, self.shop_domain, self.api_version = secret, shop_domain, api_version
        self.backoff, self.timeout = backoff, timeout
        self.log: list[Delivery] = []
        self.queue: list[tuple[float, int, Delivery]] = []
        self.seq = itertools.count()
        self.wakeup = threading.Condition()
        self.session = requests.Session()
        self.thread = threading.Thread(target=self._run, name="shop-webhooks", daemon=True)
        self.thread.start()

    def emit(self, topic: str, payload: dict[str, Any], addresses: list[str]) -> None:
        """Queue ``payload`` for every subscribed address; returns at once."""
        body = json.dumps(payload).encode()
        with self.wakeup:
            for address in addresses:
                delivery = Delivery(str(uuid.uuid4()), topic, address, body)
                self.log.append(delivery)
                heapq.heappush(self.queue, (time.monotonic(), next(self.seq), delivery))
            self.wakeup.notify()

    def reset(self) -> None:
        with self.wakeup:
            self.queue.clear()
            self.log.clear()

    def report(self) -> list[dict[str, Any]]:
        with self.wakeup:
            return [
                {
                    "id": d.webhook_id,
                    "topic": d.topic,
                    "address": d.address,
                    "delivered": d.delivered,
                    "attempts": list(d.attempts),
                }
                for d in self.log
            ]

    def _run(self) -> None:
        while True:
            with self.wakeup:
                while not self.queue or self.queue[0][0] > time.monotonic():
                    self.wakeup.wait(None if not self.queue else self.queue[0][0] - time.monotonic())
                _, _, delivery = heapq.heappop(self.queue)
            self._attempt(delivery)

    def _attempt(self, delivery: Delivery) -> None:
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": delivery.topic,
            "X-Shopify-Hmac-Sha256": sign(self.secret, delivery.body),
            "X-Shopify-Webhook-Id": delivery.webhook_id,
            "X-Shopify-Shop-Domain": self.shop_domain,
            "X-Shopify-API-Version": self.api_version,
            "X-Shopify-Triggered-At": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        try:
            status: int | str = self.session.post(
                delivery.address, data=delivery.body, headers=headers, timeout=self.timeout
            ).status_code
        except requests.RequestException as exc:
            status = type(exc).__name__
        with self.wakeup:
            delivery.attempts.append({"at": time.time(), "status": status})
            if isinstance(status, int) and 200 <= status < 300:
                delivery.delivered = True
                return
            tries = len(delivery.attempts)
            if tries <= len(self.backoff) and delivery in self.log:
                due = time.monotonic() + self.backoff[tries - 1]
                heapq.heappush(self.queue, (due, next(self.seq), delivery))
