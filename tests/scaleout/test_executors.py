"""HUB_EXECUTOR picks the executor; the Celery one is configured from the workers' own YAML file."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from hub.errors import ConfigError
from pipelines.executors import DEFAULT_CELERY_CONFIG, celery_executor_config, executor_from_env


def test_in_process_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HUB_EXECUTOR", raising=False)
    assert executor_from_env() is dg.in_process_executor
    monkeypatch.setenv("HUB_EXECUTOR", "multiprocess")
    assert executor_from_env() is dg.multiprocess_executor


def test_celery_executor_takes_the_worker_config(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("dagster_celery")
    monkeypatch.setenv("HUB_EXECUTOR", "celery")
    monkeypatch.delenv("HUB_CELERY_CONFIG", raising=False)
    executor = executor_from_env()
    assert executor.name == "celery"
    shipped = celery_executor_config(DEFAULT_CELERY_CONFIG)
    assert shipped["broker"] == {"env": "HUB_CELERY_BROKER"}  # secrets stay in the environment
    assert shipped["config_source"]["task_acks_late"] is True
    assert shipped["config_source"]["worker_prefetch_multiplier"] == 1


def test_bad_settings_say_what_is_wrong(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_EXECUTOR", "spark")
    with pytest.raises(ConfigError, match="HUB_EXECUTOR='spark'"):
        executor_from_env()
    with pytest.raises(ConfigError, match="not found"):
        celery_executor_config(tmp_path / "missing.yaml")
    no_broker = tmp_path / "celery.yaml"
    no_broker.write_text("execution:\n  config:\n    backend: rpc://\n")
    with pytest.raises(ConfigError, match=r"celery.yaml:2.*execution.config.*broker"):
        celery_executor_config(no_broker)
