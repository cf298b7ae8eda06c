"""Shopify's REST rate limit: a leaky bucket per app (access token), 40 calls deep, leaking 2 per second.

Every response says how full the bucket is (``X-Shopify-Shop-Api-Call-Limit: 12/40``); a call that
would overflow it gets ``429`` with ``Retry-After``. The leak rate is configurable so tests can run fast.
"""

from __future__ import annotations

import json
import math
import threading
import time
from typing import Any

CALL_LIMIT_HEADER = "X-Shopify-Shop-Api-Call-Limit"
TOKEN_HEADER = b"x-shopify-access-token"


class LeakyBucket:
    def __init__(self, burst: int = 40, leak_rate: float = 2.0) -> None:
        self.burst, self.leak_rate = burst, leak_rate
        self.levels: dict[str, tuple[float, float]] = {}
        self.lock = threading.Lock()
        self.rejected = 0

    def take(self, client: str) -> tuple[bool, int, float]:
        """(allowed, calls in the bucket after this one, seconds to wait when refused)."""
        with self.lock:
            now = time.monotonic()
            level, stamp = self.levels.get(client, (0.0, now))
            level = max(0.0, level - (now - stamp) * self.leak_rate)
            if level + 1 > self.burst:
                self.levels[client] = (level, now)
                self.rejected += 1
                return False, self.burst, (level + 1 - self.burst) / self.leak_rate
            level += 1
            self.levels[client] = (level, now)
            return True, min(self.burst, math.ceil(level)), 0.0

    def configure(self, burst: int | None = None, leak_rate: float | None = None) -> None:
        with self.lock:
            if burst is not None:
                self.burst = int(burst)
            if leak_rate is not None:
                self.leak_rate = float(leak_rate)
            self.levels.clear()

    def reset(self) -> None:
        with self.lock:
            self.levels.clear()
            self.rejected = 0


class AdminGate:
    """ASGI middleware for ``/admin/``: the access token is required, then the bucket is charged."""

    def __init__(self, app: Any, token: str, bucket: LeakyBucket) -> None:
        self.app, self.token, self.bucket = app, token, bucket

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/admin/"):
            await self.app(scope, receive, send)
            return
        token = dict(scope["headers"]).get(TOKEN_HEADER, b"").decode("latin-1")
        if token != self.token:
            errors = "[API] Invalid API key or access token (unrecognized login or wrong password)"
            await _send(send, 401, {"errors": errors}, [])
            return
        allowed, used, wait = self.bucket.take(token)
        limit = (CALL_LIMIT_HEADER.lower().encode(), f"{used}/{self.bucket.burst}".encode())
        if not allowed:
            retry = (b"retry-after", f"{max(wait, 0.01):.2f}".encode())
            await _send(send, 429, {"errors": "Exceeded 2 calls per second for api client."}, [limit, retry])
            return

        async def send_with_limit(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), limit]}
            await send(message)

        await self.app(scope, receive, send_with_limit)


async def _send(send: Any, status: int, body: Any, headers: list[tuple[bytes, bytes]]) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), *headers],
        }
    )
    await send({"type": "http.response.body", "body": json.dumps(body).encode()})
