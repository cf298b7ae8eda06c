"""The publish selection: which golden records a target has not received, read by change.

``PublishQueries`` is the part of the engine's ``Repository`` that publish uses: the full keyset scan
(a target without a watermark), the change window (records changed since the target's watermark,
plus its backlog) and the bookkeeping that moves the watermark and the backlog.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.store.schema import change_counters, deliveries, golden_records, publish_backlog, publish_marks

if TYPE_CHECKING:
    from hub.store import Store

_CHUNK = 500  # bound parameters per IN (...) list


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


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


_PENDING_FIELDS = tuple(f.name for f in fields(PendingDelivery))


@dataclass(frozen=True)
class PublishWindow:
    """What one publish run compares: the changes in (``low``, ``high``] and the backlog's keys."""

    low: int  # the target's watermark: every change up to it has been offered
    high: int  # the entity's change counter when the run started
    backlog: frozenset[str]  # keys queued for the target (failed writes, stale copies)


class PublishQueries:
    """Publish's queries; mixed into ``Repository`` (which provides ``store`` and ``xref_by_keys``)."""

    store: Store
    _pending_sql: dict[str, Any] = {}

    def xref_by_keys(
        self, conn: Connection, entity: str, system: str, keys: Iterable[str]
    ) -> dict[str, tuple[str, str | None]]:
        raise NotImplementedError

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
            sql = _pending_statement(self.store.dialect, "g.id > :after", "LIMIT :limit")
            if self.store.dialect == "postgresql":  # the driver's named style
                sql = re.sub(r":(\w+)", r"%(\1)s", sql)
            self._pending_sql[self.store.dialect] = sql
        # at the driver level: plain tuples, no SQLAlchemy row objects for a page of whole records
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql, {"entity": entity, "target": target, "after": after_id, "limit": limit})
            page = cursor.fetchall()
        except self.store.engine.dialect.loaded_dbapi.Error as exc:  # as SQLAlchemy raises it
            dialect = self.store.engine.dialect
            raise sa.exc.DBAPIError.instance(
                sql, None, exc, dialect.loaded_dbapi.Error, dialect=dialect
            ) from exc
        finally:
            cursor.close()
        rows = self._pending_rows(conn, entity, target, page)
        return rows, (rows[-1].id if rows else after_id)

    def _pending_rows(
        self, conn: Connection, entity: str, target: str, page: Sequence[Any]
    ) -> list[PendingDelivery]:
        """Selection rows (in ``_pending_statement``'s column order) with the target's ids from xref
        (one lookup for the page)."""
        ids = self.xref_by_keys(conn, entity, target, [r[1] for r in page]) if page else {}
        new, names = object.__new__, _PENDING_FIELDS
        out: list[PendingDelivery] = []
        for r in page:
            row = new(PendingDelivery)  # frozen: filled without its per-field __setattr__ calls
            values = dict(zip(names, r, strict=True))
            known = ids.get(r[1])
            if known is not None:
                values["system_id"] = known[0]
            row.__dict__.update(values)
            out.append(row)
        return out

    # -- publish by change -----------------------------------------------------------------------------
    def publish_window(
        self, conn: Connection, entity: str, target: str, mark: str | None = None
    ) -> PublishWindow:
        """The watermark ``mark`` (the target's own by default; a shard keeps ``target#<shard>``), the
        entity's committed change counter and the target's backlog."""
        low = conn.scalar(
            sa.select(publish_marks.c.seq).where(
                publish_marks.c.entity == entity, publish_marks.c.target == (mark or target)
            )
        )
        high = conn.scalar(sa.select(change_counters.c.value).where(change_counters.c.entity == entity))
        b = publish_backlog
        queued = conn.scalars(sa.select(b.c.key).where(b.c.entity == entity, b.c.target == target))
        return PublishWindow(int(low or 0), int(high or 0), frozenset(queued))

    def changed_ids(self, conn: Connection, entity: str, window: PublishWindow) -> array[int]:
        """Ids (sorted) of the golden records publish must compare: changed in the window (through
        ``ix_golden_entity_seq``, so the cost follows the change), never sequenced (written outside
        the engine), or queued in the backlog."""
        t = golden_records
        found = set(
            conn.scalars(
                sa.select(t.c.id).where(
                    t.c.entity == entity, t.c.change_seq > window.low, t.c.change_seq <= window.high
                )
            )
        )
        found.update(conn.scalars(sa.select(t.c.id).where(t.c.entity == entity, t.c.change_seq.is_(None))))
        for chunk in _chunks(sorted(window.backlog)):
            found.update(conn.scalars(sa.select(t.c.id).where(t.c.entity == entity, t.c.key.in_(chunk))))
        return array("q", sorted(found))

    def pending_among(
        self, conn: Connection, entity: str, target: str, ids: Sequence[int]
    ) -> list[PendingDelivery]:
        """``pending_deliveries`` narrowed to these golden ids (a sorted slice of ``changed_ids``)."""
        if not ids:
            return []
        if self.store.dialect == "postgresql":
            sql = _pending_statement("postgresql", "g.id = ANY(:ids)")
            params: dict[str, Any] = {"entity": entity, "target": target, "ids": list(ids)}
        else:  # integers from the database, inlined: one IN list instead of a thousand bound values
            sql = _pending_statement("sqlite", f"g.id IN ({','.join(str(int(i)) for i in ids)})")
            params = {"entity": entity, "target": target}
        return self._pending_rows(conn, entity, target, conn.execute(sa.text(sql), params).all())

    def set_publish_mark(
        self, conn: Connection, entity: str, target: str, seq: int, run_id: str, at: datetime
    ) -> None:
        """Move the target's watermark (in the transaction of the run's last ledger rows)."""
        row = {"entity": entity, "target": target, "seq": seq, "run_id": run_id, "updated_at": at}
        self.store.upsert(conn, publish_marks, [row], ["entity", "target"])

    def queue_for_publish(
        self, conn: Connection, entity: str, target: str, keys: Iterable[str], at: datetime
    ) -> None:
        """Keys the next publish to ``target`` must compare whatever the watermark says."""
        rows = [{"entity": entity, "key": k, "target": target, "queued_at": at} for k in sorted(set(keys))]
        if rows:
            self.store.upsert(conn, publish_backlog, rows, ["entity", "key", "target"], [])

    def settle_backlog(self, conn: Connection, entity: str, target: str, keys: Iterable[str]) -> None:
        """Drop backlog keys whose ledger now matches the golden record (delivered, or in sync)."""
        b, d, g = publish_backlog, deliveries, golden_records
        in_sync = (
            sa.select(d.c.key)
            .join(g, sa.and_(g.c.entity == d.c.entity, g.c.key == d.c.key))
            .where(d.c.entity == entity, d.c.target == target, d.c.hash == g.c.hash)
        )
        for chunk in _chunks(sorted(set(keys))):
            conn.execute(
                sa.delete(b).where(
                    b.c.entity == entity,
                    b.c.target == target,
                    b.c.key.in_(chunk),
                    b.c.key.in_(in_sync.where(d.c.key.in_(chunk))),
                )
            )

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


def _pending_statement(dialect: str, where: str, limit: str = "") -> str:
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
        f"WHERE g.entity = :entity AND {where} AND (d.hash IS NULL OR d.hash <> g.hash) "
        f"ORDER BY g.id {limit}"
    )
