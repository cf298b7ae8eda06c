"""Replenishment: a stock level below its reorder point raises an ops alert and a purchase request in the ERP
(one open request per SKU and warehouse: the ERP call is idempotent, and the alert is de-duplicated)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from hub.alerts import Alert
from hub.alerts.rules import low_stock_levels
from hub.errors import RemoteRejected
from hub.store import Store
from hub.workflows.ports import ErpOrders


@dataclass(frozen=True)
class Suggestion:
    sku: str
    warehouse: str
    available: Decimal
    reorder_point: Decimal
    quantity: Decimal
    request_id: int | None


def order_quantity(available: Decimal, reorder_point: Decimal, factor: Decimal = Decimal(2)) -> Decimal:
    """Bring the level back to ``factor`` x the reorder point (a simple order-up-to rule)."""
    return max(reorder_point * factor - available, Decimal(1))


def replenish(
    store: Store, erp: ErpOrders, alert: Callable[[Alert], object], *, factor: Decimal = Decimal(2)
) -> list[Suggestion]:
    out = []
    for level in low_stock_levels(store):
        available, point = Decimal(level["available"]), Decimal(level["reorder_point"])
        quantity = order_quantity(available, point, factor)
        try:
            request_id: int | None = erp.request_purchase(level["sku"], level["warehouse"], quantity)
        except RemoteRejected as exc:  # the ERP sees no shortage (its forecast counts incoming purchases)
            request_id = None
            note = f"no purchase request: {exc}"
        else:
            note = f"purchase request {request_id} for {quantity} in the ERP"
        alert(
            Alert(
                "low_stock",
                level["key"],
                f"low stock: {level['sku']} at {level['warehouse']}",
                f"available {available} is below the reorder point {point}; {note}.",
            )
        )
        out.append(Suggestion(level["sku"], level["warehouse"], available, point, quantity, request_id))
    return out
