"""Returns: a request is checked against the customer's return policy (window and accepted conditions per
segment, from hub.yaml), becomes a return in the ERP and an expected receipt at the 3PL; the 3PL's receipt puts
stock back in the ERP and the refund status reaches the shop.

A return's state lives with its order (``order_state.data["returns"][rma_no]``) and every step is an audit event
(entity ``return``, action ``state``), so ``hub lineage order`` and ``hub lineage return`` show the journey.
Each step is idempotent by the RMA number.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from hub.engine import codec
from hub.engine.stats import utcnow
from hub.models import Order, Return
from hub.store import Store
from hub.store.schema import audit_events, golden_records
from hub.workflows.ports import ErpOrders, ExpectedReceipt, FulfilmentLine, ShopOrders, ThreePL
from hub.workflows.returns_policy import ReturnsPolicy
from hub.workflows.states import get_order, load_state, update_data


@dataclass(frozen=True)
class Decision:
    approved: bool
    reasons: list[str]


def check(ret: Return, order: Order, segment: str | None, policy: ReturnsPolicy, shipped: Mapping[str, Decimal],
          now: datetime) -> Decision:  # fmt: skip
    """Pure: is this return allowed? Every reason it is not."""
    rule = policy.rule(segment)
    reasons = []
    asked = ret.requested_at or now
    if order.order_date is not None:
        ordered = order.order_date if order.order_date.tzinfo else order.order_date.replace(tzinfo=UTC)
        asked = asked if asked.tzinfo else asked.replace(tzinfo=UTC)
        age = (asked - ordered).days
        if age > rule.window_days:
            reasons.append(
                f"asked {age} days after the order; the {segment or 'default'} window is {rule.window_days}"
            )
    for line in ret.lines:
        if line.condition is not None and line.condition not in rule.conditions:
            reasons.append(
                f"{line.sku}: condition '{line.condition}' is not accepted back ({', '.join(rule.conditions)})"
            )
        if line.quantity.value > shipped.get(line.sku, Decimal(0)):
            reasons.append(
                f"{line.sku}: {line.quantity.value} returned but {shipped.get(line.sku, 0)} shipped"
            )
    return Decision(not reasons, reasons)


class ReturnsFlow:
    def __init__(self, store: Store, erp: ErpOrders, threepl: Callable[[str], ThreePL | None],
                 shop: ShopOrders | None, policy: ReturnsPolicy, *, run_id: str) -> None:  # fmt: skip
        self.store, self.erp, self.threepl, self.shop = store, erp, threepl, shop
        self.policy, self.run_id = policy, run_id

    def request(self, ret: Return) -> str:
        """Check and start a return; returns its status (awaiting_receipt, rejected, refunded). A repeat changes
        nothing; a return whose ERP or 3PL step failed before it was recorded is started again."""
        record = get_order(self.store, ret.order_no)
        if record is None or record.order is None:
            self._event(ret.rma_no, ret.order_no, None, "rejected", reason=f"unknown order {ret.order_no}")
            return "rejected"
        known = (record.data.get("returns") or {}).get(ret.rma_no)
        if known is not None:
            return str(known["status"])
        order = Order.model_validate(record.order)
        decision = check(
            ret, order, self._segment(order.customer_no), self.policy, _shipped(record.data), utcnow()
        )
        if not decision.approved:
            self._save(ret, "rejected", reasons=decision.reasons)
            if self.shop is not None and order.channel == "shop":
                self.shop.set_refund_status(order.order_no, ret.rma_no, "rejected")
            return "rejected"
        sale = self.erp.create_return(ret)
        lines = tuple(FulfilmentLine(i, line.sku, line.quantity.value) for i, line in enumerate(ret.lines, 1))
        threepl = self.threepl(self.policy.warehouse)
        if threepl is not None:
            threepl.send_expected_receipt(
                ExpectedReceipt(ret.rma_no, ret.order_no, self.policy.warehouse, lines)
            )
        if self.shop is not None and order.channel == "shop":
            self.shop.set_refund_status(order.order_no, ret.rma_no, "approved")
        self._save(ret, "awaiting_receipt", erp_return_id=sale.sale_id, erp_return_number=sale.number)
        return "awaiting_receipt"

    def on_receipt(self, receipt: ExpectedReceipt) -> str:
        """The 3PL received the goods: stock back in the ERP, refund status to the shop."""
        record = get_order(self.store, receipt.order_no)
        ret = ((record.data.get("returns") or {}).get(receipt.rma_no) if record else None) or {}
        if ret.get("status") == "refunded":
            return "refunded"
        self.erp.receive_return(receipt.rma_no, [(line.sku, line.quantity) for line in receipt.lines])
        order = Order.model_validate(record.order) if record and record.order else None
        if self.shop is not None and order is not None and order.channel == "shop":
            self.shop.set_refund_status(order.order_no, receipt.rma_no, "refunded")
        stored = Return.model_validate(ret["return"]) if ret.get("return") else None
        if stored is not None:
            self._save(
                stored, "refunded", received=[[line.sku, str(line.quantity)] for line in receipt.lines]
            )
        return "refunded"

    # -- bookkeeping --------------------------------------------------------------------------------------
    def _segment(self, customer_no: str | None) -> str | None:
        if not customer_no:
            return None
        with self.store.begin() as conn:
            data = conn.execute(
                sa.select(golden_records.c.data).where(
                    golden_records.c.entity == "customer", golden_records.c.key == customer_no
                )
            ).scalar()
        return (codec.loads(data) or {}).get("segment") if data else None

    def _save(self, ret: Return, status: str, **detail: Any) -> None:
        with self.store.begin() as conn:
            record = load_state(conn, ret.order_no, lock=True)
            returns = dict((record.data.get("returns") or {}) if record else {})
            before = (returns.get(ret.rma_no) or {}).get("status")
            returns[ret.rma_no] = {"status": status, "return": ret.model_dump(mode="json"), **detail}
            update_data(conn, ret.order_no, {"returns": returns})
        self._event(ret.rma_no, ret.order_no, before, status, **detail)

    def _event(self, rma_no: str, order_no: str, before: str | None, after: str, **detail: Any) -> None:
        with self.store.begin() as conn:
            conn.execute(
                sa.insert(audit_events).values(
                    run_id=self.run_id, at=datetime.now(UTC), entity="return", key=rma_no, action="state",
                    changes=codec.dumps({"state": [before, after], **detail}),
                    correlation=codec.dumps({"order_no": order_no, "rma_no": rma_no}),
                )
            )  # fmt: skip


def _shipped(data: Mapping[str, Any]) -> dict[str, Decimal]:
    """Shipped quantity per SKU, from the order's recorded shipments and its lines."""
    order = data.get("order") or {}
    sku_of = {str(line["line_no"]): line["sku"] for line in order.get("lines") or []}
    out: dict[str, Decimal] = {}
    for lines in (data.get("shipments") or {}).values():
        for line_no, qty in lines.items():
            sku = sku_of.get(str(line_no))
            if sku:
                out[sku] = out.get(sku, Decimal(0)) + Decimal(qty)
    return out
