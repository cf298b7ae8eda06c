"""`hub sandbox up|status|down` as a user runs it: a background process, JSON status, clean stop.

`up` starts Tryton too when it is installed, from the template cached under the repo's ``var/tryton/``
(``--tryton-cache``), so the test does not build one of its own.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from connectors.tryton.client import TrytonClient
from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def test_up_status_down(tmp_path: Path) -> None:
    shutil.copy(ROOT / "hub.sandbox.yaml", tmp_path / "hub.yaml")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def hub(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "hub.cli", "sandbox", *args, "-c", str(tmp_path / "hub.yaml")],
            capture_output=True,
            text=True,
            env=env,
            timeout=180,
        )

    started = hub("up", "--format", "json", "--tryton-cache", str(ROOT / "var"))
    try:
        assert started.returncode == 0, started.stderr
        status = json.loads(hub("status", "--format", "json").stdout)
        assert status["running"] and all(s["up"] for s in status["systems"].values()), status
        shop = status["systems"]["shop"]
        orders = requests.get(
            f"{shop['base_url']}/admin/api/2024-10/orders.json?status=any&limit=250",
            timeout=10,
            headers={"X-Shopify-Access-Token": shop["credentials"]["access_token"]},
        )
        assert orders.ok and len(orders.json()["orders"]) == 25  # seeded from the sample data
        assert status["env"]["HUB_SHOP_ACCESS_TOKEN"] == shop["credentials"]["access_token"]
        erp = status["systems"]["erp"]
        if "error" not in erp:  # Tryton installed: the real ERP on the profile's port, seeded
            assert erp["base_url"] == "http://127.0.0.1:18069" and erp["up"], erp
            client = TrytonClient(erp["base_url"], **erp["credentials"])
            assert len(client.search("product.product", [])) == 49  # sandbox/data/erp/product
            assert status["env"]["HUB_TRYTON_PASSWORD"] == erp["credentials"]["password"]
    finally:
        stopped = hub("down")
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    after = hub("status", "--format", "json")
    assert json.loads(after.stdout)["running"] is False
