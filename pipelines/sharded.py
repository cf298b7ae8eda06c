"""Sharded sync jobs: one run fans an entity out into key shards that any worker may take.

``sync_<entity>_sharded`` and ``sync_all_sharded`` are op jobs next to the asset jobs. Per entity:
``<entity>_shards`` fans out one step per shard; each ``<entity>_ingest`` step reads every source
(creator first) for its keys; ``<entity>_golden`` waits for all of them, reports the same asset
materialisations and check results as the ingest asset (from the run's ``sync_stats`` rows), stops on
open blocking failures, and fans publishing out per (target, shard); ``<entity>_published`` reports the
publish assets. With the Celery executor each step is a task, so shards spread over the workers.

Only the hub store carries data between steps (every output is ``Nothing``), so no IO manager or
shared volume is needed. The shard count is run configuration of the ``hub_sharding`` resource.
"""

# No ``from __future__ import annotations``: Dagster reads op annotations at definition time.

from collections.abc import Iterator
from typing import Any

import dagster as dg
import sqlalchemy as sa
from pydantic import Field

from hub.config import HubConfig
from hub.engine.ingest import Ingestor
from hub.engine.runner import ENTITY_ORDER, blocking_failures
from hub.engine.stats import SyncStats
from hub.mapping import EntityMapping, MappingSet
from hub.store import Store
from hub.store.schema import sync_stats
from pipelines.assets import (
    STORE_KEY,
    _golden_metadata,
    _ingest_metadata,
    _publish_metadata,
    build_resources,
    publish_key,
    read_key,
    resource_key,
)
from pipelines.checks import check_name, evaluate_checks, golden_key
from pipelines.partitions import MAX_SHARDS, Shard, ShardedConnector, all_shards, shard_publisher

SHARDING_KEY = "hub_sharding"
ALL_SHARDED_JOB = "sync_all_sharded"


def sharded_job_name(entity: str) -> str:
    return f"sync_{entity}_sharded"


class ShardingResource(dg.ConfigurableResource):
    """How a sharded run splits each entity."""

    shards: int = Field(
        default=4,
        ge=1,
        le=MAX_SHARDS,
        description="Key shards per entity; about one or two per worker process is a good start.",
    )
    full: bool = Field(
        default=False,
        description="Read everything again, ignoring the shards' saved cursors (unchanged records are still skipped).",
    )


def build_sharded_jobs(config: HubConfig, mappings: MappingSet) -> list[dg.JobDefinition]:
    """``sync_<entity>_sharded`` per entity plus ``sync_all_sharded``, in dependency order."""
    order = {name: index for index, name in enumerate(ENTITY_ORDER)}
    entities = sorted(mappings, key=lambda e: order.get(e, len(order)))
    ops = {entity: _EntityOps(config, mappings[entity]) for entity in entities}
    resources = {**build_resources(config), SHARDING_KEY: ShardingResource()}
    jobs = [
        _job(sharded_job_name(e), [e], ops, resources, f"Ingest and publish {e} in key shards.")
        for e in entities
    ]
    jobs.append(
        _job(ALL_SHARDED_JOB, entities, ops, resources, "Ingest and publish every entity in key shards.")
    )
    return jobs


def _job(
    name: str,
    entities: list[str],
    ops: dict[str, "_EntityOps"],
    resources: dict[str, Any],
    description: str,
) -> dg.JobDefinition:
    """The job carries its resources (the hub's plus ``hub_sharding``), so it is complete on its own."""

    @dg.job(name=name, description=description, resource_defs=resources)
    def _sharded() -> None:
        ready: dict[str, Any] = {}
        for entity in entities:
            entity_ops = ops[entity]
            upstream = [ready[e] for e in entity_ops.references if e in ready]
            planned = entity_ops.plan(after=upstream) if upstream else entity_ops.plan()
            ingested = planned.map(lambda shard, o=entity_ops: o.ingest(start=shard)).collect()
            ready[entity], to_publish = entity_ops.golden(done=ingested)
            if entity_ops.publishes:
                published = to_publish.map(lambda part, o=entity_ops: o.publish(start=part)).collect()
                entity_ops.published(done=published)

    return _sharded


