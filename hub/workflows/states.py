"""The order state machine: states, the allowed transitions, and the one function that moves an order.

Every transition writes ``order_state`` and one ``audit_events`` row (action ``state``) in the same
transaction, so the history of an order is exactly its list of transitions. Moving an order to the
state it is already in changes nothing and writes nothing: replays are harmless.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.engine import codec
from hub.errors import FatalError
from hub.store import Store
from hub.store.schema import audit_events, order_state


class OrderState(StrEnum):
    received = "received"  # taken in, not yet validated
    invalid = "invalid"  # the order itself is wrong (unknown SKU, bad quantity or price, no address)
    on_hold = "on_hold"  # waits for something outside the order (an unknown customer, by policy)
    pending_approval = "pending_approval"  # an approval rule fired: waits for a person
    approved = "approved"  # may be fulfilled; next: allocation
    rejected = "rejected"  # an approver said no (final)
    allocated = "allocated"  # every line has a warehouse
    backordered = "backordered"  # some quantity is short and waits for stock
    quoted = "quoted"  # sale in the ERP, as a quotation
    confirmed = "confirmed"  # ERP sale confirmed
    ready_to_ship = "ready_to_ship"  # fulfilment request with the 3PL, tagged in the shop
    partially_shipped = "partially_shipped"
    shipped = "shipped"
    invoiced = "invoiced"
    closed = "closed"  # final
    cancelled = "cancelled"  # final


S = OrderState
_OPEN_EVALUATION = (S.invalid, S.on_hold, S.pending_approval, S.approved, S.cancelled)

# from -> the states it may move to; None is "not known to the hub yet"
TRANSITIONS: dict[OrderState | None, frozenset[OrderState]] = {
    None: frozenset({S.received}),
    S.received: frozenset(_OPEN_EVALUATION),
    # a fixed or updated order is evaluated again, straight from where it waits
    S.invalid: frozenset({S.received, *_OPEN_EVALUATION}),
    S.on_hold: frozenset({S.received, *_OPEN_EVALUATION}),
    S.pending_approval: frozenset({S.approved, S.rejected, S.invalid, S.on_hold, S.cancelled}),
    S.rejected: frozenset(),
    S.approved: frozenset({S.allocated, S.backordered, S.cancelled}),
    # stock can vanish before the sale is made, or arrive for a backorder
    S.allocated: frozenset({S.backordered, S.quoted, S.cancelled}),
    S.backordered: frozenset({S.allocated, S.quoted, S.cancelled}),
    S.quoted: frozenset({S.confirmed, S.cancelled}),
    S.confirmed: frozenset({S.ready_to_ship, S.cancelled}),
    S.ready_to_ship: frozenset({S.partially_shipped, S.shipped, S.cancelled}),
    # invoices may follow each partial shipment
    S.partially_shipped: frozenset({S.shipped, S.invoiced, S.closed}),
    S.shipped: frozenset({S.invoiced, S.closed}),
    S.invoiced: frozenset({S.partially_shipped, S.shipped, S.closed}),
    S.closed: frozenset(),
    S.cancelled: frozenset(),
}

FINAL = frozenset(s for s, targets in TRANSITIONS.items() if s is not None and not targets)
# before approval: a new version of the order from the shop is evaluated again
EVALUATED = frozenset({S.received, S.invalid, S.on_hold, S.pending_approval})
# approved but not finished: what counts against a customer's credit limit
OPEN_COMMITMENTS = frozenset(
    {
        S.approved,
        S.allocated,
        S.backordered,
        S.quoted,
        S.confirmed,
        S.ready_to_ship,
        S.partially_shipped,
        S.shipped,
        S.invoiced,
    }
)


class IllegalTransition(FatalError):
    """The order cannot move from its state to the one asked for (or the order is unknown)."""

    def __init__(self, order_no: str, current: OrderState | None, to: OrderState) -> None:
        self.order_no, self.current, self.to = order_no, current, to
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "nothing (final)"
        where = current.value if current else "unknown"
        super().__init__(f"order {order_no}: cannot go from {where} to {to.value} (allowed: {allowed})")


@dataclass(frozen=True)
class OrderRecord:
    order_no: str
    state: OrderState
    data: dict[str, Any]
    updated_at: datetime
    customer_no: str | None = None
    total: Decimal | None = None
    currency: str | None = None
    created_at: datetime | None = None

    @property
    def order(self) -> dict[str, Any] | None:
        """The canonical order (JSON form) last taken in."""
        return self.data.get("order")

    def to_dict(self) -> dict[str, Any]:
        return {
            "order_no": self.order_no,
            "state": self.state.value,
            "customer_no": self.customer_no,
            "total": self.total,
            "currency": self.currency,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "data": self.data,
        }


def can_move(current: OrderState | None, to: OrderState) -> bool:
    return current == to or to in TRANSITIONS[current]


def load_state(conn: Connection, order_no: str, *, lock: bool = False) -> OrderRecord | None:
    query = sa.select(order_state).where(order_state.c.order_no == order_no)
    if lock:
        query = query.with_for_update()  # PostgreSQL: concurrent transitions of one order queue up
    row = conn.execute(query).mappings().first()
    return _record(row) if row else None


def get_order(store: Store, order_no: str) -> OrderRecord | None:
    with store.begin() as conn:
        return load_state(conn, order_no)


def _record(row: Mapping[str, Any]) -> OrderRecord:
    return OrderRecord(
        order_no=row["order_no"],
        state=OrderState(row["state"]),
        data=codec.loads(row["data"]) or {},
        updated_at=row["updated_at"],
        customer_no=row["customer_no"],
        total=row["total"],
        currency=row["currency"],
        created_at=row["created_at"],
    )


def transition_in(
    conn: Connection,
    order_no: str,
    to: OrderState | str,
    *,
    reason: str,
    run_id: str,
    correlation: Mapping[str, Any] | None = None,
    data: Mapping[str, Any] | None = None,
    system: str | None = None,
    at: datetime | None = None,
) -> bool:
    """``transition`` inside a transaction the caller holds (to commit it with other writes).

    ``data`` is merged into the stored order data (``order`` holds the canonical order); correlation
    ids are kept in the data too, so ``hub orders show`` lists every system id the order has.
    Returns False when the order is already in ``to``: no state change and no audit event, but new
    ``data`` / ``correlation`` it carries are merged (a second partial shipment, another invoice).
    """
    target = OrderState(to)
    now = at or datetime.now(UTC)
    current = load_state(conn, order_no, lock=True)
    before = current.state if current else None
    if before != target and target not in TRANSITIONS[before]:
        raise IllegalTransition(order_no, before, target)
    merged: dict[str, Any] = dict(current.data) if current else {}
    merged.update(data or {})
    if correlation:
        merged["correlation"] = {**merged.get("correlation", {}), **correlation}
    if before == target:  # no move, no event; data a step brings (a second invoice) is still kept
        if current is not None and merged != current.data:
            conn.execute(
                sa.update(order_state)
                .where(order_state.c.order_no == order_no)
                .values(updated_at=now, **_columns(merged))
            )
        return False
    values = {"state": target.value, "updated_at": now, **_columns(merged)}
    if current is None:
        conn.execute(sa.insert(order_state).values(order_no=order_no, created_at=now, **values))
    else:
        conn.execute(sa.update(order_state).where(order_state.c.order_no == order_no).values(**values))
    conn.execute(
        sa.insert(audit_events).values(
            run_id=run_id,
            at=now,
            entity="order",
            key=order_no,
            system=system,
            action="state",
            changes=codec.dumps(
                {"state": [before.value if before else None, target.value], "reason": reason}
            ),
            correlation=codec.dumps({"order_no": order_no, **(correlation or {})}),
        )
    )
    return True


def transition(
    store: Store,
    order_no: str,
    to: OrderState | str,
    *,
    reason: str,
    run_id: str,
    correlation: Mapping[str, Any] | None = None,
    data: Mapping[str, Any] | None = None,
    system: str | None = None,
) -> bool:
    """Move ``order_no`` to ``to``: order_state and one audit event in one transaction.

    Raises ``IllegalTransition`` when the table does not allow it; a repeat of the same move is a
    no-op that returns False (it only merges new data, see ``transition_in``). ``correlation``: ids in other systems (ERP sale id, 3PL request id, EDI
    control numbers), recorded with the event.
    """
    with store.begin() as conn:
        return transition_in(
            conn,
            order_no,
            to,
            reason=reason,
            run_id=run_id,
            correlation=correlation,
            data=data,
            system=system,
        )


def _columns(data: Mapping[str, Any]) -> dict[str, Any]:
    """The stored data and the columns listing and the credit rule read (from ``data['order']``)."""
    order = data.get("order") or {}
    total = (order.get("total") or {}).get("amount")
    return {
        "data": codec.dumps(data),
        "customer_no": order.get("customer_no"),
        "total": Decimal(str(total)) if total is not None else None,
        "currency": order.get("currency") or (order.get("total") or {}).get("currency"),
    }


def update_data(conn: Connection, order_no: str, data: Mapping[str, Any]) -> None:
    """Merge ``data`` into an order's stored data without a state change (no audit event)."""
    current = load_state(conn, order_no, lock=True)
    if current is None:
        raise IllegalTransition(order_no, None, OrderState.received)
    merged = {**current.data, **data}
    conn.execute(
        sa.update(order_state)
        .where(order_state.c.order_no == order_no)
        .values(updated_at=datetime.now(UTC), **_columns(merged))
    )


