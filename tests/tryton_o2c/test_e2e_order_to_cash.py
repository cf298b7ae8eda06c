"""Order to cash end to end: orders placed through the shop sandbox's API reach the real Tryton, the 3PL over a
real OpenSSH SFTP mailbox (played by the 3PL simulator), the shop and the mail catcher; every order's lineage
shows each hop. Normal, over the approval threshold, short stock, unknown SKU, unknown customer, partial
shipment, a return and a request for quote."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests

from connectors import resource_for
from connectors.sftp import SftpMailbox, SftpSettings
from hub.config import load_config
from hub.lineage import record_lineage
from hub.models import Return
from hub.store import Store
from hub.workflows.approval import approve, reject
from hub.workflows.intake import poll_orders
from hub.workflows.states import get_order
from hub.workflows.wiring import OrderFlow, build_order_flow
from sandbox.common import SandboxServer
from sandbox.mail import MailCatcher
from sandbox.sftp import generate_keypair
from sandbox.shop import create_app
from sandbox.threepl import ThreePLSimulator
from sandbox.tryton.server import TrytonServer
from tests.needs import missing
from tests.sftp.openssh import OpenSshServer, sshd_missing_reason
from tests.tryton_o2c.conftest import ROOT

TOKEN = "shpat_e2e"
PRICES = {"SKU-A": "12.50", "SKU-B": "40.00", "SKU-C": "3.00", "SKU-ZZZ": "1.00"}
ADDRESS = {"name": "Pat Buyer", "address1": "1 Main St", "city": "Springfield", "zip": "62701",
           "province_code": "IL", "country": "United States"}  # fmt: skip


@pytest.fixture
def sshd(tmp_path: Path) -> Iterator[tuple[OpenSshServer, Path]]:
    reason = sshd_missing_reason()
    if reason is not None:
        missing("sftp", reason)
    key = tmp_path / "hub_key"
    server = OpenSshServer(tmp_path / "sshd", generate_keypair(key)).start()
    yield server, key
    server.stop()


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[SandboxServer]:
    with SandboxServer(
        create_app(tmp_path / "shop.db", TOKEN, "whsec", leak_rate=1000.0), name="shop"
    ) as server:
        api, headers = f"{server.url}/admin/api/2024-10", {"X-Shopify-Access-Token": TOKEN}
        for sku, price in PRICES.items():
            body = {"product": {"title": sku, "variants": [{"sku": sku, "price": price}]}}
            requests.post(f"{api}/products.json", json=body, headers=headers, timeout=5).raise_for_status()
        yield server


class World:
    def __init__(self, tmp: Path, erp: TrytonServer, sshd: tuple[OpenSshServer, Path], shop: SandboxServer,
                 mail: MailCatcher) -> None:  # fmt: skip
        server, key = sshd
        self.root = tmp / "3pl"
        self.root.mkdir()
        shutil.copytree(ROOT / "mappings", tmp / "mappings")
        os.environ["E2E_SHOP_TOKEN"], os.environ["E2E_TRYTON_PASSWORD"] = TOKEN, erp.password
        sftp = {"host": server.host, "port": server.port, "user": server_user(), "key_path": str(key),
                "host_key": server.host_key_line, "root": str(self.root)}  # fmt: skip
        (tmp / "hub.yaml").write_text(HUB_YAML.format(
            db=tmp / "hub.db", shop=shop.url, erp=erp.url, database=erp.database, mail=mail.port,
            sftp=sftp))  # fmt: skip
        self.config = load_config(tmp / "hub.yaml")
        self.store = Store(self.config.database_url)
        self.flow: OrderFlow = build_order_flow(self.config, self.store, run_id="e2e")
        self.shop_api = f"{shop.url}/admin/api/2024-10"
        self.sim = ThreePLSimulator(SftpMailbox(SftpSettings(**sftp)), stock={"SKU-A": 1000, "SKU-B": 1000, "SKU-C": 4},
                                    seed=1, warehouse="WH1")  # fmt: skip
        self.shop_connector = resource_for(self.config, "shop", dagster=False).connector("shop")
        self.mail = mail

    def place(
        self,
        lines: dict[str, int],
        *,
        account: str = "C100",
        tags: str = "",
        prices: dict[str, str] | None = None,
    ) -> str:
        items = [{"sku": s, "quantity": q, "price": (prices or PRICES)[s]} for s, q in lines.items()]
        body = {"order": {"email": f"{account.lower()}@example.com", "line_items": items, "tags": tags,
                          "customer": {"email": f"{account.lower()}@example.com", "note": f"account:{account}"},
                          "shipping_address": ADDRESS, "billing_address": ADDRESS}}  # fmt: skip
        got = requests.post(f"{self.shop_api}/orders.json", json=body, headers={"X-Shopify-Access-Token": TOKEN},
                            timeout=10)  # fmt: skip
        got.raise_for_status()
        return str(got.json()["order"]["name"]).lstrip("#")

    def intake(self) -> None:
        poll_orders(self.store, self.shop_connector)
        self.flow.process_orders()

    def warehouse_round(self) -> int:
        self.sim.tick()
        files = self.flow.threepl_files()
        for f in files:
            self.flow.apply_threepl_file(f)
        self.flow.process_orders()
        return len(files)

    def state(self, order_no: str) -> str:
        record = get_order(self.store, order_no)
        return record.state.value if record else "unknown"

    def shop_order(self, order_no: str) -> dict[str, Any]:
        got = requests.get(f"{self.shop_api}/orders.json", params={"name": f"#{order_no}", "status": "any"},
                           headers={"X-Shopify-Access-Token": TOKEN}, timeout=10)  # fmt: skip
        return got.json()["orders"][0]


def server_user() -> str:
    import getpass

    return getpass.getuser()


HUB_YAML = """
store: {{url: "sqlite:///{db}"}}
mappings: mappings
entities: [product, customer, stock, order]
systems:
  shop: {{role: shop, connector: shopify,
          settings: {{shop_url: "{shop}", access_token: {{env: E2E_SHOP_TOKEN}}, rate_per_second: 1000.0, backoff: 0.05}}}}
  erp: {{role: erp, connector: tryton,
         settings: {{url: "{erp}", database: "{database}", user: admin, password: {{env: E2E_TRYTON_PASSWORD}}}}}}
  crm: {{role: crm, connector: files, settings: {{inbox: in/crm, outbox: out/crm}}}}
  pim: {{role: pim, connector: files, settings: {{inbox: in/pim, outbox: out/pim}}}}
  wms: {{role: 3pl, connector: files, settings: {{inbox: in/wms, outbox: out/wms}}}}
