"""Discovers connector folders and builds their resources from hub.yaml settings.

Adding a system type = adding a folder under connectors/ whose package exposes ``RESOURCE``.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from typing import Any

import dagster as dg
from pydantic import ValidationError

from connectors.base.resource import ConnectorResource
from hub.config import HubConfig, SystemConfig, resolve_setting
from hub.engine.ports import Connector
from hub.errors import ConfigError

_NOT_CONNECTORS = {"base", "registry"}


@cache
def connector_types() -> dict[str, type[ConnectorResource]]:
    import connectors

    found: dict[str, type[ConnectorResource]] = {}
    for info in pkgutil.iter_modules(connectors.__path__):
        if not info.ispkg or info.name in _NOT_CONNECTORS:
            continue
        module = importlib.import_module(f"connectors.{info.name}")
        resource = getattr(module, "RESOURCE", None)
        if resource is not None:
            found[info.name] = resource
    return found


def _resource_class(name: str, system: SystemConfig, config: HubConfig) -> type[ConnectorResource]:
    types = connector_types()
    if system.connector not in types:
        raise ConfigError(
            f"unknown connector '{system.connector}'; known: {', '.join(sorted(types))}",
            file=str(config.file) if config.file else None,
            key=f"systems.{name}.connector",
        )
    return types[system.connector]


def _settings(
    config: HubConfig, resource: type[ConnectorResource], system: SystemConfig, dagster: bool
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    path_fields = getattr(resource, "PATH_FIELDS", ())
    for key, value in system.settings.items():
        if isinstance(value, dict) and "env" in value:
            out[key] = dg.EnvVar(str(value["env"])) if dagster else resolve_setting(value)
        elif key in path_fields and value is not None:
            out[key] = str(config.path(value))
        else:
            out[key] = value
    return out


def resource_for(config: HubConfig, name: str, *, dagster: bool = True) -> ConnectorResource:
    """The Dagster resource of system ``name`` (secrets as EnvVar)."""
    system = config.systems[name]
    cls = _resource_class(name, system, config)
    try:
        return cls(**_settings(config, cls, system, dagster))
    except Exception as exc:  # pydantic validation of the resource's fields
        raise ConfigError(
            f"invalid settings for connector '{system.connector}': {_without_values(exc)}",
            file=str(config.file) if config.file else None,
            key=f"systems.{name}.settings",
        ) from None


def _without_values(exc: Exception) -> str:
    """Which setting is wrong and why, never its value: a misplaced password must not be echoed."""
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or '(settings)'}: {error['msg']}"
            for error in exc.errors(include_input=False, include_url=False)
        )
    return f"{type(exc).__name__}: {exc}"


def build_connector(config: HubConfig, name: str) -> Connector:
    """A ready client for system ``name``, outside Dagster (CLI, tests)."""
    return resource_for(config, name, dagster=False).connector(name)
