"""Customer shipments: what the 3PL shipped, booked in Tryton so that stock goes down.

Tryton 8.2 ships a sale through ``stock.shipment.out``: *waiting* (outgoing moves output -> customer,
plus inventory moves storage -> output made by ``wait``), *assigned* (``assign_try`` reserves the
inventory moves), *picked* (``pick`` books the inventory moves and resizes the outgoing moves to what
was picked), *packed*, *done* (``do`` books the outgoing moves; stock leaves the warehouse). A partial
shipment is Tryton's own way: the inventory moves are cut to the shipped quantities before picking,
``pick`` shrinks the outgoing moves to match and ``pack`` drops the empty ones; when the shipment is
done the sale is processed again and creates a new shipment for what is left on its lines.

Idempotent by ``shipment_no``: it is written to the shipment's ``reference``; a shipment carrying it
is only driven on to *done*, never prepared again. Quantities are in the sale lines' units.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from connectors.tryton.client import TrytonClient
from connectors.tryton.refs import Refs, refused
from connectors.tryton.sale_docs import press
from hub.errors import RemoteRejected
from hub.models import Shipment

log = logging.getLogger(__name__)

MODEL = "stock.shipment.out"
OPEN = ("draft", "waiting", "assigned")
FIELDS = ("state", "reference", "warehouse", "warehouse_storage", "warehouse_output", "inventory_moves",
          "outgoing_moves")  # fmt: skip
MOVE_FIELDS = ("product", "quantity", "state", "origin", "shipment")
EPSILON = 1e-9


def ship(refs: Refs, sales: Sequence[dict[str, Any]], reference: str, shipment: Shipment) -> list[int]:
    """Book ``shipment`` against the sales of ``reference``; the ids of the Tryton shipments it used."""
    client = refs.client
    if shipment.status in ("pending", "cancelled"):
        raise RemoteRejected(f"shipment {shipment.shipment_no} is {shipment.status}: nothing shipped to book")
    ids = sorted({i for s in sales for i in s.get("shipments") or []})
    if not ids:
        raise RemoteRejected(f"sale {reference} has no customer shipment in Tryton (is it confirmed?)")
    domain = [("id", "in", ids), ("reference", "=", shipment.shipment_no)]
    used = [r["id"] for r in client.search_read(MODEL, domain, ["id"], order=[("id", "ASC")])]
    if not used:
        used = _prepare(refs, ids, reference, shipment)
    for shipment_id in used:
        finish(client, shipment_id, f"shipment {shipment.shipment_no} of {reference}")
    return used


def _wanted(refs: Refs, shipment: Shipment) -> dict[int, float]:
    """Shipped quantity per product id."""
    by_sku: dict[str, Decimal] = defaultdict(Decimal)
    for line in shipment.lines:
        by_sku[line.sku] += line.quantity.value
    by_sku = {sku: qty for sku, qty in by_sku.items() if qty > 0}
    if not by_sku:
        raise RemoteRejected(f"shipment {shipment.shipment_no} ships nothing")
    products = refs.require_products(list(by_sku))
    return {products[sku]["id"]: float(qty) for sku, qty in by_sku.items()}


def _prepare(refs: Refs, ids: list[int], reference: str, shipment: Shipment) -> list[int]:
    """Spread the shipped quantities over the open shipments' outgoing moves (oldest first), cut the
    moves to them and mark the shipments with the shipment number."""
    client = refs.client
    wanted = _wanted(refs, shipment)
    domain: list[Any] = [("id", "in", ids), ("state", "in", OPEN)]
    if shipment.warehouse:
        domain.append(("warehouse", "=", refs.warehouse(shipment.warehouse).id))
    rows = client.search_read(MODEL, domain, FIELDS, order=[("id", "ASC")])
    drafts = [r["id"] for r in rows if r["state"] == "draft"]
    if drafts:
        press(client, MODEL, "wait", drafts, f"readying the shipments of {reference}")
        rows = client.search_read(MODEL, domain, FIELDS, order=[("id", "ASC")])
    move_ids = [m for r in rows for m in r["outgoing_moves"]]
    moves = client.read("stock.move", move_ids, MOVE_FIELDS) if move_ids else []
    moves.sort(key=lambda m: (_ref_id(m["shipment"], MODEL) or 0, m["id"]))
    left = dict(wanted)
    plan: dict[int, dict[int, float]] = {r["id"]: {} for r in rows}
    for move in moves:
        if move["state"] in ("done", "cancelled"):
            continue
        take = min(move["quantity"], left.get(move["product"], 0.0))
        plan[_ref_id(move["shipment"], MODEL) or 0][move["id"]] = take
        if move["product"] in left:
            left[move["product"]] -= take
    over = {pid: qty for pid, qty in left.items() if qty > EPSILON}
    if over:
        codes = {p["id"]: code for code, p in refs.products([line.sku for line in shipment.lines]).items()}
        what = ", ".join(f"{codes.get(pid, pid)} x {qty:g}" for pid, qty in sorted(over.items()))
        where = f" at {shipment.warehouse}" if shipment.warehouse else ""
        raise RemoteRejected(
            f"shipment {shipment.shipment_no} ships more than sale {reference} has open to ship{where}: {what}"
        )
    used = [r for r in rows if any(q > EPSILON for q in plan[r["id"]].values())]
    for row in used:  # absolute quantities: a replay after a crash here computes and writes the same
        _cut(client, row, plan[row["id"]], reference)
    values: dict[str, Any] = {"reference": shipment.shipment_no}
    if shipment.ship_date is not None and shipment.ship_date <= dt.date.today():
        values["effective_date"] = shipment.ship_date
    with refused(f"marking the shipments of {reference} with {shipment.shipment_no}"):
        client.write(MODEL, ([r["id"] for r in used], values))  # all at once: one transaction
    return [r["id"] for r in used]


def _ref_id(value: Any, model: str) -> int | None:
    """The id in a Tryton reference value (``"model,id"``) when it points at ``model``."""
    if isinstance(value, str) and value.startswith(f"{model},"):
        return int(value.split(",", 1)[1])
    return None


def _cut(client: TrytonClient, row: dict[str, Any], per_outgoing: dict[int, float], reference: str) -> None:
    """Set the moves that get reserved (inventory moves, or outgoing ones when the warehouse picks
    from its output zone) to the shipped quantity of their outgoing move; unshipped ones to 0."""
    picks = row["warehouse_storage"] != row["warehouse_output"]
    ids = row["inventory_moves"] if picks else row["outgoing_moves"]
    moves = client.read("stock.move", ids, MOVE_FIELDS) if ids else []
    if picks:
        origins = [_ref_id(m["origin"], "stock.move") for m in moves]
        clean = None not in origins and sorted(origins) == sorted(per_outgoing)
    else:
        clean = True
    if not clean or any(m["state"] != "draft" for m in moves):
        # partly reserved or hand-edited: ``wait`` rebuilds one draft inventory move per outgoing move
        press(client, MODEL, "wait", [row["id"]], f"resetting shipment {row['id']} of {reference}")
        (row,) = client.read(MODEL, [row["id"]], FIELDS)
        ids = row["inventory_moves"] if picks else row["outgoing_moves"]
        moves = client.read("stock.move", ids, MOVE_FIELDS) if ids else []
    writes = []
    for move in moves:
        outgoing = _ref_id(move["origin"], "stock.move") if picks else move["id"]
        target = per_outgoing.get(outgoing or -1, 0.0)
        if abs(move["quantity"] - target) > EPSILON:
            writes.append(([move["id"]], {"quantity": target}))
    if writes:
        with refused(f"setting shipped quantities on shipment {row['id']} of {reference}"):
            client.write("stock.move", *writes)


def finish(client: TrytonClient, shipment_id: int, what: str) -> None:
    """Drive one customer shipment to *done*, from whatever state a previous attempt left it in."""
    for _ in range(8):
        (row,) = client.read(MODEL, [shipment_id], ["state", "warehouse_storage", "warehouse_output"])
        state = row["state"]
        if state == "done":
            return
        if state == "cancelled":
            raise RemoteRejected(f"{what}: Tryton shipment {shipment_id} is cancelled")
        if state == "draft":
            press(client, MODEL, "wait", [shipment_id], what)
        elif state == "waiting":
            press(client, MODEL, "assign_try", [shipment_id], what)
            (again,) = client.read(MODEL, [shipment_id], ["state"])
            if again["state"] == "waiting":
                # the 3PL has shipped it: Tryton's stock was short, so the reservation is forced
                log.warning("%s: Tryton lacks stock to reserve shipment %s; forcing it", what, shipment_id)
                press(client, MODEL, "assign_force", [shipment_id], what)
        elif state == "assigned":
            picks = row["warehouse_storage"] != row["warehouse_output"]
            press(client, MODEL, "pick" if picks else "pack", [shipment_id], what)
        elif state == "picked":
            press(client, MODEL, "pack", [shipment_id], what)
        elif state in ("packed", "shipped"):
            press(client, MODEL, "do", [shipment_id], what)
    raise RemoteRejected(f"{what}: Tryton shipment {shipment_id} did not reach done")
