"""Many sales per call (``create_sales`` / ``confirm_sales``, the order flow's batch path): the same sales as
one by one, and a replay after any step repeats nothing."""

from __future__ import annotations

import pytest

from connectors.tryton import TrytonConnector
from connectors.tryton.sales import TrytonOrders
from hub.errors import RemoteRejected
from tests.tryton_o2c.builders import order, plan
from tests.tryton_o2c.conftest import count


def test_batch_creates_quotes_and_confirms_once(orders: TrytonOrders, conn: TrytonConnector) -> None:
    split = order("2001", {"SKU-A": 25}, customer="C200")
    items = [
        (order("2000", {"SKU-A": 2, "SKU-B": 1}), None),
        (split, None),  # two warehouses: two sales with one reference
        (order("2002", {"SKU-B": 1}, prices={"SKU-B": "39.00"}), None),
    ]
    items = [
        (o, plan(o, {"SKU-A": {"WH1": 15, "WH2": 10}} if o is split else {s.sku: {"WH1": int(s.quantity.value)} for s in o.lines}))
        for o, _ in items
    ]  # fmt: skip
    orders.create_sale(items[0][0], items[0][1])  # one of them already exists (a replay after a crash)
    quoted = orders.create_sales(items)
    assert {s.state for s in quoted.values()} == {"quotation"}
    assert orders.create_sales(items) == quoted  # a replay creates nothing
    assert count(conn, "sale.sale", [("reference", "in", ["2000", "2001", "2002"])]) == 4
    assert len(orders.sales("2001")) == 2
    confirmed = orders.confirm_sales(["2000", "2001", "2002"])
    assert {s.state for s in confirmed.values()} <= {"confirmed", "processing"}
    assert all(s.shipment_ids for s in confirmed.values())
    assert orders.confirm_sales(["2000", "2001", "2002"]) == confirmed
    assert orders.confirm_sale("2002") == confirmed["2002"]
    [line] = conn.client.search_read("sale.line", [("sale.reference", "=", "2002")], ["unit_price"])
    assert str(line["unit_price"]) == "39.0000"  # the price the buyer was given


def test_one_refused_order_fails_the_call(orders: TrytonOrders) -> None:
    good, bad = order("2010", {"SKU-A": 1}), order("2011", {"SKU-A": 1}, customer="NOPE")
    with pytest.raises(RemoteRejected):
        orders.create_sales(
            [(good, plan(good, {"SKU-A": {"WH1": 1}})), (bad, plan(bad, {"SKU-A": {"WH1": 1}}))]
        )
    with pytest.raises(RemoteRejected):
        orders.confirm_sales(["2010"])  # nothing was created: there is nothing to confirm
