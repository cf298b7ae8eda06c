"""The shared HTTP client and stream reader against a real loopback server that injects faults."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from connectors.base.http import HttpClient, RateLimiter, retry_after_seconds
from connectors.base.streams import CursorPaginator, Stream, read_stream
from connectors.base.streams import Request as PageRequest
from hub.errors import RemoteRejected, RetriableError
from sandbox.common import FaultConfig, FaultInjector, SandboxServer

ITEMS = [{"id": i, "updated": f"2026-01-01T00:00:{i:02d}Z"} for i in range(25)]


async def items(request: Request) -> JSONResponse:
    after = int(request.query_params.get("after", 0))
    since = request.query_params.get("since", "")
    chosen = [i for i in ITEMS if i["updated"] >= since][after : after + 10]
    paging = (
        {"next": {"after": str(after + 10)}}
        if after + 10 < len([i for i in ITEMS if i["updated"] >= since])
        else {}
    )
    return JSONResponse({"results": chosen, "paging": paging})


async def bad(request: Request) -> JSONResponse:
    return JSONResponse({"error": "title is required"}, status_code=422)


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[SandboxServer, FaultInjector]]:
    injector = FaultInjector(
        Starlette(routes=[Route("/items", items), Route("/bad", bad, methods=["POST"])]),
        FaultConfig(seed=7, timeout_s=1.0, retry_after=0.05),
    )
    with SandboxServer(injector) as running:
        yield running, injector


def client(url: str, **kw: Any) -> HttpClient:
    return HttpClient(url, timeout=0.5, backoff=0.01, max_backoff=0.1, **kw)


def test_transient_faults_are_retried_until_success(server: tuple[SandboxServer, FaultInjector]) -> None:
    running, injector = server
    injector.configure(rate=0.5, kinds=["429", "500", "503", "drop", "timeout"], seed=3)
    try:
        http = client(running.url, max_attempts=30)
        for _ in range(20):
            assert len(http.json("GET", "/items")["results"]) == 10
    finally:
        injector.configure(rate=0.0)
    assert http.stats.retries > 0 and http.stats.calls == 20 + http.stats.retries
    assert {"429", "500", "503", "drop", "timeout"} & set(injector.counts)


def test_permanent_4xx_is_not_retried(server: tuple[SandboxServer, FaultInjector]) -> None:
    running, _ = server
    http = client(running.url)
    with pytest.raises(RemoteRejected) as caught:
        http.request("POST", "/bad", json={})
    assert caught.value.status == 422 and "title is required" in str(caught.value)
    assert http.stats.calls == 1


def test_gives_up_after_max_attempts_with_a_retriable_error(
    server: tuple[SandboxServer, FaultInjector],
) -> None:
    running, injector = server
    injector.configure(rate=1.0, kinds=["503"])
    try:
        http = client(running.url, max_attempts=3)
        with pytest.raises(RetriableError):
            http.request("GET", "/items")
    finally:
        injector.configure(rate=0.0)
    assert http.stats.calls == 3


def test_retry_after_header_is_honoured() -> None:
    assert retry_after_seconds("2") == 2.0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past: now


def test_rate_limiter_spaces_requests() -> None:
    limiter = RateLimiter(rate=50, burst=5)
    start = time.monotonic()
    for _ in range(15):
        limiter.acquire()
    assert time.monotonic() - start >= (15 - 5) / 50 * 0.9


def test_stream_reads_all_pages_in_batches_and_keeps_the_newest_cursor(
    server: tuple[SandboxServer, FaultInjector],
) -> None:
    running, _ = server
    stream = Stream(
        "item",
        "/items",
        "id",
        CursorPaginator("paging.next.after", "after"),
        records="results",
        cursor_field="updated",
        with_cursor=lambda req, cursor: PageRequest(
            req.method, req.path, {**(req.params or {}), "since": cursor}
        ),
    )
    batches = list(read_stream(client(running.url), stream, None, batch_size=10))
    assert [len(b.records) for b in batches] == [10, 10, 5]
    assert batches[-1].cursor is not None and batches[-1].cursor.startswith("2026-01-01T00:00:24")
    again = list(read_stream(client(running.url), stream, "2026-01-01T00:00:20+00:00", batch_size=100))
    ids = [r["id"] for b in again for r in b.records]
    assert ids == [19, 20, 21, 22, 23, 24]  # one second of look-back re-reads the boundary
