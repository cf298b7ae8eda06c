"""The sharded jobs in process: same assets, counts and check results as the asset jobs; blocking holds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from pipelines.build import build_definitions
from pipelines.sharded import ALL_SHARDED_JOB, sharded_job_name
from tests.conftest import copy_project

pytestmark = pytest.mark.slow


def _run(
    project: Path, job: str, run_config: dict[str, Any] | None = None
) -> tuple[dg.ExecuteInProcessResult, dg.DagsterInstance]:
    instance = dg.DagsterInstance.ephemeral()
    defs = build_definitions(project / "hub.yaml")
    result = defs.resolve_job_def(job).execute_in_process(
        run_config=run_config or {}, instance=instance, raise_on_error=False
    )
    return result, instance


def _materialized(instance: dg.DagsterInstance, run_id: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION):
        mat = entry.asset_materialization
        assert mat is not None
        out[mat.asset_key.to_user_string()] = {k: v.value for k, v in mat.metadata.items()}
    return out


def _checks(instance: dg.DagsterInstance, run_id: str) -> dict[str, tuple[bool, Any]]:
    out: dict[str, tuple[bool, Any]] = {}
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = entry.get_dagster_event().event_specific_data
        out[evaluation.check_name] = (evaluation.passed, evaluation.metadata["failing_count"].value)
    return out


COUNTS = (
    "read",
    "created",
    "updated",
    "unchanged",
    "rejected",
    "conflicts",
    "delivered",
    "records",
    "open_failures",
)


def _counts(mats: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {key: {k: v for k, v in meta.items() if k in COUNTS} for key, meta in mats.items()}


def test_sharded_job_reports_what_the_asset_job_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = copy_project(tmp_path / "plain", f"sqlite:///{tmp_path / 'plain.db'}", monkeypatch)
    plain_result, plain_instance = _run(plain, "sync_all")
    assert plain_result.success

    sharded = copy_project(tmp_path / "sharded", f"sqlite:///{tmp_path / 'sharded.db'}", monkeypatch)
    config = {"resources": {"hub_sharding": {"config": {"shards": 3}}}}
    result, instance = _run(sharded, ALL_SHARDED_JOB, config)
    assert result.success

    steps = {event.step_key for event in result.all_events if event.is_step_success}
    assert {f"product_ingest[s{i}of3]" for i in range(3)} <= steps
    assert {"product_publish[shop__s0of3]", "product_publish[erp__s2of3]", "customer_golden"} <= steps
    mats = _counts(_materialized(instance, result.run_id))
    expected = _counts(_materialized(plain_instance, plain_result.run_id))
    assert mats["hub/product"]["records"] == 45 and mats["shop/product_from_hub"]["delivered"] > 0
    assert mats == expected
    assert _checks(instance, result.run_id) == _checks(plain_instance, plain_result.run_id)


def test_blocking_rule_holds_the_sharded_publish(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = copy_project(tmp_path / "project", f"sqlite:///{tmp_path / 'hub.db'}", monkeypatch)
    mapping = project / "mappings" / "product.yaml"
    rule = "{id: product.name.required, kind: required, field: name}"
    text = mapping.read_text()
    assert rule in text
    mapping.write_text(text.replace(rule, rule[:-1] + ", blocking: true}"))

    result, instance = _run(
        project, ALL_SHARDED_JOB, {"resources": {"hub_sharding": {"config": {"shards": 2}}}}
    )
    assert not result.success
    failed = {event.step_key for event in result.all_events if event.is_step_failure}
    assert failed == {"product_golden"}
    mats = _materialized(instance, result.run_id)
    assert "hub/product" in mats and "shop/product_from_hub" not in mats
    assert "shop/customer_from_hub" in mats  # customers do not depend on products
    assert not (project / "var" / "outbox" / "shop" / "product").exists()
    assert sharded_job_name("product") in {
        job.name for job in build_definitions(project / "hub.yaml").resolve_all_job_defs()
    }
