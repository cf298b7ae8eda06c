"""Stock levels: one record per (goods product, warehouse), always a full read.

Tryton computes quantities from moves on request, per location set in the context, so there is no
change date to follow: each read is a snapshot and the engine's hashes skip levels that did not move.

Shape: ``{product, warehouse, quantity, reserved_quantity, available_quantity, forecast_quantity,
min_quantity, uom, as_of}``: ``quantity`` is on hand today in the whole warehouse (done moves);
``available_quantity`` is what its storage zone holds less the moves already assigned to shipments;
``reserved_quantity`` is the difference (assigned, or still in the input/output zones);
``forecast_quantity`` adds every planned move;
``min_quantity`` is the warehouse's purchase order point (null without one), ``as_of`` the read time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from connectors.tryton.connector import number_text
from hub.engine.ports import ReadBatch

if TYPE_CHECKING:
    from connectors.tryton.connector import TrytonConnector

PRODUCT_DOMAIN = [("type", "=", "goods")]


def _quantities(
    conn: TrytonConnector, ids: list[int], warehouse: int, storage: int
) -> dict[int, dict[str, Any]]:
    client = conn.client
    base = {"locations": [warehouse], "with_childs": True}
    on_hand = client.read("product.product", ids, ["quantity", "forecast_quantity"], context=base)
    free_ctx = {"locations": [storage], "with_childs": True, "stock_assign": True}
    available = client.read("product.product", ids, ["quantity"], context=free_ctx)
    free = {r["id"]: r["quantity"] for r in available}
    points = client.search_read(
        "stock.order_point",
        [("product", "in", ids), ("location", "=", warehouse), ("type", "=", "purchase")],
        ["product", "min_quantity"],
    )
    minimum = {p["product"]: p["min_quantity"] for p in points}
    return {
        r["id"]: {
            "quantity": r["quantity"],
            "available_quantity": free.get(r["id"], r["quantity"]),
            "forecast_quantity": r["forecast_quantity"],
            "min_quantity": minimum.get(r["id"]),
        }
        for r in on_hand
    }


def read(conn: TrytonConnector, cursor: str | None, batch_size: int) -> Iterator[ReadBatch]:
    """Pages of products, each page asked once per warehouse; the cursor is the snapshot time."""
    warehouses = conn.lookups.warehouses
    as_of = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
    page = max(1, batch_size // max(1, len(warehouses)))
    last_id = 0
    while True:
        products = conn.client.search_read(
            "product.product",
            [*PRODUCT_DOMAIN, ("id", ">", last_id)],
            ["code", "default_uom.name"],
            limit=page,
            order=[("id", "ASC")],
        )
        records: list[dict[str, Any]] = []
        ids = [p["id"] for p in products]
        for wh_id, wh_code, storage in warehouses if ids else []:
            levels = _quantities(conn, ids, wh_id, storage)
            for p in products:
                level = levels.get(p["id"], {})
                on_hand, free = level.get("quantity") or 0.0, level.get("available_quantity") or 0.0
                records.append({
                    "product": p["code"], "warehouse": wh_code,
                    "quantity": number_text(on_hand),
                    "reserved_quantity": number_text(max(round(on_hand - free, 6), 0.0)),
                    "available_quantity": number_text(free),
                    "forecast_quantity": number_text(level.get("forecast_quantity") or 0.0),
                    "min_quantity": number_text(level.get("min_quantity")),
                    "uom": (p.get("default_uom.") or {}).get("name"),
                    "as_of": as_of,
                })  # fmt: skip
        last = len(products) < page
        yield ReadBatch(records, as_of if last else None)
        if last:
            return
        last_id = products[-1]["id"]
