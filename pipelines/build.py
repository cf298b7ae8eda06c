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
from pipelines.edi import build_edi_jobs, build_edi_schedules, build_edi_sensors
from pipelines.executors import executor_from_env
from pipelines.operations import RETRY_JOB, build_retry_job, build_run_failure_sensor
from pipelines.orders import build_order_jobs, build_order_schedules, build_order_sensors
from pipelines.sharded import build_sharded_jobs
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
        jobs=[
            *build_jobs(mappings),
            build_retry_job(config, mappings),
            *build_sharded_jobs(config, mappings),
            *build_edi_jobs(),
            *build_order_jobs(),
        ],
        schedules=build_schedules(
            {entity: job_name(entity) for entity in mappings},
            cron=config.schedules.cron,
            running=config.schedules.switched_on,
            retry_job=RETRY_JOB,
            retry_cron=config.schedules.retry_cron,
        )
        + build_edi_schedules(config, config.schedules.switched_on)
        + build_order_schedules(config, config.schedules.switched_on),
        sensors=[
            build_run_failure_sensor(config, config.schedules.switched_on),
            *build_edi_sensors(config, config.schedules.switched_on),
            *build_order_sensors(config, config.schedules.switched_on),
        ],
        resources=build_resources(config),
        executor=executor_from_env(),  # HUB_EXECUTOR: in_process (default) or celery
    )
