"""Order intake: every incoming order event is first stored durably in ``order_inbox``, once.

The webhook receiver, the polling sensor and the EDI inbox all call ``enqueue``. Its dedupe key is
the order's id in its system plus the order's ``updated_at`` (so the same version of an order arriving
by webhook, by a replayed webhook and by polling is one row), else the webhook id, else a hash of the
body. The processor then claims rows in batches (``claim``) and marks each one done.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.engine import codec
from hub.engine.ports import Connector
from hub.engine.repository import Repository
from hub.store import Store
from hub.store.schema import order_inbox

Source = Literal["webhook", "poll", "api"]
Format = Literal["shop", "canonical"]
POLL_CURSOR_ENTITY = "order_intake"  # cursor row of the polling sensor (the engine's own is 'order')


@dataclass(frozen=True)
class OrderEvent:
    """One order event to store: the raw body exactly as received."""

    system: str
    source: Source
    payload: str
    format: Format = "shop"
    topic: str | None = None
    webhook_id: str | None = None
    dedupe_key: str | None = None  # given by callers that know better (EDI: partner + ISA13 + ST02)


@dataclass(frozen=True)
class Enqueued:
    dedupe_key: str
    created: bool  # False: the same event was stored before


@dataclass(frozen=True)
class InboxRow:
    id: int
    dedupe_key: str
    system: str
    source: str
    format: str
    topic: str | None
    external_id: str | None
    webhook_id: str | None
    payload: str
    attempts: int
    received_at: datetime


def _moment(value: Any) -> str | None:
    """``updated_at`` in one spelling (UTC, microseconds), so webhook and poll give the same key."""
    if value in (None, ""):
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).isoformat(timespec="microseconds")


def _identity(event: OrderEvent) -> tuple[str | None, str]:
    """(external id, dedupe key) of an event."""
    try:
        doc = codec.loads(event.payload)
    except ValueError:
        doc = None
    external = None
    if isinstance(doc, dict):
        if event.format == "canonical":
            external = doc.get("order_no")
        else:
            external = doc.get("id")
        external = str(external) if external not in (None, "") else None
    if event.dedupe_key:
        return external, event.dedupe_key
    updated = _moment(doc.get("updated_at")) if isinstance(doc, dict) else None
    if external and updated:
        return external, f"{event.system}:order:{external}:{updated}"
    if event.webhook_id:
        return external, f"{event.system}:webhook:{event.webhook_id}"
    return external, f"{event.system}:body:{codec.content_hash(event.payload)}"


def _fit(text: str | None, size: int) -> str | None:
    """``text`` as a column of ``size`` holds it: NUL and lone surrogates escaped, and a longer text cut
    with its hash appended (one long id stays one id). A signed delivery the store cannot take would be
    refused with 503 forever."""
    if text is None:
        return None
    text = codec.storable_text(text)
    return text if len(text) <= size else f"{text[: size - 33]}~{codec.content_hash(text)}"


def enqueue_in(conn: Connection, store: Store, events: Sequence[OrderEvent]) -> list[Enqueued]:
    """Store events inside the caller's transaction; an event seen before is left as it was."""
    now = datetime.now(UTC)
    out = []
    for event in events:
        external, key = _identity(event)
        key = _fit(key, 255)
        stmt = (
            store.insert(order_inbox)
            .values(
                dedupe_key=key,
                system=event.system,
                source=event.source,
                format=event.format,
                topic=_fit(event.topic, 64),
                external_id=_fit(external, 64),
                webhook_id=_fit(event.webhook_id, 64),
                payload=codec.storable_text(event.payload),
                status="pending",
                attempts=0,
                received_at=now,
            )
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
        )
        out.append(Enqueued(key, conn.execute(stmt).rowcount == 1))
    return out


def enqueue(
    store: Store,
    system: str,
    source: Source,
    payload: str | bytes | dict[str, Any],
    *,
    format: Format = "shop",
    topic: str | None = None,
    webhook_id: str | None = None,
    dedupe_key: str | None = None,
) -> Enqueued:
    """Store one order event durably (committed when this returns); idempotent by its dedupe key."""
    if isinstance(payload, bytes):
        text = payload.decode("utf-8", "backslashreplace")
    elif isinstance(payload, dict):
        text = codec.dumps(payload)
    else:
        text = payload
    event = OrderEvent(system, source, text, format, topic, webhook_id, dedupe_key)
    with store.begin() as conn:
        return enqueue_in(conn, store, [event])[0]


