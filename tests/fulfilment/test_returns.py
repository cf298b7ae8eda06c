"""Returns against the policy per segment; approved ones go to the ERP and the 3PL, receipts refund."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from hub.models import Return
from hub.store import Store
from hub.workflows.returns import ReturnsFlow
from hub.workflows.returns_policy import ReturnRule, ReturnsPolicy
from hub.workflows.states import get_order, history
from tests.fulfilment.test_fulfilment import PLAN, World

POLICY = ReturnsPolicy(segments={"wholesale": ReturnRule(window_days=14, conditions=["new"])})


def _return(rma: str, days_after: int, lines: list[tuple[str, int, str]]) -> Return:
    return Return.model_validate(
        {"rma_no": rma, "order_no": "1001", "requested_at": datetime(2026, 11, 1, tzinfo=UTC) + timedelta(days=days_after),
         "lines": [{"sku": s, "quantity": {"value": q}, "condition": c} for s, q, c in lines]}
    )  # fmt: skip


@pytest.fixture
def shipped(store: Store) -> World:
    world = World(store)
    world.flow.start(world.order, PLAN)
    world.flow.on_shipment(world.shipment("SH1", [(1, "SKU-1", 3), (2, "SKU-2", 2)]))
    return world


def _flow(world: World, policy: ReturnsPolicy = POLICY) -> ReturnsFlow:
    return ReturnsFlow(world.store, world.erp, lambda wh: world.wms, world.shop, policy, run_id="t")


def test_an_allowed_return_goes_to_erp_and_3pl_and_the_receipt_refunds(shipped: World) -> None:
    flow = _flow(shipped)
    ret = _return("RMA-1", 10, [("SKU-1", 2, "opened")])
    assert flow.request(ret) == "awaiting_receipt"
    assert flow.request(ret) == "awaiting_receipt"  # a repeat sends nothing new
    assert shipped.erp.calls.count("return RMA-1") == 1
    receipt = shipped.wms.receipts["RMA-1"]
    assert receipt.lines[0].quantity == 2 and shipped.shop.refunds["RMA-1"] == "approved"
    assert flow.on_receipt(receipt) == "refunded"
    assert flow.on_receipt(receipt) == "refunded"
    assert [c for c in shipped.erp.calls if c.startswith("receive")] == ["receive RMA-1 SKU-1:2"]
    assert shipped.shop.refunds["RMA-1"] == "refunded"
    record = get_order(shipped.store, "1001")
    assert record is not None and record.data["returns"]["RMA-1"]["status"] == "refunded"


def test_returns_outside_the_policy_are_rejected_with_reasons(shipped: World) -> None:
    import hub.workflows.returns as returns

    flow = _flow(shipped)
    late = _return("RMA-2", 45, [("SKU-1", 1, "new")])
    assert flow.request(late) == "rejected"
    too_many = _return("RMA-3", 1, [("SKU-2", 5, "new")])
    assert flow.request(too_many) == "rejected"
    record = get_order(shipped.store, "1001")
    assert record is not None
    assert "window is 30" in record.data["returns"]["RMA-2"]["reasons"][0]
    assert "5 returned but 2 shipped" in record.data["returns"]["RMA-3"]["reasons"][0]
    assert "RMA-2" not in shipped.wms.receipts and shipped.shop.refunds["RMA-2"] == "rejected"
    # wholesale customers: 14 days, new goods only
    wholesale = returns.check(_return("RMA-4", 20, [("SKU-1", 1, "damaged")]), shipped.order, "wholesale",
                              POLICY, {"SKU-1": Decimal(3)}, datetime.now(UTC))  # fmt: skip
    assert not wholesale.approved and len(wholesale.reasons) == 2
    assert history(shipped.store, "1001")  # order history untouched by returns' own events
