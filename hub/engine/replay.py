"""Fix and replay: failed records go through the pipeline again, idempotently.

For ingest failures the source is read again under the current mapping and rules: that covers a fix
in the source system and a fix in the mapping. ``from_payload`` instead re-translates the stored raw
payloads without touching the source (the source no longer has them, or is unreachable). For write
failures the target is published again: only records it has not received are sent.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import sqlalchemy as sa

from hub.engine.ingest import Ingestor
from hub.engine.ports import Connector, ReadBatch
from hub.engine.publish import Publisher
from hub.engine.stats import utcnow
from hub.mapping import MappingSet
from hub.store import Store
from hub.store.schema import failures

INGEST_STAGES = ("read", "translate", "validate", "merge")
ACTIVE = ("open", "retrying")


@dataclass
class RetryOutcome:
    id: int
    entity: str
    key: str | None
    system: str
    stage: str
    rule: str | None
    status: str  # after the retry: resolved, open, ignored
    message: str

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


class _Replay:
    """A connector that hands the engine stored raw payloads once (cursor untouched)."""

    def __init__(self, system: str, raws: list[dict[str, Any]]) -> None:
        self.system, self.raws = system, raws

    def read(self, entity: str, cursor: str | None, batch_size: int) -> Iterator[ReadBatch]:
        for start in range(0, len(self.raws), batch_size):
            yield ReadBatch(self.raws[start : start + batch_size], None)

    def write(self, entity: str, records: Sequence[Any]) -> list[Any]:
        raise NotImplementedError("a replay only reads")


def _select(store: Store, ids: Sequence[int] | None, entity: str | None, everything: bool) -> list[Any]:
    t = failures
    query = sa.select(t).where(t.c.status.in_(ACTIVE)).order_by(t.c.id)
    if ids:
        query = query.where(t.c.id.in_(list(ids)))
    elif entity:
        query = query.where(t.c.entity == entity)
    elif not everything:
        return []
    with store.begin() as conn:
        return list(conn.execute(query).mappings())


def _raw_record(raw: str | None) -> dict[str, Any] | None:
    try:
        value = orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def retry_failures(
    store: Store,
    mappings: MappingSet,
    connectors: Mapping[str, Connector],
    run_id: str,
    *,
    ids: Sequence[int] | None = None,
    entity: str | None = None,
    everything: bool = False,
    from_payload: bool = False,
    batch_size: int = 1000,
) -> list[RetryOutcome]:
    """Retry the selected open failures; returns each one's status afterwards.

    ``from_payload``: re-translate the stored raw payloads instead of reading the source again.
    """
    selected = _select(store, ids, entity, everything)
    if not selected:
        return []
    chosen = [row["id"] for row in selected]
    with store.begin() as conn:
        conn.execute(sa.update(failures).where(failures.c.id.in_(chosen)).values(status="retrying"))

    groups: dict[tuple[str, str, bool], list[Any]] = {}
    for row in selected:
        groups.setdefault((row["entity"], row["system"], row["stage"] == "write"), []).append(row)

    def order(group: tuple[str, str, bool]) -> tuple[int, int]:
        name, system, is_write = group  # sources in creator-first order, then targets
        sources = mappings[name].sources if name in mappings else []
        return (1 if is_write else 0, sources.index(system) if system in sources else 99)

    for (name, system, is_write), rows in sorted(groups.items(), key=lambda item: order(item[0])):
        mapping = mappings.get(name)
        if mapping is None or system not in mapping.systems:
            continue
        if is_write:
            Publisher(store, mapping, system, connectors[system], run_id, batch_size).run()
            continue
        if from_payload:
            raws = [raw for r in rows if (raw := _raw_record(r["raw"])) is not None]
            Ingestor(store, mapping, system, _Replay(system, raws), run_id, batch_size).run()
            continue
        # the whole source again, under the current mapping: fixed records merge (and resolve their
        # failures), records still wrong fail again; one that does not come back has left the source
        Ingestor(store, mapping, system, connectors[system], run_id, batch_size).run(full=True)
        with store.begin() as conn:
            conn.execute(
                sa.update(failures)
                .where(failures.c.id.in_([r["id"] for r in rows]), failures.c.status == "retrying")
                .values(status="resolved", resolved_at=utcnow(), note="no longer in the source")
            )

    with (
        store.begin() as conn
    ):  # untouched by the replay (e.g. unreadable raw text): open again, one more attempt
        conn.execute(
            sa.update(failures)
            .where(failures.c.id.in_(chosen), failures.c.status == "retrying")
            .values(status="open", attempts=failures.c.attempts + 1, last_seen=utcnow())
        )
        after = conn.execute(sa.select(failures).where(failures.c.id.in_(chosen)).order_by(failures.c.id))
        return [
            RetryOutcome(r.id, r.entity, r.key, r.system, r.stage, r.rule, r.status, r.message) for r in after
        ]


def ignore_failure(store: Store, failure_id: int, reason: str) -> bool:
    """Mark a failure ignored with the operator's reason; it no longer blocks or alerts."""
    with store.begin() as conn:
        done = conn.execute(
            sa.update(failures)
            .where(failures.c.id == failure_id)
            .values(status="ignored", note=reason, resolved_at=utcnow())
        )
        return bool(done.rowcount)


def backoff_for(attempts: int) -> timedelta:
    """Retriable failures wait 2, 4, 8 ... minutes after their last attempt, at most six hours."""
    return min(timedelta(minutes=2 ** max(1, attempts)), timedelta(hours=6))


def due_retriable(store: Store, now: datetime | None = None) -> list[int]:
    """Open retriable failures whose back-off has passed (what the scheduled retry replays)."""
    now = now or utcnow()
    t = failures
    with store.begin() as conn:
        rows = conn.execute(
            sa.select(t.c.id, t.c.attempts, t.c.last_seen).where(
                t.c.status == "open", t.c.retriable.is_(True)
            )
        ).all()
    due = []
    for failure_id, attempts, last_seen in rows:
        seen = last_seen if last_seen.tzinfo else last_seen.replace(tzinfo=UTC)
        if seen + backoff_for(attempts) <= now:
            due.append(failure_id)
    return due
