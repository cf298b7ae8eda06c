"""In-memory connectors for engine unit tests (contract tests use real servers)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from hub.engine.ports import OutboundRecord, ReadBatch, WriteResult


class MemoryConnector:
    """Holds records per entity; read returns all of them (the engine's hashes skip the unchanged)."""

    def __init__(self, system: str, records: dict[str, list[dict[str, Any]]] | None = None) -> None:
        self.system = system
        self.records = records or {}
        self.written: dict[str, dict[str, dict[str, Any]]] = {}
        self.write_calls: list[list[OutboundRecord]] = []
        self.fail: dict[str, tuple[str, bool]] = {}  # key -> (error, retriable)

    def read(self, entity: str, cursor: str | None, batch_size: int) -> Iterator[ReadBatch]:
        rows = self.records.get(entity, [])
        for start in range(0, len(rows), batch_size):
            yield ReadBatch(list(rows[start : start + batch_size]), str(start + batch_size))

    def write(self, entity: str, records: Sequence[OutboundRecord]) -> list[WriteResult]:
        self.write_calls.append(list(records))
        out = []
        store = self.written.setdefault(entity, {})
        for record in records:
            if record.key in self.fail:
                error, retriable = self.fail[record.key]
                out.append(WriteResult(record.key, error=error, retriable=retriable))
                continue
            system_id = record.system_id or f"{self.system}-{len(store) + 1}"
            store[record.key] = {"id": system_id, **record.payload}
            out.append(WriteResult(record.key, system_id))
        return out
