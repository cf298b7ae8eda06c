"""The durable inbox: idempotent enqueue, one key for webhook and poll, claims that never overlap."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from hub.engine import codec
from hub.store import Store
from hub.store.schema import order_inbox
from hub.workflows import intake
from tests.fakes import MemoryConnector
from tests.workflows.helpers import shop_order


def _rows(store: Store) -> list[dict]:
    with store.begin() as conn:
        return [dict(r) for r in conn.execute(sa.select(order_inbox).order_by(order_inbox.c.id)).mappings()]


def test_enqueue_is_idempotent_and_keeps_the_raw_body(store: Store) -> None:
    body = codec.dumps(shop_order()).encode()
    first = intake.enqueue(store, "shop", "webhook", body, topic="orders/create", webhook_id="w-1")
    again = [
        intake.enqueue(store, "shop", "webhook", body, topic="orders/create", webhook_id="w-1")
        for _ in range(5)
    ]
    assert first.created and not any(e.created for e in again)
    rows = _rows(store)
    assert len(rows) == 1 and rows[0]["payload"] == body.decode() and rows[0]["status"] == "pending"
    assert rows[0]["external_id"] == "5001001" and rows[0]["webhook_id"] == "w-1"


def test_webhook_and_poll_of_the_same_version_are_one_event(store: Store) -> None:
    order = shop_order(updated_at="2026-11-20T10:00:00-06:00")
    polled = dict(order, updated_at="2026-11-20T16:00:00Z")  # the same instant, spelled differently
    assert intake.enqueue(store, "shop", "webhook", codec.dumps(order), webhook_id="w-9").created
    assert not intake.enqueue(store, "shop", "poll", polled).created
    # a newer version is a new event
    assert intake.enqueue(store, "shop", "poll", shop_order(updated_at="2026-11-21T00:00:00Z")).created
    assert len(_rows(store)) == 2


def test_events_without_an_order_id_fall_back_to_webhook_id_then_body(store: Store) -> None:
    assert (
        intake.enqueue(store, "shop", "webhook", b"not json", webhook_id="w-1").dedupe_key
        == "shop:webhook:w-1"
    )
    key = intake.enqueue(store, "shop", "webhook", b"not json either").dedupe_key
    assert key.startswith("shop:body:")
    assert not intake.enqueue(store, "shop", "webhook", b"not json either").created


def test_claims_never_overlap_and_stale_claims_are_taken_again(store: Store) -> None:
    for n in range(5):
        intake.enqueue(store, "shop", "poll", shop_order(1000 + n))
    first = intake.claim(store, 3)
    second = intake.claim(store, 3)
    assert len(first) == 3 and len(second) == 2
    assert not {r.id for r in first} & {r.id for r in second}
    assert intake.claim(store, 3) == []
    # a worker that died: its rows come back after the lease
    again = intake.claim(store, 10, lease=timedelta(seconds=-1))
    assert {r.id for r in again} == {r.id for r in first + second}
    assert all(r.attempts == 2 for r in again)


def test_poll_enqueues_and_keeps_its_own_cursor(store: Store) -> None:
    orders = [shop_order(1000 + n) for n in range(7)]
    shop = MemoryConnector("shop", {"order": orders})
    result = intake.poll_orders(store, shop, batch_size=3)
    assert (result.read, result.enqueued, result.cursor) == (7, 7, "9")
    assert len(_rows(store)) == 7
    # the same orders again (a cursor that did not move): nothing new
    shop2 = MemoryConnector("shop", {"order": orders})
    assert intake.poll_orders(store, shop2, batch_size=3).enqueued == 0
    assert len(_rows(store)) == 7


def test_concurrent_workers_claim_each_event_once(store: Store) -> None:
    from concurrent.futures import ThreadPoolExecutor

    for n in range(40):
        intake.enqueue(store, "shop", "poll", shop_order(3000 + n))

    def worker() -> list[int]:
        got: list[int] = []
        while rows := intake.claim(store, 3):
            got += [r.id for r in rows]
        return got

    with ThreadPoolExecutor(4) as pool:
        results = [f.result() for f in [pool.submit(worker) for _ in range(4)]]
    claimed = [i for r in results for i in r]
    assert len(claimed) == 40 and len(set(claimed)) == 40
