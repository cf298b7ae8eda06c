"""The daily 846: availability of the partner's items (its crosswalk, else the whole catalogue) from the hub's
golden stock levels, sent once per partner and day (the report number is the date)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import sqlalchemy as sa

from connectors.x12.outbound.builders import build_846
from connectors.x12.outbound.documents import InventoryAdvice
from hub.edi.outbound import EdiSender, SendResult
from hub.edi.service import EdiService
from hub.engine import codec
from hub.models import StockLevel
from hub.store import Store
from hub.store.schema import golden_records


def stock_levels(store: Store, batch: int = 5000) -> Iterator[StockLevel]:
    """Golden stock levels, streamed in keyset pages (flat memory on big catalogues)."""
    last = 0
    while True:
        with store.begin() as conn:
            rows = conn.execute(
                sa.select(golden_records.c.id, golden_records.c.data)
                .where(golden_records.c.entity == "stock", golden_records.c.id > last)
                .order_by(golden_records.c.id)
                .limit(batch)
            ).all()
        if not rows:
            return
        for row_id, data in rows:
            last = row_id
            yield StockLevel.model_validate(codec.loads(data))


def send_inventory(service: EdiService, partner: str, day: date) -> SendResult:
    profile = service.profiles[partner]
    skus = [item.sku for item in profile.crosswalk] or None
    advice = InventoryAdvice.from_stock(
        stock_levels(service.store),
        report_no=f"INV{day:%Y%m%d}",
        report_date=day,
        skus=skus,
    )
    if not advice.items:  # nothing known about their items yet: an empty 846 would say "zero available"
        return SendResult(None, None, [], [])
    sets = build_846(advice, profile)
    return EdiSender(service.store, service.mailbox(partner)).send(sets)
