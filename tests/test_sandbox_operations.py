"""The operations acceptance on the sandbox profile: a product fixed in the PIM stand-in is resolved by
`hub retry` and its lineage shows it; a price changed in Tryton shows in `hub plan` before it is
published, and the plan writes nothing to the shop."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from hub.engine.ports import OutboundRecord
from sandbox.common.server import free_port
from sandbox.runner import CREDENTIALS, Sandboxes
from tests.conftest import ROOT
from tests.test_sandbox_flows import API, _project, _shop_all, _sync

pytestmark = pytest.mark.slow


@pytest.fixture
def running(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Sandboxes, Path]]:
    ports = {name: free_port() for name in ("shop", "crm", "pim", "mail", "erp", "sftp")}
    sandboxes = Sandboxes(
        tmp_path / "var", ports, fast_limits=True, with_erp=True, tryton_cache=ROOT / "var"
    ).start()
    try:
        if sandboxes.erp is None:
            if os.environ.get("HUB_REQUIRE_TRYTON") == "1":
                pytest.fail(f"Tryton is required: {sandboxes.erp_error}")
            pytest.skip(f"Tryton cannot run here: {sandboxes.erp_error}")
        sandboxes.seed()
        project = _project(tmp_path / "project", sandboxes, f"sqlite:///{tmp_path / 'hub.db'}", monkeypatch)
        monkeypatch.setenv("HUB_CONFIG", str(project / "hub.yaml"))
        _sync(project, "first")
        yield sandboxes, project
    finally:
        sandboxes.stop()


def hub(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )


def _pim_token(url: str) -> dict[str, str]:
    pim = CREDENTIALS["pim"]
    answer = requests.post(
        f"{url}/api/oauth/v1/token",
        auth=(pim["client_id"], pim["secret"]),
        timeout=30,
        json={"grant_type": "password", "username": pim["username"], "password": pim["password"]},
    )
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def test_fix_in_the_pim_then_retry_resolves_and_lineage_shows_it(running: tuple[Sandboxes, Path]) -> None:
    sandboxes, _ = running
    failures = json.loads(hub("failures", "--entity", "product", "--system", "pim", "-f", "json").stdout)
    broken = next(f for f in failures if f["key"] == "SKU-1003")
    assert (broken["rule"], broken["message"], broken["status"]) == (
        "product.name.required",
        "name is required",
        "open",
    )

    pim = sandboxes.servers["pim"].url
    fixed = requests.patch(
        f"{pim}/api/rest/v1/products/SKU-1003",
        headers=_pim_token(pim),
        timeout=30,
        json={"values": {"name": [{"locale": "en_US", "scope": None, "data": "Fixed Work Gloves"}]}},
    )
    assert fixed.status_code == 204, fixed.text
    retried = hub("retry", "--entity", "product", "-f", "json")
    outcome = {(o["key"], o["system"]): o["status"] for o in json.loads(retried.stdout)}
    assert outcome[("SKU-1003", "pim")] == "resolved"

    trace = json.loads(hub("lineage", "product", "SKU-1003", "-f", "json").stdout)
    assert trace["record"]["name"] == "Fixed Work Gloves"
    assert {(f["system"], f["status"]) for f in trace["failures"]} >= {("pim", "resolved")}
    actions = [h["action"] for h in trace["history"]]
    assert actions.index("rejected") < actions.index("created")
    created = next(h for h in trace["history"] if h["action"] == "created")
    assert created["run_id"].startswith("retry-") and created["system"] == "pim"
    assert "pim" in trace["ids"] and "erp" in trace["ids"]


def test_price_change_in_tryton_shows_in_the_plan_and_nothing_is_written(
    running: tuple[Sandboxes, Path],
) -> None:
    sandboxes, _ = running
    shop = sandboxes.servers["shop"].url
    before = {v["sku"]: v["price"] for p in _shop_all(shop, "products") for v in p["variants"]}
    erp = sandboxes.erp_connector()
    current = next(r for b in erp.read("product", None, 500) for r in b.records if r["code"] == "SKU-1001")
    result = erp.write(
        "product",
        [
            OutboundRecord(
                "SKU-1001", str(current["id"]), {"code": "SKU-1001", "list_price": "777.00"}, "update"
            )
        ],
    )
    assert result[0].ok, result

    shown = hub("plan", "product", "--target", "shop", "-f", "json")
    assert shown.returncode == 0, shown.stderr
    writes = json.loads(shown.stdout)["writes"]
    assert writes == [
        {
            "target": "shop",
            "key": "SKU-1001",
            "action": "update",
            "system_id": writes[0]["system_id"],
            "changes": {"variants.0.price": [before["SKU-1001"], "777.00"]},
        }
    ]
    after = {v["sku"]: v["price"] for p in _shop_all(shop, "products") for v in p["variants"]}
    assert after == before  # the plan wrote nothing to the shop
    headers = {"X-Shopify-Access-Token": CREDENTIALS["shop"]["access_token"]}
    assert requests.get(f"{shop}{API}/products/count.json", headers=headers, timeout=30).ok

    published = hub("sync", "product", "-f", "json")  # and the next sync publishes exactly that
    shop_step = next(
        r for r in json.loads(published.stdout) if r["system"] == "shop" and r["stage"] == "publish"
    )
    assert (shop_step["updated"], shop_step["created"]) == (1, 0)
    now: dict[str, Any] = {v["sku"]: v["price"] for p in _shop_all(shop, "products") for v in p["variants"]}
    assert now["SKU-1001"] == "777.00"
