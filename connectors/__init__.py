"""One folder per system dialect. Each folder's package exposes ``RESOURCE``: its Dagster resource class.

The registry (which imports Dagster) loads on first use, so importing one connector stays cheap.
"""

from __future__ import annotations

from typing import Any

__all__ = ["build_connector", "connector_types", "resource_for"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from connectors import registry

        return getattr(registry, name)
    raise AttributeError(name)
