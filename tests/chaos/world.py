"""Every system up for a chaos scenario: the shop, CRM and PIM stand-ins, a real Tryton, the mail catcher and
the embedded SFTP server (the 3PL's and a trading partner's mailboxes), seeded, with the hub configured against
them (hub.sandbox.yaml on free ports), its order flow built, and the 3PL and EDI partner simulators on the far
side of the mailboxes.

The world also holds the fault switches: the stand-ins' ``/__sandbox/faults``, the SFTP server's transfer cuts
and client-side faults on every Tryton connection the hub opens (trytond has no fault switch of its own).
Only the hub's side sees faults: the simulators read their mailboxes as local folders, and the scenario's own
reads and writes run with faults off.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests

from connectors import build_connector, resource_for
from connectors.mailbox import LocalMailbox
from connectors.x12.partners import load_partners
from hub.cli_common import load_all
from hub.engine.ports import Connector, OutboundRecord
from hub.errors import FatalError
from hub.store import Store
from hub.workflows.wiring import OrderFlow, build_order_flow
from sandbox.common.server import free_port
from sandbox.edi_partner import PartnerSimulator
from sandbox.runner import CREDENTIALS, DATA, ENV, Sandboxes
from sandbox.threepl import ThreePLSimulator
from tests.contract.test_tryton import RandomFaults
from tests.test_sandbox_flows import _shop_all

ROOT = Path(__file__).resolve().parents[2]
API = "/admin/api/2024-10"
STANDINS = ("shop", "crm", "pim")
PARTNER = "acme"


@dataclass
class FaultSwitch:
    """The fault settings of one scenario; ``rate`` 0 is the clean run."""

    rate: float
    seed: int = 11
    kinds: list[str] = field(default_factory=lambda: ["429", "500", "502", "503", "timeout", "drop"])
    cut_after_bytes: int = 64  # SFTP: cut this far into a file (the scenario's files are small)


class World:
    """All systems up under ``workdir``; ``close()`` stops them. One world per run (clean or faulty)."""

    def __init__(self, workdir: Path, faults: FaultSwitch) -> None:
        self.workdir, self.faults = workdir, faults
        workdir.mkdir(parents=True, exist_ok=True)
        ports = {name: free_port() for name in ("shop", "crm", "pim", "mail", "erp", "sftp")}
        self.sandboxes = Sandboxes(
            workdir / "var", ports, fast_limits=True, with_erp=True, tryton_cache=ROOT / "var"
        )
        self.sandboxes.start()
        self._saved_env = {k: os.environ.get(k) for k in (*ENV, "HUB_DATABASE_URL")}
        try:
            if self.sandboxes.erp is None:
                raise FatalError(f"Tryton cannot run here: {self.sandboxes.erp_error}")
            self.seeded = self.sandboxes.seed(DATA)
            self.project = self._project(workdir / "project")
            self.config, self.mappings = load_all(self.project / "hub.yaml")
            self.store = Store(self.config.database_url)
            self.erp_admin = self.sandboxes.erp_connector()  # the scenario's own, fault-free
            self._add_partner_customer()
            self.tryton_faults = [RandomFaults(0.0, seed=faults.seed + n) for n in range(2)]
            self.sync_connectors = self._sync_connectors()
            self.flow: OrderFlow = build_order_flow(self.config, self.store, run_id="chaos")
            if faults.rate:
                self.flow.erp.client.http.mount("http://", self.tryton_faults[1])  # type: ignore[union-attr]
            self.shop_orders = resource_for(self.config, "shop", dagster=False).connector("shop")
            sftp_root = self.sandboxes.sftp_root
            self.threepl_root = sftp_root / "3pl"
            self.sim = ThreePLSimulator(LocalMailbox(self.threepl_root), seed=5)
            self.profile = load_partners(self.config.partners_dir)[PARTNER]
            self.partner = PartnerSimulator(LocalMailbox(sftp_root / "edi" / PARTNER), self.profile)
        except BaseException:
            self.close()
            raise

    # -- building --------------------------------------------------------------------------------------
    def _project(self, dest: Path) -> Path:
        """hub.sandbox.yaml on this world's ports, quick back-offs, small pages (more calls to fault)."""
        (dest / "var").mkdir(parents=True)
        servers, erp = self.sandboxes.servers, self.sandboxes.erp
        assert erp is not None
        text = (ROOT / "hub.sandbox.yaml").read_text()
        for name, port in (("shop", 18081), ("crm", 18082), ("pim", 18083)):
            text = text.replace(f"http://127.0.0.1:{port}", servers[name].url)
        text = text.replace("http://127.0.0.1:18069/", erp.url)
        text = text.replace("port: 18025,", f"port: {self.sandboxes.mail.port},")
        text = re.sub(
            r"      rate_per_second: .*\n", "      rate_per_second: 40\n      backoff: 0.05\n", text
        )
        text = text.replace(
            "      values_format: flat\n",
            "      values_format: flat\n      page_size: 10\n      backoff: 0.05\n",
        )
        text = text.replace(
            "      access_token: {env: HUB_CRM_ACCESS_TOKEN}\n",
            "      access_token: {env: HUB_CRM_ACCESS_TOKEN}\n      page_size: 10\n",
        )
        # the connector's default tries (5), quicker: at 30% a call still fails for good now and then
        text = text.replace(
            "      password: {env: HUB_TRYTON_PASSWORD}\n",
            "      password: {env: HUB_TRYTON_PASSWORD}\n      backoff: 0.02\n",
        )
        text = re.sub(r"root: (/[\w/]+)\}", r"root: \1, retry_wait: 0.05}", text)
        # the order inbox's retry wait, shortened like the rest of the schedule (30 s, doubling, by default)
        text = text.replace(
            "  unknown_customer: hold\n", "  unknown_customer: hold\n  retry_delay_seconds: 1\n"
        )
        (dest / "hub.yaml").write_text(text)
        shutil.copytree(ROOT / "mappings", dest / "mappings")
        shutil.copytree(ROOT / "sandbox" / "data", dest / "sandbox" / "data")
        os.environ.update(ENV)
        os.environ["HUB_DATABASE_URL"] = f"sqlite:///{dest / 'var' / 'hub.db'}"
        return dest

    def _add_partner_customer(self) -> None:
        code = self.profile_customer()
        record = OutboundRecord(code, None, {"code": code, "name": "ACME Retail Corp.", "payment_term": "net30"},
                                "create")  # fmt: skip
        self.erp_admin.write("customer", [record])

    def profile_customer(self) -> str:
        return load_partners(self.config.partners_dir)[PARTNER].customer_no or "ACME-001"

    def _sync_connectors(self) -> dict[str, Connector]:
        connectors = {name: build_connector(self.config, name) for name in self.config.systems}
        client = getattr(connectors["erp"], "client", None)
        if self.faults.rate and client is not None:
            client.http.mount("http://", self.tryton_faults[0])
        return connectors

    # -- fault switches --------------------------------------------------------------------------------
    def faults_on(self, seed: int) -> None:
        """Faults on every system for the hub's work (a fresh seed per pass, so passes differ)."""
        rate = self.faults.rate
        if not rate:
            return
        body = {"rate": rate, "seed": seed, "kinds": self.faults.kinds, "timeout_s": 0.2, "retry_after": 0.05}
        for name in STANDINS:
            url = self.sandboxes.servers[name].url
            requests.post(f"{url}/__sandbox/faults", json=body, timeout=10).raise_for_status()
        self.sandboxes.sftp.faults.configure(
            cut_rate=rate, seed=seed, cut_after_bytes=self.faults.cut_after_bytes
        )
        for n, adapter in enumerate(self.tryton_faults):
            adapter.rate = rate
            adapter.random.seed(seed * 10 + n)

    def faults_off(self) -> None:
        """No faults for the scenario's own work (new orders, the end state); the counts are kept."""
        for name in STANDINS:
            url = self.sandboxes.servers[name].url
            requests.post(f"{url}/__sandbox/faults", json={"rate": 0}, timeout=10).raise_for_status()
        self.sandboxes.sftp.faults.configure(cut_rate=0.0)
        for adapter in self.tryton_faults:
            adapter.rate = 0.0

    def fault_counts(self) -> dict[str, dict[str, int]]:
        """Per system: requests (or transfers, or calls) seen and faults injected, by kind."""
        out: dict[str, dict[str, int]] = {}
        for name in STANDINS:
            url = self.sandboxes.servers[name].url
            counts = requests.get(f"{url}/__sandbox/faults", timeout=10).json()["counts"]
            out[name] = {"requests": sum(counts.values()), **{k: v for k, v in counts.items() if k != "ok"}}
        tryton: dict[str, int] = {}
        for adapter in self.tryton_faults:
            for kind, n in adapter.counts.items():
                tryton[kind] = tryton.get(kind, 0) + n
        out["erp"] = {"requests": sum(tryton.values()), **{k: v for k, v in tryton.items() if k != "ok"}}
        sftp = dict(self.sandboxes.sftp.faults.counts)
        out["sftp"] = {"requests": sftp.get("transfers", 0), "cut": sftp.get("cut", 0)}
        return out

    # -- the scenario's own access (no faults) -------------------------------------------------------
    def shop(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"X-Shopify-Access-Token": CREDENTIALS["shop"]["access_token"]}
        url = f"{self.sandboxes.servers['shop'].url}{API}/{path}"
        response = requests.request(method, url, headers=headers, timeout=30, **kwargs)
        response.raise_for_status()
        return response

    def shop_all(self, kind: str, query: str = "") -> list[dict[str, Any]]:
        return _shop_all(self.sandboxes.servers["shop"].url, kind, query)

    def crm(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {CREDENTIALS['crm']['access_token']}"}
        url = f"{self.sandboxes.servers['crm'].url}/crm/v3/{path}"
        response = requests.request(method, url, headers=headers, timeout=30, **kwargs)
        response.raise_for_status()
        return response

    def pim_seed(self, products: list[dict[str, Any]]) -> dict[str, Any]:
        url = f"{self.sandboxes.servers['pim'].url}/__sandbox/seed"
        response = requests.post(url, json={"products": products}, timeout=30)
        response.raise_for_status()
        return dict(response.json())

    def erp_rows(self, model: str, domain: list[Any], fields: list[str]) -> list[dict[str, Any]]:
        return list(self.erp_admin.client.search_read(model, domain, fields))

    def set_erp_price(self, sku: str, price: Decimal) -> None:
        [row] = self.erp_rows("product.product", [("code", "=", sku)], ["template"])
        self.erp_admin.client.write("product.template", ([row["template"]], {"list_price": price}))

    def close(self) -> None:
        flow = getattr(self, "flow", None)
        if flow is not None:
            flow.close()
        store = getattr(self, "store", None)
        if store is not None:
            store.dispose()
        self.sandboxes.stop()
        for key, value in getattr(self, "_saved_env", {}).items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
