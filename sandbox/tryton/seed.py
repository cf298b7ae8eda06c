"""Loads the sample ERP data into a running Tryton, as the ERP's own master data.

The sample files under ``sandbox/data/erp/`` are the ERP's side of the story (prices, costs, units,
payment terms, credit limits, stock per warehouse). Products and parties go through the Tryton
connector, so they look exactly like records the hub would write; stock goes in as one confirmed
stock inventory per warehouse, the way a stock take is booked in Tryton.

The sample data has planted defects. A real ERP holds bad data too, so records the connector refuses
are planted as they are when Tryton itself accepts them (a negative list price is written straight to
the template; an unknown payment term such as ``NET 45`` is created as a term of its own), and the
hub then reports them as it does for the file drop. What Tryton cannot hold (negative stock, stock for
a product it does not have, a row with a column missing) is skipped. Everything is in the report.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from connectors.tryton.client import TrytonRPCError
from connectors.tryton.connector import TrytonConnector
from hub.engine.ports import OutboundRecord

DATA = Path(__file__).resolve().parents[1] / "data" / "erp"
# the files' warehouse codes -> the Tryton template's warehouses (sandbox/tryton/_setup.py)
WAREHOUSES = {"WH-EAST": "WH1", "WH-WEST": "WH2"}
# units the sample data uses that Tryton does not ship: (name, symbol, units per piece)
EXTRA_UNITS = (("Case", "cs", Decimal(12)),)
PRODUCT_FIELDS = ("code", "name", "list_price", "cost_price", "currency", "default_uom")
PARTY_FIELDS = ("code", "name", "email", "payment_term", "credit_limit_amount", "currency")


@dataclass
class SeedReport:
    """What went in, what was planted despite the connector, and what was skipped (with why)."""

    products: int = 0
    parties: int = 0
    stock_lines: dict[str, int] = field(default_factory=dict)  # Tryton warehouse -> inventory lines
    order_points: int = 0
    planted: list[dict[str, str]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "products": self.products,
            "parties": self.parties,
            "stock_lines": dict(self.stock_lines),
            "order_points": self.order_points,
            "planted": list(self.planted),
            "skipped": list(self.skipped),
        }


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str | None]]]:
    with path.open(newline="") as handle:
        yield from enumerate(csv.DictReader(handle), start=2)


def _files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.csv")) if folder.is_dir() else []


def _number(text: str | None) -> Decimal | None:
    try:
        return Decimal((text or "").replace(",", "").strip())
    except InvalidOperation:
        return None


def ensure_units(conn: TrytonConnector) -> None:
    """Units the sample data uses (``case``) that a fresh Tryton lacks: a real ERP would have them."""
    client = conn.client
    (category,) = client.search("product.uom.category", [("name", "=", "Units")], limit=1)
    for name, symbol, factor in EXTRA_UNITS:
        if client.search("product.uom", [("name", "=", name)], limit=1):
            continue
        client.create(
            "product.uom",
            [{
                "name": name, "symbol": symbol, "category": category,
                "factor": float(factor), "rate": round(1 / float(factor), 12), "rounding": 1.0, "digits": 0,
            }],
        )  # fmt: skip
    conn.lookups.__dict__.pop("_units", None)  # the connector caches units: read them again


def seed_products(conn: TrytonConnector, folder: Path, report: SeedReport) -> None:
    records = [
        OutboundRecord(str(row["code"]).strip(), None, {k: row.get(k) for k in PRODUCT_FIELDS}, "create")
        for path in _files(folder)
        for _, row in _rows(path)
        if row.get("code")
    ]
    for record, result in zip(records, conn.write("product", records), strict=True):
        if result.ok:
            report.products += 1
        elif "negative amount" in (result.error or "") and _plant_negative_price(conn, record):
            report.products += 1
            report.planted.append({"entity": "product", "key": record.key, "why": result.error or ""})
        else:
            report.skipped.append({"entity": "product", "key": record.key, "why": result.error or ""})


def _plant_negative_price(conn: TrytonConnector, record: OutboundRecord) -> bool:
    """Create the product without the bad amounts, then write them as the ERP holds them."""
    p = record.payload
    amounts = {f: _number(p.get(f)) for f in ("list_price", "cost_price")}
    clean = {k: v for k, v in p.items() if not (k in amounts and (amounts[k] or 0) < 0)}
    (result,) = conn.write("product", [OutboundRecord(record.key, None, clean, "create")])
    if not result.ok or result.system_id is None:
        return False
    pid = int(result.system_id)
    try:
        if (amounts["list_price"] or 0) < 0:
            (row,) = conn.client.read("product.product", [pid], ["template"])
            conn.client.write("product.template", ([row["template"]], {"list_price": amounts["list_price"]}))
        if (amounts["cost_price"] or 0) < 0:
            conn.client.write("product.product", ([pid], {"cost_price": amounts["cost_price"]}))
    except TrytonRPCError:
        return False
    return True


def seed_parties(conn: TrytonConnector, folder: Path, report: SeedReport) -> None:
    records = [
        OutboundRecord(str(row["code"]).strip(), None, {k: row.get(k) for k in PARTY_FIELDS}, "create")
        for path in _files(folder)
        for _, row in _rows(path)
        if row.get("code")
    ]
    for record, result in zip(records, conn.write("customer", records), strict=True):
        if result.ok:
            report.parties += 1
            continue
        term = str(record.payload.get("payment_term") or "")
        if "unknown payment term" in (result.error or "") and _plant_term(conn, term):
            (again,) = conn.write("customer", [record])
            if again.ok:
                report.parties += 1
                report.planted.append({"entity": "customer", "key": record.key, "why": result.error or ""})
                continue
        report.skipped.append({"entity": "customer", "key": record.key, "why": result.error or ""})


def _plant_term(conn: TrytonConnector, name: str) -> bool:
    """A payment term the hub's value map does not know, e.g. ``NET 45`` (45 days, remainder)."""
    days = re.search(r"(\d+)", name)
    if not name.strip() or days is None:
        return False
    line: dict[str, Any] = {"type": "remainder", "relativedeltas": [["create", [{"days": int(days[1])}]]]}
    conn.client.create(
        "account.invoice.payment_term", [{"name": name.strip(), "lines": [["create", [line]]]}]
    )
    conn.lookups.__dict__.pop("_terms", None)
    return True


