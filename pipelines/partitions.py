"""Shards of one entity's sync, so that several workers share a large sync safely.

A shard owns the natural keys whose stable hash falls on it (``blake2b(key) mod count``). Routing
by key, not by file, keeps every record of one key, from every source, in the same shard: the
creator-first order of sources holds per key (a PIM product and its ERP price meet in one shard),
and concurrent shards never write the same golden record, xref, ledger row or failure. Records
whose key cannot be derived, and unreadable lines, go to shard 0, so each is reported exactly once.

Each shard keeps its own read position in ``cursors`` under ``<system>#s<i>of<n>``; the unsharded
cursor of ``<system>`` is neither read nor moved. The engine moves the cursor in the batch's
transaction; a shard saves its cursor right after the engine has committed the batch (the engine
asks for the next batch only then). A crash between the two re-reads that batch, whose records the
engine then skips as unchanged (same source hash), so the end state is the same.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from hub.engine.merge import normalise
from hub.engine.ports import Connector, OutboundRecord, ReadBatch, WriteResult
from hub.engine.publish import Publisher
from hub.engine.repository import Repository
from hub.engine.stats import utcnow
from hub.errors import ConfigError, RecordRejected
from hub.mapping import EntityMapping
from hub.store import Store

MAX_SHARDS = 64
_NAME = re.compile(r"^s(\d+)of(\d+)$")


def shard_index(key: str | None, count: int) -> int:
    """The shard a natural key belongs to: stable across processes and machines (unlike ``hash()``)."""
    if key is None or count <= 1:
        return 0
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % count


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count`` (0-based)."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if not 1 <= self.count <= MAX_SHARDS or not 0 <= self.index < self.count:
            raise ConfigError(f"shard {self.index} of {self.count}: need 0 <= index < count <= {MAX_SHARDS}")

    @property
    def name(self) -> str:
        """``s<index>of<count>``: a valid Dagster mapping key and cursor suffix."""
        return f"s{self.index}of{self.count}"

    @classmethod
    def parse(cls, name: str) -> Shard:
        match = _NAME.match(name)
        if match is None:
            raise ConfigError(f"'{name}' is not a shard name (s<index>of<count>)")
        return cls(int(match.group(1)), int(match.group(2)))

    def owns(self, key: str | None) -> bool:
        return shard_index(key, self.count) == self.index


def all_shards(count: int) -> list[Shard]:
    return [Shard(index, count) for index in range(count)]


def cursor_system(system: str, shard: Shard) -> str:
    """Where a shard keeps its read position in the ``cursors`` table (system column)."""
    return f"{system}#{shard.name}"


class KeyRouter:
    """Derives a raw record's natural key the way the engine will, so routing and merging agree."""

    def __init__(self, mapping: EntityMapping, system: str) -> None:
        self.mapping = mapping
        self.translator = mapping.systems[system].translator
        self.key_fields = tuple(mapping.spec.key_fields)

    def key_of(self, raw: Any) -> str | None:
        if not isinstance(raw, dict):
            return None
        try:
            canonical = self.translator.to_canonical(raw, only=self.key_fields)
            return self.mapping.spec.key_of(normalise(self.mapping.spec.model, canonical))
        except RecordRejected:
            return None


class ShardedConnector:
    """One shard's view of a source connector: only the records whose key the shard owns."""

    def __init__(
        self, inner: Connector, store: Store, mapping: EntityMapping, shard: Shard, *, full: bool = False
    ) -> None:
        self.inner, self.store, self.shard, self.full = inner, store, shard, full
        self.system = inner.system
        self.router = KeyRouter(mapping, inner.system)
        self.repo = Repository(store)

    def read(self, entity: str, cursor: str | None, batch_size: int) -> Iterator[ReadBatch]:
        """Filtered batches of the inner read; ``cursor`` (the unsharded one) is ignored on purpose.

        One inner batch gives at most one shard batch, so batch-scoped rules ('unique within
        batch') see the same neighbours as in an unsharded run.
        """
        scope = cursor_system(self.system, self.shard)
        with self.store.begin() as conn:
            saved = None if self.full else self.repo.get_cursor(conn, scope, entity)
        for batch in self.inner.read(entity, saved, batch_size):
            mine = [raw for raw in batch.records if self.shard.owns(self.router.key_of(raw))]
            errors = batch.errors if self.shard.index == 0 else []
            if mine or errors:
                yield ReadBatch(mine, None, errors)  # resumed only once the engine has committed it
            if batch.cursor is not None:
                with self.store.begin() as conn:
                    self.repo.set_cursor(conn, scope, entity, batch.cursor, utcnow())

    def write(self, entity: str, records: Sequence[OutboundRecord]) -> list[WriteResult]:
        return self.inner.write(entity, records)


def shard_publisher(
    store: Store,
    mapping: EntityMapping,
    target: str,
    connector: Connector,
    run_id: str,
    shard: Shard,
    batch_size: int = 1000,
) -> Publisher:
    """A Publisher that delivers only the shard's keys, from its own watermark (``<target>#<shard>``)."""
    return Publisher(store, mapping, target, connector, run_id, batch_size, scope=shard)
