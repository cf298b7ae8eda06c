"""Publish (hub -> system): golden records whose content the target has not received yet.

Selection compares the golden hash with the deliveries ledger; the target-shaped payload is hashed
too, so a golden change in fields the target does not map costs no write. Writes go by xref id or
natural key, so a write repeated after a crash updates instead of duplicating.

Only records that changed since the target's watermark (``publish_marks``: every change up to it has
been offered) or are queued in its backlog (failed writes, stale copies) are compared, so a run costs
what changed, not the catalogue. A target without a watermark scans the whole entity. The watermark
moves to the change counter read at the start in the transaction of the run's last ledger rows; a
run that stops early leaves it, and the next one compares the same records again (already delivered
ones are skipped by hash). Pages hold the same records in the same (id) order as a full scan would.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from hub.engine import codec, observers
from hub.engine.gctune import batch_friendly_gc
from hub.engine.ports import Connector, OutboundRecord
from hub.engine.repository import FailureRecord, PendingDelivery, PublishWindow, Repository
from hub.engine.stats import SyncStats, utcnow
from hub.faultpoints import reached
from hub.mapping import EntityMapping
from hub.store import Store


@dataclass
class PlannedWrite:
    """What the next publish would send for one record (also what `hub plan` prints)."""

    key: str
    action: str  # create | update
    system_id: str | None
    payload: dict[str, Any]
    payload_hash: str
    golden_hash: str
    before: dict[str, Any] | None = None  # the payload the target last received, when known
    payload_json: str | None = field(default=None, repr=False, compare=False)  # payload, serialised once

    def changes(self) -> dict[str, tuple[Any, Any]]:
        """Field by field (dot paths in the target's shape): before -> after."""
        old, new = flatten(self.before or {}), flatten(self.payload)
        return {
            k: (old.get(k), new.get(k)) for k in sorted(old.keys() | new.keys()) if old.get(k) != new.get(k)
        }


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dicts and lists as ``a.b.0.c`` paths."""
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = ((str(i), v) for i, v in enumerate(value))
    else:
        return {prefix[:-1]: value} if prefix else {"": value}
    out: dict[str, Any] = {}
    for key, item in items:
        if isinstance(item, (dict, list)) and item:
            out.update(flatten(item, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = item
    return out


class KeyScope(Protocol):
    """Part of an entity's keys (a shard of ``pipelines.partitions``): a scoped publisher selects only
    those keys and keeps its own watermark, so shards publishing side by side each cost their change."""

    @property
    def name(self) -> str: ...

    def owns(self, key: str | None) -> bool: ...


@dataclass
class _Page:
    writes: list[PlannedWrite]
    ledger_only: list[PlannedWrite]
    last_id: int
    mark: PublishWindow | None = None  # the run's last page: move the watermark with its ledger rows


class Publisher:
    """Publishes one entity to one target system."""

    def __init__(
        self,
        store: Store,
        mapping: EntityMapping,
        target: str,
        connector: Connector | None,
        run_id: str,
        batch_size: int = 1000,
        scope: KeyScope | None = None,
    ) -> None:
        self.store, self.mapping, self.target, self.scope = store, mapping, target, scope
        # the watermark's name in publish_marks: the target, or target#<shard> for a scoped publisher
        self.mark_name = target if scope is None else f"{target}#{scope.name}"
        self.connector, self.run_id, self.batch_size = connector, run_id, batch_size
        self.repo = Repository(store)
        self.translator = mapping.systems[target].translator
        self.owned = mapping.owned_by(target)
        self._open_failures: set[str] | None = None

    def _window(self) -> PublishWindow:
        """The run's change window: this publisher's watermark, and the target's backlog in its scope."""
        with self.store.begin() as conn:
            window = self.repo.publish_window(conn, self.mapping.entity, self.target, self.mark_name)
        if self.scope is None:
            return window
        return replace(window, backlog=frozenset(k for k in window.backlog if self.scope.owns(k)))

    def _mine(self, rows: list[PendingDelivery]) -> list[PendingDelivery]:
        return rows if self.scope is None else [r for r in rows if self.scope.owns(r.key)]

    def _pages(self, window: PublishWindow | None) -> Iterator[_Page]:
        rows = self._changed(window) if window.low > 0 else self._scanned()
        previous: list[PendingDelivery] | None = None
        for current in rows:  # one page ahead, so that the last one carries the watermark
            if previous is not None:
                yield self._plan_page(previous, None)
            previous = current
        if previous is not None:
            yield self._plan_page(previous, window)

    def _scanned(self) -> Iterator[list[PendingDelivery]]:
        """Every golden record of the entity (in scope) in id order, keyset-paged (no watermark yet)."""
        after = 0
        while True:
            with self.store.begin() as conn:
                self.repo.refresh_statistics(conn, growth=1.0)  # PostgreSQL only; the ledger grows here
                rows, after = self.repo.pending_deliveries(
                    conn, self.mapping.entity, self.target, after, self.batch_size
                )
            if not rows:
                return
            mine = self._mine(rows)
            if mine:
                yield mine

    def _changed(self, window: PublishWindow) -> Iterator[list[PendingDelivery]]:
        """The records changed in the window or queued, in id order, in pages of ``batch_size``."""
        entity, target, size = self.mapping.entity, self.target, self.batch_size
        with self.store.begin() as conn:
            ids = self.repo.changed_ids(conn, entity, window)
        buffer: list[PendingDelivery] = []
        for start in range(0, len(ids), size):
            with self.store.begin() as conn:
                buffer += self._mine(self.repo.pending_among(conn, entity, target, ids[start : start + size]))
            while len(buffer) >= size:
                yield buffer[:size]
                buffer = buffer[size:]
        if buffer:
            yield buffer

    def _plan_page(self, rows: Iterable[PendingDelivery], mark: PublishWindow | None) -> _Page:
        writes, ledger_only = [], []
        last_id = 0
        for row in rows:
            last_id = row.id
            data = codec.loads(row.data)
            exists = row.system_id is not None or row.delivered_hash is not None
            # The target is the system of record for the fields it owns: updates never echo them back.
            payload = self.translator.from_canonical(data, self.owned if exists else frozenset())
            blob = codec.dumpb(payload)
            payload_hash = codec.hash_bytes(blob)
            before = codec.loads(row.payload) if row.payload else None
            planned = PlannedWrite(
                row.key,
                "update" if exists else "create",
                row.system_id,
                payload,
                payload_hash,
                row.hash,
                before,
                blob.decode(),
            )
            (ledger_only if payload_hash == row.payload_hash else writes).append(planned)
        return _Page(writes, ledger_only, last_id, mark)

    def plan(self) -> list[PlannedWrite]:
        """Everything the next run would write, without writing anything."""
        return [w for page in self._pages(self._window()) for w in page.writes]

    def run(self) -> SyncStats:
        if self.connector is None:
            raise ValueError("publishing needs a connector")
        stats = SyncStats(self.mapping.entity, self.target, "publish")
        with self.store.begin() as conn:
            self.repo.refresh_statistics(conn)
        with observers.step(stats, self.run_id), batch_friendly_gc(self.batch_size):
            window = self._window()
            marked = False
            for page in self._pages(window):
                self._publish_page(page, stats)
                marked = page.mark is not None
            if not marked:  # nothing to write: the watermark moves on its own
                with self.store.begin() as conn:
                    self._move_mark(conn, window, utcnow())
        with self.store.begin() as conn:
            self.repo.add_stats(conn, self.run_id, stats)
        return stats

    def _publish_page(self, page: _Page, stats: SyncStats) -> None:
        """Write one page, then record every outcome in one transaction."""
        entity, target = self.mapping.entity, self.target
        outbound = [
            OutboundRecord(
                w.key,
                w.system_id,
                w.payload,
                w.action,  # type: ignore[arg-type]
                None if w.payload_json is None else w.payload_json.encode(),
            )
            for w in page.writes
        ]
        results = self.connector.write(entity, outbound) if outbound else []  # type: ignore[union-attr]
        reached("publish.page.written")
        if len(results) != len(page.writes):
            raise RuntimeError(f"{target} returned {len(results)} results for {len(page.writes)} records")
        now = utcnow()
        ledger, xrefs, audit, fails, ok_keys = [], [], [], [], []
        for w in page.ledger_only:
            stats.unchanged += 1
            ledger.append(self._ledger(w, w.system_id, now))
        for w, result in zip(page.writes, results, strict=True):
            if not result.ok:
                stats.rejected += 1
                rule = "retriable" if result.retriable else "rejected"
                fails.append(
                    FailureRecord(
                        self.run_id,
                        entity,
                        w.key,
                        target,
                        "write",
                        rule,
                        None,
                        result.error or "write failed",
                        w.payload,
                        result.retriable,
                    )
                )
                continue
            system_id = result.system_id or w.system_id or w.key
            stats.delivered += 1
            if w.action == "create":
                stats.created += 1
            else:
                stats.updated += 1
            ok_keys.append(w.key)
            ledger.append(self._ledger(w, system_id, now))
            xrefs.append(
                {
                    "entity": entity,
                    "key": w.key,
                    "system": target,
                    "system_id": system_id,
                    "source_hash": None,
                    "updated_at": now,
                }
            )
            audit.append(
                {
                    "run_id": self.run_id,
                    "at": now,
                    "entity": entity,
                    "key": w.key,
                    "system": None,
                    "target": target,
                    "action": "delivered",
                    "changes": codec.dumps({"action": w.action, "payload_hash": w.payload_hash}),
                    "mapping_version": self.mapping.version,
                    "correlation": codec.dumps({target: system_id}),
                }
            )
        with self.store.begin() as conn:
            self.repo.upsert_deliveries(conn, ledger)
            self._link(conn, xrefs)
            self.repo.add_audit(conn, audit)
            if self._open_failures is None:  # read once per run, then kept up to date (see Ingestor)
                self._open_failures = self.repo.open_failure_keys(conn, entity, target, ("write",))
            failed_before = self._open_failures
            self.repo.resolve_failures(
                conn, entity, target, [k for k in ok_keys if k in failed_before], ("write",), now
            )
            self.repo.record_failures(conn, fails, now)
            failed_before.update(f.key for f in fails if f.key is not None)
            # not delivered: offered again by every run until it is, whatever the watermark says
            self.repo.queue_for_publish(conn, entity, target, [f.key for f in fails if f.key], now)
            if page.mark is not None:
                self._move_mark(conn, page.mark, now)
        reached("publish.page.recorded")

    def _move_mark(self, conn: Any, window: PublishWindow, at: Any) -> None:
        """Every change up to ``window.high`` has now been offered; queued keys now in sync leave."""
        entity, target = self.mapping.entity, self.target
        self.repo.set_publish_mark(conn, entity, self.mark_name, window.high, self.run_id, at)
        self.repo.settle_backlog(conn, entity, target, window.backlog)

    def _link(self, conn: Any, rows: list[dict[str, Any]]) -> None:
        """Record the target's id for each key, keeping the source hash an ingest may have stored."""
        if not rows:
            return
        known = self.repo.xref_by_keys(conn, self.mapping.entity, self.target, [r["key"] for r in rows])
        for row in rows:
            previous = known.get(row["key"])
            if previous is not None and previous[0] == row["system_id"]:
                row["source_hash"] = previous[1]
        self.repo.upsert_xref(conn, rows)

    def _ledger(self, w: PlannedWrite, system_id: str | None, at: Any) -> dict[str, Any]:
        return {
            "entity": self.mapping.entity,
            "key": w.key,
            "target": self.target,
            "hash": w.golden_hash,
            "payload_hash": w.payload_hash,
            "payload": w.payload_json if w.payload_json is not None else codec.dumps(w.payload),
            "system_id": system_id,
            "run_id": self.run_id,
            "at": at,
        }
