"""The order-to-cash world the crash points run in: a real trytond, OpenSSH SFTP mailboxes (the 3PL's and the EDI
partner's), the shop sandbox, the 3PL and partner simulators, and the hub's own SQLite store and hub.yaml.

Two worlds (reference, crashed) share the sshd and the trytond (reset between them); each has its own shop,
folders and store. ``snapshot()`` is what a crash must not change: per order its state, its Tryton sales,
shipments and invoices, its 3PL requests and the shop's fulfilments, and every EDI document either side holds.
"""

from __future__ import annotations

import getpass
import shutil
import subprocess
import sys
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa
import yaml

from connectors.sftp import SftpMailbox, SftpSettings
from connectors.x12.partners import load_partners
from connectors.x12.validate import validate_bytes
from sandbox.common import SandboxServer
from sandbox.edi_partner import PartnerSimulator
from sandbox.edi_partner.simulator import PoLine
from sandbox.sftp import generate_keypair
from sandbox.shop import create_app
from sandbox.threepl import ThreePLSimulator
from sandbox.tryton.server import TrytonServer
from tests.tryton_o2c.builders import BIGBOX_PROFILE as PROFILE

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "shpat_chaos"
PRICES = {"SKU-A": "12.50", "SKU-B": "40.00", "SKU-C": "3.00"}
ADDRESS = {"name": "Pat Buyer", "address1": "1 Main St", "city": "Springfield", "zip": "62701",
           "province_code": "IL", "country": "United States"}  # fmt: skip
REFERENCE_AT = {"BAK": 3, "BSN": 2, "BIG": 2, "BIA": 3, "AK1": 2}  # the document's own number per set


@dataclass
class Services:
    erp: TrytonServer
    sftp: dict[str, Any]  # SftpSettings fields but root


def start_services(workdir: Path, stack: ExitStack, lanes: int = 1) -> list[Services]:
    """An sshd, and a trytond with the o2c test data per lane (two lanes: the reference and the crashed
    world run side by side, each on its own trytond; one lane: one trytond, reset between the worlds, with
    a standby server for a quick reset). All stopped when ``stack`` closes."""
    from sandbox.tryton.bootstrap import TrytonUnavailable
    from tests.needs import missing
    from tests.sftp.openssh import OpenSshServer, sshd_missing_reason

    reason = sshd_missing_reason()
    if reason is not None:
        missing("sftp", reason)
    key = workdir / "hub_key"
    sshd = OpenSshServer(_fresh(workdir / "sshd"), generate_keypair(key)).start()
    stack.callback(sshd.stop)
    sftp = {"host": sshd.host, "port": sshd.port, "user": getpass.getuser(), "key_path": str(key),
            "host_key": sshd.host_key_line, "retries": 2, "retry_wait": 0.05}  # fmt: skip
    services = []
    for _ in range(lanes):
        erp = TrytonServer(ROOT / "var", standby=lanes == 1)
        try:
            erp.start()
        except TrytonUnavailable as exc:
            missing("tryton", f"Tryton cannot run: {exc}")
        stack.callback(erp.stop)
        services.append(Services(erp, sftp))
    return services


def load_erp(erp: TrytonServer) -> None:
    """The o2c test data (catalogue, customers C100/C200, stock, price list) into the current database."""
    from connectors.tryton import TrytonResource
    from tests.tryton_o2c.conftest import load_data

    resource = TrytonResource(url=erp.url, database=erp.database, user=erp.user, password=erp.password,
                              backoff=0.01, attempts=8)  # fmt: skip
    load_data(resource.connector("erp"))


def _fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


