"""Dagster resource for a file-drop system."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from connectors.base.resource import ConnectorResource
from connectors.files.connector import FilesConnector


class FilesResource(ConnectorResource):
    """A system that exchanges CSV / JSON Lines files in folders (``<inbox>/<entity>/``, ``<outbox>/<entity>/``)."""

    PATH_FIELDS: ClassVar[tuple[str, ...]] = ("inbox", "outbox")

    inbox: str | None = Field(default=None, description="Folder read from: one sub-folder per entity.")
    outbox: str | None = Field(default=None, description="Folder written to: one sub-folder per entity.")
    format: Literal["jsonl", "csv"] = Field(default="jsonl", description="Format of written files.")
    encoding: str = Field(
        default="utf-8", description="Encoding of read files; undecodable lines are quarantined."
    )

    def connector(self, system: str) -> FilesConnector:
        return FilesConnector(
            system, inbox=self.inbox, outbox=self.outbox, format=self.format, encoding=self.encoding
        )
