"""Returns: a return sale per RMA and its customer return shipment received into stock.

Tryton's convention for a return is a sale with negative quantities: processing it creates a
``stock.shipment.out.return`` (*draft*: incoming moves customer -> warehouse input) and, per the
invoice method, a credit note. ``receive`` books the incoming moves and makes inventory moves
input -> storage; ``do`` books those, so stock is back on the shelf. The return sale's ``reference`` is
the RMA number and its ``origin`` the original sale, so Tryton values the returned goods at the cost
they left with; each SKU goes back to the warehouse that shipped it.

``receive_return`` takes the quantities received *so far* for the RMA: what Tryton already booked is
subtracted, so a replay books nothing and a later, larger receipt books only the difference; what is
not received stays open on a new return shipment that Tryton creates for the rest of the lines.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from connectors.tryton.refs import Refs, quantity, refused
from connectors.tryton.sale_docs import advance_sales, fold, press, read_sales, require_sales, sale_lines
from hub.errors import RemoteRejected
from hub.models import Return
from hub.workflows.ports import ErpSale

MODEL = "stock.shipment.out.return"
EPSILON = 1e-9


def create_return(refs: Refs, ret: Return, *, invoice_method: str | None = None) -> ErpSale:
    """The return sale(s) of ``ret`` created, confirmed and processed; a replay finishes what exists."""
    client = refs.client
    if read_sales(client, ret.rma_no):
        return fold(ret.rma_no, advance_sales(client, ret.rma_no, confirm=True))
    returned: dict[str, Decimal] = defaultdict(Decimal)
    for line in ret.lines:
        returned[line.sku] += line.quantity.value
    returned = {sku: qty for sku, qty in returned.items() if qty > 0}
    if not returned:
        raise RemoteRejected(f"return {ret.rma_no} returns nothing")
    products = refs.require_products(list(returned))
    originals = read_sales(client, ret.order_no)
    originals = [s for s in originals if s["state"] in ("processing", "done")] or originals
    party = refs.require_party(ret.customer_no) if ret.customer_no else None
    if party is None and not originals:
        raise RemoteRejected(f"return {ret.rma_no}: no customer number and no sale {ret.order_no} in Tryton")
    party_id = party["id"] if party else originals[0]["party"]
    sold = {
        line["product"]: line
        for line in sale_lines(client, [s["id"] for s in originals])
        if line["quantity"] > 0
    }
    by_id = {s["id"]: s for s in originals}
    default = originals[0] if originals else None
    groups: dict[int | None, list[dict[str, Any]]] = defaultdict(list)
    for sku, qty in sorted(returned.items()):
        product = products[sku]
        line = sold.get(product["id"])
        source = by_id[line["sale"]] if line else default
        groups[source["id"] if source else None].append({
            "type": "line", "product": product["id"], "quantity": -quantity(qty),
            "unit": line["unit"] if line else product.get("sale_uom") or product["default_uom"],
            "unit_price": line["unit_price"] if line else product["list_price_used"] or Decimal(0),
            "description": f"Return {ret.rma_no}: {sku}",
        })  # fmt: skip
    invoice_address = refs.address(party_id, None, kind="invoice")
    for source_id, lines in groups.items():
        source = by_id.get(source_id) if source_id else None
        warehouse = source["warehouse"] if source else refs.warehouse(sorted(refs.warehouses)[0]).id
        values: dict[str, Any] = {
            "company": refs.company, "party": party_id, "reference": ret.rma_no,
            "currency": source["currency"] if source else refs.currency(None),
            "warehouse": warehouse, "invoice_address": invoice_address,
            "description": f"Return {ret.rma_no} of order {ret.order_no}",
            "comment": ret.reason, "lines": [["create", lines]],
        }  # fmt: skip
        if source:
            values["origin"] = f"sale.sale,{source['id']}"
        if invoice_method:
            values["invoice_method"] = invoice_method
        with refused(f"creating return sale {ret.rma_no}"):
            client.create("sale.sale", [values])
    return fold(ret.rma_no, advance_sales(client, ret.rma_no, confirm=True))


def receive_return(refs: Refs, rma_no: str, lines: Sequence[tuple[str, Decimal]]) -> None:
    """Book what the 3PL received for ``rma_no`` (cumulative quantities per SKU) into stock."""
    client = refs.client
    sales = require_sales(client, rma_no)
    ids = sorted({i for s in sales for i in s.get("shipment_returns") or []})
    if not ids:
        raise RemoteRejected(f"return {rma_no} has no return shipment in Tryton (is it confirmed?)")
    wanted: dict[str, Decimal] = defaultdict(Decimal)
    for sku, qty in lines:
        wanted[sku] += qty
    products = refs.require_products([sku for sku, qty in wanted.items() if qty > 0])
    for row in _shipments(refs, ids):  # a receipt interrupted before it was done
        if row["state"] == "received":
            _finish(refs, row["id"], rma_no)
    rows = _shipments(refs, ids)
    moves = _moves(refs, [m for r in rows for m in r["incoming_moves"]])
    todo = {products[sku]["id"]: float(qty) for sku, qty in wanted.items() if qty > 0}
    for move in moves:
        if move["state"] == "done" and move["product"] in todo:
            todo[move["product"]] -= move["quantity"]
    todo = {pid: qty for pid, qty in todo.items() if qty > EPSILON}
    if not todo:
        return
    open_ids = {r["id"] for r in rows if r["state"] == "draft"}
    plan: dict[int, dict[int, float]] = defaultdict(dict)
    for move in moves:
        shipment_id = int(str(move["shipment"]).split(",")[1])
        if shipment_id in open_ids and move["state"] == "draft":
            take = min(move["quantity"], todo.get(move["product"], 0.0))
            plan[shipment_id][move["id"]] = take
            if move["product"] in todo:
                todo[move["product"]] -= take
    over = {pid: qty for pid, qty in todo.items() if qty > EPSILON}
    if over:
        codes = {p["id"]: sku for sku, p in products.items()}
        what = ", ".join(f"{codes[pid]} x {qty:g}" for pid, qty in sorted(over.items()))
        raise RemoteRejected(f"return {rma_no}: received more than is expected back: {what}")
    for shipment_id, targets in sorted(plan.items()):
        if not any(q > EPSILON for q in targets.values()):
            continue
        current = {m["id"]: m["quantity"] for m in moves}
        writes = [([mid], {"quantity": q}) for mid, q in targets.items() if q > EPSILON and current[mid] != q]
        empty = [mid for mid, q in targets.items() if q <= EPSILON]
        with refused(f"setting received quantities of return {rma_no}"):
            if writes:
                client.write("stock.move", *writes)
            if empty:  # Tryton re-creates what is still expected on a new return shipment
                client.delete("stock.move", empty)
        _finish(refs, shipment_id, rma_no)


def _shipments(refs: Refs, ids: list[int]) -> list[dict[str, Any]]:
    rows = refs.client.read(MODEL, ids, ["state", "incoming_moves"])
    return sorted(rows, key=lambda r: r["id"])


def _moves(refs: Refs, ids: list[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    rows = refs.client.read("stock.move", ids, ["product", "quantity", "state", "shipment"])
    return sorted(rows, key=lambda r: r["id"])


def _finish(refs: Refs, shipment_id: int, rma_no: str) -> None:
    """draft -> received -> done (received goods go from the input zone to storage)."""
    what = f"receiving return {rma_no}"
    for _ in range(3):
        (row,) = refs.client.read(MODEL, [shipment_id], ["state"])
        if row["state"] == "done":
            return
        if row["state"] == "draft":
            press(refs.client, MODEL, "receive", [shipment_id], what)
        elif row["state"] == "received":
            press(refs.client, MODEL, "do", [shipment_id], what)
        else:
            raise RemoteRejected(f"{what}: return shipment {shipment_id} is {row['state']}")
    raise RemoteRejected(f"{what}: return shipment {shipment_id} did not reach done")
