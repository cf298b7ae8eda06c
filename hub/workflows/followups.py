"""What follows a committed decision: the hand-off to the next step and the approver's mail.

Both run after the order's transaction and are re-driven by ``OrderProcessor.advance`` until done,
so a crash or a fault in between loses nothing. A hand-off is recorded with the hash of the plan it
carried: the same plan is never handed on twice, a new plan (re-allocation) is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from hub.engine import codec
from hub.engine.repository import FailureRecord, Repository
from hub.errors import RetriableError
from hub.models import Order
from hub.store import Store
from hub.workflows.allocation import plan_from_json
from hub.workflows.approval import notify_approver
from hub.workflows.ports import LinePlan, Mailer
from hub.workflows.states import OrderRecord, OrderState, get_order, load_state, update_data

log = logging.getLogger("hub.workflows.orders")
NextStep = Callable[[Order, Sequence[LinePlan]], None]
NextSteps = Callable[[Sequence[tuple[Order, Sequence[LinePlan]]]], None]  # the batch form of NextStep
# quoted / confirmed: a hand-off cut short by a crash (the ERP sale made, the hub's record of the rest not)
HANDED_STATES = frozenset(
    {OrderState.allocated, OrderState.backordered, OrderState.quoted, OrderState.confirmed}
)


def handed_off(record: OrderRecord) -> bool:
    """True when this order's current plan was handed to the next step."""
    done = record.data.get("handoff") or {}
    return done.get("plan") == codec.content_hash(record.data.get("plan") or [])


def hand_off(store: Store, order_no: str, next_step: NextStep, *, run_id: str) -> bool:
    """Give an allocated / backordered order with its plan to the next step; True when it took it."""
    record = get_order(store, order_no)
    if record is None or record.state not in HANDED_STATES or not record.order or handed_off(record):
        return False
    plan_json = record.data.get("plan") or []
    try:
        next_step(Order.model_validate(record.order), plan_from_json(plan_json))
    except Exception as exc:  # the next step's fault must not stop the intake; advance() retries it
        log.warning("hand-off of order %s failed: %s", order_no, exc)
        system = record.data.get("system", "shop")
        failure = FailureRecord(
            run_id, "order", order_no, system, "handoff", "next-step", None, f"{type(exc).__name__}: {exc}",
            record.order, retriable=True,
        )  # fmt: skip
        with store.begin() as conn:
            Repository(store).record_failures(conn, [failure], datetime.now(UTC))
        return False
    now = datetime.now(UTC)
    with store.begin() as conn:
        marker = {"plan": codec.content_hash(plan_json), "at": now.isoformat(), "run_id": run_id}
        update_data(conn, order_no, {"handoff": marker})
        Repository(store).resolve_failures(
            conn, "order", record.data.get("system", "shop"), [order_no], ("handoff",), now
        )
    return True


def hand_off_many(
    store: Store, order_nos: Sequence[str], next_many: NextSteps, next_step: NextStep, *, run_id: str
) -> list[str]:
    """``hand_off`` for a batch with one call of ``next_many``; when that fails, order by order (so one
    bad order fails alone). The orders it took."""
    with store.begin() as conn:  # one read for the batch, not one transaction per order
        records = [r for r in (load_state(conn, n) for n in dict.fromkeys(order_nos)) if r is not None]
    todo = [r for r in records if r.state in HANDED_STATES and r.order and not handed_off(r)]
    if len(todo) < 2:
        return [r.order_no for r in todo if hand_off(store, r.order_no, next_step, run_id=run_id)]
    try:
        next_many([(Order.model_validate(r.order), plan_from_json(r.data.get("plan") or [])) for r in todo])
    except Exception as exc:  # some order of the batch: find it by going one by one (each step is idempotent)
        log.warning("hand-off of %d orders as a batch failed, one by one now: %s", len(todo), exc)
        return [r.order_no for r in todo if hand_off(store, r.order_no, next_step, run_id=run_id)]
    now = datetime.now(UTC)
    with store.begin() as conn:
        for r in todo:
            marker = {
                "plan": codec.content_hash(r.data.get("plan") or []),
                "at": now.isoformat(),
                "run_id": run_id,
            }
            update_data(conn, r.order_no, {"handoff": marker})
        by_system: dict[str, list[str]] = {}
        for r in todo:
            by_system.setdefault(r.data.get("system", "shop"), []).append(r.order_no)
        for system, keys in by_system.items():
            Repository(store).resolve_failures(conn, "order", system, keys, ("handoff",), now)
    return [r.order_no for r in todo]


def notify(store: Store, mailer: Mailer, to: str, order_no: str) -> bool:
    """Mail the approver about an order still waiting (idempotent by the mail key); True when sent."""
    record = get_order(store, order_no)
    if record is None or record.state is not OrderState.pending_approval:
        return False
    try:
        return notify_approver(mailer, to, record)
    except RetriableError as exc:  # sent on a later run: the mail key makes that safe
        log.warning("approval mail for order %s not sent: %s", order_no, exc)
        return False
