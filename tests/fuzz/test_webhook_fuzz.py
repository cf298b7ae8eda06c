"""The shop webhook receiver (``hub orders receive``) under arbitrary requests.

Arbitrary bodies, headers, topics, signatures and timestamps go straight into the ASGI app (no HTTP
client needed; one test goes over real HTTP too). The receiver never answers 5xx or raises; it stores
only a correctly signed, fresh order delivery, each event as exactly one inbox row however often it is
replayed; forged deliveries are refused and logged without the secret or the body.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from hub.engine import codec
from hub.store import Store
from hub.store.schema import order_inbox
from hub.workflows import intake
from hub.workflows.webhooks import create_webhook_app, signature
from sandbox.common import SandboxServer
from tests.fuzz.budget import budget
from tests.fuzz.strategies import HOSTILE_TEXT, SMALL_JSON

SECRET = "whsec_FUZZ_never_in_logs_7Q2x"
PATH = "/webhooks/shop"
NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
WINDOW = 300.0
OK = {200, 401, 404, 405, 413}  # 503 only when the store is down, which these tests never make it


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture(scope="module")
def logs() -> Iterator[Collect]:
    handler = Collect()
    logger = logging.getLogger("hub.workflows.webhooks")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def call(app: Any, headers: list[tuple[bytes, bytes]], body: bytes, path: str = PATH) -> tuple[int, bytes]:
    """One request through the ASGI app, as uvicorn would hand it over."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("203.0.113.9", 40000),
        "server": ("127.0.0.1", 8085),
    }
    inbound = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return inbound.pop(0) if inbound else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def inbox(store: Store) -> list[dict[str, Any]]:
    with store.begin() as conn:
        return [dict(r) for r in conn.execute(sa.select(order_inbox)).mappings()]


def _app(store: Store) -> Any:
    return create_webhook_app(store, SECRET, path=PATH, max_age_seconds=WINDOW, clock=NOW.timestamp)


# -- strategies -------------------------------------------------------------------------------------
HEADER_TEXT = st.binary(max_size=40) | HOSTILE_TEXT.map(lambda s: s.encode("utf-8", "surrogatepass"))
STAMPS = st.one_of(
    st.none(),
    st.floats(min_value=-2 * WINDOW, max_value=2 * WINDOW).map(
        lambda s: (NOW - timedelta(seconds=s)).isoformat().replace("+00:00", "Z").encode()
    ),
    st.datetimes(timezones=st.sampled_from([UTC, None])).map(lambda d: d.isoformat().encode()),
    HEADER_TEXT,
)
LENGTHS = st.none() | st.sampled_from(
    [b"0", b"-1", b"\xc2\xb2", b"\xb2", b"\xd9\xa3", b"1e9", b"99999999999999999999", b"3"]
)
TOPICS = st.none() | st.sampled_from([b"orders/create", b"orders/updated", b"products/update"]) | HEADER_TEXT
BODIES = st.binary(max_size=200) | SMALL_JSON.map(lambda v: json.dumps(v).encode())


@st.composite
def requests_(draw: st.DrawFn) -> tuple[list[tuple[bytes, bytes]], bytes]:
    body = draw(BODIES, label="body")
    signed = draw(st.sampled_from(["good", "bad", "none", "other-secret"]), label="signature")
    headers: list[tuple[bytes, bytes]] = []
    if signed == "good":
        headers.append((b"x-shopify-hmac-sha256", signature(SECRET, body).encode()))
    elif signed == "other-secret":
        headers.append((b"x-shopify-hmac-sha256", signature(SECRET + "x", body).encode()))
    elif signed == "bad":
        headers.append((b"x-shopify-hmac-sha256", draw(HEADER_TEXT)))
    for name, values in (
        (b"x-shopify-topic", TOPICS),
        (b"x-shopify-triggered-at", STAMPS),
        (b"x-shopify-webhook-id", st.none() | HEADER_TEXT),
        (b"content-length", LENGTHS),
    ):
        value = draw(values, label=name.decode())
        if value is not None:
            headers.append((name, value))
    return headers, body


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    found = [v for k, v in headers if k == name]
    return found[0].decode("latin-1") if found else None


def _fresh(stamp: str | None) -> bool:
    """The receiver's rule: a readable timestamp must lie in the window; none (or unreadable) is let in."""
    if stamp is None:
        return True
    try:
        moment = datetime.fromisoformat(stamp.strip().replace("Z", "+00:00"))
        age = NOW.timestamp() - moment.timestamp()
    except (ValueError, OverflowError):
        return True
    if moment.tzinfo is None:
        return True
    return -300 <= age <= WINDOW