def list_orders(
    store: Store, *, states: set[OrderState] | None = None, limit: int | None = None
) -> list[OrderRecord]:
    query = sa.select(order_state).order_by(order_state.c.updated_at.desc(), order_state.c.order_no)
    if states:
        query = query.where(order_state.c.state.in_(sorted(s.value for s in states)))
    if limit:
        query = query.limit(limit)
    with store.begin() as conn:
        return [_record(r) for r in conn.execute(query).mappings()]


def history(store: Store, order_no: str) -> list[dict[str, Any]]:
    """The order's transitions, oldest first: at, from, to, reason, run, correlation."""
    t = audit_events
    query = (
        sa.select(t.c.at, t.c.run_id, t.c.changes, t.c.correlation)
        .where(t.c.entity == "order", t.c.key == order_no, t.c.action == "state")
        .order_by(t.c.at, t.c.id)
    )
    out = []
    with store.begin() as conn:
        for r in conn.execute(query):
            changes = codec.loads(r.changes) or {}
            before, after = changes.get("state", [None, None])
            out.append(
                {
                    "at": r.at,
                    "from": before,
                    "to": after,
                    "reason": changes.get("reason"),
                    "run_id": r.run_id,
                    "correlation": codec.loads(r.correlation),
                }
            )
    return out