def _run_totals(store: Store, run_id: str, entity: str, stage: str) -> dict[str, SyncStats]:
    """The run's counts per system, summed over its shard steps."""
    t = sync_stats
    totals: dict[str, SyncStats] = {}
    with store.begin() as conn:
        rows = conn.execute(
            sa.select(
                t.c.system,
                sa.func.min(t.c.started_at).label("started_at"),
                sa.func.max(t.c.finished_at).label("finished_at"),
                *(sa.func.sum(t.c[name]).label(name) for name in SyncStats.COUNTS),
            )
            .where(t.c.run_id == run_id, t.c.entity == entity, t.c.stage == stage)
            .group_by(t.c.system)
        )
        for row in rows:
            stats = totals[row.system] = SyncStats(entity, row.system, stage)
            for name in SyncStats.COUNTS:
                setattr(stats, name, int(getattr(row, name) or 0))
            # first shard's start to last shard's end: the wall time the shards took together
            stats.started_at, stats.finished_at = row.started_at, row.finished_at
    return totals


class _EntityOps:
    """The five ops of one entity's sharded sync."""

    def __init__(self, config: HubConfig, mapping: EntityMapping) -> None:
        self.mapping, self.entity = mapping, mapping.entity
        self.references = sorted({r.entity for r in mapping.rules if r.kind == "reference" and r.entity})
        self.publishes = bool(mapping.targets)
        self.batch_size = config.batch_size
        self.plan = self._plan_op()
        self.ingest = self._ingest_op()
        self.golden = self._golden_op()
        self.publish = self._publish_op()
        self.published = self._published_op()

    def _plan_op(self) -> dg.OpDefinition:
        @dg.op(
            name=f"{self.entity}_shards",
            ins={"after": dg.In(dg.Nothing)},
            out=dg.DynamicOut(dg.Nothing),
            required_resource_keys={SHARDING_KEY},
            description=f"Split {self.entity} into key shards.",
        )
        def _plan(context: dg.OpExecutionContext) -> Iterator[dg.DynamicOutput]:
            for shard in all_shards(getattr(context.resources, SHARDING_KEY).shards):
                yield dg.DynamicOutput(None, mapping_key=shard.name)

        return _plan

    def _ingest_op(self) -> dg.OpDefinition:
        mapping, batch_size = self.mapping, self.batch_size

        @dg.op(
            name=f"{self.entity}_ingest",
            ins={"start": dg.In(dg.Nothing)},
            out=dg.Out(dg.Nothing),
            required_resource_keys={SHARDING_KEY, STORE_KEY, *(resource_key(s) for s in mapping.sources)},
            description=f"Ingest one key shard of {self.entity} from every source, creators first.",
        )
        def _ingest(context: dg.OpExecutionContext) -> None:
            shard = Shard.parse(context.get_mapping_key() or "")
            full = getattr(context.resources, SHARDING_KEY).full
            store: Store = getattr(context.resources, STORE_KEY).store()
            for source in mapping.sources:
                inner = getattr(context.resources, resource_key(source)).connector(source)
                connector = ShardedConnector(inner, store, mapping, shard, full=full)
                # full=True: the engine must not read the unsharded cursor; the shard keeps its own
                stats = Ingestor(store, mapping, source, connector, context.run_id, batch_size).run(full=True)
                context.log.info(f"{mapping.entity} {shard.name} from {source}: {stats.to_dict()}")

        return _ingest

    def _golden_op(self) -> dg.OpDefinition:
        mapping, targets = self.mapping, self.mapping.targets

        @dg.op(
            name=f"{self.entity}_golden",
            ins={"done": dg.In(dg.Nothing)},
            out={"ready": dg.Out(dg.Nothing), "publish": dg.DynamicOut(dg.Nothing)},
            required_resource_keys={SHARDING_KEY, STORE_KEY},
            description=f"Report golden {self.entity}, evaluate its rules and fan publishing out.",
        )
        def _golden(context: dg.OpExecutionContext) -> Iterator[Any]:
            store: Store = getattr(context.resources, STORE_KEY).store()
            per_source = _run_totals(store, context.run_id, mapping.entity, "ingest")
            totals = SyncStats(mapping.entity, "hub", "ingest")
            for source in mapping.sources:
                stats = per_source.get(source, SyncStats(mapping.entity, source, "ingest"))
                for name in SyncStats.COUNTS:
                    setattr(totals, name, getattr(totals, name) + getattr(stats, name))
                context.log_event(
                    dg.AssetMaterialization(
                        read_key(source, mapping.entity), metadata=_ingest_metadata(stats)
                    )
                )
            context.log_event(
                dg.AssetMaterialization(
                    golden_key(mapping.entity), metadata=_golden_metadata(store, mapping, totals)
                )
            )
            blocking = {r.id for r in mapping.rules if r.blocking}
            for result in evaluate_checks(store, mapping):
                context.log_event(_evaluation(result, result.check_name in {check_name(b) for b in blocking}))
            held = blocking_failures(store, mapping)
            if held:
                raise dg.Failure(
                    f"{held} open failures of blocking rules hold {mapping.entity} back from publishing",
                    metadata={"blocking_failures": held},
                )
            yield dg.Output(None, "ready")
            for target in targets:
                for shard in all_shards(getattr(context.resources, SHARDING_KEY).shards):
                    yield dg.DynamicOutput(
                        None, output_name="publish", mapping_key=f"{resource_key(target)}__{shard.name}"
                    )

        return _golden

    def _publish_op(self) -> dg.OpDefinition:
        mapping, batch_size = self.mapping, self.batch_size
        by_key = {resource_key(t): t for t in mapping.targets}

        @dg.op(
            name=f"{self.entity}_publish",
            ins={"start": dg.In(dg.Nothing)},
            out=dg.Out(dg.Nothing),
            required_resource_keys={STORE_KEY, *by_key},
            description=f"Publish one key shard of golden {self.entity} to one target.",
        )
        def _publish(context: dg.OpExecutionContext) -> None:
            target_key, _, shard_name = (context.get_mapping_key() or "").rpartition("__")
            target, shard = by_key[target_key], Shard.parse(shard_name)
            store: Store = getattr(context.resources, STORE_KEY).store()
            connector = getattr(context.resources, target_key).connector(target)
            publisher = shard_publisher(store, mapping, target, connector, context.run_id, shard, batch_size)
            stats = publisher.run()
            context.log.info(f"{mapping.entity} {shard.name} to {target}: {stats.to_dict()}")

        return _publish

    def _published_op(self) -> dg.OpDefinition:
        mapping = self.mapping

        @dg.op(
            name=f"{self.entity}_published",
            ins={"done": dg.In(dg.Nothing)},
            required_resource_keys={STORE_KEY},
            description=f"Report what the shards delivered of {self.entity}, per target.",
        )
        def _published(context: dg.OpExecutionContext) -> None:
            store: Store = getattr(context.resources, STORE_KEY).store()
            per_target = _run_totals(store, context.run_id, mapping.entity, "publish")
            for target in mapping.targets:
                stats = per_target.get(target, SyncStats(mapping.entity, target, "publish"))
                context.log_event(
                    dg.AssetMaterialization(
                        publish_key(target, mapping.entity), metadata=_publish_metadata(stats)
                    )
                )

        return _published


def _evaluation(result: dg.AssetCheckResult, blocking: bool) -> dg.AssetCheckEvaluation:
    """An op cannot return check results for checks it does not declare; it can log evaluations."""
    return dg.AssetCheckEvaluation(
        asset_key=result.asset_key,
        check_name=result.check_name,
        passed=result.passed,
        metadata=result.metadata,
        severity=result.severity,
        blocking=blocking,
    )
