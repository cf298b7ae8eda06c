"""The inbox processor end to end on a real store: validation with reasons, holds, approval, allocation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from hub.engine import codec
from hub.errors import RetriableError
from hub.lineage import record_lineage
from hub.reports.failures import list_failures
from hub.store import Store
from hub.store.schema import audit_events, golden_records, order_inbox
from hub.workflows import intake
from hub.workflows.approval import NotPendingApproval, approve, reject
from hub.workflows.processor import OrderProcessor
from hub.workflows.states import OrderState, get_order, history, transition
from hub.workflows.validation import new_account_no
from tests.workflows.helpers import FakeErp, RecordingMailer, seed_catalog, seed_customer, shop_order

S = OrderState
Make = Callable[..., OrderProcessor]


def _send(store: Store, order: dict[str, Any], **kw: Any) -> bool:
    return intake.enqueue(store, "shop", kw.pop("source", "webhook"), codec.dumps(order), **kw).created


def _open_failures(store: Store, key: str) -> list[dict[str, Any]]:
    return [f for f in list_failures(store, entity="order", status="open", with_raw=True) if f["key"] == key]


def _inbox(store: Store) -> list[dict[str, Any]]:
    with store.begin() as conn:
        return [dict(r) for r in conn.execute(sa.select(order_inbox).order_by(order_inbox.c.id)).mappings()]


@pytest.fixture
def ready(store: Store) -> Store:
    seed_catalog(store)
    seed_customer(store, "C10001", credit_limit={"amount": "1000.00", "currency": "USD"})
    return store


def test_a_good_order_is_approved_allocated_and_handed_on(ready: Store, make_processor: Make) -> None:
    handed: list[Any] = []
    _send(ready, shop_order(1001, lines=[("SKU-1", 7, "10.00"), ("SKU-2", 1, "5.00")]))
    stats = make_processor(handed, allocation={"rule": "priority", "warehouses": ["EAST", "WEST"]}).run_once()
    assert (stats.claimed, stats.done, stats.failed) == (1, 1, 0)
    record = get_order(ready, "1001")
    assert record.state is S.allocated and record.customer_no == "C10001"
    assert [h["to"] for h in history(ready, "1001")] == ["received", "approved", "allocated"]
    assert history(ready, "1001")[0]["correlation"]["shop_order_id"] == "5001001"
    plan = {p["sku"]: p for p in record.data["plan"]}
    assert plan["SKU-1"]["allocations"] == [{"warehouse": "WEST", "quantity": "7"}]  # EAST has only 5
    assert plan["SKU-2"]["allocations"] == [{"warehouse": "EAST", "quantity": "1"}]
    assert [h[0] for h in handed] == ["1001"] and handed[0][1][0].sku == "SKU-1"
    assert _inbox(ready)[0]["status"] == "done" and _inbox(ready)[0]["order_no"] == "1001"
    # a second run changes nothing and hands nothing on twice... unless the next step never moved it on
    handed.clear()
    assert make_processor().run_once().claimed == 0


def test_a_webhook_replayed_50_times_and_polled_makes_one_order(ready: Store, make_processor: Make) -> None:
    order = shop_order(1002)
    created = [_send(ready, order, webhook_id="w-1", topic="orders/create") for _ in range(50)]
    created += [_send(ready, order, webhook_id=f"w-{n}", topic="orders/create") for n in range(2, 6)]
    created.append(_send(ready, order, source="poll"))
    assert created.count(True) == 1
    handed: list[Any] = []
    make_processor(handed).run_once()
    assert [h[0] for h in handed] == ["1002"]
    with ready.begin() as conn:
        states = conn.scalar(
            sa.select(sa.func.count()).where(audit_events.c.key == "1002", audit_events.c.action == "state")
        )
    assert states == 3  # received, approved, allocated: once each


def test_every_validation_problem_is_a_failure_with_the_raw_payload(
    ready: Store, make_processor: Make
) -> None:
    order = shop_order(
        1003,
        lines=[("SKU-1", 0, "10.00"), ("NOPE-9", 1, "3.00"), ("SKU-2", 1, "5.30")],
        address={"name": "No Street", "city": "Chicago"},
    )
    _send(ready, order)
    make_processor(price_tolerance_pct="5").run_once()
    record = get_order(ready, "1003")
    assert record.state is S.invalid
    failures = _open_failures(ready, "1003")
    by_rule = {f["rule"]: f for f in failures}
    assert set(by_rule) == {
        "order.line.quantity.positive",
        "order.line.sku.known",
        "order.line.price.tolerance",
        "order.ship-to.required",
    }
    assert "5.30 differs from the erp price 5.00 by 6.00%" in by_rule["order.line.price.tolerance"]["message"]
    assert "street, country" in by_rule["order.ship-to.required"]["message"]
    assert all(codec.loads(f["raw"]) == order for f in failures)
    assert {r["rule"] for r in record.data["reasons"]} == set(by_rule)
    lineage = record_lineage(ready, "order", "1003")
    assert lineage["order_state"]["state"] == "invalid" and len(lineage["failures"]) == 4


def test_a_price_within_tolerance_passes(ready: Store, make_processor: Make) -> None:
    _send(ready, shop_order(1004, lines=[("SKU-2", 1, "5.04")]))
    make_processor(price_tolerance_pct="1").run_once()
    assert get_order(ready, "1004").state is S.allocated


def test_unknown_customer_is_held_then_released_by_recheck(ready: Store, make_processor: Make) -> None:
    _send(ready, shop_order(1005, account="C99999"))
    make_processor(unknown_customer="hold").run_once()
    assert get_order(ready, "1005").state is S.on_hold
    (failure,) = _open_failures(ready, "1005")
    assert failure["rule"] == "order.customer.known" and "C99999" in failure["message"]
    seed_customer(ready, "C99999")
    handed: list[Any] = []
    make_processor(handed).recheck(["1005"])
    assert get_order(ready, "1005").state is S.allocated and [h[0] for h in handed] == ["1005"]
    assert _open_failures(ready, "1005") == []
    assert [h["to"] for h in history(ready, "1005")] == ["received", "on_hold", "approved", "allocated"]


def test_unknown_customer_is_created_by_policy(ready: Store, make_processor: Make, erp: FakeErp) -> None:
    _send(ready, shop_order(1006, account=None, email="New.Buyer@Example.com"))
    make_processor(unknown_customer="create", new_customer_prefix="WEB").run_once()
    record = get_order(ready, "1006")
    account = new_account_no("WEB", "new.buyer@example.com")
    assert record.state is S.allocated and record.customer_no == account
    with ready.begin() as conn:
        data = conn.scalar(
            sa.select(golden_records.c.data).where(
                golden_records.c.entity == "customer", golden_records.c.key == account
            )
        )
    customer = codec.loads(data)
    assert customer["email"] == "new.buyer@example.com" and customer["addresses"][0]["city"] == "Chicago"
    # the same buyer again: the same account, no second customer
    _send(ready, shop_order(1007, account=None, email="new.buyer@example.com"))
    make_processor(unknown_customer="create").run_once()
    assert get_order(ready, "1007").customer_no == account
    with ready.begin() as conn:
        assert conn.scalar(sa.select(sa.func.count()).where(golden_records.c.entity == "customer")) == 2


def test_total_above_threshold_waits_for_approval_and_mails_once(
    ready: Store, make_processor: Make, mailer: RecordingMailer
) -> None:
    policy = {"approval": {"total_above": "90", "approver_email": "boss@example.com"}}
    _send(ready, shop_order(1008, lines=[("SKU-1", 10, "10.00")]))
    make_processor(**policy).run_once()
    make_processor(**policy).run_once()  # the mail is re-driven, but its key was sent
    assert get_order(ready, "1008").state is S.pending_approval
    (mail,) = mailer.sent
    assert mail["to"] == "boss@example.com" and "1008" in mail["subject"]
    assert "above the approval threshold 90" in mail["text"] and "hub orders approve 1008" in mail["text"]
    handed: list[Any] = []
    approve(ready, "1008", by="alice", run_id="cli")
    make_processor(handed, **policy).run_once()
    assert get_order(ready, "1008").state is S.allocated and [h[0] for h in handed] == ["1008"]
    decision = next(h for h in history(ready, "1008") if h["to"] == "approved")
    assert decision["reason"] == "approved by alice" and decision["correlation"]["decided_by"] == "alice"
    with pytest.raises(NotPendingApproval):
        approve(ready, "1008", by="alice", run_id="cli")


def test_reject_is_final(ready: Store, make_processor: Make) -> None:
    _send(ready, shop_order(1009, lines=[("SKU-1", 20, "10.00")]))
    make_processor(approval={"total_above": "50"}).run_once()
    reject(ready, "1009", reason="fraud suspected", by="bob", run_id="cli")
    record = get_order(ready, "1009")
    assert record.state is S.rejected and record.data["decision"]["reason"].endswith("fraud suspected")
    with pytest.raises(NotPendingApproval):
        approve(ready, "1009", by="bob", run_id="cli")
    with pytest.raises(NotPendingApproval):
        reject(ready, "nope", reason="x", by="bob", run_id="cli")


def test_credit_hold_and_credit_limit(store: Store, make_processor: Make) -> None:
    seed_catalog(store)
    seed_customer(store, "C10001", credit_hold=True)
    seed_customer(store, "C20002", credit_limit={"amount": "100.00", "currency": "USD"})
    _send(store, shop_order(1010, account="C10001"))
    _send(store, shop_order(1011, account="C20002", lines=[("SKU-1", 8, "10.00")]))  # 80: fits
    _send(store, shop_order(1012, account="C20002", lines=[("SKU-1", 3, "10.00")]))  # 80 + 30 > 100
    make_processor().run_once()
    assert get_order(store, "1010").state is S.pending_approval
    assert "on credit hold" in get_order(store, "1010").data["reasons"][0]["message"]
    assert get_order(store, "1011").state is S.allocated
    third = get_order(store, "1012")
    assert third.state is S.pending_approval
    message = third.data["reasons"][0]["message"]
    assert message == "customer C20002: open orders 80.00 + this order 30.00 exceed the credit limit 100.00"


def test_short_stock_is_backordered(ready: Store, make_processor: Make) -> None:
    handed: list[Any] = []
    _send(ready, shop_order(1013, lines=[("SKU-2", 4, "5.00")]))
    make_processor(handed, allocation={"rule": "split"}).run_once()
    record = get_order(ready, "1013")
    assert record.state is S.backordered
    (line,) = record.data["plan"]
    assert line["backordered"] == "3" and line["allocations"] == [{"warehouse": "EAST", "quantity": "1"}]
    assert handed and handed[0][1][0].backordered == 3


def test_erp_faults_are_retried_then_failed(ready: Store, make_processor: Make, erp: FakeErp) -> None:
    _send(ready, shop_order(1014))
    erp.fail_next = RetriableError("ERP down")
    stats = make_processor(max_attempts=2, retry_delay_seconds=0).process_inbox()
    assert stats.retried == 1 and _inbox(ready)[0]["status"] == "pending" and get_order(ready, "1014") is None
    make_processor(max_attempts=2, retry_delay_seconds=0).process_inbox()
    assert get_order(ready, "1014").state is S.allocated
    _send(ready, shop_order(1015))
    for _ in range(2):
        erp.fail_next = RetriableError("ERP down")
        make_processor(max_attempts=2, retry_delay_seconds=0).process_inbox()
    row = _inbox(ready)[-1]
    assert row["status"] == "failed" and "gave up after 2 attempts" in row["note"]
    (gave_up,) = [f for f in list_failures(ready, entity="order") if f["rule"] == "retries"]
    assert gave_up["key"] == "1015" and gave_up["stage"] == "process" and "ERP down" in gave_up["message"]


def test_versions_updates_and_cancellations(ready: Store, make_processor: Make) -> None:
    policy = {"approval": {"total_above": "100"}}
    _send(ready, shop_order(1016, lines=[("SKU-1", 20, "10.00")], updated_at="2026-11-20T10:00:00Z"))
    make_processor(**policy).run_once()
    assert get_order(ready, "1016").state is S.pending_approval
    # the buyer lowers the quantity: evaluated again, no approval needed any more
    _send(ready, shop_order(1016, lines=[("SKU-1", 2, "10.00")], updated_at="2026-11-20T11:00:00Z"))
    make_processor(**policy).run_once()
    assert get_order(ready, "1016").state is S.allocated
    # a late delivery of the first version changes nothing
    _send(ready, shop_order(1016, lines=[("SKU-1", 20, "10.00")], updated_at="2026-11-20T10:30:00Z"))
    make_processor(**policy).run_once()
    assert get_order(ready, "1016").state is S.allocated
    assert "older than the version" in _inbox(ready)[-1]["note"]
    # cancelled in the shop
    _send(ready, shop_order(1016, updated_at="2026-11-20T12:00:00Z", cancelled_at="2026-11-20T12:00:00Z"))
    make_processor(**policy).run_once()
    assert get_order(ready, "1016").state is S.cancelled
    # an update of a shipped order is noted, not applied
    transition(ready, "1017", S.received, reason="t", run_id="t")
    for state in (S.approved, S.allocated, S.quoted, S.confirmed, S.ready_to_ship, S.shipped):
        transition(ready, "1017", state, reason="t", run_id="t")
    _send(ready, shop_order(1017, updated_at="2026-11-21T00:00:00Z"))
    stats = make_processor().run_once()
    assert stats.ignored == 1 and get_order(ready, "1017").state is S.shipped


def test_unreadable_and_untranslatable_events_are_kept_as_failures(
    ready: Store, make_processor: Make
) -> None:
    intake.enqueue(ready, "shop", "webhook", b"{not json", webhook_id="w-bad")
    broken = shop_order(1018)
    broken["line_items"][0]["quantity"] = "lots"
    _send(ready, broken)
    stats = make_processor().run_once()
    assert stats.failed == 2
    failures = list_failures(ready, entity="order", with_raw=True)
    unreadable = next(f for f in failures if f["stage"] == "read")
    assert unreadable["raw"] == "{not json" and unreadable["key"] is None
    translate = next(f for f in failures if f["stage"] == "translate")
    assert translate["key"] == "1018" and codec.loads(translate["raw"]) == broken
    assert get_order(ready, "1018").state is S.invalid


def test_without_an_erp_golden_records_decide_and_approved_orders_wait(
    ready: Store, translators: Any, mailer: RecordingMailer
) -> None:
    from hub.workflows.policy import OrdersConfig

    _send(ready, shop_order(1019))
    processor = OrderProcessor(ready, OrdersConfig(), translators=translators, erp=None, mailer=mailer)
    processor.run_once()
    assert get_order(ready, "1019").state is S.approved
    # later, with an ERP: allocated by advance()
    handed: list[Any] = []
    erp = FakeErp(prices={"SKU-1": "10.00"}, stock={"SKU-1": {"EAST": 9}})
    OrderProcessor(
        ready, OrdersConfig(), translators=translators, erp=erp, next_step=lambda o, p: handed.append(o)
    ).advance()
    assert get_order(ready, "1019").state is S.allocated and len(handed) == 1


def test_canonical_orders_from_edi_go_through_the_same_intake(ready: Store, make_processor: Make) -> None:
    order = {
        "order_no": "PO-7781",
        "channel": "edi",
        "customer_no": "C10001",
        "po_number": "7781",
        "currency": "USD",
        "lines": [
            {
                "line_no": 1,
                "sku": "SKU-1",
                "quantity": {"value": "3"},
                "unit_price": {"amount": "10.00", "currency": "USD"},
            }
        ],
        "ship_to": {"line1": "9 Dock Rd", "city": "Reno", "country": "US", "location_code": "DC-4"},
    }
    key = "edi:acme:000000101:0001"
    assert intake.enqueue(ready, "edi", "api", order, format="canonical", dedupe_key=key).created
    assert not intake.enqueue(ready, "edi", "api", order, format="canonical", dedupe_key=key).created
    handed: list[Any] = []
    make_processor(handed).run_once()
    record = get_order(ready, "PO-7781")
    assert record.state is S.allocated and record.data["system"] == "edi" and handed[0][0] == "PO-7781"
