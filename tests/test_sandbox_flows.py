"""Products, customers and stock across the sandbox profile (`hub.sandbox.yaml`): the PIM, CRM and shop
stand-ins and the real Tryton ERP, checked directly against each system's own API (shop REST, PIM
REST, Tryton JSON-RPC). A second sync changes nothing; 20% faults on every system (the stand-ins'
fault switch, and client-side faults on the hub's Tryton connection) give the same end state with
nothing duplicated.

Tryton starts from the template cached under the repo's ``var/tryton/``. Without Tryton the profile's
ERP is switched back to the file drop and the ERP-specific test skips (``HUB_REQUIRE_TRYTON=1`` fails).
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
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
from tests.contract.test_tryton import RandomFaults

pytestmark = pytest.mark.slow
API = "/admin/api/2024-10"
ENTITIES = ("product", "customer", "stock")
LOCATIONS = {"61000001": "WH-EAST", "61000002": "WH-WEST"}  # mappings/stock.yaml shop_locations
TRYTON_WAREHOUSES = {"WH1": "WH-EAST", "WH2": "WH-WEST"}  # mappings/stock.yaml erp_warehouses
ERP_FILES = "    connector: files\n    settings: {inbox: sandbox/data/erp, outbox: var/outbox/erp}\n"


def _project(dest: Path, sandboxes: Sandboxes, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    dest.mkdir(parents=True)
    text = (ROOT / "hub.sandbox.yaml").read_text()
    for name, port in (("shop", 18081), ("crm", 18082), ("pim", 18083)):
        text = text.replace(f"http://127.0.0.1:{port}", sandboxes.servers[name].url)
    # quick retries for the fault runs; the limits themselves are scaled up by fast_limits
    text = re.sub(r"      rate_per_second: .*\n", "      rate_per_second: 40\n      backoff: 0.05\n", text)
    # small pages: many more calls to the CRM and the PIM, so their faults are really exercised
    text = text.replace(
        "      values_format: flat\n", "      values_format: flat\n      page_size: 10\n      backoff: 0.05\n"
    )
    text = text.replace(
        "      access_token: {env: HUB_CRM_ACCESS_TOKEN}\n",
        "      access_token: {env: HUB_CRM_ACCESS_TOKEN}\n      page_size: 10\n",
    )
    if sandboxes.erp is not None:
        text = text.replace("http://127.0.0.1:18069/", sandboxes.erp.url)
        # more, quicker tries: 20% faults on every JSON-RPC call, a call fails for good only 0.2**10
        text = text.replace(
            "      password: {env: HUB_TRYTON_PASSWORD}\n",
            "      password: {env: HUB_TRYTON_PASSWORD}\n      attempts: 10\n      backoff: 0.01\n",
        )
    else:  # Tryton cannot run here: the ERP as the file drop of hub.yaml
        text = re.sub(
            r"(\n  erp:\n(?:    .*\n)*?)    connector: tryton\n    settings:\n(?:      .*\n)+",
            rf"\1{ERP_FILES}",
            text,
        )
    (dest / "hub.yaml").write_text(text)
    shutil.copytree(ROOT / "mappings", dest / "mappings")
    shutil.copytree(ROOT / "sandbox" / "data", dest / "sandbox" / "data")
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("HUB_DATABASE_URL", db_url)
    return dest


def _sync(project: Path, run_id: str, erp_faults: RandomFaults | None = None) -> list[SyncStats]:
    cfg, mappings = load_all(project / "hub.yaml")
    connectors = {name: build_connector(cfg, name) for name in cfg.systems}
    client = getattr(connectors["erp"], "client", None)
    if erp_faults is not None and client is not None:
        client.http.mount("http://", erp_faults)
    store = Store(cfg.database_url)
    try:
        return [s for entity in ENTITIES for s in sync_entity(store, mappings[entity], connectors, run_id)]
    finally:
        store.dispose()


def _shop_all(url: str, kind: str, query: str = "") -> list[dict[str, Any]]:
    headers = {"X-Shopify-Access-Token": CREDENTIALS["shop"]["access_token"]}
    found, next_url = [], f"{url}{API}/{kind}.json?limit=250{query}"
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


def _tryton_all(sandboxes: Sandboxes, entity: str) -> list[dict[str, Any]]:
    """Everything Tryton holds, read over JSON-RPC by a fresh connector (no faults)."""
    conn = sandboxes.erp_connector()
    return [r for batch in conn.read(entity, None, 500) for r in batch.records]


def _end_state(sandboxes: Sandboxes) -> dict[str, Any]:
    shop = sandboxes.servers["shop"].url
    products = _shop_all(shop, "products")
    customers = _shop_all(shop, "customers")
    sku_of = {v["inventory_item_id"]: v["sku"] for p in products for v in p["variants"]}
    levels = _shop_all(shop, "inventory_levels", "&location_ids=" + ",".join(LOCATIONS))
    state: dict[str, Any] = {
        "skus": Counter(v["sku"] for p in products for v in p["variants"]),
        "products": sorted((v["sku"], p["title"], v["price"]) for p in products for v in p["variants"]),
        "accounts": Counter(c.get("note") for c in customers),
        "customers": sorted((c.get("note"), c["email"]) for c in customers),
        "inventory": Counter(
            (sku_of.get(lv["inventory_item_id"]), LOCATIONS[str(lv["location_id"])]) for lv in levels
        ),
        "shop_stock": sorted(
            (sku_of.get(lv["inventory_item_id"]), LOCATIONS[str(lv["location_id"])], lv["available"])
            for lv in levels
        ),
    }
    if sandboxes.erp is not None:
        parties = _tryton_all(sandboxes, "customer")
        items = _tryton_all(sandboxes, "product")
        state |= {
            "erp_codes": Counter(p["code"] for p in items),
            "erp_products": sorted((p["code"], p["name"], Decimal(p["list_price"])) for p in items),
            "erp_parties": Counter(p["code"] for p in parties),
            "erp_customers": sorted((p["code"], p["name"], p["email"], p["payment_term"]) for p in parties),
            "erp_stock": sorted(
                (s["product"], TRYTON_WAREHOUSES[s["warehouse"]], Decimal(s["available_quantity"]))
                for s in _tryton_all(sandboxes, "stock")
            ),
        }
    return state


@dataclass
class Run:
    state: dict[str, Any]
    first: list[SyncStats]
    second: list[SyncStats]
    sandboxes: Sandboxes
    project: Path
    db_url: str
    seeded: dict[str, Any]
    faults: dict[str, dict[str, int]]
    seconds: float


def _run(tmp: Path, monkeypatch: pytest.MonkeyPatch, fault_rate: float) -> Run:
    started = time.monotonic()
    ports = {name: free_port() for name in ("shop", "crm", "pim", "mail", "erp", "sftp")}
    sandboxes = Sandboxes(tmp / "var", ports, fast_limits=True, with_erp=True, tryton_cache=ROOT / "var")
    sandboxes.start()
    try:
        return _sync_twice(tmp, sandboxes, monkeypatch, fault_rate, started)
    except BaseException:
        sandboxes.stop()  # no stand-in or trytond left behind by a failed run
        raise


def _sync_twice(
    tmp: Path, sandboxes: Sandboxes, monkeypatch: pytest.MonkeyPatch, fault_rate: float, started: float
) -> Run:
    """Seed, sync twice (with faults when asked), then read every system's end state."""
    if sandboxes.erp is None and os.environ.get("HUB_REQUIRE_TRYTON") == "1":
        pytest.fail(f"HUB_REQUIRE_TRYTON=1 but Tryton cannot run: {sandboxes.erp_error}")
    seeded = sandboxes.seed(tmp / "data" if (tmp / "data").exists() else ROOT / "sandbox" / "data")
    db_url = f"sqlite:///{tmp / 'hub.db'}"
    project = _project(tmp / "project", sandboxes, db_url, monkeypatch)
    erp_faults = RandomFaults(fault_rate, seed=11) if fault_rate else None
    if fault_rate:
        for name in ("shop", "crm", "pim"):
            requests.post(
                f"{sandboxes.servers[name].url}/__sandbox/faults",
                timeout=10,
                json={"rate": fault_rate, "seed": 11, "timeout_s": 1.0, "retry_after": 0.05},
            ).raise_for_status()
    first = _sync(project, "first", erp_faults)
    second = _sync(project, "second", erp_faults)
    faults = {}
    for name in ("shop", "crm", "pim"):
        url = sandboxes.servers[name].url
        requests.post(f"{url}/__sandbox/faults", json={"rate": 0}, timeout=10)
        faults[name] = requests.get(f"{url}/__sandbox/faults", timeout=10).json()["counts"]
    if erp_faults is not None and sandboxes.erp is not None:
        faults["erp"] = dict(erp_faults.counts)
    state = _end_state(sandboxes)
    return Run(state, first, second, sandboxes, project, db_url, seeded, faults, time.monotonic() - started)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """One clean run (two syncs) for the module: the checks share it, the fault test compares with it."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        run = _run(tmp_path_factory.mktemp("clean"), monkeypatch, 0.0)
        try:
            yield run
        finally:
            run.sandboxes.stop()


def _counts(state: dict[str, Any]) -> dict[str, int]:
    """Records per system, for the test output (quotable numbers)."""
    keys = ("products", "customers", "shop_stock", "erp_products", "erp_customers", "erp_stock")
    return {k: len(state[k]) for k in keys if k in state}


def test_products_customers_and_stock_agree_everywhere_and_a_second_sync_changes_nothing(clean: Run) -> None:
    run = clean
    state, sandboxes, project = run.state, run.sandboxes, run.project
    store = Store(run.db_url)
    try:
        by = {(s.entity, s.system, s.stage): s for s in run.first}
        assert by[("product", "pim", "ingest")].created > 30
        pim_products = {p["identifier"]: p for p in _pim_products(sandboxes.servers["pim"].url)}
        failed = {f["key"] for f in list_failures(store, entity="product") if f["system"] == "pim"}
        valid = set(pim_products) - failed
        prices = {
            row["code"]: Decimal(row["list_price"])
            for row in csv.DictReader((project / "sandbox/data/erp/product/products.csv").open())
        }
        shop = {sku: (title, price) for sku, title, price in state["products"]}
        assert valid and valid <= set(shop), sorted(valid - set(shop))
        for sku in valid:
            pim_name = pim_products[sku]["values"]["name"][0]["data"]
            assert shop[sku][0] == pim_name
            if prices.get(sku, 0) > 0:
                assert Decimal(shop[sku][1]) == prices[sku], sku
        assert all(n == 1 for n in state["skus"].values()), "duplicate SKU in the shop"
        assert by[("customer", "crm", "ingest")].created > 10
        assert all(n == 1 for n in state["accounts"].values()), "duplicate account in the shop"

        # shop inventory per location == ERP stock per warehouse (Tryton's, or the file drop's)
        shop_stock = {(sku, wh): Decimal(n) for sku, wh, n in state["shop_stock"]}
        assert all(n == 1 for n in state["inventory"].values()), "duplicate inventory level"
        assert len(shop_stock) >= 40 and {wh for _, wh in shop_stock} == set(LOCATIONS.values())
        if sandboxes.erp is not None:
            erp_stock = {(sku, wh): n for sku, wh, n in state["erp_stock"]}
            published = {k: v for k, v in erp_stock.items() if k[0] in shop}
            assert shop_stock == published, {
                k: (shop_stock.get(k), published.get(k))
                for k in shop_stock.keys() | published.keys()
                if shop_stock.get(k) != published.get(k)
            }

        for stats in run.second:
            assert (stats.created, stats.updated, stats.delivered) == (0, 0, 0), stats.to_dict()
        print(f"\nclean run: {run.seconds:.1f} s, records per system {_counts(state)}")
        print(f"seeded ERP: {run.seeded.get('erp')}")
        for stats in run.first:
            numbers = {k: v for k, v in stats.to_dict().items() if isinstance(v, int) and v}
            print(f"first sync {stats.entity}/{stats.system}/{stats.stage}: {numbers}")
    finally:
        store.dispose()


def test_tryton_holds_the_pim_names_the_erp_prices_and_the_account_terms(clean: Run) -> None:
    """The ERP half of the acceptance, read back over Tryton's JSON-RPC after the clean run."""
    run = clean
    if run.sandboxes.erp is None:
        pytest.skip(f"Tryton cannot run here: {run.sandboxes.erp_error}")
    state, sandboxes, project = run.state, run.sandboxes, run.project
    store = Store(run.db_url)
    try:
        pim_products = {p["identifier"]: p for p in _pim_products(sandboxes.servers["pim"].url)}
        failed = {f["key"] for f in list_failures(store, entity="product") if f["system"] == "pim"}
        valid = set(pim_products) - failed
        rows = list(csv.DictReader((project / "sandbox/data/erp/product/products.csv").open()))
        prices = {row["code"]: Decimal(row["list_price"]) for row in rows}
        erp = {code: (name, price) for code, name, price in state["erp_products"]}
        assert all(n == 1 for n in state["erp_codes"].values()), "duplicate product in Tryton"
        assert valid <= set(erp), sorted(valid - set(erp))
        for sku in valid:
            assert erp[sku][0] == pim_products[sku]["values"]["name"][0]["data"], sku
            assert erp[sku][1] == prices[sku], sku  # the hub never overwrites the ERP's own price
        assert set(erp) == {row["code"] for row in rows}, "the hub created no product in Tryton"

        terms = {"NET 30": "net30", "NET30": "net30", "NET 60": "net60", "PREPAID": "prepaid"}
        parties = list(csv.DictReader((project / "sandbox/data/erp/customer/parties.csv").open()))
        expected_terms = {p["code"]: terms.get(p["payment_term"], p["payment_term"]) for p in parties}
        crm_failed = {f["key"] for f in list_failures(store, entity="customer") if f["system"] == "crm"}
        accounts = {note.removeprefix("account:") for note in state["accounts"] if note}
        valid_accounts = {code for code in expected_terms if code not in crm_failed and code in accounts}
        customers = {code: (name, email, term) for code, name, email, term in state["erp_customers"]}
        assert all(n == 1 for n in state["erp_parties"].values()), "duplicate party in Tryton"
        assert len(valid_accounts) > 10 and valid_accounts <= set(customers)
        shop_email = {note.removeprefix("account:"): email for note, email in state["customers"] if note}
        for code in valid_accounts:
            _name, email, term = customers[code]
            assert term == expected_terms[code], code
            assert email == shop_email[code], code  # the CRM's email, in the shop and in Tryton
    finally:
        store.dispose()


