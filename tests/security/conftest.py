"""Fixtures of the security tests: sandbox stand-ins whose credentials are distinctive secrets."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from sandbox.common import SandboxServer

Scope = dict[str, Any]


class ExpiringTokens:
    """ASGI middleware: every ``every``-th PIM API call answers 401 "token expired", as Akeneo does when
    a token is revoked or outlives its clock; the client must get a new token (sending its client
    secret again) and carry on."""

    def __init__(self, app: Any, every: int) -> None:
        self.app, self.every = app, every
        self.counts: Counter[str] = Counter()

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and path.startswith("/api/oauth/"):
            self.counts["token"] += 1
        if scope["type"] == "http" and path.startswith("/api/rest/"):
            self.counts["api"] += 1
            if self.counts["api"] % self.every == 0:
                self.counts["401"] += 1
                body = json.dumps({"code": 401, "message": "The access token provided has expired."})
                await send(
                    {
                        "type": "http.response.start",
                        "status": 401,
                        "headers": [(b"content-type", b"application/json")],
                    }
                )
                await send({"type": "http.response.body", "body": body.encode()})
                return
        await self.app(scope, receive, send)


class Receiver:
    """An HTTP endpoint (alert webhook, OpenLineage) that keeps every body and answers 503."""

    def __init__(self) -> None:
        self.bodies: list[tuple[str, bytes]] = []
        self.server = SandboxServer(
            Starlette(routes=[Route("/{path:path}", self._any, methods=["POST", "GET"])]), name="receiver"
        )

    async def _any(self, request: Request) -> JSONResponse:
        if request.url.path.startswith("/__sandbox/"):
            return JSONResponse({})  # the server's start-up probe
        self.bodies.append((request.url.path, await request.body()))
        return JSONResponse({"error": "down for maintenance"}, status_code=503)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    with found.server:
        yield found
