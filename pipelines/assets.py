"""Assets generated from the mappings: the asset graph is the lineage between systems.

Per entity: one in-process step reads every source system (creators first, so a golden record
exists before others enrich it) and materialises ``<system>/<entity>`` per source plus the golden
``hub/<entity>`` with one check per validation rule; then one asset per target publishes
``<target>/<entity>_from_hub``. A failing blocking check fails the ingest step, so Dagster skips
the publish assets downstream of it in the same run.

A golden asset also depends on the golden assets its reference rules look keys up in (orders on
products and customers), so a run ingests those first. The price: when such an upstream step fails
(or a blocking check on it does), the referencing entities are skipped in that run too.
"""

# No ``from __future__ import annotations`` here: Dagster reads the asset functions' annotations
# (context and config types) at definition time and does not resolve strings.

import re
from collections.abc import Iterator
from typing import Any

import dagster as dg
import sqlalchemy as sa
from pydantic import Field

from connectors.registry import resource_for
from hub.config import HubConfig
from hub.engine.ingest import Ingestor
from hub.engine.publish import Publisher
from hub.engine.runner import ENTITY_ORDER
from hub.engine.stats import SyncStats
from hub.errors import ConfigError
from hub.mapping import EntityMapping, MappingSet
from hub.store import Store
from hub.store.schema import failures, golden_records
from pipelines.checks import check_specs, evaluate_checks, golden_key
from pipelines.resources import HubStoreResource

STORE_KEY = "hub_store"


class SyncConfig(dg.Config):
    """Run configuration of an ingest step."""

    full: bool = Field(
        default=False,
        description="Read everything again, ignoring saved cursors (unchanged records are still skipped).",
    )


def read_key(system: str, entity: str) -> dg.AssetKey:
    return dg.AssetKey([system, entity])


def publish_key(target: str, entity: str) -> dg.AssetKey:
    return dg.AssetKey([target, f"{entity}_from_hub"])


def resource_key(system: str) -> str:
    """The resource key of a system is its name; Dagster keys allow letters, digits and underscores."""
    key = re.sub(r"[^A-Za-z0-9_]", "_", system)
    if key == STORE_KEY:
        raise ConfigError(f"a system cannot be named '{system}': the hub store's resource key")
    return key


def ingest_op_name(entity: str) -> str:
    return f"ingest_{entity}"


def build_resources(config: HubConfig) -> dict[str, Any]:
    """The hub store plus one connector resource per configured system (secrets stay EnvVars)."""
    resources: dict[str, Any] = {
        STORE_KEY: HubStoreResource(config_path=str(config.file) if config.file else None)
    }
    for name in config.systems:
        resources[resource_key(name)] = resource_for(config, name)
    return resources


def build_assets(config: HubConfig, mappings: MappingSet) -> list[dg.AssetsDefinition]:
    """Every entity's ingest multi-asset and publish assets, in dependency order."""
    order = {name: index for index, name in enumerate(ENTITY_ORDER)}
    assets: list[dg.AssetsDefinition] = []
    for entity in sorted(mappings, key=lambda e: order.get(e, len(order))):
        mapping = mappings[entity]
        assets.append(_ingest_asset(config, mapping, _referenced(mapping, mappings, order)))
        assets += [_publish_asset(config, mapping, target) for target in mapping.targets]
    return assets


def _referenced(mapping: EntityMapping, mappings: MappingSet, order: dict[str, int]) -> list[dg.AssetKey]:
    """Golden assets that reference rules look keys up in: they must be ingested first.

    Only entities earlier in ENTITY_ORDER count, which keeps the graph acyclic.
    """
    mine = order.get(mapping.entity, len(order))
    names = {
        r.entity
        for r in mapping.rules
        if r.kind == "reference" and r.entity in mappings and order.get(r.entity or "", mine) < mine
    }
    return [golden_key(name) for name in sorted(names)]


def _title(config: HubConfig, system: str) -> str:
    return config.systems[system].title or system


def _kinds(config: HubConfig, system: str) -> set[str]:
    """Badges on the node in the Dagster UI: which system (the label shows only the entity) and its connector."""
    return {system, config.systems[system].connector}


def _entity_description(mapping: EntityMapping) -> str:
    return (mapping.description or f"{mapping.entity} records").strip()


