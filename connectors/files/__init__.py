"""File drops: CSV and JSON Lines in folders, both directions.

The Dagster resource is imported on first use, so the engine and the CLI's plain paths can use the
connector without loading Dagster.
"""

from __future__ import annotations

from typing import Any

from connectors.files.connector import FilesConnector

__all__ = ["RESOURCE", "FilesConnector", "FilesResource"]


def __getattr__(name: str) -> Any:
    if name in ("RESOURCE", "FilesResource"):
        from connectors.files.resource import FilesResource

        return FilesResource
    raise AttributeError(name)
