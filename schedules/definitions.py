"""Default schedules: one per entity, cadence by how fast the data goes stale.

All start STOPPED: an operator turns on what their systems can take. Schedules name their job by
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


def build_schedules(jobs_by_entity: Mapping[str, str]) -> list[dg.ScheduleDefinition]:
    """A stopped schedule per entity, for the job named in ``jobs_by_entity``; others run hourly."""
    return [
        dg.ScheduleDefinition(
            name=f"{job_name}_schedule",
            job_name=job_name,
            cron_schedule=DEFAULT_CRON.get(entity, HOURLY),
            default_status=dg.DefaultScheduleStatus.STOPPED,
            description=f"Sync {entity} on the default cadence ({DEFAULT_CRON.get(entity, HOURLY)}).",
        )
        for entity, job_name in jobs_by_entity.items()
    ]
