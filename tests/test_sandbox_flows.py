"""Products and customers across the SaaS stand-ins (PIM, CRM, shop) with the ERP as a file drop,
checked directly against the stand-ins' own APIs; a second sync changes nothing; 20% faults on
every stand-in give the same end state with nothing duplicated."""

from __future__ import annotations

import csv
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import requests

from connectors import build_connector
from hub.cli_common import load_all
from hub.engine import SyncStats, sync_entity
from hub.reports.failures import list_failures
from hub.store import Store
from sandbox.common.server import free_port
from sandbox.runner import CREDENTIALS, ENV, Sandboxes
from tests.conftest import ROOT

pytestmark = pytest.mark.slow
API = "/admin/api/2024-10"


def _project(dest: Path, sandboxes: Sandboxes, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    dest.mkdir(parents=True)
    text = (ROOT / "hub.sandbox.yaml").read_text()
    for name, port in (("shop", 18081), ("crm", 18082), ("pim", 18083)):
        text = text.replace(f"http://127.0.0.1:{port}", sandboxes.servers[name].url)
    # quick retries for the fault runs; the limits themselves are scaled up by fast_limits
    text = text.replace("      rate_per_second: 2\n", "      rate_per_second: 40\n      backoff: 0.05\n")
    # small pages: many more calls to the CRM and the PIM, so their faults are really exercised
    text = text.replace(
        "      values_format: flat\n", "      values_format: flat\n      page_size: 10\n      backoff: 0.05\n"
    )
    text = text.replace(
        "      access_token: {env: HUB_CRM_ACCESS_TOKEN}\n",
        "      access_token: {env: HUB_CRM_ACCESS_TOKEN}\n      page_size: 10\n",
    )
    (dest / "hub.yaml").write_text(text)
    shutil.copytree(ROOT / "mappings", dest / "mappings")
    shutil.copytree(ROOT / "sandbox" / "data", dest / "sandbox" / "data")
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("HUB_DATABASE_URL", db_url)
    return dest


def _sync(project: Path, run_id: str) -> list[SyncStats]:
    cfg, mappings = load_all(project / "hub.yaml")
    connectors = {name: build_connector(cfg, name) for name in cfg.systems}
    store = Store(cfg.database_url)
    return [
        s
        for entity in ("product", "customer")
        for s in sync_entity(store, mappings[entity], connectors, run_id)
    ]


def _shop_all(url: str, kind: str) -> list[dict[str, Any]]:
    headers = {"X-Shopify-Access-Token": CREDENTIALS["shop"]["access_token"]}
    found, next_url = [], f"{url}{API}/{kind}.json?limit=250"
    while next_url:
        response = requests.get(next_url, headers=headers, timeout=30)
        response.raise_for_status()
        found += response.json()[kind]
        next_url = response.links.get("next", {}).get("url")
    return found


def _pim_products(url: str) -> list[dict[str, Any]]:
    pim = CREDENTIALS["pim"]
    token = requests.post(
        f"{url}/api/oauth/v1/token",
        auth=(pim["client_id"], pim["secret"]),
        timeout=30,
        json={"grant_type": "password", "username": pim["username"], "password": pim["password"]},
    )
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    found, next_url = [], f"{url}/api/rest/v1/products?limit=100&pagination_type=search_after"
    while next_url:
        body = requests.get(next_url, headers=headers, timeout=30).json()
        found += body["_embedded"]["items"]
        next_url = body["_links"].get("next", {}).get("href")
    return found


def _end_state(sandboxes: Sandboxes) -> dict[str, Any]:
    shop = sandboxes.servers["shop"].url
    products = _shop_all(shop, "products")
    customers = _shop_all(shop, "customers")
    return {
        "skus": Counter(v["sku"] for p in products for v in p["variants"]),
        "products": sorted((v["sku"], p["title"], v["price"]) for p in products for v in p["variants"]),
        "accounts": Counter(c.get("note") for c in customers),
        "customers": sorted((c.get("note"), c["email"]) for c in customers),
    }


def _run(
    tmp: Path, monkeypatch: pytest.MonkeyPatch, fault_rate: float
) -> tuple[dict[str, Any], list[SyncStats], list[SyncStats], Sandboxes, Path]:
    ports = {name: free_port() for name in ("shop", "crm", "pim", "mail")}
    sandboxes = Sandboxes(tmp / "var", ports, fast_limits=True).start()
    sandboxes.seed(tmp / "data" if (tmp / "data").exists() else ROOT / "sandbox" / "data")
    project = _project(tmp / "project", sandboxes, f"sqlite:///{tmp / 'hub.db'}", monkeypatch)
    if fault_rate:
        for name in ("shop", "crm", "pim"):
            requests.post(
                f"{sandboxes.servers[name].url}/__sandbox/faults",
                timeout=10,
                json={"rate": fault_rate, "seed": 11, "timeout_s": 1.0, "retry_after": 0.05},
            ).raise_for_status()
    first = _sync(project, "first")
    second = _sync(project, "second")
    for name in ("shop", "crm", "pim"):
        requests.post(f"{sandboxes.servers[name].url}/__sandbox/faults", json={"rate": 0}, timeout=10)
    return _end_state(sandboxes), first, second, sandboxes, project


def test_products_and_customers_reach_the_shop_and_a_second_sync_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state, first, second, sandboxes, project = _run(tmp_path, monkeypatch, 0.0)
    try:
        by = {(s.entity, s.system, s.stage): s for s in first}
        assert by[("product", "pim", "ingest")].created > 30
        pim = {p["identifier"] for p in _pim_products(sandboxes.servers["pim"].url)}
        failed = {
            f["key"]
            for f in list_failures(Store(f"sqlite:///{tmp_path / 'hub.db'}"), entity="product")
            if f["system"] == "pim"
        }
        valid = pim - failed
        prices = {
            row["code"]: row["list_price"]
            for row in csv.DictReader((project / "sandbox/data/erp/product/products.csv").open())
        }
        shop = {sku: (title, price) for sku, title, price in state["products"]}
        assert valid and valid <= set(shop), sorted(valid - set(shop))
        for sku in valid:
            pim_name = next(p for p in _pim_products(sandboxes.servers["pim"].url) if p["identifier"] == sku)
            assert shop[sku][0] == pim_name["values"]["name"][0]["data"]
            if sku in prices and float(prices[sku]) > 0:
                assert float(shop[sku][1]) == float(prices[sku])
        assert all(n == 1 for n in state["skus"].values()), "duplicate SKU in the shop"
        assert by[("customer", "crm", "ingest")].created > 10
        assert all(n == 1 for n in state["accounts"].values()), "duplicate account in the shop"
        for stats in second:
            assert (stats.created, stats.updated, stats.delivered) == (0, 0, 0), stats.to_dict()
    finally:
        sandboxes.stop()


def test_twenty_percent_faults_on_every_stand_in_give_the_same_end_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clean, *_rest, sandboxes, _ = _run(tmp_path / "clean", monkeypatch, 0.0)
    sandboxes.stop()
    faulty, _first, _second, sandboxes, _ = _run(tmp_path / "faulty", monkeypatch, 0.2)
    try:
        counts = {
            name: requests.get(f"{s.url}/__sandbox/faults", timeout=10).json()["counts"]
            for name, s in sandboxes.servers.items()
        }
        injected = sum(n for c in counts.values() for kind, n in c.items() if kind != "ok")
        assert injected >= 20 and all(len(c) > 1 for c in counts.values()), (
            counts
        )  # faults hit every stand-in
        assert faulty["products"] == clean["products"]
        assert faulty["customers"] == clean["customers"]
        assert all(n == 1 for n in faulty["skus"].values()) and all(
            n == 1 for n in faulty["accounts"].values()
        )
        print(f"\nfaults injected: {counts}")
    finally:
        sandboxes.stop()
