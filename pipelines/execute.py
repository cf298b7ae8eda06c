"""Runs sync jobs in this process (the CLI's `hub sync` / `hub demo`), without a Dagster daemon.

The engine writes its per-step counts to the ``sync_stats`` table under the Dagster run id, so a
caller reads the summary from there by the returned id.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import dagster as dg

from hub.errors import ConfigError
from pipelines.assets import ingest_op_name
from pipelines.build import ALL_JOB, build_definitions, job_name


def run_sync(
    entities: Sequence[str] | None = None,
    *,
    config_path: str | Path | None = None,
    instance: dg.DagsterInstance | None = None,
    full: bool = False,
    log_level: str = "WARNING",
) -> tuple[str, bool]:
    """Sync ``entities`` (None or empty = all) and return (Dagster run id, whether every step succeeded).

    ``full`` re-reads every source from the start, ignoring saved cursors. ``log_level`` is the
    console log level of the run (the run's events are in the instance whatever it is).
    """
    defs = build_definitions(config_path)
    graph = defs.resolve_asset_graph()
    groups = {key: graph.get(key).group_name for key in graph.get_all_asset_keys()}
    known = sorted({g for g in groups.values() if g})
    wanted = list(dict.fromkeys(entities or []))
    unknown = [e for e in wanted if e not in known]
    if unknown:
        raise ConfigError(
            f"unknown entit{'y' if len(unknown) == 1 else 'ies'} {', '.join(unknown)}; known: {', '.join(known)}"
        )

    selection: list[dg.AssetKey] | None = None
    if len(wanted) == 1:
        job = defs.resolve_job_def(job_name(wanted[0]))
    else:
        job = defs.resolve_job_def(ALL_JOB)
        if wanted:  # several entities: the whole-hub job, narrowed to their groups
            selection = [key for key, group in groups.items() if group in wanted]

    run_config: dict[str, Any] = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    if full:
        run_config["ops"] = {ingest_op_name(e): {"config": {"full": True}} for e in (wanted or known)}
    result = job.execute_in_process(
        run_config=run_config,
        instance=instance or dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
        asset_selection=selection,
    )
    return result.run_id, result.success
