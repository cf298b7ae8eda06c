"""The Dagster code location: generated assets, checks, jobs and schedules, run in process.

Every test works on a copy of hub.yaml, mappings/ and sandbox/data/ with its own SQLite store, so
nothing is written to the repository.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import sqlalchemy as sa

from pipelines.build import build_definitions
from pipelines.execute import run_sync

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def hub_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A throw-away project selected through HUB_CONFIG, with its store in tmp_path."""
    dest = tmp_path / "project"
    dest.mkdir()
    shutil.copy(ROOT / "hub.yaml", dest / "hub.yaml")
    shutil.copytree(ROOT / "mappings", dest / "mappings")
    shutil.copytree(ROOT / "sandbox" / "data", dest / "sandbox" / "data")
    monkeypatch.setenv("HUB_CONFIG", str(dest / "hub.yaml"))
    monkeypatch.setenv("HUB_DATABASE_URL", f"sqlite:///{tmp_path / 'hub.db'}")
    return dest


def _scalar(sql: str, **params: Any) -> Any:
    engine = sa.create_engine(os.environ["HUB_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql), params).scalar()
    finally:
        engine.dispose()


def _materialized(instance: dg.DagsterInstance, run_id: str) -> dict[str, dict[str, Any]]:
    """Asset key -> metadata values of the run's materialisations."""
    out: dict[str, dict[str, Any]] = {}
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION):
        mat = entry.asset_materialization
        assert mat is not None
        out[mat.asset_key.to_user_string()] = {k: v.value for k, v in mat.metadata.items()}
    return out


def _checks(instance: dg.DagsterInstance, run_id: str) -> dict[str, Any]:
    """Check name -> AssetCheckEvaluation of the run."""
    out: dict[str, Any] = {}
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = entry.get_dagster_event().event_specific_data
        out[evaluation.check_name] = evaluation
    return out


def test_definitions_follow_the_mappings(hub_project: Path) -> None:
    defs = build_definitions(hub_project / "hub.yaml")
    keys = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {
        "pim/product",
        "erp/product",
        "hub/product",
        "shop/product_from_hub",
        "erp/product_from_hub",
    } <= keys
    assert {"crm/customer", "erp/customer", "hub/customer", "shop/customer_from_hub"} <= keys
    job_names = {job.name for job in defs.resolve_all_job_defs()}
    assert {"sync_all", "sync_product", "sync_customer"} <= job_names
    schedules = {s.name: s for s in defs.schedules or []}
    assert schedules["sync_customer_schedule"].cron_schedule == "*/15 * * * *"
    assert schedules["sync_product_schedule"].cron_schedule == "0 * * * *"
    assert all(s.default_status == dg.DefaultScheduleStatus.STOPPED for s in schedules.values())
    checks = {key.name for key in defs.resolve_asset_graph().asset_check_keys}
    assert {"product_name_required", "product_gtin_check_digit", "customer_account_no_format"} <= checks


@pytest.mark.slow
def test_workspace_validates(hub_project: Path, tmp_path: Path) -> None:
    home = tmp_path / "dagster_home"
    home.mkdir()
    done = subprocess.run(
        [str(Path(sys.executable).parent / "dagster"), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=ROOT,
        env={**os.environ, "DAGSTER_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Validation successful" in done.stdout + done.stderr


@pytest.mark.slow
def test_sync_all_materialises_assets_and_checks(hub_project: Path) -> None:
    instance = dg.DagsterInstance.ephemeral()
    run_id, ok = run_sync(instance=instance)
    assert ok
    mats = _materialized(instance, run_id)

    golden = _scalar("select count(*) from golden_records where entity = 'product'")
    assert golden == 45
    assert mats["hub/product"]["records"] == golden
    assert mats["hub/product"]["created"] == golden
    assert mats["hub/product"]["open_failures"] == _scalar(
        "select count(*) from failures where entity = 'product' and status = 'open'"
    )
    pim = mats["pim/product"]
    assert (pim["read"], pim["created"], pim["rejected"]) == (50, 45, 5)
    assert pim["created"] + pim["updated"] + pim["unchanged"] + pim["rejected"] == pim["read"]
    shop = mats["shop/product_from_hub"]
    assert shop["created"] == shop["delivered"] == golden
    assert mats["erp/product"]["updated"] == 44

    # the engine's counts are stored under the Dagster run id (the CLI's summary reads them)
    steps = [key for key in mats if not key.startswith("hub/")]  # one engine step per read or publish asset
    assert _scalar("select count(*) from sync_stats where run_id = :r", r=run_id) == len(steps)
    assert (
        _scalar(
            "select created from sync_stats where run_id = :r and system = 'pim' and entity = 'product'",
            r=run_id,
        )
        == pim["created"]
    )

    checks = _checks(instance, run_id)
    name = checks["product_name_required"]
    assert not name.passed
    assert name.severity == dg.AssetCheckSeverity.ERROR
    assert name.metadata["failing_count"].value == 1
    assert "| SKU-1003 | pim | name |" in name.metadata["failing_records"].value
    assert checks["product_sku_format"].passed
    assert checks["customer_segment_required"].severity == dg.AssetCheckSeverity.WARN


@pytest.mark.slow
def test_second_run_changes_nothing(hub_project: Path) -> None:
    instance = dg.DagsterInstance.ephemeral()
    run_sync(instance=instance)
    run_id, ok = run_sync(instance=instance)
    assert ok
    mats = _materialized(instance, run_id)
    for key in ("pim/product", "erp/product", "crm/customer", "erp/customer"):
        assert (mats[key]["created"], mats[key]["updated"]) == (0, 0), key
    assert mats["shop/product_from_hub"]["delivered"] == 0
    assert mats["hub/product"]["records"] == 45


@pytest.mark.slow
def test_blocking_rule_stops_publishing(hub_project: Path) -> None:
    mapping = hub_project / "mappings" / "product.yaml"
    text = mapping.read_text()
    rule = "{id: product.name.required, kind: required, field: name}"
    assert rule in text
    mapping.write_text(text.replace(rule, rule[:-1] + ", blocking: true}"))

    instance = dg.DagsterInstance.ephemeral()
    run_id, ok = run_sync(instance=instance)
    assert not ok
    mats = _materialized(instance, run_id)
    assert "hub/product" in mats and "pim/product" in mats
    assert "shop/product_from_hub" not in mats
    assert "erp/product_from_hub" not in mats
    assert "shop/customer_from_hub" in mats  # other entities publish as usual
    # nothing was written to a target (the ledger may still record what the ERP sent when it was read)
    assert _scalar("select count(*) from audit_events where entity = 'product' and action = 'delivered'") == 0
    assert not (hub_project / "var" / "outbox" / "shop" / "product").exists()


@pytest.mark.slow
def test_warning_rule_is_evaluated_over_golden_records(hub_project: Path) -> None:
    mapping = hub_project / "mappings" / "product.yaml"
    text = mapping.read_text()
    values = "values: [fasteners, tools, safety, electrical, plumbing, packaging]"
    assert values in text
    mapping.write_text(text.replace(values, "values: [fasteners, safety, electrical, plumbing, packaging]"))

    instance = dg.DagsterInstance.ephemeral()
    run_id, ok = run_sync(["product"], instance=instance)
    assert ok  # a warning never blocks
    tools = _scalar(
        "select count(*) from golden_records where entity = 'product' and data like '%\"tools\"%'"
    )
    assert tools > 0
    check = _checks(instance, run_id)["product_category_known"]
    assert not check.passed
    assert check.severity == dg.AssetCheckSeverity.WARN
    assert check.metadata["failing_count"].value == tools
    assert "| pim | category |" in check.metadata["failing_records"].value
    assert "shop/product_from_hub" in _materialized(instance, run_id)
