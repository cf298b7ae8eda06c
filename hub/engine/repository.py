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

    _pending_sql: dict[str, Any] = {}

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
        self.store.insert_many(conn, audit_events, rows)

    # -- deliveries ----------------------------------------------------------------------------------
    def pending_deliveries(
        self, conn: Connection, entity: str, target: str, after_id: int, limit: int
    ) -> tuple[list[PendingDelivery], int]:
        """Golden records whose content differs from what ``target`` last received, keyset-paged by id.

        One statement per page: golden records in id order (``ix_golden_entity_id``), each joined by
        primary key to its ledger row, only those whose hash differs from the delivered one returned,
        then one xref lookup for the page. On PostgreSQL the join is LATERAL (an index lookup per row
        whatever the statistics say) and ``refresh_statistics`` runs first. Returns the rows and the
        id to continue after.
        """
        sql = self._pending_sql.get(self.store.dialect)
        if sql is None:
            sql = self._pending_sql[self.store.dialect] = sa.text(_pending_statement(self.store.dialect))
        page = conn.execute(
            sql, {"entity": entity, "target": target, "after": after_id, "limit": limit}
        ).all()
        ids = self.xref_by_keys(conn, entity, target, [r.key for r in page]) if page else {}
        rows = [
            PendingDelivery(
                r.id,
                r.key,
                r.data,
                r.hash,
                r.d_hash,
                r.d_payload_hash,
                ids[r.key][0] if r.key in ids else r.d_system_id,
                r.d_payload,
            )
            for r in page
        ]
        return rows, (rows[-1].id if rows else after_id)

    def refresh_statistics(self, conn: Connection, growth: float = 0.1) -> None:
        """PostgreSQL: ANALYZE the tables the engine's lookups read once they changed by more than
        ``growth`` times their size at the last analysis. Planned from the statistics of an empty
        table, the paged publish scan sorts every remaining row on every page and key lookups scan
        the table (quadratic at a million records); autovacuum catches up only minutes later."""
        if self.store.dialect != "postgresql":
            return
        stale = conn.execute(
            sa.text(
                "SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid "
                "WHERE s.schemaname = current_schema() AND s.relname IN ('golden_records', 'deliveries', 'xref') "
                "AND s.n_mod_since_analyze > 1000 + :growth * greatest(c.reltuples, 0)"
            ),
            {"growth": growth},
        ).scalars()
        for table in stale:
            conn.execute(sa.text(f'ANALYZE "{table}"'))  # a name from the list above, not from input

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


def _pending_statement(dialect: str) -> str:
    """The publish selection (see ``Repository.pending_deliveries``) in the dialect's SQL."""
    columns = (
        "g.id, g.key, g.data, g.hash, d.hash AS d_hash, d.payload_hash AS d_payload_hash, "
        "d.system_id AS d_system_id, d.payload AS d_payload"
    )
    if dialect == "postgresql":
        # LIMIT 1 (the key is the primary key anyway) keeps the planner from flattening the subquery
        # into a join planned from the statistics of a freshly filled table (a quadratic loop, measured)
        joins = (
            "LEFT JOIN LATERAL (SELECT * FROM deliveries d WHERE d.entity = g.entity AND d.key = g.key "
            "AND d.target = :target LIMIT 1) d ON true"
        )
    else:
        joins = "LEFT JOIN deliveries d ON d.entity = g.entity AND d.key = g.key AND d.target = :target"
    return (
        f"SELECT {columns} FROM golden_records g {joins} "
        "WHERE g.entity = :entity AND g.id > :after AND (d.hash IS NULL OR d.hash <> g.hash) "
        "ORDER BY g.id LIMIT :limit"
    )
