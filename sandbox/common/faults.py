"""Fault injection for sandbox servers: latency, 429 + Retry-After, 5xx, timeouts, dropped connections.

An ASGI middleware; the rates are set at start-up or at run time through ``POST /__sandbox/faults``
(JSON ``{"rate": 0.2, "kinds": ["429", "500", "timeout", "drop"], "latency_ms": 0, ...}``).
Control endpoints under ``/__sandbox/`` are never faulted. Faults are counted so tests can prove
they happened.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

Scope = dict[str, Any]

KINDS = ("429", "500", "502", "503", "timeout", "drop")


@dataclass
class FaultConfig:
    rate: float = 0.0  # share of requests that get a fault
    kinds: list[str] = field(default_factory=lambda: ["429", "500", "503", "timeout", "drop"])
    latency_ms: int = 0  # added to every request
    retry_after: float = 0.2  # seconds, sent with 429
    timeout_s: float = 3.0  # how long a 'timeout' fault stalls (longer than the client's timeout)
    seed: int | None = None


class FaultInjector:
    """ASGI middleware wrapping a sandbox app."""

    def __init__(self, app: Any, config: FaultConfig | None = None) -> None:
        self.app = app
        self.config = config or FaultConfig()
        self.random = random.Random(self.config.seed)
        self.counts: Counter[str] = Counter()

    def configure(self, **values: Any) -> FaultConfig:
        """Change the fault settings; ``reset_counts=True`` also zeroes the counters."""
        if values.pop("reset_counts", False):
            self.counts.clear()
        data = {**asdict(self.config), **values}
        unknown = [k for k in data["kinds"] if k not in KINDS]
        if unknown:
            raise ValueError(f"unknown fault kinds {unknown}; known: {KINDS}")
        self.config = FaultConfig(**data)
        self.random = random.Random(self.config.seed)
        return self.config

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"].startswith("/__sandbox/"):
            await self._control(scope, receive, send)
            return
        config = self.config
        if config.latency_ms:
            await asyncio.sleep(config.latency_ms / 1000)
        if config.rate and config.kinds and self.random.random() < config.rate:
            kind = self.random.choice(config.kinds)
            self.counts[kind] += 1
            await self._fault(kind, scope, receive, send)
            return
        self.counts["ok"] += 1
        await self.app(scope, receive, send)

    async def _fault(self, kind: str, scope: Scope, receive: Any, send: Any) -> None:
        if kind == "timeout":
            await asyncio.sleep(self.config.timeout_s)
            await _respond(send, 504, {"errors": "sandbox: injected timeout"})
        elif kind == "drop":
            # start a response that promises more bytes than it sends, then end the connection
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", b"1000")],
                }
            )
            await send({"type": "http.response.body", "body": b'{"partial": ', "more_body": True})
            raise ConnectionResetError("sandbox: injected dropped connection")
        elif kind == "429":
            await _respond(
                send,
                429,
                {"errors": "sandbox: injected rate limit"},
                [(b"retry-after", str(self.config.retry_after).encode())],
            )
        else:
            await _respond(send, int(kind), {"errors": f"sandbox: injected {kind}"})

    async def _control(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["path"] == "/__sandbox/faults":
            if scope["method"] == "POST":
                body = b""
                while True:
                    message = await receive()
                    body += message.get("body", b"")
                    if not message.get("more_body"):
                        break
                try:
                    self.configure(**json.loads(body or b"{}"))
                except (TypeError, ValueError) as exc:
                    await _respond(send, 422, {"error": str(exc)})
                    return
            await _respond(send, 200, {"config": asdict(self.config), "counts": dict(self.counts)})
            return
        await self.app(scope, receive, send)  # other control endpoints belong to the app


async def _respond(
    send: Any, status: int, body: Any, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), *(headers or [])],
        }
    )
    await send({"type": "http.response.body", "body": payload})
