"""Operations jobs and sensors: the scheduled retry of retriable failures, and run-failure alerts."""

# No ``from __future__ import annotations``: Dagster reads op and sensor annotations at definition time.

import dagster as dg

from hub.alerts import Alert
from hub.config import HubConfig
from hub.engine.observers import alert_rules
from hub.engine.replay import due_retriable, retry_failures
from hub.mapping import MappingSet
from pipelines.assets import STORE_KEY, resource_key

RETRY_JOB = "retry_failures"


def build_retry_job(config: HubConfig, mappings: MappingSet) -> dg.JobDefinition:
    """Replays open retriable failures whose back-off (2, 4, 8 ... minutes, at most 6 h) has passed."""
    systems = sorted({s for m in mappings.values() for s in m.systems})

    @dg.op(
        required_resource_keys={STORE_KEY, *(resource_key(s) for s in systems)},
        description="Retry the retriable failures that are due (orphans, write errors the target may accept later).",
    )
    def retry_due_failures(context: dg.OpExecutionContext) -> dg.Output:
        store = getattr(context.resources, STORE_KEY).store()
        due = due_retriable(store)
        connectors = {s: getattr(context.resources, resource_key(s)).connector(s) for s in systems}
        outcome = retry_failures(store, mappings, connectors, context.run_id, ids=due) if due else []
        resolved = sum(o.status == "resolved" for o in outcome)
        context.log.info(f"{len(due)} failures due, {resolved} resolved")
        return dg.Output(
            None,
            metadata={
                "due": len(due),
                "resolved": resolved,
                "still_open": sum(o.status == "open" for o in outcome),
            },
        )

    @dg.job(
        name=RETRY_JOB,
        description="Retry retriable failed records with back-off.",
        executor_def=dg.in_process_executor,
    )
    def retry_job() -> None:
        retry_due_failures()

    return retry_job


def build_run_failure_sensor(config: HubConfig, running: bool) -> dg.SensorDefinition:
    """Any failed run becomes a 'run_failure' alert through the configured sinks (de-duplicated)."""

    @dg.run_failure_sensor(
        name="run_failure_alert",
        default_status=dg.DefaultSensorStatus.RUNNING if running else dg.DefaultSensorStatus.STOPPED,
        monitor_all_code_locations=False,
        description="Alert ops (e-mail / webhook from hub.yaml) when a sync run fails.",
    )
    def run_failure_alert(context: dg.RunFailureSensorContext) -> None:
        manager = alert_rules(config).manager  # type: ignore[attr-defined]
        run = context.dagster_run
        message = context.failure_event.message or "run failed"
        manager.raise_alert(
            Alert(
                "run_failure",
                run.job_name,
                f"Dagster run of {run.job_name} failed",
                f"run {run.run_id}: {message}",
                "error",
            )
        )

    return run_failure_alert
