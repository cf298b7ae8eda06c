"""One folder per system dialect. Each folder's package exposes ``RESOURCE``: its Dagster resource class."""

from __future__ import annotations

from connectors.registry import build_connector, connector_types, resource_for

__all__ = ["build_connector", "connector_types", "resource_for"]