# -- properties -------------------------------------------------------------------------------------
@given(request=requests_())
@budget(120)
def test_arbitrary_requests_never_crash_and_only_signed_fresh_orders_are_stored(
    fuzz_store: Store, logs: Collect, request: tuple[list[tuple[bytes, bytes]], bytes]
) -> None:
    headers, body = request
    before = len(inbox(fuzz_store))
    status, answer = call(_app(fuzz_store), headers, body)
    assert status in OK, (status, answer)
    stored = len(inbox(fuzz_store)) - before

    signed = _header(headers, b"x-shopify-hmac-sha256") == signature(SECRET, body)
    length = _header(headers, b"content-length")
    too_long = length is not None and length.isdecimal() and int(length) > 2 * 1024 * 1024
    topic = _header(headers, b"x-shopify-topic") or ""
    accepted = signed and not too_long and _fresh(_header(headers, b"x-shopify-triggered-at"))
    assert status == (200 if accepted else 413 if too_long else 401), (status, answer)
    if not (accepted and topic.startswith("orders/")):
        assert stored == 0
    assert all(SECRET not in line for line in logs.lines)
    assert SECRET.encode() not in answer


@given(
    body=SMALL_JSON.map(lambda v: json.dumps(v).encode()),
    webhook_id=st.none() | st.text(max_size=20),
    replays=st.integers(min_value=1, max_value=4),
)
@budget(40)
def test_a_delivery_replayed_is_one_inbox_row(
    fuzz_store: Store, body: bytes, webhook_id: str | None, replays: int
) -> None:
    app = _app(fuzz_store)
    headers = [
        (b"x-shopify-hmac-sha256", signature(SECRET, body).encode()),
        (b"x-shopify-topic", b"orders/updated"),
        (b"x-shopify-triggered-at", NOW.isoformat().encode()),
    ]
    if webhook_id is not None:
        headers.append((b"x-shopify-webhook-id", webhook_id.encode()))
    before = {r["dedupe_key"]: r for r in inbox(fuzz_store)}
    answers = [call(app, headers, body) for _ in range(replays)]
    assert {status for status, _ in answers} == {200}
    after = inbox(fuzz_store)
    new = [r for r in after if r["dedupe_key"] not in before]
    assert len(new) <= 1 and len(after) == len(before) + len(new)
    payload = body.decode("utf-8", "backslashreplace")
    received_id = None if webhook_id is None else webhook_id.encode().decode("latin-1")  # HTTP headers
    event = intake.OrderEvent("shop", "webhook", payload, topic="orders/updated", webhook_id=received_id)
    key = intake._fit(intake._identity(event)[1], 255)  # the same event may have come in an earlier example
    assert [r for r in after if r["dedupe_key"] == key], "not stored"
    if new:
        assert new[0]["dedupe_key"] == key and new[0]["payload"] == codec.storable_text(payload)
    duplicates = [json.loads(answer)["duplicate"] for _, answer in answers]
    assert duplicates[1:] == [True] * (replays - 1)


@given(body=st.binary(max_size=100), forged=HEADER_TEXT)
@budget(40)
def test_forged_deliveries_are_refused_and_logged_without_the_secret(
    fuzz_store: Store, logs: Collect, body: bytes, forged: bytes
) -> None:
    rows = len(inbox(fuzz_store))
    logs.lines.clear()
    headers = [(b"x-shopify-hmac-sha256", forged), (b"x-shopify-topic", b"orders/create")]
    status, answer = call(_app(fuzz_store), headers, body)
    if forged.decode("latin-1").strip() == signature(SECRET, body):
        return  # hypothesis guessed the HMAC: not a forgery
    assert status == 401 and len(inbox(fuzz_store)) == rows
    assert logs.lines and "refused webhook" in logs.lines[-1]
    assert all(SECRET not in line and (len(body) < 8 or repr(body)[2:-1] not in line) for line in logs.lines)
    assert SECRET.encode() not in answer


def test_real_http_receiver_survives_hostile_requests(fuzz_store: Store) -> None:
    """The same app under uvicorn: malformed lengths, binary bodies and odd headers are 4xx, never 5xx."""
    with SandboxServer(_app(fuzz_store), name="fuzz-receiver") as srv:
        url = srv.url + PATH
        hostile = [
            ({"Content-Type": "application/json"}, b"\xff\xfe\x00{"),
            ({"X-Shopify-Hmac-Sha256": "\u00ff" * 50, "X-Shopify-Topic": "orders/create"}, b"{}"),
            (
                {
                    "X-Shopify-Hmac-Sha256": signature(SECRET, b"{}"),
                    "X-Shopify-Triggered-At": "0001-01-01T00:00:00+01:00",
                },
                b"{}",
            ),
            ({"X-Shopify-Hmac-Sha256": signature(SECRET, b"x")}, b"x" * (2 * 1024 * 1024 + 1)),
        ]
        for headers, body in hostile:
            response = requests.post(url, data=body, headers=headers, timeout=10)
            assert response.status_code < 500, (headers, response.status_code, response.text)
        assert requests.get(srv.url + "/healthz", timeout=5).json() == {"ok": True}
