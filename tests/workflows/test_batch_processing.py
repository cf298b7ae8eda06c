"""The inbox processed batch-wise: the ERP asked once per batch, stock taken by one order of the batch not
offered to the next, the hand-offs made together, and a failing batch hand-off retried order by order."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from hub.engine import codec
from hub.mapping import Translator
from hub.models import Order
from hub.store import Store
from hub.workflows import intake
from hub.workflows.followups import handed_off
from hub.workflows.policy import OrdersConfig
from hub.workflows.ports import LinePlan
from hub.workflows.processor import OrderProcessor
from hub.workflows.states import OrderState, get_order
from tests.workflows.helpers import FakeErp, seed_catalog, seed_customer, shop_order


def _processor(
    store: Store, translators: dict[str, Translator], erp: FakeErp, steps: dict[str, Any]
) -> OrderProcessor:
    config = OrdersConfig.model_validate({"allocation": {"rule": "priority", "warehouses": ["EAST", "WEST"]}})
    return OrderProcessor(store, config, translators=translators, erp=erp, run_id="t-batch",
                          next_step=steps["one"], next_many=steps["many"])  # fmt: skip


def _steps(fail_batch: bool = False, bad: str | None = None) -> dict[str, Any]:
    calls: dict[str, Any] = {"batches": [], "single": []}

    def many(items: Sequence[tuple[Order, Sequence[LinePlan]]]) -> None:
        calls["batches"].append([o.order_no for o, _ in items])
        if fail_batch:
            raise RuntimeError("one order of the batch is refused")

    def one(order: Order, plan: Sequence[LinePlan]) -> None:
        if order.order_no == bad:
            raise RuntimeError("refused")
        calls["single"].append(order.order_no)

    return {"many": many, "one": one, "calls": calls}


def _send(store: Store, numbers: Sequence[int]) -> None:
    for n in numbers:
        intake.enqueue(store, "shop", "webhook", codec.dumps(shop_order(n, lines=[("SKU-1", 4, "10.00")])))


def test_a_batch_asks_the_erp_once_and_hands_off_together(
    store: Store, translators: Any, erp: FakeErp
) -> None:
    seed_catalog(store)
    seed_customer(store, "C10001")
    _send(store, [1001, 1002, 1003])
    steps = _steps()
    stats = _processor(store, translators, erp, steps).run_once()
    assert stats.done == 3 and sorted(stats.handed_off) == ["1001", "1002", "1003"]
    assert steps["calls"]["batches"] == [["1001", "1002", "1003"]] and steps["calls"]["single"] == []
    assert erp.calls.count("stock") == 1 and erp.calls.count("prices") == 1
    taken: dict[str, Decimal] = {}
    for n in ("1001", "1002", "1003"):
        record = get_order(store, n)
        assert record.state is OrderState.allocated and handed_off(record)
        for line in record.data["plan"]:
            for a in line["allocations"]:
                taken[a["warehouse"]] = taken.get(a["warehouse"], Decimal(0)) + Decimal(a["quantity"])
    # EAST has 5: the first order takes 4 of them, the next two see 1 left and go to WEST (not 3 x 4 from EAST)
    assert taken == {"EAST": Decimal(4), "WEST": Decimal(8)}
    assert _processor(store, translators, erp, steps).run_once().handed_off == []  # nothing handed twice


def test_a_failed_batch_hand_off_goes_order_by_order(store: Store, translators: Any, erp: FakeErp) -> None:
    seed_catalog(store)
    seed_customer(store, "C10001")
    _send(store, [1001, 1002])
    steps = _steps(fail_batch=True, bad="1002")
    stats = _processor(store, translators, erp, steps).run_once()
    assert steps["calls"]["single"] == ["1001"] and stats.handed_off == ["1001"]
    assert handed_off(get_order(store, "1001")) and not handed_off(get_order(store, "1002"))
    steps2 = _steps()
    again = _processor(store, translators, erp, steps2).run_once()  # advance() re-drives the one owed
    assert again.handed_off == ["1002"] and steps2["calls"]["single"] == ["1002"]
