"""Replenishment: low stock -> alert + one purchase request per SKU and warehouse."""

from __future__ import annotations

from decimal import Decimal

from hub.alerts import Alert
from hub.engine import codec
from hub.engine.stats import utcnow
from hub.store import Store
from hub.store.schema import golden_records
from hub.workflows.replenish import order_quantity, replenish
from tests.fulfilment.fakes import FakeErp


def _level(store: Store, sku: str, on_hand: int, point: int) -> None:
    record = {"sku": sku, "warehouse": "main", "on_hand": {"value": str(on_hand), "uom": "EA"},
              "reorder_point": {"value": str(point), "uom": "EA"}}  # fmt: skip
    now = utcnow()
    with store.begin() as conn:
        conn.execute(
            golden_records.insert().values(entity="stock", key=f"{sku}@main", data=codec.dumps(record), hash="h",
                                           version=1, provenance="{}", run_id="t", created_at=now, updated_at=now)
        )  # fmt: skip


def test_low_levels_become_alerts_and_purchase_requests(store: Store) -> None:
    _level(store, "LOW", 3, 10)
    _level(store, "OK", 30, 10)
    erp, alerts = FakeErp(), []
    done = replenish(store, erp, alerts.append)
    assert [(s.sku, s.quantity) for s in done] == [("LOW", Decimal(17))]
    assert erp.calls == ["purchase LOW@main 17"]
    [alert] = alerts
    assert isinstance(alert, Alert) and alert.kind == "low_stock" and "purchase request 1" in alert.text
    assert order_quantity(Decimal(25), Decimal(10)) == Decimal(1)
