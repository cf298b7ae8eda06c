"""The engine's reads and writes against the hub store, all set-based (one statement per batch)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.engine import codec, pgcopy
from hub.engine.selection import PendingDelivery, PublishQueries, PublishWindow
from hub.privacy import mask_audit_rows
from hub.store import Store
from hub.store.schema import (
    audit_events,
    change_counters,
    cursors,
    deliveries,
    failures,
    golden_records,
    sync_stats,
    xref,
)

__all__ = ["FailureRecord", "GoldenRow", "PendingDelivery", "PublishWindow", "Repository"]

_CHUNK = 500  # bound parameters per IN (...) list


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class GoldenRow:
    key: str
    data: dict[str, Any]
    hash: str
    version: int
    provenance: dict[str, Any]
    created_at: datetime | None = None


@dataclass
class FailureRecord:
    run_id: str
    entity: str
    key: str | None
    system: str
    stage: str
    rule: str | None
    field: str | None
    message: str
    raw: Any
    retriable: bool = False

    @property
    def fingerprint(self) -> str:
        """Same record, same problem -> same row, however many times it is seen."""
        subject = self.key if self.key is not None else "#" + codec.content_hash(self.raw)
        text = "|".join(
            str(p) for p in (self.entity, self.system, self.stage, subject, self.rule, self.field)
        )
        return hashlib.sha1(text.encode()).hexdigest()


class Repository(PublishQueries):
    """Queries the engine runs; every method takes the open transaction's connection."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- golden records ------------------------------------------------------------------------------
    def golden_by_keys(self, conn: Connection, entity: str, keys: Iterable[str]) -> dict[str, GoldenRow]:
        rows = self.store.select_in(
            conn,
            'SELECT "key", data, hash, version, provenance, created_at FROM golden_records '
            'WHERE entity = {p} AND "key" {in}',
            (entity,),
            keys,
        )
        stamp = self._stamp_reader()
        loads = codec.loads
        out: dict[str, GoldenRow] = {}
        for key, data, hash_, version, provenance, created_at in rows:
            if stamp is not None and created_at is not None:
                created_at = stamp(created_at)
            out[key] = GoldenRow(key, loads(data), hash_, version, loads(provenance), created_at)
        return out

    def _stamp_reader(self) -> Any:
        """The ``created_at`` column's own result conversion (SQLite keeps timestamps as text)."""
        found = getattr(self, "_stamp", False)
        if found is False:
            column = golden_records.c.created_at
            found = self._stamp = column.type._cached_result_processor(self.store.engine.dialect, None)
        return found

    def existing_keys(self, conn: Connection, entity: str, keys: Iterable[str]) -> set[str]:
        t = golden_records
        found: set[str] = set()
        for chunk in _chunks(sorted(set(keys))):
            found.update(conn.scalars(sa.select(t.c.key).where(t.c.entity == entity, t.c.key.in_(chunk))))
        return found

    def upsert_golden(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        """Write golden records; each gets the next change sequence of its entity (set on the row
        dicts), which is what publish selects by. Allocated last in the batch's transaction: on
        PostgreSQL the counter row stays locked until commit, so sequences commit in order and a
        publish that saw sequence n has seen every change up to n."""
        if not rows:
            return
        per_entity: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            per_entity.setdefault(row["entity"], []).append(row)
        for entity, group in per_entity.items():
            last = self.allocate_changes(conn, entity, len(group))
            for seq, row in enumerate(group, last - len(group) + 1):
                row["change_seq"] = seq
        self._bulk(
            conn,
            golden_records,
            rows,
            ("entity", "key"),
            ("data", "hash", "version", "provenance", "run_id", "updated_at", "change_seq"),
        )

    def _bulk(
        self,
        conn: Connection,
        table: sa.Table,
        rows: Sequence[dict[str, Any]],
        conflict: tuple[str, ...] | None,
        update: tuple[str, ...],
    ) -> None:
        """A batch write: COPY through a staging table on PostgreSQL (``pgcopy``) once the batch is
        large enough, otherwise the store's executemany / execute_values path."""
        if not rows:
            return
        if self.store.dialect == "postgresql" and len(rows) >= pgcopy.MIN_ROWS:
            pgcopy.copy_write(conn, table, rows, conflict, update)
        elif conflict is None:
            self.store.insert_many(conn, table, rows)
        else:
            self.store.upsert(conn, table, rows, conflict, update)

    def allocate_changes(self, conn: Connection, entity: str, count: int) -> int:
        """Reserve ``count`` change sequences of ``entity``; returns the last one."""
        t = change_counters
        stmt = self.store.insert(t).values(entity=entity, value=count)
        stmt = stmt.on_conflict_do_update(
            index_elements=["entity"], set_={"value": t.c.value + stmt.excluded.value}
        ).returning(t.c.value)
        return int(conn.execute(stmt).scalar_one())

    # -- xref ----------------------------------------------------------------------------------------
    def xref_by_keys(
        self, conn: Connection, entity: str, system: str, keys: Iterable[str]
    ) -> dict[str, tuple[str, str | None]]:
        """key -> (system id, source hash)"""
        rows = self.store.select_in(
            conn,
            'SELECT "key", system_id, source_hash FROM xref '
            'WHERE entity = {p} AND system = {p} AND "key" {in}',
            (entity, system),
            keys,
        )
        return {key: (system_id, source_hash) for key, system_id, source_hash in rows}

    def xref_by_system_ids(
        self, conn: Connection, entity: str, system: str, ids: Iterable[str]
    ) -> dict[str, str]:
        """system id -> key"""
        rows = self.store.select_in(
            conn,
            'SELECT system_id, "key" FROM xref WHERE entity = {p} AND system = {p} AND system_id {in}',
            (entity, system),
            ids,
        )
        return dict(rows)  # type: ignore[arg-type]

    def upsert_xref(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        self._bulk(conn, xref, rows, ("entity", "system", "key"), ("system_id", "source_hash", "updated_at"))

    # -- cursors -------------------------------------------------------------------------------------
    def get_cursor(self, conn: Connection, system: str, entity: str) -> str | None:
        return conn.scalar(
            sa.select(cursors.c.value).where(cursors.c.system == system, cursors.c.entity == entity)
        )

    def set_cursor(self, conn: Connection, system: str, entity: str, value: str | None, at: datetime) -> None:
        self.store.upsert(
            conn,
            cursors,
            [{"system": system, "entity": entity, "value": value, "updated_at": at}],
            ["system", "entity"],
        )

    # -- failures ------------------------------------------------------------------------------------
    def record_failures(self, conn: Connection, items: Sequence[FailureRecord], at: datetime) -> None:
        """Insert new failures; a failure seen again is re-opened (unless ignored) and counted."""
        if not items:
            return
        rows = [
            {
                "fingerprint": f.fingerprint,
                "run_id": f.run_id,
                "entity": f.entity,
                "key": f.key,
                "system": f.system,
                "stage": f.stage,
                "rule": f.rule,
                "field": codec.storable_text(f.field),
                "message": codec.storable_text(f.message),
                "raw": codec.storable_text(f.raw) if isinstance(f.raw, str) else codec.dumps(f.raw),
                "retriable": f.retriable,
                "status": "open",
                "attempts": 1,
                "first_seen": at,
                "last_seen": at,
            }
            for f in {f.fingerprint: f for f in items}.values()
        ]
        stmt = self.store.insert(failures)
        stmt = stmt.on_conflict_do_update(
            index_elements=["fingerprint"],
            set_={
                "run_id": stmt.excluded.run_id,
                "message": stmt.excluded.message,
                "raw": stmt.excluded.raw,
                "retriable": stmt.excluded.retriable,
                "last_seen": stmt.excluded.last_seen,
                "attempts": failures.c.attempts + 1,
                "resolved_at": None,
                "status": sa.case((failures.c.status == "ignored", "ignored"), else_="open"),
            },
        )
        conn.execute(stmt, rows)

    def resolve_failures(
        self,
        conn: Connection,
        entity: str,
        system: str,
        keys: Sequence[str],
        stages: Sequence[str],
        at: datetime,
    ) -> None:
        """A record that now goes through closes its open failures for these stages."""
        t = failures
        for chunk in _chunks(sorted(set(keys))):
            conn.execute(
                sa.update(t)
                .where(
                    t.c.entity == entity,
                    t.c.system == system,
                    t.c.key.in_(chunk),
                    t.c.stage.in_(stages),
                    t.c.status.in_(("open", "retrying")),
                )
                .values(status="resolved", resolved_at=at)
            )

    def open_failure_keys(
        self, conn: Connection, entity: str, system: str, stages: Sequence[str]
    ) -> set[str]:
        """Keys of the open (or retrying) failures of one entity from one system in these stages."""
        t = failures
        return set(
            conn.scalars(
                sa.select(t.c.key)
                .distinct()
                .where(
                    t.c.entity == entity,
                    t.c.system == system,
                    t.c.key.is_not(None),
                    t.c.stage.in_(stages),
                    t.c.status.in_(("open", "retrying")),
                )
            )
        )

    # -- audit ---------------------------------------------------------------------------------------
    def add_audit(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        self._bulk(conn, audit_events, mask_audit_rows(rows), None, ())  # PII masking: hub/privacy.py

    # -- deliveries ----------------------------------------------------------------------------------
    def upsert_deliveries(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        """Write ledger rows. An empty hash marks a target's copy stale (ingest: a source that is
        also a target sent a value it does not own): the key is queued for the next publish, since
        its golden record may not have changed."""
        if not rows:
            return
        keys = ("entity", "key", "target")
        self._bulk(conn, deliveries, rows, keys, tuple(c for c in rows[0] if c not in keys))
        stale: dict[tuple[str, str], list[str]] = {}
        for row in rows:
            if row["hash"] == "":
                stale.setdefault((row["entity"], row["target"]), []).append(row["key"])
        for (entity, target), keys in stale.items():
            self.queue_for_publish(conn, entity, target, keys, rows[0]["at"])

    # -- stats ---------------------------------------------------------------------------------------
    def add_stats(self, conn: Connection, run_id: str, stats: Any) -> None:
        row = {
            "run_id": run_id,
            "entity": stats.entity,
            "system": stats.system,
            "stage": stats.stage,
            "cursor": stats.cursor,
            "started_at": stats.started_at,
            "finished_at": stats.finished_at,
        }
        row.update({name: getattr(stats, name) for name in stats.COUNTS})
        conn.execute(sa.insert(sync_stats), [row])
