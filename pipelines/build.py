"""Builds the code location's Definitions from one hub.yaml and whatever mappings exist.

Kept apart from ``pipelines.definitions`` so that callers with their own configuration (the CLI,
tests) do not load the default one as an import side effect.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from hub.config import load_config
from hub.engine.observers import install_from_config
from hub.errors import ConfigError
from hub.mapping import MappingSet, load_mappings
from pipelines.assets import build_assets, build_resources
from pipelines.operations import RETRY_JOB, build_retry_job, build_run_failure_sensor
from schedules.definitions import build_schedules

ALL_JOB = "sync_all"


def job_name(entity: str) -> str:
    return f"sync_{entity}"


def build_jobs(mappings: MappingSet) -> list[dg.UnresolvedAssetJobDefinition]:
    """``sync_all`` plus ``sync_<entity>`` per entity (the entity's asset group, checks included)."""
    jobs = [
        dg.define_asset_job(
            ALL_JOB, selection=dg.AssetSelection.all(), description="Ingest and publish every entity."
        )
    ]
    jobs += [
        dg.define_asset_job(
            job_name(entity),
            selection=dg.AssetSelection.groups(entity),
            description=f"Ingest {entity} from its sources, check its rules and publish it to its targets.",
        )
        for entity in mappings
    ]
    return jobs


def build_definitions(config_path: str | Path | None = None) -> dg.Definitions:
    """Everything Dagster shows, from one configuration file (HUB_CONFIG / ./hub.yaml by default)."""
    config = load_config(config_path)
    mappings = load_mappings(config.mappings_dir, config.systems, config.entities)
    install_from_config(config)  # OpenLineage events and alert rules for the steps the assets run
    if not mappings:
        raise ConfigError("no <entity>.yaml mapping files", file=str(config.mappings_dir))
    return dg.Definitions(
        assets=build_assets(config, mappings),
        jobs=[*build_jobs(mappings), build_retry_job(config, mappings)],
        schedules=build_schedules(
            {entity: job_name(entity) for entity in mappings},
            cron=config.schedules.cron,
            running=config.schedules.switched_on,
            retry_job=RETRY_JOB,
            retry_cron=config.schedules.retry_cron,
        ),
        sensors=[build_run_failure_sensor(config, config.schedules.switched_on)],
        resources=build_resources(config),
        executor=dg.in_process_executor,
    )
