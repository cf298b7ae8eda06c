"""Purchase requests: replenishment suggestions, made by Tryton's own supply planning.

A ``purchase.request``'s product, warehouse and origin are read-only to every RPC caller in Tryton 8.2
("You are not allowed to modify the field Product"): only the server's supply computation sets them.
So the hub does what a Tryton user does: it runs the supply wizard (``stock.supply``) for the
warehouse. Tryton then proposes a request for each product whose forecast falls below its purchase
order point (``stock.order_point``: min and target quantity), or below zero without one, for target
minus forecast. A draft request's ``quantity`` stays editable: the hub's quantity goes there, while
``computed_quantity`` keeps Tryton's figure.

One open request per SKU and warehouse: an open one (draft, purchased, exception) is returned as it
is, without running the planner. Caveat (Tryton's design): each supply run replaces the planner's
own *draft* requests of that warehouse, so a draft request's id can change when planning runs again
(for another SKU, or Tryton's scheduled run); quantities edited on drafts are put back on their
replacements by this module's runs. A request turned into a purchase keeps its id.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from connectors.tryton.refs import Refs, refused
from hub.errors import RemoteRejected

MODEL = "purchase.request"
WIZARD = "wizard.stock.supply"
OPEN = ("draft", "purchased", "exception")


def _open_request(refs: Refs, product: int, warehouse: int) -> dict[str, Any] | None:
    rows = refs.client.search_read(
        MODEL,
        [("product", "=", product), ("warehouse", "=", warehouse), ("state", "in", list(OPEN))],
        ["state", "quantity", "computed_quantity", "unit"],
        order=[("id", "ASC")],
        limit=1,
    )
    return rows[0] if rows else None


def _drafts(refs: Refs, warehouse: int) -> list[dict[str, Any]]:
    return refs.client.search_read(
        MODEL,
        [("warehouse", "=", warehouse), ("state", "=", "draft"), ("purchase_line", "=", None)],
        ["product", "quantity", "computed_quantity"],
    )


def _edited_drafts(refs: Refs, warehouse: int) -> dict[int, float]:
    """Quantities set on draft requests (by the hub or a buyer) that the planner would reset."""
    return {
        r["product"]: r["quantity"]
        for r in _drafts(refs, warehouse)
        if r["quantity"] != r["computed_quantity"]
    }


def _restore_quantities(refs: Refs, warehouse: int, edited: dict[int, float]) -> None:
    """Put those quantities on the planner's new drafts for the same products."""
    writes = [
        ([r["id"]], {"quantity": edited[r["product"]]})
        for r in _drafts(refs, warehouse)
        if r["product"] in edited and r["quantity"] != edited[r["product"]]
    ]
    if writes:
        with refused("keeping the quantities of the draft purchase requests"):
            refs.client.write(MODEL, *writes)


def run_supply_planning(refs: Refs, warehouse: int) -> None:
    """Tryton's "Supply Stock" wizard for one warehouse (its late-moves warnings acknowledged: they
    are about other documents and do not change the computation)."""
    client = refs.client
    context = {"_skip_warnings": True}
    with refused("running Tryton's supply planning"):
        session, start, _end = client.call(f"{WIZARD}.create", idempotent=False)
        try:
            data = {start: {"warehouses": [warehouse]}}
            client.call(f"{WIZARD}.execute", session, data, "create_", context=context, idempotent=False)
        finally:
            client.call(f"{WIZARD}.delete", session)


def request_purchase(refs: Refs, sku: str, warehouse: str, quantity: Decimal) -> int:
    """The open purchase request for ``sku`` at ``warehouse``, planned by Tryton when there is none."""
    if quantity <= 0:
        raise RemoteRejected(f"purchase request for {sku} at {warehouse}: quantity must be positive")
    product = refs.require_products([sku])[sku]
    wh = refs.warehouse(warehouse)
    found = _open_request(refs, product["id"], wh.id)
    if found is not None:
        return int(found["id"])
    edited = _edited_drafts(refs, wh.id)
    run_supply_planning(refs, wh.id)
    _restore_quantities(refs, wh.id, edited)
    found = _open_request(refs, product["id"], wh.id)
    if found is None:
        context = {"locations": [wh.id], "with_childs": True}
        (row,) = refs.client.read("product.product", [product["id"]], ["forecast_quantity"], context=context)
        points = refs.client.search_read(
            "stock.order_point",
            [("product", "=", product["id"]), ("location", "=", wh.id), ("type", "=", "purchase")],
            ["min_quantity"],
        )
        minimum = points[0]["min_quantity"] if points else 0
        raise RemoteRejected(
            f"Tryton's supply planning sees no shortage of {sku} at {warehouse} (forecast "
            f"{row['forecast_quantity']:g}, order point minimum {minimum:g}): no purchase request made"
        )
    (unit,) = refs.client.read("product.uom", [found["unit"]], ["rounding"])
    step = unit["rounding"] or 1.0
    wanted = round(math.ceil(float(quantity) / step - 1e-9) * step, 6)  # rounded up to the unit's step
    if found["state"] == "draft" and found["quantity"] != wanted:
        with refused(f"setting the quantity of the purchase request for {sku}"):
            refs.client.write(MODEL, ([found["id"]], {"quantity": wanted}))
    return int(found["id"])
