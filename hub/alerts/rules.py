"""Alert rules that watch sync steps (a step observer): failure rate, failed steps, low stock.

Overdue 997s and unknown EDI senders are raised by the EDI flow through the same manager.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa

from hub.alerts.manager import Alert, AlertManager
from hub.engine import codec
from hub.engine.stats import SyncStats
from hub.store import Store
from hub.store.schema import golden_records


def low_stock_levels(store: Store) -> list[dict[str, Any]]:
    """Stock levels whose available (or on-hand) quantity is below their reorder point."""
    low = []
    with store.begin() as conn:
        rows = conn.execute(
            sa.select(golden_records.c.key, golden_records.c.data).where(golden_records.c.entity == "stock")
        )
        for key, data in rows:
            record = codec.loads(data)
            level = (record.get("available") or record.get("on_hand") or {}).get("value")
            point = (record.get("reorder_point") or {}).get("value")
            try:
                if level is not None and point is not None and Decimal(level) < Decimal(point):
                    low.append(
                        {
                            "key": key,
                            "sku": record.get("sku"),
                            "warehouse": record.get("warehouse"),
                            "available": level,
                            "reorder_point": point,
                        }
                    )
            except InvalidOperation:
                continue
    return low


class AlertRules:
    """A step observer: raises alerts for what it sees in finished steps."""

    def __init__(
        self,
        manager: AlertManager,
        *,
        failure_rate_pct: float = 5.0,
        min_records: int = 20,
        low_stock: bool = True,
    ) -> None:
        self.manager, self.failure_rate_pct, self.min_records = manager, failure_rate_pct, min_records
        self.low_stock = low_stock

    def step_started(self, stats: SyncStats, run_id: str) -> None:
        return None

    def step_finished(self, stats: SyncStats, run_id: str, error: BaseException | None) -> None:
        where = f"{stats.entity}/{stats.system}/{stats.stage}"
        if error is not None:
            self.manager.raise_alert(
                Alert(
                    "run_failure",
                    where,
                    f"sync step {where} failed",
                    f"run {run_id}: {type(error).__name__}: {error}",
                    "error",
                )
            )
            return
        seen = stats.read if stats.stage == "ingest" else stats.delivered + stats.rejected
        if seen >= self.min_records and stats.rejected * 100 > self.failure_rate_pct * seen:
            rate = 100 * stats.rejected / seen
            self.manager.raise_alert(
                Alert(
                    "failure_rate",
                    where,
                    f"{rate:.1f}% of {stats.entity} records failed in {stats.system} {stats.stage}",
                    f"run {run_id}: {stats.rejected} of {seen} records failed (threshold {self.failure_rate_pct}%). "
                    f"See `hub failures --entity {stats.entity} --system {stats.system}`.",
                )
            )
        if (
            self.low_stock
            and stats.entity == "stock"
            and stats.stage == "ingest"
            and (stats.created or stats.updated)
        ):
            for level in low_stock_levels(self.manager.store):
                self.manager.raise_alert(
                    Alert(
                        "low_stock",
                        level["key"],
                        f"low stock: {level['sku']} at {level['warehouse']}",
                        f"available {level['available']} is below the reorder point {level['reorder_point']}.",
                    )
                )
