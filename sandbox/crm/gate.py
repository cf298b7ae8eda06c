"""Bearer-token auth and HubSpot's rolling rate limit, as ASGI middleware in front of the CRM routes.

Every answer carries ``X-HubSpot-RateLimit-Max``/``-Remaining``/``-Interval-Milliseconds`` so a client
can pace itself; over the limit the answer is 429 with ``Retry-After`` (seconds until a slot frees).
The window is configurable so tests do not wait ten seconds.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import deque
from typing import Any


class RollingLimit:
    """At most ``limit`` requests per ``window`` seconds per token (a sliding log, like TEN_SECONDLY_ROLLING)."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self.log: dict[str, deque[float]] = {}
        self.lock = threading.Lock()

    def take(self, token: str) -> tuple[bool, int, float]:
        """(allowed, remaining, seconds until the next slot frees)."""
        now = time.monotonic()
        with self.lock:
            log = self.log.setdefault(token, deque())
            while log and log[0] <= now - self.window:
                log.popleft()
            if len(log) >= self.limit:
                return False, 0, log[0] + self.window - now
            log.append(now)
            return True, self.limit - len(log), 0.0

    def reset(self) -> None:
        with self.lock:
            self.log.clear()


class Gate:
    """401 without the right bearer token; 429 over the rolling limit; rate headers on every answer."""

    def __init__(self, app: Any, token: str, limit: RollingLimit) -> None:
        self.app, self.token, self.limit = app, token, limit

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/__sandbox/"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        auth = headers.get(b"authorization", b"").decode("latin-1")
        if auth != f"Bearer {self.token}":
            await _answer(
                send,
                401,
                {
                    "status": "error",
                    "message": "Authentication credentials not found. This API supports OAuth 2.0 and private app access tokens.",
                    "correlationId": "sandbox",
                    "category": "INVALID_AUTHENTICATION",
                },
            )
            return
        allowed, remaining, wait = self.limit.take(self.token)
        rate = [
            (b"x-hubspot-ratelimit-max", str(self.limit.limit).encode()),
            (b"x-hubspot-ratelimit-remaining", str(remaining).encode()),
            (b"x-hubspot-ratelimit-interval-milliseconds", str(int(self.limit.window * 1000)).encode()),
        ]
        if not allowed:
            body = {
                "status": "error",
                "message": "You have reached your ten_secondly_rolling limit.",
                "errorType": "RATE_LIMIT",
                "correlationId": "sandbox",
                "policyName": "TEN_SECONDLY_ROLLING",
            }
            retry = str(max(1, math.ceil(wait))) if wait >= 1 else f"{wait:.3f}"
            await _answer(send, 429, body, [*rate, (b"retry-after", retry.encode())])
            return

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *rate]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _answer(
    send: Any, status: int, body: Any, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json;charset=utf-8"), *(headers or [])],
        }
    )
    await send({"type": "http.response.body", "body": json.dumps(body).encode()})