def seed_stock(conn: TrytonConnector, folder: Path, report: SeedReport) -> None:
    """One confirmed inventory per warehouse with the files' on-hand quantities, plus order points."""
    client = conn.client
    products = {
        r["code"]: r["id"] for r in client.search_read("product.product", [("code", "!=", None)], ["code"])
    }
    warehouses = {code: (wid, storage) for wid, code, storage in conn.lookups.warehouses}
    lines: dict[str, dict[int, Decimal]] = {}
    minimum: dict[str, dict[int, Decimal]] = {}
    for path in _files(folder):
        for line_no, row in _rows(path):
            where = f"{path.name}:{line_no}"
            if None in row or any(v is None for v in row.values()):
                report.skipped.append({"entity": "stock", "key": where, "why": "a column is missing"})
                continue
            sku = str(row["product"]).strip().upper()
            code = WAREHOUSES.get(str(row["warehouse"]).strip().upper())
            quantity = _number(row.get("quantity"))
            key = f"{sku}@{str(row['warehouse']).strip().upper()}"
            why = (
                "unknown warehouse" if code is None or code not in warehouses
                else "not a product in Tryton" if sku not in products
                else "quantity is not a number" if quantity is None
                else "negative quantity on hand" if quantity < 0
                else None
            )  # fmt: skip
            if why:
                report.skipped.append({"entity": "stock", "key": key, "why": why})
                continue
            assert code is not None and quantity is not None
            lines.setdefault(code, {})[products[sku]] = quantity
            point = _number(row.get("min_quantity"))
            if point is not None and point >= 0:
                minimum.setdefault(code, {})[products[sku]] = point
    for code, quantities in sorted(lines.items()):
        _, storage = warehouses[code]
        values = [{"product": pid, "quantity": float(qty)} for pid, qty in sorted(quantities.items())]
        inventory = client.create("stock.inventory", [{"location": storage, "lines": [["create", values]]}])
        client.call("model.stock.inventory.confirm", inventory)
        report.stock_lines[code] = len(values)
    points = [
        {
            "product": pid, "location": warehouses[code][0], "type": "purchase",
            "min_quantity": float(qty), "target_quantity": float(qty * 4),
        }
        for code, by_product in sorted(minimum.items())
        for pid, qty in sorted(by_product.items())
    ]  # fmt: skip
    if points:
        client.create("stock.order_point", points)
        report.order_points = len(points)


def seed(conn: TrytonConnector, data: Path = DATA) -> SeedReport:
    """Products, then parties, then stock (stock needs the products) from ``data`` (the erp folder)."""
    report = SeedReport()
    ensure_units(conn)
    seed_products(conn, data / "product", report)
    seed_parties(conn, data / "customer", report)
    seed_stock(conn, data / "stock", report)
    return report


def connector_for(url: str, database: str, user: str, password: str) -> TrytonConnector:
    """A connector with quick retries, for seeding a local server."""
    from connectors.tryton.resource import TrytonResource

    resource = TrytonResource(url=url, database=database, user=user, password=password, backoff=0.05)
    return resource.connector("erp")
