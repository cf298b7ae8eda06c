"""What every system holds at the end of a chaos run, read with faults off, as multisets per category, and the
comparison of a faulty run's with a clean run's: lost, duplicated and changed records per category.

Each category maps an identity (an order number, a SKU, a control number) to the values it carries; a list of
values per identity, so a duplicate shows as a second entry. Randomness that legitimately differs between runs
(tracking numbers, shipment numbers, database ids, timestamps) is left out.
"""

from __future__ import annotations

import csv
import email
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from hub.store.schema import edi_interchanges, golden_records, order_state
from tests.chaos.world import PARTNER, World

State = dict[str, dict[str, list[Any]]]
LOCATIONS = {"61000001": "WH-EAST", "61000002": "WH-WEST"}  # mappings/stock.yaml shop_locations


def _add(category: dict[str, list[Any]], identity: Any, value: Any = None) -> None:
    category.setdefault(repr(identity), []).append(value)


def end_state(world: World) -> State:
    state: State = {}
    _hub(world, state)
    _tryton(world, state)
    _shop(world, state)
    _mailboxes(world, state)
    return state


def _hub(world: World, state: State) -> None:
    golden: dict[str, list[Any]] = {}
    orders: dict[str, list[Any]] = {}
    controls: dict[str, list[Any]] = {}
    with world.store.begin() as conn:
        for entity, key, digest in conn.execute(
            sa.select(golden_records.c.entity, golden_records.c.key, golden_records.c.hash)
        ):
            _add(golden, (entity, key), digest)
        for order_no, order_state_ in conn.execute(sa.select(order_state.c.order_no, order_state.c.state)):
            _add(orders, order_no, order_state_)
        t = edi_interchanges
        for control, status in conn.execute(
            sa.select(t.c.control_number, t.c.status).where(t.c.direction == "out", t.c.partner == PARTNER)
        ):
            _add(controls, control, status)
    state["golden records"] = golden
    state["hub order states"] = orders
    state["EDI control numbers (ISA13 out)"] = controls


def _tryton(world: World, state: State) -> None:
    rows = world.erp_rows
    products = {r["id"]: r["code"] for r in rows("product.product", [], ["code"])}
    warehouses = {r["id"]: r["code"] for r in rows("stock.location", [("type", "=", "warehouse")], ["code"])}
    erp_products: dict[str, list[Any]] = {}
    for r in rows("product.product", [], ["code", "name", "list_price"]):
        _add(erp_products, r["code"], (r["name"], str(Decimal(str(r["list_price"] or 0)))))
    parties: dict[str, list[Any]] = {}
    conn = world.erp_admin
    for batch in conn.read("customer", None, 500):
        for p in batch.records:
            _add(parties, p["code"], (p["name"], p.get("email"), p.get("payment_term")))
    lines: dict[int, list[tuple[str, str]]] = {}
    for line in rows("sale.line", [("type", "=", "line")], ["sale", "product", "quantity"]):
        lines.setdefault(line["sale"], []).append((products.get(line["product"], "?"), str(line["quantity"])))
    sales: dict[str, list[Any]] = {}
    fields = ["reference", "warehouse", "state", "shipments", "invoices"]
    for s in rows("sale.sale", [], fields):
        value = (s["state"], sorted(lines.get(s["id"], [])), len(s["shipments"]), len(s["invoices"]))
        _add(sales, (s["reference"], warehouses.get(s["warehouse"])), value)
    stock: dict[str, list[Any]] = {}
    for batch in conn.read("stock", None, 500):
        for s in batch.records:
            _add(stock, (s["product"], s["warehouse"]), str(Decimal(str(s["available_quantity"]))))
    state |= {"Tryton products": erp_products, "Tryton parties": parties, "Tryton sales": sales,
              "Tryton stock": stock}  # fmt: skip


def _shop(world: World, state: State) -> None:
    products: dict[str, list[Any]] = {}
    raw_products = world.shop_all("products")
    for p in raw_products:
        for v in p["variants"]:
            _add(products, v["sku"], (p["title"], v["price"]))
    customers: dict[str, list[Any]] = {}
    for c in world.shop_all("customers"):
        _add(customers, c.get("note"), c["email"])
    orders: dict[str, list[Any]] = {}
    fulfilments: dict[str, list[Any]] = {}
    for o in world.shop_all("orders", "&status=any"):
        tags = sorted(t.strip() for t in (o.get("tags") or "").split(",") if t.strip())
        _add(orders, o["name"], (o.get("fulfillment_status"), tags))
        for f in o.get("fulfillments") or []:
            items = sorted((i.get("sku"), i.get("quantity")) for i in f.get("line_items") or [])
            _add(fulfilments, (o["name"], items), f.get("status"))
    sku_of = {v["inventory_item_id"]: v["sku"] for p in raw_products for v in p["variants"]}
    levels = world.shop_all("inventory_levels", "&location_ids=" + ",".join(LOCATIONS))
    inventory: dict[str, list[Any]] = {}
    for lv in levels:
        _add(
            inventory,
            (sku_of.get(lv["inventory_item_id"]), LOCATIONS[str(lv["location_id"])]),
            lv["available"],
        )
    state |= {"shop products": products, "shop customers": customers, "shop orders": orders,
              "shop fulfilments": fulfilments, "shop inventory": inventory}  # fmt: skip


