"""The order state machine: allowed moves, one audit event per move, no-op repeats, illegal moves refused."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hub.engine import codec
from hub.lineage import record_lineage
from hub.store import Store
from hub.store.schema import audit_events, order_state
from hub.workflows.states import (
    FINAL,
    TRANSITIONS,
    IllegalTransition,
    OrderState,
    get_order,
    history,
    transition,
    transition_in,
)

S = OrderState


def _events(store: Store, order_no: str) -> list[dict]:
    with store.begin() as conn:
        rows = conn.execute(
            sa.select(audit_events).where(audit_events.c.key == order_no).order_by(audit_events.c.id)
        ).mappings()
        return [dict(r) for r in rows]


def test_every_state_is_in_the_table_and_final_states_lead_nowhere() -> None:
    assert set(TRANSITIONS) - {None} == set(OrderState)
    assert FINAL == {S.rejected, S.closed, S.cancelled}
    reachable = {s for targets in TRANSITIONS.values() for s in targets}
    assert reachable == set(OrderState)  # every state can be reached


def test_transition_writes_state_and_one_audit_event(store: Store) -> None:
    order = {
        "order_no": "1001",
        "customer_no": "C1",
        "currency": "USD",
        "total": {"amount": "12.50", "currency": "USD"},
    }
    assert transition(store, "1001", S.received, reason="from shop", run_id="r1", data={"order": order})
    assert transition(
        store, "1001", "approved", reason="rules passed", run_id="r1", correlation={"erp_sale_id": 17}
    )
    record = get_order(store, "1001")
    assert record is not None and record.state is S.approved
    assert record.customer_no == "C1" and record.currency == "USD" and float(record.total) == 12.5
    assert record.data["correlation"] == {"erp_sale_id": 17}
    events = _events(store, "1001")
    assert [e["action"] for e in events] == ["state", "state"]
    assert codec.loads(events[1]["changes"]) == {"state": ["received", "approved"], "reason": "rules passed"}
    assert codec.loads(events[1]["correlation"]) == {"order_no": "1001", "erp_sale_id": 17}
    assert [(h["from"], h["to"]) for h in history(store, "1001")] == [
        (None, "received"),
        ("received", "approved"),
    ]
    # lineage reads the same state
    assert record_lineage(store, "order", "1001")["order_state"]["state"] == "approved"


def test_repeating_a_transition_is_a_no_op(store: Store) -> None:
    transition(store, "1002", S.received, reason="a", run_id="r")
    for _ in range(3):
        assert transition(store, "1002", S.received, reason="again", run_id="r") is False
    assert len(_events(store, "1002")) == 1
    # a repeat that brings new data (another invoice of an invoiced order) keeps it, still without an event
    transition(
        store, "1002", S.received, reason="more", run_id="r", data={"invoices": ["I-1"]}, correlation={"x": 1}
    )
    record = get_order(store, "1002")
    assert (
        record.state is S.received
        and record.data["invoices"] == ["I-1"]
        and record.data["correlation"] == {"x": 1}
    )
    assert len(_events(store, "1002")) == 1


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        ([], S.approved),  # unknown order: only 'received' can start it
        ([S.received], S.shipped),
        ([S.received, S.pending_approval, S.rejected], S.approved),  # rejected is final
        ([S.received, S.cancelled], S.received),
    ],
)
def test_illegal_transitions_raise_and_write_nothing(
    store: Store, path: list[OrderState], illegal: OrderState
) -> None:
    for state in path:
        transition(store, "1003", state, reason="setup", run_id="r")
    before = len(_events(store, "1003"))
    with pytest.raises(IllegalTransition) as caught:
        transition(store, "1003", illegal, reason="nope", run_id="r")
    assert caught.value.to is illegal
    assert len(_events(store, "1003")) == before
    record = get_order(store, "1003")
    assert (record.state if record else None) == (path[-1] if path else None)


def test_state_and_audit_commit_together(store: Store) -> None:
    """A failure after the transition inside the caller's transaction rolls both back."""
    transition(store, "1004", S.received, reason="a", run_id="r")
    with pytest.raises(RuntimeError), store.begin() as conn:
        transition_in(conn, "1004", S.approved, reason="b", run_id="r")
        raise RuntimeError("crash before commit")
    assert get_order(store, "1004").state is S.received
    assert len(_events(store, "1004")) == 1
    with store.begin() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(order_state)) == 1


def test_full_happy_path_is_allowed(store: Store) -> None:
    path = [S.received, S.approved, S.allocated, S.quoted, S.confirmed, S.ready_to_ship,
            S.partially_shipped, S.invoiced, S.shipped, S.invoiced, S.closed]  # fmt: skip
    for state in path:
        transition(store, "1005", state, reason="step", run_id="r")
    assert [h["to"] for h in history(store, "1005")] == [s.value for s in path]
