"""Policy ``unknown_customer: create``: a golden customer made from what the order says about its buyer.

The record holds only what the order knows (account number, e-mail, name, the shipping address);
its provenance names the shop, so the CRM (the owner) overwrites it on its next sync, and the
customer is published to the ERP and CRM by the normal publish step.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Connection

from hub.engine import codec
from hub.engine.merge import normalise
from hub.engine.repository import Repository
from hub.models import Customer, Order
from hub.store import Store


def customer_from_order(order: Order, account_no: str) -> dict[str, Any]:
    address = order.ship_to
    name = (address.company or address.name) if address else None
    record: dict[str, Any] = {
        "account_no": account_no,
        "name": name,
        "email": order.email,
        "status": "active",
        "addresses": [address.model_dump(mode="json", exclude_none=True)] if address else None,
    }
    return normalise(Customer, {k: v for k, v in record.items() if v is not None})


def create_customer_in(
    conn: Connection, store: Store, order: Order, account_no: str, *, system: str, run_id: str
) -> bool:
    """Insert the golden customer unless it exists (False then); one 'created' audit event."""
    repo = Repository(store)
    if repo.existing_keys(conn, "customer", [account_no]):
        return False
    now = datetime.now(UTC)
    record = customer_from_order(order, account_no)
    repo.upsert_golden(
        conn,
        [
            {
                "entity": "customer",
                "key": account_no,
                "data": codec.dumps(record),
                "hash": codec.content_hash(record),
                "version": 1,
                "provenance": codec.dumps({name: [system, run_id, now.isoformat()] for name in record}),
                "run_id": run_id,
                "created_at": now,
                "updated_at": now,
            }
        ],
    )
    repo.add_audit(
        conn,
        [
            {
                "run_id": run_id,
                "at": now,
                "entity": "customer",
                "key": account_no,
                "system": system,
                "action": "created",
                "changes": codec.dumps({k: [None, v] for k, v in record.items()}),
                "correlation": codec.dumps({"order_no": order.order_no, "reason": "created from an order"}),
            }
        ],
    )
    return True
