"""`hub orders`: JSON shapes and exit codes (0 ok, 1 finding, 2 usage); in-process, and once as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hub.cli import app
from hub.store import Store
from hub.workflows import intake
from hub.workflows.states import OrderState, get_order, transition
from tests.conftest import ROOT, copy_project
from tests.workflows.helpers import seed_catalog, seed_customer, shop_order


def hub_process(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "hub.cli", "orders", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


class Result:
    def __init__(self, returncode: int, stdout: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stdout


def hub(*args: str) -> Result:
    """The same command in-process (a subprocess costs seconds on a busy machine)."""
    result = CliRunner().invoke(app, ["orders", *args], env={"COLUMNS": "200"})
    return Result(result.exit_code, result.output)


@pytest.fixture
def project_store(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Store:
    copy_project(tmp_path / "project", db_url, monkeypatch)
    return Store(db_url)


def test_list_show_approve_reject(project_store: Store) -> None:
    store = project_store
    order = {
        "order_no": "2001",
        "customer_no": "C1",
        "currency": "USD",
        "total": {"amount": "900.00", "currency": "USD"},
    }
    for n in ("2001", "2002"):
        transition(
            store, n, OrderState.received, reason="t", run_id="t", data={"order": {**order, "order_no": n}}
        )
        transition(store, n, OrderState.pending_approval, reason="total above 500", run_id="t")
    transition(store, "2003", OrderState.received, reason="t", run_id="t")

    listed = hub("list", "--state", "pending_approval", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert sorted(r["order_no"] for r in rows) == ["2001", "2002"]
    assert set(rows[0]) == {
        "order_no",
        "state",
        "customer_no",
        "total",
        "currency",
        "created_at",
        "updated_at",
    }

    approved = hub("approve", "2001", "--by", "alice", "--format", "json")
    assert approved.returncode == 0, approved.stderr
    assert json.loads(approved.stdout)["state"] == "approved"
    assert hub("approve", "2001", "--by", "alice").returncode == 1  # no longer pending
    assert hub("approve", "2003").returncode == 1  # never was
    assert hub("reject", "9999", "--reason", "x").returncode == 1  # unknown

    assert hub("reject", "2002").returncode == 2  # --reason is required
    assert hub("reject", "2002", "--reason", "  ").returncode == 2
    assert hub("list", "--state", "nonsense").returncode == 2
    rejected = hub("reject", "2002", "--reason", "customer asked", "--by", "bob")
    assert rejected.returncode == 0 and "rejected" in rejected.stdout
    assert get_order(store, "2002").state is OrderState.rejected

    shown = hub("show", "2001", "--format", "json")
    assert shown.returncode == 0
    body = json.loads(shown.stdout)
    assert body["state"] == "approved" and body["data"]["decision"]["by"] == "alice"
    assert [h["to"] for h in body["history"]] == ["received", "pending_approval", "approved"]
    table = hub("show", "2002")
    assert table.returncode == 0 and "rejected by bob: customer asked" in table.stdout
    assert hub("show", "nope").returncode == 1


def test_process_drains_the_inbox_with_the_project_config(project_store: Store) -> None:
    store = project_store
    seed_catalog(store)
    seed_customer(store, "C10001")
    intake.enqueue(store, "shop", "webhook", shop_order(2101))
    intake.enqueue(store, "shop", "webhook", b"{broken", webhook_id="w-x")
    result = hub_process("process", "--format", "json")
    assert result.returncode == 1, result.stderr  # one event failed
    stats = json.loads(result.stdout)
    assert stats["claimed"] == 2 and stats["failed"] == 1 and stats["states"] == {"approved": 1}
    assert get_order(store, "2101").state is OrderState.approved  # no ERP port: waits for allocation


def test_the_receiver_needs_its_secret_from_the_environment(
    project_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hub.config import load_config
    from hub.errors import ConfigError
    from hub.workflows.setup import webhook_secret

    missing = hub_process("receive", "--port", "1")
    assert missing.returncode == 2 and "no webhook secret" in missing.stderr
    config = load_config()
    config.orders.webhook.secret = "plain-text-secret"
    with pytest.raises(ConfigError, match="must come from the environment"):
        webhook_secret(config)
    config.orders.webhook.secret = {"env": "HUB_TEST_ORDERS_SECRET"}
    monkeypatch.setenv("HUB_TEST_ORDERS_SECRET", "s3cret")
    assert webhook_secret(config) == "s3cret"