@dataclass
class PollResult:
    read: int = 0
    enqueued: int = 0
    cursor: str | None = None


def poll_orders(store: Store, connector: Connector, *, batch_size: int = 250) -> PollResult:
    """The safety net: orders changed in the shop since the last poll, enqueued like webhooks.

    The connector's cursor is kept under (system, 'order_intake') and saved with each batch's
    events in one transaction: a crash re-reads at most one batch, which enqueue de-duplicates.
    """
    repo, result = Repository(store), PollResult()
    with store.begin() as conn:
        cursor = repo.get_cursor(conn, connector.system, POLL_CURSOR_ENTITY)
    result.cursor = cursor
    for batch in connector.read("order", cursor, batch_size):
        events = [
            OrderEvent(connector.system, "poll", codec.dumps(record), topic="orders/poll")
            for record in batch.records
        ]
        events += [
            OrderEvent(connector.system, "poll", error.raw, topic="orders/poll-unreadable")
            for error in batch.errors
        ]
        with store.begin() as conn:
            done = enqueue_in(conn, store, events)
            if batch.cursor is not None:
                repo.set_cursor(conn, connector.system, POLL_CURSOR_ENTITY, batch.cursor, datetime.now(UTC))
                result.cursor = batch.cursor
        result.read += len(batch.records)
        result.enqueued += sum(e.created for e in done)
    return result


def claim(
    store: Store,
    limit: int,
    *,
    lease: timedelta = timedelta(minutes=10),
    due_by: datetime | None = None,
) -> list[InboxRow]:
    """Take up to ``limit`` pending events (oldest first) for this worker.

    A row another worker claimed but did not finish within ``lease`` (it crashed) is taken again; a
    deferred row only once it is due (by ``due_by``, default now). The claim is one conditional
    UPDATE, so two workers never get the same row.
    """
    t, now, token = order_inbox, datetime.now(UTC), uuid.uuid4().hex
    due = sa.or_(t.c.due_at.is_(None), t.c.due_at <= (due_by or now))
    claimable = sa.or_(
        sa.and_(t.c.status == "pending", due),
        sa.and_(t.c.status == "processing", t.c.claimed_at < now - lease),
    )
    with store.begin() as conn:
        ids = list(conn.scalars(sa.select(t.c.id).where(claimable).order_by(t.c.id).limit(limit)))
        if not ids:
            return []
        conn.execute(
            sa.update(t)
            .where(t.c.id.in_(ids), claimable)
            .values(status="processing", claim=token, claimed_at=now, attempts=t.c.attempts + 1)
        )
        rows = conn.execute(sa.select(t).where(t.c.claim == token).order_by(t.c.id)).mappings().all()
    return [
        InboxRow(
            id=r["id"],
            dedupe_key=r["dedupe_key"],
            system=r["system"],
            source=r["source"],
            format=r["format"],
            topic=r["topic"],
            external_id=r["external_id"],
            webhook_id=r["webhook_id"],
            payload=r["payload"],
            attempts=r["attempts"],
            received_at=r["received_at"],
        )
        for r in rows
    ]


def finish(
    conn: Connection,
    inbox_id: int,
    status: str,
    *,
    order_no: str | None = None,
    note: str | None = None,
    retry_in: timedelta | None = None,
) -> None:
    """Mark a claimed event done / ignored / failed, or back to pending after ``retry_in`` (a fault)."""
    now = datetime.now(UTC)
    conn.execute(
        sa.update(order_inbox)
        .where(order_inbox.c.id == inbox_id)
        .values(
            status=status,
            order_no=order_no,
            note=note,
            claim=None,
            due_at=now + retry_in if status == "pending" and retry_in is not None else None,
            processed_at=now if status != "pending" else None,
        )
    )


def inbox_counts(store: Store) -> dict[str, int]:
    t = order_inbox
    with store.begin() as conn:
        return dict(conn.execute(sa.select(t.c.status, sa.func.count()).group_by(t.c.status)).tuples().all())
