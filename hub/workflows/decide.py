"""What should happen to one version of an order: read-only, so a fault here changes nothing.

``evaluate`` gathers the facts (hub store, ERP), validates, applies the approval rules and, for an
approved order, allocates it; the result is a ``Decision``: the transitions to make, the reasons, the
plan, and whether a customer is to be created. ``processor.apply`` writes it in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hub.engine.repository import FailureRecord
from hub.models import Order
from hub.store import Store
from hub.workflows.allocation import LineRequest, allocate
from hub.workflows.approval import approval_reasons, open_exposure
from hub.workflows.policy import OrdersConfig
from hub.workflows.ports import ErpOrders, LinePlan
from hub.workflows.states import OrderRecord, OrderState
from hub.workflows.validation import Facts, Reason, gather_facts, validate

S = OrderState


@dataclass
class Decision:
    inbox_status: str  # done | ignored | failed
    note: str
    order_no: str | None = None
    order: Order | None = None
    steps: list[tuple[OrderState, str]] = field(default_factory=list)  # (to, reason), in order
    reasons: list[Reason] = field(default_factory=list)
    failures: list[FailureRecord] = field(default_factory=list)
    resolve: bool = False  # the order went through validation: close its open failures
    create_customer: str | None = None
    plan: list[LinePlan] | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def final(self) -> OrderState | None:
        return self.steps[-1][0] if self.steps else None


def plan_for(order: Order, erp: ErpOrders | None, policy: OrdersConfig) -> list[LinePlan] | None:
    """Allocate an approved order from the ERP's stock; None when there is no ERP to ask."""
    if erp is None:
        return None
    lines = [LineRequest(line.line_no, line.sku, line.quantity.value) for line in order.lines]
    stock = erp.stock(sorted({line.sku for line in lines}))
    rule = policy.allocation
    return allocate(lines, stock, rule.rule, rule.warehouses)


def allocation_step(plan: list[LinePlan]) -> tuple[OrderState, str]:
    short = [p for p in plan if p.backordered > 0]
    if not short:
        return S.allocated, f"{len(plan)} lines allocated"
    detail = ", ".join(f"{p.sku} {p.backordered}" for p in short)
    return S.backordered, f"short: {detail}"


def evaluate(
    store: Store,
    order: Order,
    current: OrderRecord | None,
    *,
    erp: ErpOrders | None,
    policy: OrdersConfig,
    system: str,
    run_id: str,
    raw: Any,
) -> Decision:
    """The decision for a (new or changed) order that has not been approved yet."""
    facts: Facts = gather_facts(store, order, erp, policy)
    if facts.account_no and order.customer_no != facts.account_no:
        order = order.model_copy(update={"customer_no": facts.account_no})
    decision = Decision("done", "", order.order_no, order)
    if current is None:
        decision.steps.append((S.received, f"from {system}"))
    reasons = validate(order, facts, policy)
    blocking = [r for r in reasons if r.outcome == "invalid"] or [r for r in reasons if r.outcome == "hold"]
    if blocking:
        state = S.invalid if blocking[0].outcome == "invalid" else S.on_hold
        decision.steps.append((state, "; ".join(r.message for r in blocking)))
        decision.reasons = reasons
        decision.failures = [
            FailureRecord(
                run_id, "order", order.order_no, system, "validate", r.rule, r.field, r.message, raw
            )
            for r in reasons
        ]
        decision.note = f"{state.value}: {len(reasons)} reasons"
        return decision
    decision.resolve = True
    decision.create_customer = facts.account_no if facts.create_customer else None
    customer = facts.customer
    if customer is None and decision.create_customer:
        customer = {"account_no": decision.create_customer}
    exposure = (
        open_exposure(store, order.customer_no, order.currency, exclude=order.order_no)
        if order.customer_no
        else 0
    )
    approval = approval_reasons(order, customer, exposure, policy.approval)  # type: ignore[arg-type]
    decision.reasons = approval
    if approval:
        decision.steps.append((S.pending_approval, "; ".join(r.message for r in approval)))
        decision.note = "pending_approval"
        return decision
    decision.steps.append((S.approved, "passed validation and approval rules"))
    plan = plan_for(order, erp, policy)
    if plan is not None:
        decision.plan = plan
        decision.steps.append(allocation_step(plan))
    decision.note = decision.steps[-1][0].value
    return decision
