"""Contract tests of the Tryton connector against a real trytond (sandbox.tryton).

One server for the session, started from the template cached under the repo's ``var/tryton/`` (the
first build takes about 40 s); each test gets a database fresh from the template (``reset()`` switches
to a spare trytond started in the background). The shared connector contract runs for products and
customers, then Tryton specifics. Without Tryton installed the module skips, unless
``HUB_REQUIRE_TRYTON=1`` (then it fails).
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter

from connectors.registry import connector_types
from connectors.tryton import TrytonConnector, TrytonResource
from hub.engine.ports import OutboundRecord, ReadBatch
from sandbox.tryton.server import TrytonServer
from tests.contract.base import ConnectorContract
from tests.needs import start_tryton

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def tryton_server() -> Iterator[TrytonServer]:
    server = start_tryton(ROOT / "var")
    server.dirty = False  # type: ignore[attr-defined]
    yield server
    server.stop()


@pytest.fixture
def erp(tryton_server: TrytonServer) -> TrytonServer:
    """The server with a database fresh from the template."""
    if tryton_server.dirty:  # type: ignore[attr-defined]
        tryton_server.reset()
    tryton_server.dirty = True  # type: ignore[attr-defined]
    return tryton_server


@pytest.fixture
def conn(erp: TrytonServer) -> TrytonConnector:
    resource = TrytonResource(
        url=erp.url, database=erp.database, user=erp.user, password=erp.password, backoff=0.01, attempts=8
    )
    return resource.connector("erp")


def product(code: str, name: str | None = None, **extra: Any) -> OutboundRecord:
    payload = {"code": code, "name": name or f"Product {code}", "list_price": "12.50", "cost_price": "7.2500"}
    payload.update({"currency": "USD", "default_uom": "each", **extra})
    return OutboundRecord(code, None, payload, "create")


def customer(code: str, **extra: Any) -> OutboundRecord:
    payload = {"code": code, "name": f"Customer {code}", "email": f"{code.lower()}@buyer.example"}
    payload.update({"payment_term": "net30", "credit_limit_amount": "5000", "currency": "USD", **extra})
    return OutboundRecord(code, None, payload, "create")


def read_all(
    conn: TrytonConnector, entity: str, cursor: str | None = None, size: int = 100
) -> list[ReadBatch]:
    return list(conn.read(entity, cursor, size))


def records(batches: list[ReadBatch]) -> list[dict[str, Any]]:
    return [r for b in batches for r in b.records]


def test_discovered_by_the_registry() -> None:
    assert connector_types()["tryton"] is TrytonResource


def test_product_records_have_the_erp_shape(conn: TrytonConnector) -> None:
    results = conn.write("product", [product(f"SKU-{i}") for i in range(5)])
    assert all(r.ok and r.system_id for r in results), results
    batches = read_all(conn, "product", size=2)
    assert [len(b.records) for b in batches] == [2, 2, 1]
    assert [b.cursor is None for b in batches] == [True, True, False]
    rows = {r["code"]: r for r in records(batches)}
    assert sorted(rows) == [f"SKU-{i}" for i in range(5)]
    first = rows["SKU-0"]
    assert first["name"] == "Product SKU-0" and first["currency"] == "USD" and first["default_uom"] == "Unit"
    assert Decimal(first["list_price"]) == Decimal("12.50")
    assert Decimal(first["cost_price"]) == Decimal("7.25")
    assert first["id"] == results[0].system_id


def test_incremental_follows_template_and_variant_changes(conn: TrytonConnector) -> None:
    conn.write("product", [product(f"SKU-{i}") for i in range(3)])
    cursor = read_all(conn, "product")[-1].cursor
    assert cursor is not None and not records(read_all(conn, "product", cursor))

    assert conn.write("product", [product("SKU-1", "Renamed")])[0].ok  # a template field
    batches = read_all(conn, "product", cursor)
    assert [r["code"] for r in records(batches)] == ["SKU-1"]
    assert records(batches)[0]["name"] == "Renamed"
    cursor2 = batches[-1].cursor
    assert not records(read_all(conn, "product", cursor2))

    assert conn.write("product", [product("SKU-2", cost_price="8.00")])[0].ok  # a variant field
    assert [r["code"] for r in records(read_all(conn, "product", cursor2))] == ["SKU-2"]


def test_incremental_customers_follow_contact_changes(conn: TrytonConnector) -> None:
    conn.write("customer", [customer("C10000"), customer("C10001")])
    cursor = read_all(conn, "customer")[-1].cursor
    mechanism = conn.client.search("party.contact_mechanism", [("party.code", "=", "C10001")])
    conn.client.write("party.contact_mechanism", (mechanism, {"value": "new@buyer.example"}))
    changed = records(read_all(conn, "customer", cursor))
    assert [(r["code"], r["email"]) for r in changed] == [("C10001", "new@buyer.example")]


def test_write_creates_records_visible_by_code(conn: TrytonConnector) -> None:
    (result,) = conn.write("product", [product("SKU-NEW", description="Bolts, zinc plated")])
    found = conn.client.search_read(
        "product.product", [("code", "=", "SKU-NEW")], ["template.account_category", "description"]
    )
    assert [str(f["id"]) for f in found] == [result.system_id]
    assert found[0]["template."]["account_category"] and found[0]["description"] == "Bolts, zinc plated"

    (party,) = conn.write("customer", [customer("C10002")])
    row = records(read_all(conn, "customer"))[0]
    assert row["id"] == party.system_id and row["code"] == "C10002"
    assert (row["payment_term"], row["credit_limit_amount"], row["currency"]) == ("net30", "5000.00", "USD")
    assert row["email"] == "c10002@buyer.example" and row["credit_hold"] is False


def _stamps(conn: TrytonConnector, code: str) -> list[Any]:
    rows = conn.client.search_read(
        "product.product", [("code", "=", code)], ["write_date", "template.write_date"]
    )
    return [(r["write_date"], r["template."]["write_date"]) for r in rows]


def test_writing_the_same_again_changes_nothing(conn: TrytonConnector) -> None:
    batch = [product("SKU-A"), product("SKU-B")]
    first = conn.write("product", batch)
    before = _stamps(conn, "SKU-A")
    again = conn.write("product", batch)
    assert [r.system_id for r in again] == [r.system_id for r in first] and all(r.ok for r in again)
    assert _stamps(conn, "SKU-A") == before and len(before) == 1
    # found by its xref id too
    by_id = OutboundRecord("SKU-A", first[0].system_id, batch[0].payload, "update")
    assert conn.write("product", [by_id])[0].system_id == first[0].system_id

    parties = [customer("C10003")]
    conn.write("customer", parties)
    stamp = conn.client.search_read("party.party", [("code", "=", "C10003")], ["write_date"])
    assert conn.write("customer", parties)[0].ok
    assert conn.client.search_read("party.party", [("code", "=", "C10003")], ["write_date"]) == stamp


def test_permanent_errors_fail_only_their_record(conn: TrytonConnector) -> None:
    results = conn.write(
        "product",
        [
            product("SKU-1"),
            product("SKU-2", default_uom="furlong"),
            product("SKU-3", currency="EUR"),
            product("SKU-4"),
        ],
    )
    assert [r.ok for r in results] == [True, False, False, True]
    assert "furlong" in (results[1].error or "") and not results[1].retriable
    assert sorted(r["code"] for r in records(read_all(conn, "product"))) == ["SKU-1", "SKU-4"]

    # refused by Tryton itself (the company's party already has code "1"): the batch is split
    results = conn.write(
        "customer",
        [
            customer("C10004"),
            customer("1"),
            customer("C10006", payment_term="net 99"),
        ],
    )
    assert [r.ok for r in results] == [True, False, False]
    assert "Tryton refused" in (results[1].error or "") and not results[1].retriable
    assert "net 99" in (results[2].error or "")
    assert [r["code"] for r in records(read_all(conn, "customer"))] == ["C10004"]


class LostAnswers(HTTPAdapter):
    """The first create of each model reaches the server, but its answer is lost (connection reset)."""

    def __init__(self) -> None:
        super().__init__()
        self.lost: set[str] = set()

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        method = json.loads(request.body or b"{}").get("method", "")
        answer = super().send(request, **kwargs)
        if method.endswith(".create") and method not in self.lost:
            self.lost.add(method)
            raise requests.ConnectionError(
                "connection reset by peer (injected after the server processed it)"
            )
        return answer


def test_lost_create_answers_are_reconciled_not_duplicated(conn: TrytonConnector) -> None:
    adapter = LostAnswers()
    conn.client.http.mount("http://", adapter)
    assert all(r.ok for r in conn.write("product", [product(f"SKU-{i}") for i in range(4)]))
    assert all(r.ok for r in conn.write("customer", [customer(f"C1001{i}") for i in range(3)]))
    assert {"model.product.template.create", "model.party.party.create"} <= adapter.lost
    codes = [r["code"] for r in records(read_all(conn, "product"))]
    assert sorted(codes) == [f"SKU-{i}" for i in range(4)]
    assert len(records(read_all(conn, "customer"))) == 3


def test_expired_session_logs_in_again(conn: TrytonConnector) -> None:
    conn.client.login()
    conn.client._auth = "Session " + "YWRtaW46MTpleHBpcmVk"  # admin:1:expired
    assert conn.client.search("product.uom", [("name", "=", "Unit")])


def test_stock_levels_per_warehouse(conn: TrytonConnector) -> None:
    conn.write("product", [product("SKU-S"), product("SKU-T")])
    client = conn.client
    (pid,) = client.search("product.product", [("code", "=", "SKU-S")])
    wh = {
        r["code"]: r
        for r in client.search_read(
            "stock.location", [("type", "=", "warehouse")], ["code", "storage_location"]
        )
    }
    wh1, wh2 = wh["WH1"]["storage_location"], wh["WH2"]["storage_location"]
    inventory = client.create(
        "stock.inventory", [{"location": wh1, "lines": [["create", [{"product": pid, "quantity": 10}]]]}]
    )
    client.call("model.stock.inventory.confirm", inventory)
    transfer = client.create("stock.shipment.internal", [{
        "from_location": wh1, "to_location": wh2,
        "moves": [["create", [{"product": pid, "unit": 1, "quantity": 3, "from_location": wh1, "to_location": wh2}]]],
    }])  # fmt: skip
    client.call("model.stock.shipment.internal.wait", transfer)
    client.call("model.stock.shipment.internal.assign_try", transfer)
    client.create("stock.order_point", [{
        "product": pid, "location": wh["WH1"]["id"], "type": "purchase", "min_quantity": 5, "target_quantity": 20,
    }])  # fmt: skip

    batches = read_all(conn, "stock", size=10)
    assert batches[-1].cursor and batches[-1].cursor.endswith("Z")
    levels = {(r["product"], r["warehouse"]): r for r in records(batches)}
    assert set(levels) == {(p, w) for p in ("SKU-S", "SKU-T") for w in ("WH1", "WH2")}
    one = levels["SKU-S", "WH1"]
    assert (one["quantity"], one["reserved_quantity"], one["available_quantity"]) == ("10", "3", "7")
    assert (one["forecast_quantity"], one["min_quantity"], one["uom"]) == ("7", "5", "Unit")
    two = levels["SKU-S", "WH2"]
    assert (two["quantity"], two["forecast_quantity"], two["min_quantity"]) == ("0", "3", None)
    assert levels["SKU-T", "WH1"]["quantity"] == "0"
    dt.datetime.fromisoformat(one["as_of"].rstrip("Z"))


class RandomFaults(HTTPAdapter):
    """Client-side fault injection (trytond has no fault switch): 429, 5xx and, worse than a sandbox,
    timeouts and dropped connections after the server has processed the request."""

    def __init__(self, rate: float, seed: int = 7) -> None:
        super().__init__()
        self.rate, self.random, self.counts = rate, random.Random(seed), dict[str, int]()

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kind = (
            self.random.choice(["429", "500", "503", "timeout", "drop"])
            if self.random.random() < self.rate
            else "ok"
        )
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if kind in ("429", "500", "503"):
            response = requests.Response()
            response.status_code, response.request, response._content = int(kind), request, b"injected"
            response.headers["Retry-After"] = "0"
            return response
        answer = super().send(request, **kwargs)
        if kind == "timeout":
            raise requests.ReadTimeout("injected: no answer in time")
        if kind == "drop":
            raise requests.ConnectionError("injected: connection reset by peer")
        return answer


class TrytonContract(ConnectorContract):
    @pytest.fixture
    def connector(self, conn: TrytonConnector) -> TrytonConnector:
        return conn

    def set_faults(self, connector: TrytonConnector, rate: float) -> None:  # type: ignore[override]
        connector.client.http.mount("http://", RandomFaults(rate) if rate else HTTPAdapter())


class TestTrytonProductContract(TrytonContract):
    entity = "product"

    def payload(self, i: int) -> dict[str, Any]:
        return {**product(f"SKU-{i:04d}").payload, "description": f"Anchor plug {i}"}

    def changed(self, payload: dict[str, Any]) -> dict[str, Any]:
        return {**payload, "name": payload["name"] + " (new)"}

    def invalid(self) -> dict[str, Any]:
        return {**self.payload(999), "default_uom": "furlong"}

    def key(self, payload: dict[str, Any]) -> str:
        return str(payload["code"])

    def read_key(self, record: dict[str, Any]) -> str:
        return str(record["code"])


class TestTrytonCustomerContract(TrytonContract):
    entity = "customer"

    def payload(self, i: int) -> dict[str, Any]:
        return customer(f"C{10000 + i}").payload

    def changed(self, payload: dict[str, Any]) -> dict[str, Any]:
        return {**payload, "name": payload["name"] + " (new)"}

    def invalid(self) -> dict[str, Any]:
        return {**self.payload(999), "payment_term": "net 99"}

    def key(self, payload: dict[str, Any]) -> str:
        return str(payload["code"])

    def read_key(self, record: dict[str, Any]) -> str:
        return str(record["code"])
