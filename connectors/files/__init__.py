"""File drops: CSV and JSON Lines in folders, both directions."""

from __future__ import annotations

from connectors.files.connector import FilesConnector
from connectors.files.resource import FilesResource

RESOURCE = FilesResource

__all__ = ["RESOURCE", "FilesConnector", "FilesResource"]