class World:
    def __init__(self, root: Path, services: Services) -> None:
        self.root, self.services = _fresh(root), services
        shutil.copytree(ROOT / "mappings", root / "mappings", ignore=shutil.ignore_patterns("partners"))
        (root / "mappings/partners").mkdir()
        (root / "mappings/partners/bigbox.yaml").write_text(yaml.safe_dump(PROFILE))
        self.shop = SandboxServer(create_app(root / "shop.db", TOKEN, "whsec", leak_rate=1000.0), name="shop")
        self.shop.start()
        self.api = f"{self.shop.url}/admin/api/2024-10"
        for sku, price in PRICES.items():
            body = {"product": {"title": sku, "variants": [{"sku": sku, "price": price}]}}
            self._shop("post", "products.json", json=body)
        self.threepl_sftp = {**services.sftp, "root": str(_fresh(root / "3pl"))}
        self.edi_sftp = {**services.sftp, "root": str(_fresh(root / "edi-bigbox"))}
        self.config = root / "hub.yaml"
        self.config.write_text(yaml.safe_dump(self._config()))
        self.secrets = {"CHAOS_SHOP_TOKEN": TOKEN, "CHAOS_TRYTON_PASSWORD": services.erp.password}
        self.sim = ThreePLSimulator(SftpMailbox(SftpSettings(**self.threepl_sftp)), seed=1, warehouse="WH1")
        profile = load_partners(root / "mappings/partners")["bigbox"]
        self.partner = PartnerSimulator(
            SftpMailbox(SftpSettings(**self.edi_sftp)), profile, acknowledge=False
        )
        self.pos = 0
        self.log = root / "children.log"

    def _config(self) -> dict[str, Any]:
        erp = self.services.erp

        def files(name: str) -> dict[str, Any]:
            return {"connector": "files", "settings": {"inbox": f"in/{name}", "outbox": f"out/{name}"}}

        return {
            "store": {"url": f"sqlite:///{self.root / 'hub.db'}"},
            "mappings": "mappings",
            "entities": ["product", "customer", "stock", "order"],
            "systems": {
                "shop": {"role": "shop", "connector": "shopify", "settings": {
                    "shop_url": self.shop.url, "access_token": {"env": "CHAOS_SHOP_TOKEN"},
                    "rate_per_second": 1000.0, "backoff": 0.05}},
                "erp": {"role": "erp", "connector": "tryton", "settings": {
                    "url": erp.url, "database": erp.database, "user": erp.user,
                    "password": {"env": "CHAOS_TRYTON_PASSWORD"}}},
                "crm": {"role": "crm", **files("crm")},
                "pim": {"role": "pim", **files("pim")},
                "wms": {"role": "3pl", **files("wms")},
            },
            "orders": {"unknown_customer": "hold", "price_tolerance_pct": 2,
                       "allocation": {"rule": "split", "warehouses": ["WH1", "WH2"]}},
            "threepl": {"warehouses": ["WH1", "WH2"], "mailbox": {"sftp": self.threepl_sftp}},
            "returns": {"warehouse": "WH1"},
            "edi": {"mailboxes": {"bigbox": {"sftp": self.edi_sftp}}},
        }  # fmt: skip

    # -- what the outside world does ---------------------------------------------------------------------
    def act(self, action: str) -> None:
        if action == "place":
            items = [{"sku": "SKU-A", "quantity": 1, "price": PRICES["SKU-A"]}]
            customer = {"email": "c100@example.com", "note": "account:C100"}
            self._shop("post", "orders.json", json={"order": {
                "email": "c100@example.com", "line_items": items, "customer": customer,
                "shipping_address": ADDRESS, "billing_address": ADDRESS}})  # fmt: skip
        elif action == "po":
            self.pos += 1
            self.partner.send_850(f"PO-{self.pos}", [PoLine("012345678905", Decimal(1), Decimal("12.50"))])
        elif action == "tick":
            self.sim.tick()
        elif action.startswith("run:"):
            self.run(action[4:])
        else:
            raise ValueError(f"unknown action {action!r}")

    def run(self, step: str, *, kill_at: str | None = None) -> int:
        """One hub command in a child process; its exit code (-9: killed by SIGKILL)."""
        from tests.chaos.crashes import child_env

        if step == "edi":
            cmd = [sys.executable, "-m", "hub.cli", "edi", "process", "bigbox", "--format", "json"]
        else:
            cmd = [sys.executable, "-m", "tests.chaos.crashes", "--child", step]
        env = child_env(self.config, self.secrets, kill_at)
        with self.log.open("a") as log:
            log.write(f"\n== {step} kill_at={kill_at}\n")
            log.flush()
            done = subprocess.run(
                cmd, env=env, cwd=self.root, stdout=log, stderr=log, timeout=300, check=False
            )
        return done.returncode

    def _shop(self, method: str, path: str, **kwargs: Any) -> Any:
        got = requests.request(method, f"{self.api}/{path}", headers={"X-Shopify-Access-Token": TOKEN},
                               timeout=10, **kwargs)  # fmt: skip
        got.raise_for_status()
        return got.json()

    # -- the state a crash must not change ---------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        compare: dict[str, list[Any]] = {}
        duplicates: list[str] = []
        engine = sa.create_engine(f"sqlite:///{self.root / 'hub.db'}", poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            q = lambda sql: sorted(tuple(r) for r in conn.execute(sa.text(sql)))  # noqa: E731
            compare["orders"] = q("select order_no, state from order_state")
            compare["ledger"] = q("select direction, set_id, coalesce(reference, ''), coalesce(order_no, ''), "
                                  "status, coalesce(ack_status, '') from edi_documents")  # fmt: skip
            compare["interchanges"] = q("select direction, status, substr(file, 1, 4) from edi_interchanges")
            compare["failures"] = q("select entity, key, system, stage, status from failures")
            duplicates += [f"EDI ledger {r}" for r in q(
                "select set_id, reference, count(*) from edi_documents where direction = 'out' "
                "group by set_id, reference having count(*) > 1")]  # fmt: skip
        engine.dispose()
        compare["sales"], dup = self._tryton()
        duplicates += dup
        compare["3pl"], dup = self._threepl()
        duplicates += dup
        orders = self._shop("get", "orders.json", params={"status": "any", "limit": 250})["orders"]
        compare["shop"] = sorted((o["name"], len(o.get("fulfillments") or []), o.get("fulfillment_status") or "",
                                  "ready-to-ship" in (o.get("tags") or "")) for o in orders)  # fmt: skip
        compare["edi_files"], dup, reused = self._edi()
        duplicates += dup
        return {"compare": compare, "duplicates": duplicates, "reused": reused}

    def _tryton(self) -> tuple[list[Any], list[str]]:
        from connectors.tryton import TrytonResource

        erp = self.services.erp
        client = TrytonResource(url=erp.url, database=erp.database, user=erp.user, password=erp.password,
                                backoff=0.01, attempts=8).connector("erp").client  # fmt: skip
        fields = [
            "reference",
            "state",
            "warehouse",
            "shipments",
            "invoices",
            "shipment_state",
            "invoice_state",
        ]
        sales = client.search_read("sale.sale", [], fields)
        per = Counter((s["reference"], s["warehouse"]) for s in sales)
        dup = [f"Tryton sale {ref} x{n}" for (ref, _), n in per.items() if n > 1]
        rows = sorted((s["reference"] or "", s["state"], len(s["shipments"]), len(s["invoices"]),
                       s["shipment_state"], s["invoice_state"]) for s in sales)  # fmt: skip
        return rows, dup

    def _threepl(self) -> tuple[list[Any], list[str]]:
        """Request files the 3PL can see (outbox + processed + refused), confirmations, ledger leftovers."""
        root = Path(self.threepl_sftp["root"])
        requests_seen = Counter(
            p.name.split(".")[0] for p in (root / "to_3pl").rglob("FR_*") if not p.name.endswith(".part")
        )
        dup = [f"3PL request {name} x{n}" for name, n in requests_seen.items() if n > 1]
        rows: list[Any] = [("request", name) for name in sorted(requests_seen)]
        rows += [(f"{p.relative_to(root).parts[0]}", p.name) for p in sorted(root.rglob("SC_*"))]
        rows += [("stray", str(p.relative_to(root))) for p in root.rglob("*.part")]
        rows += [("pending", p.name) for p in (root / "sent/pending").glob("*")]
        return sorted(rows), dup

    def _edi(self) -> tuple[list[Any], list[str], list[str]]:
        """What the partner received (set id, reference) and which control numbers came more than once."""
        root = Path(self.edi_sftp["root"])
        docs: Counter[tuple[str, str]] = Counter()
        numbers: Counter[tuple[str, str]] = Counter()
        for path in sorted((root / "inbound").glob("*")):
            if path.name.endswith(".part"):
                docs[("stray .part", path.name)] += 1
                continue
            _, result = validate_bytes(path.read_bytes())
            for ic in result.interchanges:
                numbers[("ISA13", ic.control_number)] += 1
                for group in ic.groups:
                    numbers[("GS06", group.control_number)] += 1
                    for txn in group.transactions:
                        numbers[("ST02", txn.control_number)] += 1
                        docs[(txn.set_id, _reference(ic.interchange.segments, txn.start))] += 1
        dup = [f"EDI {set_id} {ref} sent x{n}" for (set_id, ref), n in docs.items() if n > 1]
        reused = [f"{kind} {value} used x{n}" for (kind, value), n in numbers.items() if n > 1]
        rows: list[Any] = sorted(docs.elements())
        for folder in ("outbound", "archive", "error"):
            rows += sorted((folder, p.name) for p in (root / folder).rglob("850_*"))
        return rows, dup, reused

    def close(self) -> None:
        self.sim.mailbox.close()
        self.partner.mailbox.close()
        self.shop.stop()

    def __enter__(self) -> World:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _reference(segments: list[tuple[str, ...]], start: int) -> str:
    for seg in segments[start + 1 : start + 4]:
        at = REFERENCE_AT.get(seg[0])
        if at is not None and len(seg) > at:
            return seg[at].strip()
    return "?"
