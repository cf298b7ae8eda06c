"""Stock (ERP export), orders and returns (shop), shipments (3PL): the flows on top of the catalog.

Everything refers to what ``catalog`` creates: SKUs ``SKU-1000``.. and accounts ``C10000``.., minus
the ones the catalog's own defects keep out of the hub (a stock level or order line for those would
fail a reference rule, which is not a defect of this file). Shipments and returns only refer to orders
that are accepted, except where that is the planted defect.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from sandbox.sample_data import catalog
from sandbox.sample_data.writers import ERP_STOCK_COLUMNS, write_csv, write_jsonl

SEED = 20261123

# ERP warehouse code -> (3PL site code, shop location id); the mappings hold the same value maps
WAREHOUSES = {"WH-EAST": ("CHI1", "61000001"), "WH-WEST": ("RNO2", "61000002")}
STOCKED_SKUS = 30  # x 2 warehouses = 60 stock rows
ORDER_COUNT = 25
FIRST_ORDER = 1001
SHIPPED_ORDERS = 6  # the first six accepted orders ship (one in two parts), then three bad confirmations


def _kept_out(entity: str, creator: str) -> set[str]:
    """Keys whose creator record the catalog rejects on purpose (a duplicate's first copy still gets in)."""
    return {
        d["key"]
        for d in catalog.DEFECTS
        if d["entity"] == entity and d["system"] == creator and d["key"] and d["rule"] != "product.sku.unique"
    }


SKUS = [
    sku
    for sku in (f"SKU-{1000 + i}" for i in range(catalog.PRODUCT_COUNT))
    if sku not in _kept_out("product", "pim")
]
ACCOUNTS = [
    (f"C{10000 + i}", i)
    for i in range(len(catalog.COMPANIES))
    if f"C{10000 + i}" not in _kept_out("customer", "crm")
]

# Orders with planted defects, by number; shipments and returns only refer to the other orders.
ORDER_UNKNOWN_SKU = 1006
ORDER_ZERO_QUANTITY = 1011
ORDER_UNKNOWN_COUNTRY = 1016
ORDER_UNKNOWN_ACCOUNT = 1021
BAD_ORDERS = {ORDER_UNKNOWN_SKU, ORDER_ZERO_QUANTITY, ORDER_UNKNOWN_COUNTRY, ORDER_UNKNOWN_ACCOUNT}
NEGATIVE_STOCK = ("SKU-1012", "WH-WEST")
# Returns: (order number, defect or None); RMA numbers are '<order>-R<n>'
RETURNS = [(1001, None), (1002, "no reason"), (1003, None), (1001, "negative"), (1098, "unknown order")]

# (entity, system, key, what is wrong, rule expected) - each must show up as a failure
DEFECTS: list[dict[str, str]] = [
    {
        "entity": "stock",
        "system": "erp",
        "key": "SKU-2001@WH-EAST",
        "defect": "stock for a SKU that is not a product",
        "rule": "stock.sku.known",
    },
    {
        "entity": "stock",
        "system": "erp",
        "key": "@".join(NEGATIVE_STOCK),
        "defect": "negative quantity on hand",
        "rule": "stock.on-hand.non-negative",
    },
    {
        "entity": "stock",
        "system": "erp",
        "key": "",
        "defect": "CSV row with a column missing",
        "rule": "parse",
    },
    {
        "entity": "order",
        "system": "shop",
        "key": str(ORDER_UNKNOWN_SKU),
        "defect": "line with SKU 'SKU-7777' that is not a product",
        "rule": "order.line.sku.known",
    },
    {
        "entity": "order",
        "system": "shop",
        "key": str(ORDER_ZERO_QUANTITY),
        "defect": "line with quantity 0",
        "rule": "order.line.quantity.positive",
    },
    {
        "entity": "order",
        "system": "shop",
        "key": str(ORDER_UNKNOWN_COUNTRY),
        "defect": "shipping country 'Narnia' unknown",
        "rule": "transform.country",
    },
    {
        "entity": "order",
        "system": "shop",
        "key": str(ORDER_UNKNOWN_ACCOUNT),
        "defect": "account number C10999 unknown",
        "rule": "order.customer.known",
    },
    {
        "entity": "shipment",
        "system": "wms",
        "key": "SH-50008",
        "defect": "ship date '2026-11-20' not in %m/%d/%Y",
        "rule": "transform.date",
    },
    {
        "entity": "shipment",
        "system": "wms",
        "key": "SH-50009",
        "defect": "confirms order 1099, which does not exist",
        "rule": "shipment.order.known",
    },
    {
        "entity": "shipment",
        "system": "wms",
        "key": "SH-50010",
        "defect": "line shipped with quantity 0",
        "rule": "shipment.line.quantity.positive",
    },
    {
        "entity": "return",
        "system": "shop",
        "key": "1002-R1",
        "defect": "line without a return reason",
        "rule": "return.line.reason.required",
    },
    {
        "entity": "return",
        "system": "shop",
        "key": "1098-R1",
        "defect": "return for order 1098, which does not exist",
        "rule": "return.order.known",
    },
    {
        "entity": "return",
        "system": "shop",
        "key": "1001-R2",
        "defect": "negative return quantity",
        "rule": "return.line.quantity.positive",
    },
]

CHICAGO = timezone(timedelta(hours=-6))  # November: CST
ZONES = [CHICAGO, timezone(timedelta(hours=-5)), timezone(timedelta(hours=1))]
CARRIERS = [
    ("UPS", "Ground"),
    ("FedEx Ground", "Home Delivery"),
    ("USPS", "Priority Mail"),
    ("DHL", "Express"),
]
REASONS = ["DEFECTIVE", "WRONG_ITEM", "NOT_AS_DESCRIBED", "UNWANTED", "SIZE_TOO_SMALL"]


def _domain(company: str) -> str:
    return company.lower().replace(" & ", "").replace(" ", "") + ".example"  # as catalog's customers


def _stock(rng: random.Random) -> list[list[Any] | str]:
    rows: list[list[Any] | str] = []
    stocked = SKUS[:STOCKED_SKUS]
    assert NEGATIVE_STOCK[0] in stocked
    for n, sku in enumerate(stocked):
        uom = "case" if n % 10 == 7 else rng.choice(["unit", "unit", "each"])
        for warehouse in WAREHOUSES:
            on_hand = -4 if (sku, warehouse) == NEGATIVE_STOCK else rng.randint(0, 1500)
            reserved = rng.randint(0, max(on_hand, 0) // 3)
            reorder = "" if n % 9 == 4 else str(rng.choice([25, 50, 100, 250]))  # some have no order point
            stamp = datetime(2026, 11, 21, 17, 0) + timedelta(minutes=rng.randint(0, 120))
            rows.append(
                [
                    f" {sku.lower()}" if n % 8 == 5 else sku,  # the export is not always tidy
                    warehouse.lower() if n % 7 == 6 else warehouse,
                    f"{on_hand:,}" if on_hand >= 1000 else str(on_hand),  # thousands separator
                    str(reserved),
                    str(on_hand - reserved),
                    reorder,
                    uom,
                    stamp.strftime("%Y-%m-%d %H:%M:%S"),
                ]
            )
    rows.insert(23, ["SKU-2001", "WH-EAST", "12", "0", "12", "10", "unit", "2026-11-21 17:30:00"])
    rows.insert(41, "SKU-1047,WH-EAST,40,5,35,unit,2026-11-21 17:45:00")  # min_quantity missing
    return rows


def _address(company: str, i: int, country: str) -> dict[str, Any]:
    return {
        "name": f"Receiving, {company}",
        "company": company,
        "address1": f"{200 + i} Dock Road",
        "address2": "Gate 2" if i % 3 == 0 else "",
        "city": "Springfield",
        "province_code": "il",
        "zip": f"62{i:03d}",
        "country": country,
        "phone": f"+1-555-03{i:02d}",
    }


def _orders(rng: random.Random) -> list[dict[str, Any]]:
    orders: list[dict[str, Any]] = []
    for n in range(ORDER_COUNT):
        number = FIRST_ORDER + n
        account, i = rng.choice(ACCOUNTS)
        company = catalog.COMPANIES[i]
        zone = ZONES[n % len(ZONES)]
        placed = datetime(2026, 11, 2, 8, 0, tzinfo=zone) + timedelta(hours=n * 7, minutes=rng.randint(0, 59))
        lines = []
        for index, sku in enumerate(rng.sample(SKUS, rng.randint(1, 4)), 1):
            price = f"{rng.uniform(1.5, 450.0):.2f}"
            lines.append(
                {
                    "id": number * 100 + index,
                    "sku": sku.lower() if (n + index) % 6 == 0 else sku,
                    "title": f"Item {sku}",
                    "quantity": rng.randint(1, 40),
                    "price": price,
                    "price_set": {"shop_money": {"amount": price, "currency_code": "USD"}},
                }
            )
        country = catalog.COUNTRIES[i % len(catalog.COUNTRIES)]
        note = f"account:{account}"
        if number == ORDER_UNKNOWN_SKU:
            lines[-1]["sku"] = "SKU-7777"
        if number == ORDER_ZERO_QUANTITY:
            lines[0]["quantity"] = 0
        if number == ORDER_UNKNOWN_COUNTRY:
            country = "Narnia"
        if number == ORDER_UNKNOWN_ACCOUNT:
            note = "account:C10999"
        total = sum((line["quantity"] * Decimal(line["price"]) for line in lines), Decimal(0))
        orders.append(
            {
                "id": 5550000000 + number,
                "name": f"#{number}",
                "email": f"Buyer{i}@{_domain(company)}" if n % 5 == 2 else f"buyer{i}@{_domain(company)}",
                "created_at": placed.isoformat(),
                "updated_at": (placed + timedelta(minutes=3)).isoformat(),
                "currency": "usd" if n % 11 == 4 else "USD",
                "financial_status": "paid" if n % 4 else "pending",
                "total_price": f"{total:.2f}",
                "po_number": f"PO-{rng.randint(40000, 49999)}" if n % 3 else None,
                "note": "Deliver before noon" if n % 8 == 1 else "",
                "tags": "b2b, net-terms" if n % 2 else "b2b",
                "customer": {"id": 7700000 + i, "email": f"billing@{_domain(company)}", "note": note},
                "line_items": lines,
                "shipping_address": _address(company, i, country),
                "billing_address": {
                    "company": company,
                    "address1": f"{100 + i} Main Street",
                    "city": "Springfield",
                    "province_code": "IL",
                    "zip": f"62{i:03d}",
                    "country": catalog.COUNTRIES[i % len(catalog.COUNTRIES)],
                },
            }
        )
    return orders


def _tracking(rng: random.Random, carrier: str) -> str:
    if carrier == "UPS":
        return "1Z" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(16))
    return "".join(rng.choice("0123456789") for _ in range(22 if carrier == "USPS" else 12))


def _shipment(
    rng: random.Random, number: int, order: dict[str, Any], lines: list[dict[str, Any]], n: int
) -> dict[str, Any]:
    carrier, service = rng.choice(CARRIERS)
    placed = datetime.fromisoformat(order["created_at"])
    warehouse = list(WAREHOUSES)[number % 2]
    tracking = [_tracking(rng, carrier.split()[0]) for _ in range(rng.choice([1, 1, 2]))]
    return {
        "shipment_no": f"SH-{number}",
        "order_no": order["name"] if n % 2 else order["name"][1:],  # the 3PL echoes it either way
        "site": WAREHOUSES[warehouse][0],
        "status": "DELIVERED" if n < 3 else "SHIPPED",
        "carrier": carrier,
        "service": service,
        "tracking": "|".join(tracking),
        "ship_date": (placed + timedelta(days=1 + n % 3)).strftime("%m/%d/%Y"),
        "lines": [
            {
                "line": index,
                "order_line": line["id"],
                "sku": str(line["sku"]).upper(),
                "qty": str(line["quantity"]),
                "uom": "EA",
            }
            for index, line in enumerate(lines, 1)
        ],
    }


def _shipments(rng: random.Random, orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
    good = [o for o in orders if int(o["name"][1:]) not in BAD_ORDERS][:SHIPPED_ORDERS]
    split = next(o for o in good if len(o["line_items"]) > 1)  # partial: the rest follows later
    shipments: list[dict[str, Any]] = []
    for n, order in enumerate(good):
        lines = order["line_items"]
        for parcel in [lines[:1], lines[1:]] if order is split else [lines]:
            shipments.append(_shipment(rng, 50001 + len(shipments), order, parcel, n))
    last = good[-1]
    wrong_date = _shipment(rng, 50008, last, last["line_items"], SHIPPED_ORDERS)
    wrong_date["ship_date"] = "2026-11-20"
    unknown_order = _shipment(rng, 50009, last, last["line_items"], SHIPPED_ORDERS)
    unknown_order["order_no"] = "1099"
    zero = _shipment(rng, 50010, last, last["line_items"], SHIPPED_ORDERS)
    zero["lines"][0]["qty"] = "0"
    assert len(shipments) == 7, "the three bad confirmations are numbered SH-50008..10"
    return [*shipments, wrong_date, unknown_order, zero]


def _returns(rng: random.Random, orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_number = {int(o["name"][1:]): o for o in orders}
    returns: list[dict[str, Any]] = []
    for n, (number, defect) in enumerate(RETURNS):
        order = by_number.get(number) or by_number[FIRST_ORDER]
        line = order["line_items"][n % len(order["line_items"])]
        reason = rng.choice(REASONS)
        created = datetime(2026, 11, 24, 10, 0, tzinfo=CHICAGO) + timedelta(hours=5 * n)
        item = {
            "sku": line["sku"],
            "quantity": min(int(line["quantity"]), rng.randint(1, 3)),
            "return_reason": reason,
            "customer_note": "Arrived damaged" if reason == "DEFECTIVE" else "",
        }
        if defect == "no reason":
            item["return_reason"] = None
        if defect == "negative":
            item["quantity"] = -1
        previous = sum(r["order"]["name"] == f"#{number}" for r in returns)
        returns.append(
            {
                "id": 9300 + n,
                "name": f"#{number}-R{previous + 1}",
                "status": "REQUESTED" if n % 2 == 0 else "OPEN",
                "created_at": created.isoformat(),
                "order": {"name": f"#{number}", "customer": {"note": order["customer"]["note"]}},
                "return_line_items": [item],
            }
        )
    return returns


def write(folder: Path) -> None:
    rng = random.Random(SEED)
    write_csv(
        folder / "erp" / "stock" / "stock.csv",
        ERP_STOCK_COLUMNS,
        _stock(rng),
    )
    orders = _orders(rng)
    write_jsonl(folder / "shop" / "order" / "orders.jsonl", orders)
    shipments = _shipments(rng, orders)
    write_jsonl(folder / "wms" / "shipment" / "shipments.jsonl", shipments)
    write_jsonl(folder / "shop" / "return" / "returns.jsonl", _returns(rng, orders))
