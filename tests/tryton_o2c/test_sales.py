"""Sales against a real Tryton: quote, confirm, ship (whole, partial, per warehouse), invoice."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connectors.tryton import TrytonConnector
from connectors.tryton.sales import TrytonOrders
from hub.errors import RemoteRejected
from tests.tryton_o2c.builders import order, plan, shipment
from tests.tryton_o2c.conftest import count, on_hand

pytestmark = pytest.mark.slow


def test_full_order_to_cash(orders: TrytonOrders, conn: TrytonConnector) -> None:
    o = order("1001", {"SKU-A": 5, "SKU-B": 2}, prices={"SKU-A": "12.00"})
    sale = orders.create_sale(o, plan(o, {"SKU-A": {"WH1": 5}, "SKU-B": {"WH1": 2}}))
    assert sale.state == "quotation" and sale.reference == "1001" and sale.number
    assert sale.total == Decimal("5") * Decimal("12.00") + 2 * Decimal("40.00")  # order price, else ERP's
    assert not sale.shipment_ids and not sale.invoice_ids
    (row,) = conn.client.read("sale.sale", [sale.sale_id], ["shipment_address.city", "description"])
    assert row["shipment_address."]["city"] == "Austin" and row["description"] == "PO PO-1001"

    before = on_hand(conn)
    confirmed = orders.confirm_sale("1001")
    assert confirmed.state == "processing" and confirmed.sale_id == sale.sale_id
    assert len(confirmed.shipment_ids) == 1
    assert orders.stock(["SKU-A"])["SKU-A"]["WH1"] == 15  # forecast: promised stock is not offered again
    assert on_hand(conn)[("SKU-A", "WH1")] == before[("SKU-A", "WH1")]  # nothing left the shelf yet

    shipped = orders.ship("1001", shipment("SH-1", "1001", {"SKU-A": 5, "SKU-B": 2}))
    assert shipped == list(confirmed.shipment_ids)
    (state,) = conn.client.read("stock.shipment.out", shipped, ["state", "reference"])
    assert state["state"] == "done" and state["reference"] == "SH-1"
    after = on_hand(conn)
    assert after[("SKU-A", "WH1")] == before[("SKU-A", "WH1")] - 5
    assert after[("SKU-B", "WH1")] == before[("SKU-B", "WH1")] - 2
    assert after[("SKU-A", "WH2")] == before[("SKU-A", "WH2")]

    (invoice,) = orders.invoices("1001")
    assert invoice.state == "posted" and invoice.number
    assert invoice.total == Decimal("140.00") and invoice.tax == 0 and invoice.currency == "USD"
    assert invoice.sale_reference == "1001" and invoice.invoice_date is not None
    final = orders.sale("1001")
    assert final is not None and final.invoice_ids == (invoice.invoice_id,)
    assert conn.client.read("sale.sale", [sale.sale_id], ["shipment_state"])[0]["shipment_state"] == "sent"


def test_replays_change_nothing(orders: TrytonOrders, conn: TrytonConnector) -> None:
    o = order("1002", {"SKU-A": 4})
    p = plan(o, {"SKU-A": {"WH1": 4}})
    first = orders.create_sale(o, p)
    again = orders.create_sale(o, p)
    assert again == first
    assert count(conn, "sale.sale", [("reference", "=", "1002")]) == 1
    assert count(conn, "sale.line", [("sale", "=", first.sale_id)]) == 1
    assert count(conn, "party.address", [("party.code", "=", "C100")]) == 1  # the ship-to, added once

    confirmed = orders.confirm_sale("1002")
    assert orders.confirm_sale("1002") == confirmed
    before = on_hand(conn)
    ship = shipment("SH-2", "1002", {"SKU-A": 4})
    ids = orders.ship("1002", ship)
    assert orders.ship("1002", ship) == ids
    assert on_hand(conn)[("SKU-A", "WH1")] == before[("SKU-A", "WH1")] - 4
    assert orders.create_sale(o, p).sale_id == first.sale_id  # even once shipped
    assert len(orders.invoices("1002")) == len(orders.invoices("1002")) == 1


def test_partial_shipment_then_the_rest(conn: TrytonConnector) -> None:
    orders = TrytonOrders(conn.client, invoice_method="fulfillment")
    o = order("1003", {"SKU-A": 5, "SKU-B": 3})
    orders.create_sale(o, plan(o, {"SKU-A": {"WH1": 5}, "SKU-B": {"WH1": 3}}))
    confirmed = orders.confirm_sale("1003")
    assert not confirmed.invoice_ids  # invoiced on fulfilment
    # Tryton's scheduler may reserve the stock before the 3PL confirms: ship() starts over from there
    conn.client.call("model.stock.shipment.out.assign_try", list(confirmed.shipment_ids))
    assert (
        conn.client.read("stock.shipment.out", list(confirmed.shipment_ids), ["state"])[0]["state"]
        == "assigned"
    )
    before = on_hand(conn)

    first = orders.ship("1003", shipment("SH-3a", "1003", {"SKU-A": 2}))
    mid = on_hand(conn)
    assert mid[("SKU-A", "WH1")] == before[("SKU-A", "WH1")] - 2
    assert mid[("SKU-B", "WH1")] == before[("SKU-B", "WH1")]
    sale = orders.sale("1003")
    assert sale is not None and len(sale.shipment_ids) == 2  # Tryton made a shipment for the rest
    (rest_id,) = set(sale.shipment_ids) - set(first)
    moves = conn.client.search_read(
        "stock.move", [("shipment", "=", f"stock.shipment.out,{rest_id}"), ("to_location.type", "=", "customer")],
        ["product.code", "quantity"],
    )  # fmt: skip
    assert sorted((m["product."]["code"], m["quantity"]) for m in moves) == [("SKU-A", 3.0), ("SKU-B", 3.0)]
    (partial_invoice,) = orders.invoices("1003")
    assert partial_invoice.state == "posted" and partial_invoice.total == Decimal("25.00")

    second = orders.ship("1003", shipment("SH-3b", "1003", {"SKU-A": 3, "SKU-B": 3}))
    assert second == [rest_id]
    end = on_hand(conn)
    assert end[("SKU-A", "WH1")] == before[("SKU-A", "WH1")] - 5
    assert end[("SKU-B", "WH1")] == before[("SKU-B", "WH1")] - 3
    invoices = orders.invoices("1003")
    assert [i.total for i in invoices] == [Decimal("25.00"), Decimal("157.50")]
    assert all(i.state == "posted" for i in invoices)
    assert orders.ship("1003", shipment("SH-3a", "1003", {"SKU-A": 2})) == first  # an old replay
    assert on_hand(conn) == end


def test_a_plan_over_two_warehouses_is_one_sale_per_warehouse(
    orders: TrytonOrders, conn: TrytonConnector
) -> None:
    o = order("1004", {"SKU-A": 30})
    sale = orders.create_sale(o, plan(o, {"SKU-A": {"WH1": 18, "WH2": 12}}))
    parts = orders.sales("1004")
    assert sorted(p.reference for p in parts) == ["1004@WH1", "1004@WH2"]
    assert sale.total == Decimal("375.00") and "," in (sale.number or "")
    confirmed = orders.confirm_sale("1004")
    assert len(confirmed.shipment_ids) == 2
    before = on_hand(conn)
    # WH2 holds 10 in Tryton but the 3PL shipped 12: the reservation is forced, stock goes negative
    orders.ship("1004", shipment("SH-4w", "1004", {"SKU-A": 12}, warehouse="WH2"))
    after = on_hand(conn)
    assert after[("SKU-A", "WH2")] == before[("SKU-A", "WH2")] - 12 == -2
    assert after[("SKU-A", "WH1")] == before[("SKU-A", "WH1")]
    with pytest.raises(RemoteRejected, match="more than sale 1004 has open to ship at WH2: SKU-A x 1"):
        orders.ship("1004", shipment("SH-4x", "1004", {"SKU-A": 1}, warehouse="WH2"))
    orders.ship("1004", shipment("SH-4e", "1004", {"SKU-A": 18}, warehouse="WH1"))
    assert on_hand(conn)[("SKU-A", "WH1")] == before[("SKU-A", "WH1")] - 18
    assert {p.state for p in orders.sales("1004")} == {"processing"}


def test_quote_only_stays_a_quotation(orders: TrytonOrders, conn: TrytonConnector) -> None:
    o = order("1005", {"SKU-B": 10})
    quote = orders.create_sale(o, plan(o, {}), quote_only=True)  # a request for quote allocates nothing
    assert quote.state == "quotation" and quote.total == Decimal("400.00")
    assert orders.sale("1005") == quote
    assert orders.stock(["SKU-B"])["SKU-B"]["WH1"] == 5  # a quotation reserves nothing


def test_prices_stock_and_customers(orders: TrytonOrders, conn: TrytonConnector) -> None:
    listed = {"SKU-A": Decimal("12.50"), "SKU-B": Decimal("40.00")}
    assert orders.prices(["SKU-A", "SKU-B", "NOPE"], None) == listed
    assert orders.prices(["SKU-A", "SKU-B"], "C100") == listed  # no price list
    assert orders.prices(["SKU-A", "SKU-B"], "C200") == {"SKU-A": Decimal("11.25"), "SKU-B": Decimal("40.00")}
    o = order("1009", {"SKU-A": 10, "SKU-B": 1}, customer="C200")  # no prices given: Tryton's, per quantity
    sale = orders.create_sale(o, plan(o, {"SKU-A": {"WH1": 6, "WH2": 4}, "SKU-B": {"WH1": 1}}))
    assert sale.total == Decimal("10.00") * 10 + Decimal("40.00")  # the 10-unit break, over both warehouses
    rows = conn.client.search_read("sale.sale", [("reference", "=", "1009")], ["price_list.name"])
    assert [r["price_list."]["name"] for r in rows] == ["Key accounts", "Key accounts"]
    levels = orders.stock(["SKU-A", "SKU-C", "NOPE"])
    assert levels == {"SKU-A": {"WH1": 20, "WH2": 10}, "SKU-C": {"WH1": 0, "WH2": 0}}
    assert orders.customer_exists("C100") and not orders.customer_exists("C999")
    assert orders.sale("nope") is None and orders.invoices("nope") == []


def test_callers_mistakes_are_clear_rejections(orders: TrytonOrders, conn: TrytonConnector) -> None:
    o = order("1006", {"SKU-A": 1, "SKU-ZZ": 1})
    with pytest.raises(RemoteRejected, match=r"unknown SKU.*: SKU-ZZ"):
        orders.create_sale(o, plan(o, {"SKU-A": {"WH1": 1}, "SKU-ZZ": {"WH1": 1}}))
    o = order("1007", {"SKU-A": 1}, customer="C999")
    with pytest.raises(RemoteRejected, match="unknown customer 'C999'"):
        orders.create_sale(o, plan(o, {"SKU-A": {"WH1": 1}}))
    assert orders.prices(["SKU-A"], "C999") == {"SKU-A": Decimal("12.50")}  # priced like anyone
    o = order("1008", {"SKU-A": 1})
    with pytest.raises(RemoteRejected, match="unknown warehouse 'WH9'"):
        orders.create_sale(o, plan(o, {"SKU-A": {"WH9": 1}}))
    with pytest.raises(RemoteRejected, match="no sale with reference"):
        orders.confirm_sale("1008")
    assert count(conn, "sale.sale", []) == 0
