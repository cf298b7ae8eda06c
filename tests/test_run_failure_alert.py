"""The run-failure sensor turns a failed Dagster run into a 'run_failure' alert through the sinks."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from hub.alerts import AlertManager
from hub.config import load_config
from hub.store import Store
from pipelines.operations import build_run_failure_sensor
from tests.conftest import copy_project


@dg.op
def fails() -> None:
    raise RuntimeError("the ERP refused the connection")


@dg.job
def sync_that_fails() -> None:
    fails()


def test_a_failed_run_becomes_a_run_failure_alert(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    project = copy_project(tmp_path / "p", url, monkeypatch)
    config = load_config(project / "hub.yaml")
    sensor = build_run_failure_sensor(config, running=False)
    assert sensor.default_status == dg.DefaultSensorStatus.STOPPED

    instance = dg.DagsterInstance.ephemeral()
    result = sync_that_fails.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    context = dg.build_run_status_sensor_context(
        sensor_name=sensor.name,
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        dagster_event=result.get_run_failure_event(),
    ).for_run_failure()
    sensor(context)

    alerts = AlertManager(Store(url), []).listing()
    assert [(a["kind"], a["subject"], a["severity"]) for a in alerts] == [
        ("run_failure", "sync_that_fails", "error")
    ]
    assert result.run_id in alerts[0]["text"]
