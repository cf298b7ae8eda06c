"""Queries behind `hub failures`: one row per failed record, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from hub import privacy
from hub.engine.stats import SyncStats
from hub.store import Store
from hub.store.schema import failures, sync_stats

FAILURE_COLUMNS = (
    "id",
    "entity",
    "key",
    "system",
    "stage",
    "rule",
    "field",
    "message",
    "status",
    "attempts",
    "first_seen",
    "last_seen",
)


# what fits a terminal: everything but first_seen
FAILURE_TABLE_COLUMNS = tuple(c for c in FAILURE_COLUMNS if c != "first_seen")


def list_failures(
    store: Store,
    *,
    entity: str | None = None,
    system: str | None = None,
    status: str | None = None,
    since: datetime | None = None,
    with_raw: bool = False,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    t = failures
    query = sa.select(t).order_by(t.c.last_seen.desc(), t.c.id.desc())
    if entity:
        query = query.where(t.c.entity == entity)
    if system:
        query = query.where(t.c.system == system)
    if status:
        query = query.where(t.c.status == status)
    if since:
        query = query.where(t.c.last_seen >= since)
    if limit:
        query = query.limit(limit)
    with store.begin() as conn:
        rows = conn.execute(query).mappings().all()
    columns = (*FAILURE_COLUMNS, "raw") if with_raw else FAILURE_COLUMNS
    masker = privacy.active()  # the raw payload stays whole in the store (replay); masked when shown
    shown = [masker.failure(dict(row)) for row in rows] if masker else rows
    return [{c: _plain(row[c]) for c in columns} for row in shown]


def run_summary(store: Store, run_id: str) -> list[dict[str, Any]]:
    """Per-entity, per-system counts of one run, in the order the steps ran."""
    t = sync_stats
    with store.begin() as conn:
        rows = conn.execute(sa.select(t).where(t.c.run_id == run_id).order_by(t.c.id)).mappings().all()
    return [{c: row[c] for c in SyncStats.FIELDS} for row in rows]


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value
