"""The engine's reads and writes against the hub store, all set-based (one statement per batch)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.engine import codec
from hub.store import Store
from hub.store.schema import (
    audit_events,
    cursors,
    deliveries,
    failures,
    golden_records,
    sync_stats,
    xref,
)

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


@dataclass(frozen=True)
class PendingDelivery:
    id: int
    key: str
    data: str
    hash: str
    delivered_hash: str | None
    payload_hash: str | None
    system_id: str | None
    payload: str | None = None  # what the target last received


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


class Repository:
    """Queries the engine runs; every method takes the open transaction's connection."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- golden records ------------------------------------------------------------------------------
    def golden_by_keys(self, conn: Connection, entity: str, keys: Iterable[str]) -> dict[str, GoldenRow]:
        t = golden_records
        out: dict[str, GoldenRow] = {}
        for chunk in _chunks(sorted(set(keys))):
            rows = conn.execute(
                sa.select(t.c.key, t.c.data, t.c.hash, t.c.version, t.c.provenance, t.c.created_at).where(
                    t.c.entity == entity, t.c.key.in_(chunk)
                )
            )
            for r in rows:
                out[r.key] = GoldenRow(
                    r.key, codec.loads(r.data), r.hash, r.version, codec.loads(r.provenance), r.created_at
                )
        return out

    def existing_keys(self, conn: Connection, entity: str, keys: Iterable[str]) -> set[str]:
        t = golden_records
        found: set[str] = set()
        for chunk in _chunks(sorted(set(keys))):
            found.update(conn.scalars(sa.select(t.c.key).where(t.c.entity == entity, t.c.key.in_(chunk))))
        return found

    def upsert_golden(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        self.store.upsert(
            conn,
            golden_records,
            rows,
            ["entity", "key"],
            ["data", "hash", "version", "provenance", "run_id", "updated_at"],
        )

    # -- xref ----------------------------------------------------------------------------------------
    def xref_by_keys(
        self, conn: Connection, entity: str, system: str, keys: Iterable[str]
    ) -> dict[str, tuple[str, str | None]]:
        """key -> (system id, source hash)"""
        t = xref
        out: dict[str, tuple[str, str | None]] = {}
        for chunk in _chunks(sorted(set(keys))):
            for r in conn.execute(
                sa.select(t.c.key, t.c.system_id, t.c.source_hash).where(
                    t.c.entity == entity, t.c.system == system, t.c.key.in_(chunk)
                )
            ):
                out[r.key] = (r.system_id, r.source_hash)
        return out

    def xref_by_system_ids(
        self, conn: Connection, entity: str, system: str, ids: Iterable[str]
    ) -> dict[str, str]:
        """system id -> key"""
        t = xref
        out: dict[str, str] = {}
        for chunk in _chunks(sorted(set(ids))):
            for r in conn.execute(
                sa.select(t.c.system_id, t.c.key).where(
                    t.c.entity == entity, t.c.system == system, t.c.system_id.in_(chunk)
                )
            ):
                out[r.system_id] = r.key
        return out

    def upsert_xref(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        self.store.upsert(
            conn, xref, rows, ["entity", "system", "key"], ["system_id", "source_hash", "updated_at"]
        )

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
                "field": f.field,
                "message": f.message,
                "raw": f.raw if isinstance(f.raw, str) else codec.dumps(f.raw),
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

    # -- audit ---------------------------------------------------------------------------------------
    def add_audit(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        if rows:
            conn.execute(sa.insert(audit_events), rows)

    # -- deliveries ----------------------------------------------------------------------------------
    def pending_deliveries(
        self, conn: Connection, entity: str, target: str, after_id: int, limit: int
    ) -> tuple[list[PendingDelivery], int]:
        """Golden records whose content differs from what ``target`` last received, keyset-paged by id.

        Scans (id, key, hash) in id order and looks the ledger up by primary key, so the cost does not
        depend on the planner's statistics of freshly filled tables. Returns the rows and the id to
        continue after.
        """
        g, d = golden_records, deliveries
        scan = max(limit, 2000)
        while True:
            page = conn.execute(
                sa.select(g.c.id, g.c.key, g.c.hash)
                .where(g.c.entity == entity, g.c.id > after_id)
                .order_by(g.c.id)
                .limit(scan)
            ).all()
            if not page:
                return [], after_id
            ledger: dict[str, Any] = {}
            for chunk in _chunks([r.key for r in page]):
                for r in conn.execute(
                    sa.select(d.c.key, d.c.hash, d.c.payload_hash, d.c.system_id, d.c.payload).where(
                        d.c.entity == entity, d.c.target == target, d.c.key.in_(chunk)
                    )
                ):
                    ledger[r.key] = r
            wanted = [r for r in page if r.key not in ledger or ledger[r.key].hash != r.hash][:limit]
            if not wanted:
                after_id = page[-1].id
                continue
            data: dict[int, str] = {}
            for chunk in _chunks([r.id for r in wanted]):
                data.update(conn.execute(sa.select(g.c.id, g.c.data).where(g.c.id.in_(chunk))).tuples().all())
            ids = self.xref_by_keys(conn, entity, target, [r.key for r in wanted])
            rows = []
            for r in wanted:
                done = ledger.get(r.key)
                system_id = ids[r.key][0] if r.key in ids else (done.system_id if done else None)
                rows.append(
                    PendingDelivery(
                        r.id,
                        r.key,
                        data[r.id],
                        r.hash,
                        done.hash if done else None,
                        done.payload_hash if done else None,
                        system_id,
                        done.payload if done else None,
                    )
                )
            return rows, wanted[-1].id

    def upsert_deliveries(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        self.store.upsert(conn, deliveries, rows, ["entity", "key", "target"])

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
