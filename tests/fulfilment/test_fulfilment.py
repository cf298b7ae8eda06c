"""The order-to-cash process manager with fakes of the ports: the happy path, partial shipments, re-driving."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hub.models import Order, Shipment
from hub.store import Store
from hub.workflows.fulfilment import OrderFulfilment, Systems
from hub.workflows.ports import Allocation, LinePlan
from hub.workflows.states import OrderState, get_order, history, transition
from tests.fulfilment.fakes import FakeErp, FakeMailer, FakeShop, FakeThreePL

ORDER = {
    "order_no": "1001",
    "channel": "shop",
    "customer_no": "C-1",
    "order_date": "2026-11-01T00:00:00+00:00",
    "email": "buyer@example.com",
    "currency": "USD",
    "ship_to": {
        "name": "Buyer",
        "line1": "1 Main St",
        "city": "Springfield",
        "postal_code": "62701",
        "country": "US",
    },
    "lines": [
        {
            "line_no": 1,
            "sku": "SKU-1",
            "quantity": {"value": 3},
            "unit_price": {"amount": "10", "currency": "USD"},
        },
        {
            "line_no": 2,
            "sku": "SKU-2",
            "quantity": {"value": 2},
            "unit_price": {"amount": "5", "currency": "USD"},
        },
    ],
}
PLAN = [
    LinePlan(1, "SKU-1", Decimal(3), (Allocation(1, "SKU-1", "main", Decimal(3)),)),
    LinePlan(2, "SKU-2", Decimal(2), (Allocation(2, "SKU-2", "east", Decimal(2)),)),
]


class World:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.erp, self.shop, self.mail = FakeErp(), FakeShop(), FakeMailer()
        self.wms = FakeThreePL()
        systems = Systems(self.erp, lambda wh: self.wms, self.shop, self.mail)
        self.flow = OrderFulfilment(store, systems, run_id="test")
        self.order = Order.model_validate(ORDER)
        for state in (OrderState.received, OrderState.approved, OrderState.allocated):
            transition(store, "1001", state, reason="test", run_id="test", data={"order": ORDER})

    def state(self) -> OrderState:
        record = get_order(self.store, "1001")
        assert record is not None
        return record.state

    def shipment(self, no: str, lines: list[tuple[int, str, int]]) -> Shipment:
        return Shipment.model_validate(
            {"shipment_no": no, "order_no": "1001", "carrier": "UPS", "tracking_numbers": [f"1Z{no}"],
             "lines": [{"line_no": i, "sku": s, "quantity": {"value": q}, "order_line_no": i} for i, s, q in lines]}
        )  # fmt: skip


@pytest.fixture
def world(store: Store) -> World:
    return World(store)


def test_start_takes_an_allocated_order_to_ready_to_ship(world: World) -> None:
    world.flow.start(world.order, PLAN)
    assert world.state() is OrderState.ready_to_ship
    assert world.erp.calls == ["create 1001", "confirm 1001"]
    assert sorted(world.wms.requests) == ["1001-east", "1001-main"]
    assert world.wms.requests["1001-main"].lines[0].quantity == 3
    assert world.shop.tags["1001"] == {"ready-to-ship"}
    assert list(world.mail.sent) == ["confirmation:1001"]
    steps = [h for h in history(world.store, "1001")]
    assert [h["to"] if "to" in h else h["changes"]["state"][1] for h in steps][-3:] == [
        "quoted",
        "confirmed",
        "ready_to_ship",
    ]


def test_start_is_re_driven_after_a_fault_without_repeating_what_was_done(world: World) -> None:
    world.erp.fail_confirm = 1
    with pytest.raises(Exception, match="ERP timeout"):
        world.flow.start(world.order, PLAN)
    assert world.state() is OrderState.quoted
    world.flow.start(world.order, PLAN)  # the processor's advance() hands it on again
    world.flow.start(world.order, PLAN)  # and once more: nothing left to do
    assert world.erp.calls == ["create 1001", "confirm 1001", "confirm 1001"]
    assert world.state() is OrderState.ready_to_ship and world.wms.writes == 2
    assert len(world.mail.sent) == 1


def test_partial_shipments_then_invoices_close_the_order(world: World) -> None:
    world.flow.start(world.order, PLAN)
    first = world.shipment("SH1", [(1, "SKU-1", 2)])
    assert world.flow.on_shipment(first) is OrderState.invoiced
    record = get_order(world.store, "1001")
    assert record is not None and record.data["invoices"] and "SH1" in record.data["shipments"]
    assert world.flow.on_shipment(first) is OrderState.invoiced  # a replayed confirmation changes nothing
    assert world.erp.calls.count("ship SH1") == 1
    second = world.shipment("SH2", [(1, "SKU-1", 1), (2, "SKU-2", 2)])
    assert world.flow.on_shipment(second) is OrderState.closed
    assert world.shop.fulfilments["1001"] == ["SH1", "SH2"]
    assert sorted(world.mail.sent) == ["confirmation:1001", "shipped:SH1:1001", "shipped:SH2:1001"]
    record = get_order(world.store, "1001")
    assert record is not None and sorted(record.data["invoices"]) == ["INV-1001-1", "INV-1001-2"]
    assert record.data["correlation"]["tracking"] == ["1ZSH2"]
