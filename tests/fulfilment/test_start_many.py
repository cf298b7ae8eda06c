"""``start_many``: a batch's sales made and confirmed with one ERP call each, the batch's moves recorded in one
transaction per step, and the same end as ``start`` order by order (states, history, requests, tags)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from hub.errors import RetriableError
from hub.models import Order
from hub.store import Store
from hub.workflows.fulfilment import OrderFulfilment, Systems
from hub.workflows.ports import ErpSale, LinePlan
from hub.workflows.states import OrderState, get_order, history, transition
from tests.fulfilment.fakes import FakeErp, FakeMailer, FakeShop, FakeThreePL
from tests.fulfilment.test_fulfilment import ORDER, PLAN

S = OrderState
NOS = ("1001", "1002", "1003")


@dataclass
class BatchErp(FakeErp):
    """FakeErp with the batch calls; ``fail_batch_confirm`` makes ``confirm_sales`` time out once."""

    batches: list[str] = field(default_factory=list)
    fail_batch_confirm: bool = False

    def create_sales(self, items: Sequence[tuple[Order, Sequence[LinePlan]]]) -> dict[str, ErpSale]:
        self.batches.append(f"create {len(items)}")
        return {o.order_no: self.create_sale(o, p) for o, p in items}

    def confirm_sales(self, references: Sequence[str]) -> dict[str, ErpSale]:
        self.batches.append(f"confirm {len(references)}")
        if self.fail_batch_confirm:
            self.fail_batch_confirm = False
            raise RetriableError("ERP timeout")
        return {r: self.confirm_sale(r) for r in references}


class Batch:
    def __init__(self, store: Store) -> None:
        self.store, self.erp, self.shop, self.wms = store, BatchErp(), FakeShop(), FakeThreePL()
        systems = Systems(self.erp, lambda wh: self.wms, self.shop, FakeMailer())
        self.flow = OrderFulfilment(store, systems, run_id="test")
        self.items: list[tuple[Order, Sequence[LinePlan]]] = []
        for no in NOS:
            data = {**ORDER, "order_no": no}
            for state in (S.received, S.approved, S.allocated):
                transition(store, no, state, reason="test", run_id="test", data={"order": data})
            self.items.append((Order.model_validate(data), PLAN))

    def states(self) -> dict[str, OrderState]:
        out = {}
        for no in NOS:
            record = get_order(self.store, no)
            assert record is not None
            out[no] = record.state
        return out


@pytest.fixture
def batch(store: Store) -> Batch:
    return Batch(store)


def test_a_batch_is_quoted_and_confirmed_with_one_call_each_and_ends_ready_to_ship(batch: Batch) -> None:
    batch.flow.start_many(batch.items)
    assert batch.erp.batches == ["create 3", "confirm 3"]
    assert batch.states() == dict.fromkeys(NOS, S.ready_to_ship)
    for no in NOS:
        steps = [e["to"] for e in history(batch.store, no)]
        assert steps[-3:] == ["quoted", "confirmed", "ready_to_ship"]
        record = get_order(batch.store, no)
        assert record is not None and record.data["correlation"]["erp_sale_id"] == batch.erp.sales[no].sale_id
    assert sorted(batch.wms.requests) == sorted(f"{no}-{wh}" for no in NOS for wh in ("east", "main"))
    assert batch.shop.tags == {no: {"ready-to-ship"} for no in NOS}


def test_a_failed_batch_confirm_leaves_the_batch_quoted_and_a_replay_finishes_it(batch: Batch) -> None:
    batch.erp.fail_batch_confirm = True
    with pytest.raises(RetriableError):
        batch.flow.start_many(batch.items)
    assert batch.states() == dict.fromkeys(NOS, S.quoted)  # the quoted moves were committed together
    assert batch.wms.requests == {}
    batch.flow.start_many(batch.items)
    assert batch.erp.batches == ["create 3", "confirm 3", "confirm 3"]  # not created twice
    assert batch.states() == dict.fromkeys(NOS, S.ready_to_ship)
    for no in NOS:
        steps = [e["to"] for e in history(batch.store, no)]
        assert steps.count("quoted") == 1 and steps.count("confirmed") == 1


def test_an_order_moved_meanwhile_is_read_again_not_assumed(batch: Batch) -> None:
    first, _ = batch.items[0]
    batch.flow.start(first, PLAN)  # already taken to ready_to_ship by someone else
    batch.flow.start_many(batch.items)
    assert batch.erp.batches == ["create 2", "confirm 2"]
    assert batch.states() == dict.fromkeys(NOS, S.ready_to_ship)
    assert batch.wms.writes == 2 * len(NOS)  # the first order's requests were not sent again
