"""Which executor the code location's jobs use: in-process by default, Celery workers to scale out.

``HUB_EXECUTOR=celery`` selects dagster-celery's executor, configured from the same YAML file the
workers are started with (``dagster-celery worker start -y FILE``), so that the run and the workers
always agree on broker, backend and Celery settings. ``HUB_CELERY_CONFIG`` names the file (default:
``deploy/celery.yaml``); secrets in it stay ``{env: NAME}``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dagster as dg

from hub.config import PROJECT_ROOT
from hub.errors import ConfigError
from hub.mapping.yamlsource import load_yaml

EXECUTOR_ENV = "HUB_EXECUTOR"
CELERY_CONFIG_ENV = "HUB_CELERY_CONFIG"
DEFAULT_CELERY_CONFIG = PROJECT_ROOT / "deploy" / "celery.yaml"
KINDS = ("in_process", "multiprocess", "celery")


def celery_config_path() -> Path:
    return Path(os.environ.get(CELERY_CONFIG_ENV) or DEFAULT_CELERY_CONFIG)


def celery_executor_config(path: str | Path | None = None) -> dict[str, Any]:
    """The ``execution.config`` block of a worker config file, as the executor takes it."""
    file = Path(path) if path else celery_config_path()
    if not file.is_file():
        raise ConfigError(f"Celery config file not found ({CELERY_CONFIG_ENV})", file=str(file))
    doc = load_yaml(file)
    execution = doc.data.get("execution") if isinstance(doc.data, dict) else None
    config = execution.get("config") if isinstance(execution, dict) else None
    if not isinstance(config, dict) or not config.get("broker"):
        raise doc.error("needs execution.config with at least a broker", ("execution", "config"))
    return dict(config)


def executor_from_env() -> dg.ExecutorDefinition:
    """The executor named by HUB_EXECUTOR (in_process when unset)."""
    kind = os.environ.get(EXECUTOR_ENV) or "in_process"
    if kind == "in_process":
        return dg.in_process_executor
    if kind == "multiprocess":
        return dg.multiprocess_executor
    if kind == "celery":
        try:
            from dagster_celery import celery_executor
        except ImportError:
            raise ConfigError(
                "HUB_EXECUTOR=celery needs dagster-celery: pip install 'commerce-hub[scale]'"
            ) from None
        return celery_executor.configured(celery_executor_config(), name="celery")
    raise ConfigError(f"{EXECUTOR_ENV}={kind!r}: expected one of {', '.join(KINDS)}")
