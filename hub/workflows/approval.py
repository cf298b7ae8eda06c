"""Approval: the rules that make an order wait for a person, the mail to the approver, and the decision.

Rules (``orders.approval`` in hub.yaml): the order total above a threshold; the customer on credit
hold; the customer's open orders plus this one above its credit limit. The golden customer record has
``credit_hold`` and ``credit_limit`` (owned by the ERP per mappings/customer.yaml); it has no open
receivables balance, so "open orders" are the hub's own approved-but-not-closed orders.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from hub.engine import codec
from hub.models import Order
from hub.store import Store
from hub.store.schema import order_state
from hub.workflows.policy import ApprovalPolicy
from hub.workflows.ports import Mailer
from hub.workflows.states import (
    OPEN_COMMITMENTS,
    IllegalTransition,
    OrderRecord,
    OrderState,
    get_order,
    load_state,
    transition_in,
)
from hub.workflows.validation import Reason


class NotPendingApproval(IllegalTransition):
    """approve / reject of an order that is not waiting for approval."""


def order_total(order: Order) -> Decimal:
    """The order's total as the shop states it, else the sum of its priced lines."""
    if order.total is not None:
        return order.total.amount
    return sum(
        (line.unit_price.amount * line.quantity.value for line in order.lines if line.unit_price), Decimal(0)
    )


def open_exposure(store: Store, customer_no: str, currency: str | None, *, exclude: str) -> Decimal:
    """Total of the customer's approved, unfinished orders in ``currency`` (this order excluded)."""
    t = order_state
    query = sa.select(sa.func.coalesce(sa.func.sum(t.c.total), 0)).where(
        t.c.customer_no == customer_no,
        t.c.state.in_(sorted(s.value for s in OPEN_COMMITMENTS)),
        t.c.order_no != exclude,
    )
    if currency:
        query = query.where(t.c.currency == currency)
    with store.begin() as conn:
        return Decimal(str(conn.scalar(query) or 0)).quantize(Decimal("0.01"))


def approval_reasons(
    order: Order, customer: dict[str, Any] | None, exposure: Decimal, policy: ApprovalPolicy
) -> list[Reason]:
    """Why the order needs a person's approval (empty: it does not)."""
    reasons: list[Reason] = []
    total = order_total(order)
    currency = order.currency or (order.total.currency if order.total else None)
    if policy.total_above is not None and total > policy.total_above:
        reasons.append(
            Reason(
                "order.approval.total",
                "total",
                f"total {total} {currency or ''} is above the approval threshold {policy.total_above}".replace(
                    "  ", " "
                ),
                "approval",
            )
        )
    if customer is None:
        return reasons
    account = customer.get("account_no")
    if policy.credit_hold and customer.get("credit_hold"):
        reasons.append(
            Reason(
                "order.approval.credit-hold",
                "customer_no",
                f"customer {account} is on credit hold",
                "approval",
            )
        )
    limit = customer.get("credit_limit")
    if policy.credit_limit and limit and limit.get("amount") is not None:
        amount, limit_currency = Decimal(str(limit["amount"])), limit.get("currency")
        if currency and limit_currency and limit_currency != currency:
            reasons.append(
                Reason(
                    "order.approval.credit-limit",
                    "customer_no",
                    f"customer {account}'s credit limit is in {limit_currency}, the order in {currency}: "
                    "cannot compare",
                    "approval",
                )
            )
        elif exposure + total > amount:
            reasons.append(
                Reason(
                    "order.approval.credit-limit",
                    "customer_no",
                    f"customer {account}: open orders {exposure} + this order {total} exceed the credit "
                    f"limit {amount}",
                    "approval",
                )
            )
    return reasons


def approval_mail(order: Order, reasons: Sequence[Reason]) -> tuple[str, str]:
    """Subject and text of the mail to the approver."""
    total = order_total(order)
    currency = order.currency or ""
    subject = f"Order {order.order_no} waits for your approval ({total} {currency})".strip()
    lines = [
        f"Order {order.order_no} from customer {order.customer_no or '(none)'} waits for approval.",
        "",
        "Why:",
        *[f"  - {r.message}" for r in reasons],
        "",
        f"Total: {total} {currency}",
        "Lines:",
        *[
            f"  {line.line_no}: {line.sku} x {line.quantity.value}"
            + (f" @ {line.unit_price.amount}" if line.unit_price else "")
            for line in order.lines
        ],
        "",
        f"Approve: hub orders approve {order.order_no} --by YOUR_NAME",
        f"Reject:  hub orders reject {order.order_no} --reason TEXT",
    ]
    return subject, "\n".join(lines) + "\n"


def mail_key(order_no: str, order: dict[str, Any]) -> str:
    """One approval mail per version of what is approved (customer, lines, total): a changed order
    asks again; a replay, or a change of tags or notes, does not."""
    relevant = {k: order.get(k) for k in ("customer_no", "currency", "lines", "total")}
    return f"approval:{order_no}:{codec.content_hash(relevant)}"


def notify_approver(mailer: Mailer, to: str, record: OrderRecord) -> bool:
    """Mail the approver about one pending order (idempotent by ``mail_key``)."""
    data = record.order or {}
    order = Order.model_validate(data)
    reasons = [Reason(**r) for r in record.data.get("reasons") or [] if r.get("outcome") == "approval"]
    subject, text = approval_mail(order, reasons)
    return mailer.send(to, subject, text, key=mail_key(record.order_no, data))


def decide(store: Store, order_no: str, to: OrderState, *, by: str, reason: str, run_id: str) -> OrderRecord:
    with store.begin() as conn:
        current = load_state(conn, order_no, lock=True)
        if current is None or current.state is not OrderState.pending_approval:
            raise NotPendingApproval(order_no, current.state if current else None, to)
        transition_in(
            conn,
            order_no,
            to,
            reason=reason,
            run_id=run_id,
            data={"decision": {"by": by, "state": to.value, "reason": reason}},
            correlation={"decided_by": by},
        )
    found = get_order(store, order_no)
    assert found is not None
    return found


def approve(store: Store, order_no: str, *, by: str, run_id: str, note: str | None = None) -> OrderRecord:
    """pending_approval -> approved; the processor allocates it on its next run (``advance``)."""
    text = f"approved by {by}" + (f": {note}" if note else "")
    return decide(store, order_no, OrderState.approved, by=by, reason=text, run_id=run_id)


def reject(store: Store, order_no: str, *, reason: str, by: str, run_id: str) -> OrderRecord:
    """pending_approval -> rejected (final)."""
    return decide(
        store, order_no, OrderState.rejected, by=by, reason=f"rejected by {by}: {reason}", run_id=run_id
    )