def _ingest_asset(
    config: HubConfig, mapping: EntityMapping, upstream: list[dg.AssetKey]
) -> dg.AssetsDefinition:
    entity, sources, batch_size = mapping.entity, mapping.sources, config.batch_size
    about = _entity_description(mapping)
    read_specs = [
        dg.AssetSpec(
            read_key(source, entity),
            description=f"{entity} records read from {_title(config, source)} into the hub.",
            group_name=entity,
            kinds=_kinds(config, source),
            metadata={"system": source, "creates": mapping.systems[source].creates},
        )
        for source in sources
    ]
    golden = dg.AssetSpec(
        golden_key(entity),
        deps=[spec.key for spec in read_specs] + upstream,
        description=f"Golden {entity} records: {about}",
        group_name=entity,
        kinds={"hub"},
        metadata={
            "mapping": mapping.file.name,
            "natural_key": "/".join(mapping.spec.key_fields),
            "default_owner": mapping.default_owner,
        },
    )

    @dg.multi_asset(
        name=ingest_op_name(entity),
        specs=[*read_specs, golden],
        check_specs=check_specs(mapping),
        required_resource_keys={STORE_KEY, *(resource_key(s) for s in sources)},
        description=f"Ingest {entity} from {', '.join(sources) or 'no system'} and check its rules.",
    )
    def _ingest(context: dg.AssetExecutionContext, config: SyncConfig) -> Iterator[Any]:
        store: Store = getattr(context.resources, STORE_KEY).store()
        totals = SyncStats(entity, "hub", "ingest")
        for source in sources:
            connector = getattr(context.resources, resource_key(source)).connector(source)
            stats = Ingestor(store, mapping, source, connector, context.run_id, batch_size).run(
                full=config.full
            )
            context.log.info(f"{entity} from {source}: {stats.to_dict()}")
            for name in SyncStats.COUNTS:
                setattr(totals, name, getattr(totals, name) + getattr(stats, name))
            yield dg.MaterializeResult(asset_key=read_key(source, entity), metadata=_ingest_metadata(stats))
        yield dg.MaterializeResult(
            asset_key=golden_key(entity), metadata=_golden_metadata(store, mapping, totals)
        )
        yield from evaluate_checks(store, mapping)

    return _ingest


def _publish_asset(config: HubConfig, mapping: EntityMapping, target: str) -> dg.AssetsDefinition:
    entity, batch_size = mapping.entity, config.batch_size

    @dg.asset(
        key=publish_key(target, entity),
        deps=[golden_key(entity)],
        group_name=entity,
        kinds=_kinds(config, target),
        description=f"Golden {entity} records delivered to {_title(config, target)}.",
        required_resource_keys={STORE_KEY, resource_key(target)},
        metadata={"system": target},
    )
    def _publish(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        store: Store = getattr(context.resources, STORE_KEY).store()
        connector = getattr(context.resources, resource_key(target)).connector(target)
        stats = Publisher(store, mapping, target, connector, context.run_id, batch_size).run()
        context.log.info(f"{entity} to {target}: {stats.to_dict()}")
        return dg.MaterializeResult(metadata=_publish_metadata(stats))

    return _publish


def _ingest_metadata(stats: SyncStats) -> dict[str, Any]:
    counts = ("read", "created", "updated", "unchanged", "rejected", "conflicts")
    return {
        **{name: dg.MetadataValue.int(getattr(stats, name)) for name in counts},
        "cursor": dg.MetadataValue.text(stats.cursor or ""),
        "duration_s": dg.MetadataValue.float(stats.duration_s),
    }


def _publish_metadata(stats: SyncStats) -> dict[str, Any]:
    counts = ("created", "updated", "unchanged", "rejected", "delivered")
    return {
        **{name: dg.MetadataValue.int(getattr(stats, name)) for name in counts},
        "duration_s": dg.MetadataValue.float(stats.duration_s),
    }


def _golden_metadata(store: Store, mapping: EntityMapping, totals: SyncStats) -> dict[str, Any]:
    with store.begin() as conn:
        records = conn.scalar(
            sa.select(sa.func.count())
            .select_from(golden_records)
            .where(golden_records.c.entity == mapping.entity)
        )
        open_failures = conn.scalar(
            sa.select(sa.func.count())
            .select_from(failures)
            .where(failures.c.entity == mapping.entity, failures.c.status == "open")
        )
    return {
        "records": dg.MetadataValue.int(int(records or 0)),
        "open_failures": dg.MetadataValue.int(int(open_failures or 0)),
        "mapping_version": dg.MetadataValue.text(mapping.version),
        **{
            name: dg.MetadataValue.int(getattr(totals, name))
            for name in ("read", "created", "updated", "rejected", "conflicts")
        },
    }
