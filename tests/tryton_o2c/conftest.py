"""A real trytond for the order-to-cash tests, with a small catalogue, customers and stock.

One server per session from the template cached under ``var/tryton/`` (built once, ~50 s). The test
data is loaded once through the Tryton connector and snapshotted as the server's template, so each
test gets a fresh database with the data already in (``reset()`` switches to a spare trytond prepared
in the background). Without Tryton installed the tests skip,
unless ``HUB_REQUIRE_TRYTON=1`` (then they fail).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connectors.tryton import TrytonConnector, TrytonResource
from connectors.tryton.sales import TrytonOrders
from hub.engine.ports import OutboundRecord
from sandbox.tryton.server import TrytonServer
from tests.needs import start_tryton

ROOT = Path(__file__).resolve().parents[2]

PRODUCTS = {"SKU-A": "12.50", "SKU-B": "40.00", "SKU-C": "3.00"}
CUSTOMERS = ("C100", "C200")
STOCK = {"WH1": {"SKU-A": 20, "SKU-B": 5}, "WH2": {"SKU-A": 10}}
ORDER_POINTS = [("SKU-C", "WH1", 10, 40)]  # (sku, warehouse, min, target): SKU-C is short in WH1
# C200's sale price list: SKU-A 10% off, 20% off from 10 units; everything else at list price
PRICE_LIST = [
    ("SKU-A", 10, "list_price * 0.8"),
    ("SKU-A", None, "list_price * 0.9"),
    (None, None, "list_price"),
]


@pytest.fixture(scope="session")
def tryton_server() -> Iterator[TrytonServer]:
    """One trytond whose ``reset()`` restores the template plus this folder's data (loaded once)."""
    server = start_tryton(ROOT / "var")
    try:
        load_data(_resource(server).connector("erp"))
        assert server.workdir is not None
        server.template = snapshot(server.db_file, server.workdir / "o2c-template.sqlite")
        server.reset()  # the spare was started from the bare template: cycle both onto the new one
        server.reset()
    except BaseException:
        server.stop()
        raise
    server.dirty = False  # type: ignore[attr-defined]
    yield server
    server.stop()


def snapshot(db_file: Path, target: Path) -> Path:
    """A consistent copy of a live database (SQLite backup API), used as the template from now on."""
    src, dst = sqlite3.connect(db_file), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    return target


@pytest.fixture
def erp(tryton_server: TrytonServer) -> TrytonServer:
    """The server with a database fresh from the template and the test data."""
    if tryton_server.dirty:  # type: ignore[attr-defined]
        tryton_server.reset()
    tryton_server.dirty = True  # type: ignore[attr-defined]
    return tryton_server


def _resource(erp: TrytonServer) -> TrytonResource:
    return TrytonResource(
        url=erp.url, database=erp.database, user=erp.user, password=erp.password, backoff=0.01, attempts=8
    )


def load_data(conn: TrytonConnector) -> None:
    """The test catalogue, customers, stock and order points, through the Tryton connector."""
    products = [
        OutboundRecord(sku, None, {"code": sku, "name": f"Product {sku}", "list_price": price,
                                   "cost_price": "2.00", "default_uom": "each"}, "create")
        for sku, price in PRODUCTS.items()
    ]  # fmt: skip
    parties = [
        OutboundRecord(
            code, None, {"code": code, "name": f"Customer {code}", "payment_term": "net30"}, "create"
        )
        for code in CUSTOMERS
    ]
    assert all(r.ok for r in conn.write("product", products))
    assert all(r.ok for r in conn.write("customer", parties))
    client = conn.client
    ids = {r["code"]: r["id"] for r in client.search_read("product.product", [], ["code"])}
    warehouses = {code: (wid, storage) for wid, code, storage in conn.lookups.warehouses}
    for code, levels in STOCK.items():
        lines = [{"product": ids[sku], "quantity": float(qty)} for sku, qty in levels.items()]
        inventory = client.create(
            "stock.inventory", [{"location": warehouses[code][1], "lines": [["create", lines]]}]
        )
        client.call("model.stock.inventory.confirm", inventory)
    (price_list,) = client.create("product.price_list", [{
        "name": "Key accounts", "price": "list_price",
        "lines": [["create", [
            {"sequence": n, "product": ids[sku] if sku else None, "quantity": qty, "formula": formula}
            for n, (sku, qty, formula) in enumerate(PRICE_LIST, start=1)
        ]]],
    }])  # fmt: skip
    client.write(
        "party.party",
        (client.search("party.party", [("code", "=", "C200")]), {"sale_price_list": price_list}),
    )
    client.create("stock.order_point", [
        {"product": ids[sku], "location": warehouses[wh][0], "type": "purchase",
         "min_quantity": float(low), "target_quantity": float(high)}
        for sku, wh, low, high in ORDER_POINTS
    ])  # fmt: skip


@pytest.fixture
def conn(erp: TrytonServer) -> TrytonConnector:
    return _resource(erp).connector("erp")


@pytest.fixture
def orders(conn: TrytonConnector) -> TrytonOrders:
    return TrytonOrders(conn.client)


def on_hand(conn: TrytonConnector) -> dict[tuple[str, str], Decimal]:
    """On-hand quantity (done moves) per (SKU, warehouse)."""
    client = conn.client
    products = {r["id"]: r["code"] for r in client.search_read("product.product", [], ["code"])}
    levels: dict[tuple[str, str], Decimal] = {}
    for wid, code, _ in conn.lookups.warehouses:
        context = {"locations": [wid], "with_childs": True}
        for row in client.read("product.product", list(products), ["quantity"], context=context):
            levels[(products[row["id"]], code)] = Decimal(str(row["quantity"]))
    return levels


def count(conn: TrytonConnector, model: str, domain: list[Any]) -> int:
    return len(conn.client.search(model, domain))
