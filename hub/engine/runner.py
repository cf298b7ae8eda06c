"""Runs a whole entity: every source in creator-first order, then every target.

Blocking rules (``blocking: true`` in the mapping) with open failures hold publishing back until the
records are fixed or ignored; the Dagster asset checks apply the same test.
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa

from hub.engine.ingest import Ingestor
from hub.engine.ports import Connector
from hub.engine.publish import Publisher
from hub.engine.stats import SyncStats
from hub.mapping import EntityMapping
from hub.models import ENTITIES
from hub.store import Store
from hub.store.schema import failures

ENTITY_ORDER: tuple[str, ...] = tuple(ENTITIES)  # referenced entities (customer, product) come first


def blocking_failures(store: Store, mapping: EntityMapping) -> int:
    """Open failures of the entity's blocking rules."""
    blocking = [r.id for r in mapping.rules if r.blocking]
    if not blocking:
        return 0
    with store.begin() as conn:
        return int(
            conn.scalar(
                sa.select(sa.func.count())
                .select_from(failures)
                .where(
                    failures.c.entity == mapping.entity,
                    failures.c.rule.in_(blocking),
                    failures.c.status == "open",
                )
            )
            or 0
        )


def sync_entity(
    store: Store,
    mapping: EntityMapping,
    connectors: Mapping[str, Connector],
    run_id: str,
    *,
    full: bool = False,
    publish: bool = True,
    batch_size: int = 1000,
) -> list[SyncStats]:
    results = [
        Ingestor(store, mapping, source, connectors[source], run_id, batch_size).run(full=full)
        for source in mapping.sources
    ]
    if publish and blocking_failures(store, mapping) == 0:
        results += [
            Publisher(store, mapping, target, connectors[target], run_id, batch_size).run()
            for target in mapping.targets
        ]
    return results
