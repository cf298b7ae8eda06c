"""Default schedules: one per entity, cadence by how fast the data goes stale.

All start STOPPED unless hub.yaml says ``schedules: {running: true}`` (or HUB_SCHEDULES_RUNNING=1, as
`hub demo --keep-running` sets): an operator turns on what their systems can take. Schedules name their job by
string, so this package does not import pipelines/ (pipelines/ imports it).
"""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg

HOURLY = "0 * * * *"

DEFAULT_CRON: dict[str, str] = {
    "stock": "*/5 * * * *",  # buyers see stock levels: stale stock oversells
    "product": HOURLY,  # catalog content changes slowly
    "customer": "*/15 * * * *",  # new accounts should be able to order soon
}


def build_schedules(
    jobs_by_entity: Mapping[str, str],
    *,
    cron: Mapping[str, str] | None = None,
    running: bool = False,
    retry_job: str | None = None,
    retry_cron: str = "*/15 * * * *",
) -> list[dg.ScheduleDefinition]:
    """A schedule per entity (hub.yaml ``schedules.cron`` overrides the defaults; others run hourly),
    plus the retry of retriable failures. Stopped unless ``running`` (``schedules.running``)."""
    status = dg.DefaultScheduleStatus.RUNNING if running else dg.DefaultScheduleStatus.STOPPED
    chosen = {**DEFAULT_CRON, **(cron or {})}
    schedules = [
        dg.ScheduleDefinition(
            name=f"{job_name}_schedule",
            job_name=job_name,
            cron_schedule=chosen.get(entity, HOURLY),
            default_status=status,
            description=f"Sync {entity} on its cadence ({chosen.get(entity, HOURLY)}).",
        )
        for entity, job_name in jobs_by_entity.items()
    ]
    if retry_job:
        schedules.append(
            dg.ScheduleDefinition(
                name=f"{retry_job}_schedule",
                job_name=retry_job,
                cron_schedule=retry_cron,
                default_status=status,
                description=f"Retry retriable failed records whose back-off has passed ({retry_cron}).",
            )
        )
    return schedules
