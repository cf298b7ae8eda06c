"""Returns and purchase requests against a real Tryton."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connectors.tryton import TrytonConnector
from connectors.tryton.sales import TrytonOrders
from hub.errors import RemoteRejected
from tests.tryton_o2c.builders import order, plan, rma, shipment
from tests.tryton_o2c.conftest import count, on_hand

pytestmark = pytest.mark.slow


def _shipped(orders: TrytonOrders, order_no: str, lines: dict[str, int]) -> None:
    o = order(order_no, lines)
    orders.create_sale(o, plan(o, {sku: {"WH1": qty} for sku, qty in lines.items()}))
    orders.confirm_sale(order_no)
    orders.ship(order_no, shipment(f"SH-{order_no}", order_no, lines))


def test_a_return_puts_stock_back_once(orders: TrytonOrders, conn: TrytonConnector) -> None:
    _shipped(orders, "2001", {"SKU-A": 6, "SKU-B": 2})
    before = on_hand(conn)
    ret = rma("RMA-1", "2001", {"SKU-A": 2, "SKU-B": 1})
    created = orders.create_return(ret)
    assert created.reference == "RMA-1" and created.state == "processing"
    assert orders.create_return(ret) == created  # replay
    (sale,) = conn.client.search_read(
        "sale.sale", [("reference", "=", "RMA-1")], ["origin", "warehouse.code", "lines"]
    )
    original = orders.sale("2001")
    assert original is not None and sale["origin"] == f"sale.sale,{original.sale_id}"
    assert sale["warehouse."]["code"] == "WH1"
    lines = conn.client.read("sale.line", sale["lines"], ["quantity", "unit_price"])
    assert sorted((ln["quantity"], ln["unit_price"]) for ln in lines) == [
        (-2.0, Decimal("12.50")),
        (-1.0, Decimal("40.00")),
    ]
    assert on_hand(conn) == before  # nothing is back until the 3PL receives it

    orders.receive_return("RMA-1", [("SKU-A", Decimal(2)), ("SKU-B", Decimal(1))])
    after = on_hand(conn)
    assert after[("SKU-A", "WH1")] == before[("SKU-A", "WH1")] + 2
    assert after[("SKU-B", "WH1")] == before[("SKU-B", "WH1")] + 1
    orders.receive_return("RMA-1", [("SKU-A", Decimal(2)), ("SKU-B", Decimal(1))])  # replay
    assert on_hand(conn) == after
    (credit,) = orders.invoices("RMA-1")
    assert credit.state == "posted" and credit.total == Decimal("-65.00")


def test_a_partial_receipt_then_the_rest(orders: TrytonOrders, conn: TrytonConnector) -> None:
    _shipped(orders, "2002", {"SKU-A": 5})
    orders.create_return(rma("RMA-2", "2002", {"SKU-A": 4}))
    before = on_hand(conn)[("SKU-A", "WH1")]
    orders.receive_return("RMA-2", [("SKU-A", Decimal(1))])
    assert on_hand(conn)[("SKU-A", "WH1")] == before + 1
    returned = orders.sale("RMA-2")
    assert returned is not None and len(returned.shipment_ids) == 2  # Tryton expects the other 3
    orders.receive_return("RMA-2", [("SKU-A", Decimal(4))])  # cumulative: 3 more
    assert on_hand(conn)[("SKU-A", "WH1")] == before + 4
    with pytest.raises(RemoteRejected, match="more than is expected back"):
        orders.receive_return("RMA-2", [("SKU-A", Decimal(5))])
    assert on_hand(conn)[("SKU-A", "WH1")] == before + 4


def test_return_mistakes_are_rejected(orders: TrytonOrders) -> None:
    with pytest.raises(RemoteRejected, match=r"unknown SKU.*: SKU-ZZ"):
        orders.create_return(rma("RMA-3", "2003", {"SKU-ZZ": 1}))
    with pytest.raises(RemoteRejected, match="unknown customer"):
        orders.create_return(rma("RMA-3", "2003", {"SKU-A": 1}, customer="C999"))
    with pytest.raises(RemoteRejected, match="no sale with reference 'RMA-9'"):
        orders.receive_return("RMA-9", [("SKU-A", Decimal(1))])


def test_a_purchase_request_is_made_once(orders: TrytonOrders, conn: TrytonConnector) -> None:
    first = orders.request_purchase("SKU-C", "WH1", Decimal(25))
    assert orders.request_purchase("SKU-C", "WH1", Decimal(25)) == first
    assert count(conn, "purchase.request", [("product.code", "=", "SKU-C")]) == 1
    (row,) = conn.client.read(
        "purchase.request",
        [first],
        ["product.code", "warehouse.code", "quantity", "computed_quantity", "state"],
    )
    assert row["product."]["code"] == "SKU-C" and row["warehouse."]["code"] == "WH1"
    assert row["state"] == "draft" and row["quantity"] == 25.0
    assert row["computed_quantity"] == 40.0  # Tryton's own figure: order point target - forecast
    with pytest.raises(RemoteRejected, match="no shortage of SKU-A at WH1"):
        orders.request_purchase("SKU-A", "WH1", Decimal(5))  # planning ran again for WH1
    current = orders.request_purchase("SKU-C", "WH1", Decimal(25))
    assert count(conn, "purchase.request", [("product.code", "=", "SKU-C")]) == 1
    assert conn.client.read("purchase.request", [current], ["quantity"])[0]["quantity"] == 25.0
    with pytest.raises(RemoteRejected, match="unknown SKU"):
        orders.request_purchase("SKU-ZZ", "WH1", Decimal(5))
    with pytest.raises(RemoteRejected, match="unknown warehouse"):
        orders.request_purchase("SKU-C", "WH9", Decimal(5))