orders:
  unknown_customer: hold
  price_tolerance_pct: 2
  approval: {{total_above: 400, approver_email: approver@example.com}}
  allocation: {{rule: split, warehouses: [WH1, WH2]}}
  smtp: {{host: 127.0.0.1, port: {mail}, sender: orders@hub.example}}
threepl:
  warehouses: [WH1, WH2]
  mailbox: {{sftp: {sftp}}}
returns: {{warehouse: WH1}}
quotes:
  pricing:
    customers: {{C200: {{percent_off: 10}}}}
    volume_breaks: {{skus: {{SKU-A: [{{min_qty: 10, percent_off: 5}}]}}}}
edi: {{mailboxes: {{}}}}
"""


@pytest.fixture
def world(
    tmp_path: Path, erp: TrytonServer, sshd: tuple[OpenSshServer, Path], shop: SandboxServer
) -> Iterator[World]:
    with MailCatcher(tmp_path / "mail") as mail:
        w = World(tmp_path, erp, sshd, shop, mail)
        client = w.flow.erp.client  # type: ignore[union-attr]
        ids = {r["code"]: r["id"] for r in client.search_read("product.product", [], ["code"])}
        [wh1] = client.search_read("stock.location", [("code", "=", "WH1")], ["storage_location"])
        lines = [{"product": ids["SKU-A"], "quantity": 200.0}, {"product": ids["SKU-C"], "quantity": 100.0}]
        inventory = client.create(
            "stock.inventory", [{"location": wh1["storage_location"], "lines": [["create", lines]]}]
        )
        client.call("model.stock.inventory.confirm", inventory)
        yield w
        w.flow.close()


def test_twenty_orders_from_the_shop_through_erp_3pl_shop_and_mail(world: World) -> None:
    normal = [world.place({"SKU-A": 2}) for _ in range(13)]
    over_ok, over_no = world.place({"SKU-A": 40}), world.place({"SKU-A": 40})
    short = world.place({"SKU-B": 8})  # the ERP has 5 in WH1: 5 allocated, 3 backordered
    unknown_sku = world.place({"SKU-ZZZ": 1})
    unknown_customer = world.place({"SKU-A": 1}, account="C999")
    partial = world.place({"SKU-C": 10})  # the 3PL has 4 of SKU-C: ships 4, then 6 when stock arrives
    rfq = world.place({"SKU-A": 12}, account="C200", tags="rfq", prices={"SKU-A": "10.00"})
    world.intake()

    assert {world.state(n) for n in normal} == {"ready_to_ship"}
    assert world.state(over_ok) == world.state(over_no) == "pending_approval"
    assert world.state(unknown_sku) == "invalid" and world.state(unknown_customer) == "on_hold"
    assert world.state(short) == "ready_to_ship" and world.state(partial) == "ready_to_ship"
    approve(world.store, over_ok, by="ops", run_id="e2e")
    reject(world.store, over_no, reason="credit check", by="ops", run_id="e2e")
    world.flow.process_orders()
    assert world.state(over_ok) == "ready_to_ship" and world.state(over_no) == "rejected"

    for _ in range(3):
        world.warehouse_round()
    world.sim.add_stock("SKU-C", 10)
    for _ in range(3):
        world.warehouse_round()

    for order_no in [*normal, over_ok, partial]:
        assert world.state(order_no) == "closed", (order_no, world.state(order_no))
    assert world.state(short) in ("invoiced", "partially_shipped")  # 5 of 8 shipped, 3 on backorder

    # Tryton: one sale per order (two for an order split over warehouses), stock down by what shipped
    erp = world.flow.erp
    sale = erp.sale(normal[0])  # type: ignore[union-attr]
    assert sale is not None and sale.state in ("processing", "done") and sale.invoice_ids
    stock = erp.stock(["SKU-A"])["SKU-A"]  # type: ignore[union-attr]
    assert stock["WH1"] + stock.get("WH2", 0) == Decimal(200 + 10 - 13 * 2 - 40)
    assert erp.sale(unknown_sku) is None and erp.sale(over_no) is None  # type: ignore[union-attr]

    # the 3PL's SFTP folders: every request picked up, every confirmation archived, nothing in error
    root = world.root
    picked = sorted(p.name for p in (root / "to_3pl" / "processed").iterdir())
    assert len(picked) == 13 + 1 + 1 + 1  # normal, approved, short, partial
    archived = [p for p in (root / "archive").rglob("*.csv")]
    assert len(archived) == len(picked) + 1  # the partial order shipped twice
    assert not (root / "error").exists() or not list((root / "error").iterdir())

    # the shop: tagged, fulfilled with tracking (twice for the partial order), quote priced back
    first = world.shop_order(normal[0])
    assert "ready-to-ship" in first["tags"] and first["fulfillment_status"] == "fulfilled"
    assert first["fulfillments"][0]["tracking_numbers"]
    assert len(world.shop_order(partial)["fulfillments"]) == 2
    notes = {a["name"]: a["value"] for a in world.shop_order(rfq)["note_attributes"]}
    # 12.50 list, 10% off for C200 = 11.25, then 5% off from 10 units = 10.6875 -> 10.69 a unit, x 12
    assert notes["quote_total"] == "128.28" and "SKU-A x 12 @ 10.69" in notes["quote"], notes

    # mail: confirmations and shipping notices to customers, the approver asked twice
    subjects = [m["Subject"] for m in world.mail.messages()]
    assert sum("confirmed" in s for s in subjects) == 13 + 1 + 1 + 1
    assert sum("shipped" in s for s in subjects) == 13 + 1 + 1 + 2
    assert sum(m["To"] == "approver@example.com" for m in world.mail.messages()) == 2

    # a return of a normal order: RMA in the ERP, expected at the 3PL, received, refunded
    returned = normal[1]
    ret = Return.model_validate({"rma_no": "RMA-1", "order_no": returned, "lines": [
        {"sku": "SKU-A", "quantity": {"value": 1}, "condition": "new"}]})  # fmt: skip
    assert world.flow.returns.request(ret) == "awaiting_receipt"  # type: ignore[union-attr]
    world.warehouse_round()
    assert {a["name"]: a["value"] for a in world.shop_order(returned)["note_attributes"]}[
        "return RMA-1"
    ] == "refunded"

    # the 3PL's stock count becomes the ERP's on-hand at the warehouse it runs
    world.sim.send_inventory()
    world.warehouse_round()
    counted = world.sim.stock["SKU-C"]  # type: ignore[index]
    assert erp.stock(["SKU-C"])["SKU-C"]["WH1"] == counted  # type: ignore[union-attr]

    # lineage: each hop with the ids of every system
    lineage = record_lineage(world.store, "order", normal[0])
    assert lineage is not None
    states = [h["changes"]["state"][1] for h in lineage["history"] if h["action"] == "state"]
    assert states == ["received", "approved", "allocated", "quoted", "confirmed", "ready_to_ship", "shipped",
                      "invoiced", "closed"]  # fmt: skip
    correlation: dict[str, Any] = {}
    for h in lineage["history"]:
        correlation.update(h.get("correlation") or {})
    for key in ("shop_order_id", "erp_sale_id", "fulfilment_requests", "shipment_no", "tracking", "invoices"):
        assert key in correlation, (key, correlation)