def _csv_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.read_text().splitlines()))


KEY_ELEMENT = {"BAK": 3, "PRF": 1, "BIG": 4, "AK1": 2}  # 855 and 856 and 810: the PO; 997: the group acked


def _references(text: str) -> list[tuple[str, str]]:
    """(set id, PO number or acknowledged group) per transaction set: shipment and invoice numbers differ
    between runs (the 3PL's and Tryton's sequences), the PO they belong to does not."""
    found, current = [], None
    for raw in text.replace("\n", "").split("~"):
        seg = raw.split("*")
        if seg[0] == "ST":
            current = seg[1]
        elif current and seg[0] in KEY_ELEMENT and len(seg) > KEY_ELEMENT[seg[0]]:
            found.append((current, seg[KEY_ELEMENT[seg[0]]]))
            current = None
    return found


def _mailboxes(world: World, state: State) -> None:
    root = world.threepl_root
    requests: dict[str, list[Any]] = {}
    request_ids: dict[str, list[Any]] = {}
    for path in sorted((root / "to_3pl").rglob("FR_*.csv")):
        rows = _csv_rows(path)
        lines = sorted((r["sku"], r["quantity"]) for r in rows)
        _add(requests, (rows[0]["order_no"], rows[0]["warehouse"], lines), path.parent.name)
        _add(request_ids, rows[0]["request_id"], rows[0]["order_no"])
    confirmations: dict[str, list[Any]] = {}
    for path in sorted(root.rglob("SC_*.csv")):
        rows = _csv_rows(path)
        _add(
            confirmations,
            (rows[0]["order_no"], sorted((r["sku"], r["quantity_shipped"]) for r in rows)),
            path.parent.parent.name,
        )
    documents: dict[str, list[Any]] = {}
    for received in world.partner.received:
        for set_id, reference in _references(received.text):
            _add(documents, (set_id, reference), received.status)
    mails: dict[str, list[Any]] = {}
    for path in sorted(world.sandboxes.mail.folder.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes())
        _add(mails, (message["To"], message["Subject"]))
    state |= {"3PL requests (files)": requests, "3PL request ids": request_ids,
              "3PL confirmations": confirmations, "EDI documents to partner": documents,
              "mails": mails}  # fmt: skip


def compare(clean: State, faulty: State) -> dict[str, dict[str, int]]:
    """Per category: records in each run, and lost / duplicated / changed in the faulty one. A duplicate is an
    identity held more often than in the clean run (or more than once in one run: ``dup_in_clean``)."""
    out: dict[str, dict[str, int]] = {}
    for category in sorted(clean.keys() | faulty.keys()):
        a, b = clean.get(category, {}), faulty.get(category, {})
        lost = duplicated = changed = 0
        for identity in a.keys() | b.keys():
            na, nb = len(a.get(identity, [])), len(b.get(identity, []))
            lost += max(na - nb, 0)
            duplicated += max(nb - max(na, 1), 0) if nb else 0
            if na and nb and Counter(map(repr, a[identity])) != Counter(map(repr, b[identity])) and na == nb:
                changed += 1
        out[category] = {
            "clean": sum(len(v) for v in a.values()),
            "faulty": sum(len(v) for v in b.values()),
            "lost": lost,
            "duplicated": duplicated,
            "changed": changed,
            "dup_in_clean": sum(len(v) - 1 for v in a.values() if len(v) > 1),
        }
    return out


def differences(clean: State, faulty: State, limit: int = 5) -> dict[str, list[str]]:
    """A few differing identities per category, for the report when something is off."""
    out: dict[str, list[str]] = {}
    for category in sorted(clean.keys() | faulty.keys()):
        a, b = clean.get(category, {}), faulty.get(category, {})
        diff = [
            f"{identity}: {a.get(identity)} -> {b.get(identity)}"
            for identity in sorted(a.keys() | b.keys())
            if Counter(map(repr, a.get(identity, []))) != Counter(map(repr, b.get(identity, [])))
        ]
        if diff:
            out[category] = diff[:limit]
    return out
