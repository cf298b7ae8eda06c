"""A call Tryton processed whose answer never arrived: replaying the operation converges, once."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

import pytest
import requests
from requests.adapters import HTTPAdapter

from connectors.tryton import TrytonConnector
from connectors.tryton.sales import TrytonOrders
from hub.errors import RetriableError
from tests.tryton_o2c.builders import order, plan, rma, shipment
from tests.tryton_o2c.conftest import count, on_hand

pytestmark = pytest.mark.slow
T = TypeVar("T")

LOSE = (
    "model.sale.sale.create", "model.sale.sale.quote", "model.sale.sale.confirm", "model.party.address.create",
    "model.stock.shipment.out.pick", "model.stock.shipment.out.do", "model.account.invoice.post",
    "model.stock.shipment.out.return.receive",
)  # fmt: skip


class LostAnswers(HTTPAdapter):
    """The first call of each method in LOSE reaches the server, but its answer is lost."""

    def __init__(self) -> None:
        super().__init__()
        self.lost: list[str] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        method = json.loads(request.body or b"{}").get("method", "")
        answer = super().send(request, **kwargs)
        if method in LOSE and method not in self.lost:
            self.lost.append(method)
            raise requests.ConnectionError("connection reset by peer (injected after the server answered)")
        return answer


def replayed(operation: Callable[[], T]) -> T:
    """What a caller does with a RetriableError: the same operation again."""
    for _ in range(6):
        try:
            return operation()
        except RetriableError:
            continue
    raise AssertionError("the operation never succeeded")


def test_replays_after_lost_answers_converge(orders: TrytonOrders, conn: TrytonConnector) -> None:
    adapter = LostAnswers()
    conn.client.http.mount("http://", adapter)
    before = on_hand(conn)
    o = order("3001", {"SKU-A": 3})
    replayed(lambda: orders.create_sale(o, plan(o, {"SKU-A": {"WH1": 3}})))
    sale = replayed(lambda: orders.confirm_sale("3001"))
    assert sale.state == "processing" and count(conn, "sale.sale", [("reference", "=", "3001")]) == 1
    assert count(conn, "party.address", [("party.code", "=", "C100")]) == 1
    replayed(lambda: orders.ship("3001", shipment("SH-31", "3001", {"SKU-A": 3})))
    assert on_hand(conn)[("SKU-A", "WH1")] == before[("SKU-A", "WH1")] - 3
    (invoice,) = replayed(lambda: orders.invoices("3001"))
    assert invoice.state == "posted" and invoice.total == Decimal("37.50")

    replayed(lambda: orders.create_return(rma("RMA-31", "3001", {"SKU-A": 1})))
    replayed(lambda: orders.receive_return("RMA-31", [("SKU-A", Decimal(1))]))
    assert on_hand(conn)[("SKU-A", "WH1")] == before[("SKU-A", "WH1")] - 2
    assert count(conn, "sale.sale", [("reference", "=", "RMA-31")]) == 1
    assert sorted(adapter.lost) == sorted(LOSE)  # every one of them was lost once
