"""The sync engine: ingest (system -> hub) and publish (hub -> system). Plain Python; Dagster calls it."""

from __future__ import annotations

from hub.engine.ingest import Ingestor
from hub.engine.ports import Connector, OutboundRecord, ReadBatch, ReadError, WriteResult
from hub.engine.publish import PlannedWrite, Publisher
from hub.engine.runner import ENTITY_ORDER, sync_entity
from hub.engine.stats import SyncStats

__all__ = [
    "ENTITY_ORDER",
    "Connector",
    "Ingestor",
    "OutboundRecord",
    "PlannedWrite",
    "Publisher",
    "ReadBatch",
    "ReadError",
    "SyncStats",
    "WriteResult",
    "sync_entity",
]