def test_twenty_percent_faults_on_every_system_give_the_same_end_state(
    clean: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    faulty = _run(tmp_path / "faulty", monkeypatch, 0.2)
    try:
        counts = faulty.faults
        injected = {name: sum(n for kind, n in c.items() if kind != "ok") for name, c in counts.items()}
        assert sum(injected.values()) >= 20 and all(len(c) > 1 for c in counts.values()), counts
        assert faulty.state.keys() == clean.state.keys()
        for key in clean.state:
            assert faulty.state[key] == clean.state[key], key
        duplicates = ("skus", "accounts", "inventory", "erp_codes", "erp_parties")
        for key in duplicates:
            assert all(n == 1 for n in faulty.state.get(key, Counter()).values()), key
        print(f"\nfaults injected per system: {injected}; by kind: {counts}")
        print(
            f"records per system: {_counts(faulty.state)}; runs {clean.seconds:.1f} s / {faulty.seconds:.1f} s"
        )
    finally:
        faulty.sandboxes.stop()


def _crm(run: Run, method: str, path: str, **kwargs: Any) -> Any:
    headers = {"Authorization": f"Bearer {CREDENTIALS['crm']['access_token']}"}
    url = f"{run.sandboxes.servers['crm'].url}/crm/v3/objects/{path}"
    response = requests.request(method, url, headers=headers, timeout=30, **kwargs)
    response.raise_for_status()
    return response.json()


def test_accounts_from_the_shop_and_the_crm_onboard_everywhere_with_terms_and_segment_tags(
    clean: Run,
) -> None:
    """Runs last on the clean world: a customer registers in the shop, a new B2B account is opened in
    the CRM, an account changes segment; one sync puts each everywhere, a second changes nothing."""
    run, shop = clean, clean.sandboxes.servers["shop"].url
    headers = {"X-Shopify-Access-Token": CREDENTIALS["shop"]["access_token"]}
    registered = requests.post(
        f"{shop}{API}/customers.json",
        headers=headers,
        timeout=30,
        json={
            "customer": {
                "email": "orders@harbor-supply.example",
                "phone": "+1-555-0199",
                "addresses": [{"company": "Harbor Supply Co", "city": "Portland", "country": "US"}],
            }
        },
    )
    registered.raise_for_status()
    shop_id = registered.json()["customer"]["id"]
    _crm(
        run,
        "POST",
        "companies",
        json={
            "properties": {
                "account_number": "C10900",
                "name": "Northwind Distribution",
                "email": "ap@northwind.example",
                "segment": "distributor",
                "lifecyclestage": "customer",
            }
        },
    )
    moved = _crm(run, "GET", "companies/C10001?idProperty=account_number&properties=segment,account_number")
    before_segment = moved["properties"]["segment"]
    new_segment = "retail" if before_segment != "retail" else "wholesale"
    _crm(run, "PATCH", f"companies/{moved['id']}", json={"properties": {"segment": new_segment}})

    third = _sync(run.project, "third")
    fourth = _sync(run.project, "fourth")

    by = {(s.entity, s.system, s.stage): s for s in third}
    assert by[("customer", "shop", "ingest")].created == 1, by[("customer", "shop", "ingest")].to_dict()
    customers = {c["id"]: c for c in _shop_all(shop, "customers")}
    account = customers[shop_id]["note"].removeprefix("account:")
    assert re.fullmatch(r"W\d{5}", account), customers[shop_id]["note"]  # the hub's number, written back
    company = _crm(
        run, "GET", f"companies/{account}?idProperty=account_number&properties=name,email,payment_terms"
    )
    assert (company["properties"]["name"], company["properties"]["email"]) == (
        "Harbor Supply Co",
        "orders@harbor-supply.example",
    )
    parties = {p["code"]: p for p in _tryton_all(run.sandboxes, "customer")}
    assert (parties[account]["name"], parties[account]["payment_term"]) == ("Harbor Supply Co", "prepaid")
    assert company["properties"]["payment_terms"] == "prepaid"  # the ERP's terms, mirrored in the CRM

    # the new CRM account: a Tryton party with its segment's default terms, a shop customer tagged
    assert (
        parties["C10900"]["payment_term"] == "net30" and parties["C10900"]["name"] == "Northwind Distribution"
    )
    by_note = {c.get("note"): c for c in customers.values()}
    assert "segment:distributor" in by_note["account:C10900"]["tags"].split(", ")
    # the segment change replaces the account's segment tag in the shop
    tags = by_note["account:C10001"]["tags"].split(", ")
    assert f"segment:{new_segment}" in tags and f"segment:{before_segment}" not in tags, tags
    assert all(n == 1 for n in Counter(c.get("note") for c in customers.values()).values())
    assert all(n == 1 for n in Counter(p["code"] for p in _tryton_all(run.sandboxes, "customer")).values())

    for stats in fourth:
        assert (stats.created, stats.updated, stats.delivered) == (0, 0, 0), stats.to_dict()
