"""The shop's webhook receiver: verify, store durably, answer 200 fast. Processing happens elsewhere.

``X-Shopify-Hmac-Sha256`` must be the base64 HMAC-SHA256 of the raw body with the shared secret
(compared in constant time); anything else is 401 and logged without the secret or the body. A
delivery whose ``X-Shopify-Triggered-At`` is older than ``max_age_seconds`` (or too far in the future)
is refused as a replay. The 200 is sent only after the event is committed to ``order_inbox``; if the
store is down the answer is 503 and the shop retries. Polling (``intake.poll_orders``) catches up
whatever was refused or never delivered.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from datetime import datetime

import uvicorn
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from hub.errors import HubError
from hub.store import Store
from hub.workflows import intake

log = logging.getLogger("hub.workflows.webhooks")
MAX_BODY = 2 * 1024 * 1024  # an order is a few kB; refuse anything absurd before hashing it
FUTURE_SKEW_S = 300.0  # a clock this far ahead of ours is not a real delivery


def signature(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def verify(secret: str, body: bytes, given: str | None) -> bool:
    """Constant-time comparison of the header against the body's HMAC."""
    if not given:
        return False
    return hmac.compare_digest(signature(secret, body).encode(), given.strip().encode())


def _age(header: str | None, now: float) -> float | None:
    """Seconds since the delivery was triggered; None when there is no (readable) timestamp."""
    if not header:
        return None
    try:
        moment = datetime.fromisoformat(header.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return now - moment.timestamp()


def create_webhook_app(
    store: Store,
    secret: str,
    *,
    system: str = "shop",
    path: str = "/webhooks/shop",
    max_age_seconds: float = 900.0,
    clock: Callable[[], float] = time.time,
) -> Starlette:
    """The ASGI app: ``POST {path}`` takes deliveries; ``GET /healthz`` answers ok."""
    if not secret:
        raise ValueError("the webhook receiver needs the shared secret")

    def refuse(request: Request, status: int, why: str) -> JSONResponse:
        client = request.client.host if request.client else "?"
        log.warning(
            "refused webhook from %s: %s (topic=%s, webhook id=%s)",
            client,
            why,
            request.headers.get("X-Shopify-Topic"),
            request.headers.get("X-Shopify-Webhook-Id"),
        )
        return JSONResponse({"error": why}, status_code=status)

    async def receive(request: Request) -> JSONResponse:
        length = request.headers.get("content-length")
        if length and length.isascii() and length.isdigit() and int(length) > MAX_BODY:  # '²' isdigit()
            return refuse(request, 413, "body too large")
        body = await request.body()
        if len(body) > MAX_BODY:
            return refuse(request, 413, "body too large")
        if not verify(secret, body, request.headers.get("X-Shopify-Hmac-Sha256")):
            return refuse(request, 401, "signature does not match")
        age = _age(request.headers.get("X-Shopify-Triggered-At"), clock())
        if age is not None and max_age_seconds > 0 and (age > max_age_seconds or age < -FUTURE_SKEW_S):
            return refuse(request, 401, f"stale delivery ({age:.0f} s old, window {max_age_seconds:.0f} s)")
        topic = request.headers.get("X-Shopify-Topic") or ""
        if not topic.startswith("orders/"):
            return JSONResponse({"ok": True, "ignored": f"topic {topic!r} is not an order topic"})
        try:
            done = await run_in_threadpool(
                intake.enqueue,
                store,
                system,
                "webhook",
                body,
                topic=topic,
                webhook_id=request.headers.get("X-Shopify-Webhook-Id"),
            )
        except (HubError, SQLAlchemyError) as exc:  # not stored, so not acknowledged: the shop retries
            log.error("webhook not stored: %s", type(exc).__name__)
            return JSONResponse({"error": "not stored, retry later"}, status_code=503)
        return JSONResponse({"ok": True, "duplicate": not done.created})

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    return Starlette(routes=[Route(path, receive, methods=["POST"]), Route("/healthz", health)])


def serve(app: Starlette, host: str = "127.0.0.1", port: int = 8085) -> None:
    """Run the receiver in the foreground (``hub orders receive``) until interrupted."""
    uvicorn.run(app, host=host, port=port, log_level="info", lifespan="off")
