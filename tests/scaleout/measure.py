"""Wall time of a product sync in-process and on 1 or 2 Celery workers, plain and in key shards.

Not a test (pytest does not collect it): ``python -m tests.scaleout.measure --products 4000``.
Needs PostgreSQL and Redis like tests/scaleout. Every measurement loads a fresh hub schema, so each
is a full load of the same generated catalogue. Times are the run's own start to end as the Dagster
instance recorded them (the CLI's start-up is not counted). Prints one JSON line per measurement.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import dagster as dg
import sqlalchemy as sa

from sandbox.sample_data.scale import generate
from tests.conftest import ROOT
from tests.scaleout.cluster import Cluster

REDIS = "redis://127.0.0.1:6379/0"


def _timings(instance: dg.DagsterInstance, job: str) -> dict[str, Any]:
    """Run wall time, the steps' own time summed, and the ingest steps' wall time (first start to last end)."""
    run = instance.get_runs(filters=dg.RunsFilter(job_name=job), limit=1)[0]
    record = instance.get_run_record_by_id(run.run_id)
    assert record is not None and record.start_time and record.end_time
    steps = [s for s in instance.get_run_step_stats(run.run_id) if s.start_time and s.end_time]
    ingest = [s for s in steps if "ingest" in s.step_key]
    return {
        "seconds": round(record.end_time - record.start_time, 2),
        "steps": len(steps),
        "step_seconds_sum": round(sum(s.end_time - s.start_time for s in steps), 2),
        "ingest_wall": round(max(s.end_time for s in ingest) - min(s.start_time for s in ingest), 2),
        "status": run.status.value,
    }


def _instance(cluster: Cluster) -> dg.DagsterInstance:
    import os

    for name, value in cluster.env().items():
        if name.startswith("DAGSTER_"):
            os.environ[name] = value
    return dg.DagsterInstance.from_config(str(cluster.home))


def _fresh_schema(cluster: Cluster, name: str) -> str:
    engine = sa.create_engine(cluster.store_url)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{name}"'))
    engine.dispose()
    return cluster.store_url.replace("search_path%3Dhub", f"search_path%3D{name}")


def measure(products: int, accounts: int) -> list[dict[str, Any]]:
    root = Path(tempfile.mkdtemp(prefix="hub-measure-"))
    project = root / "project"
    project.mkdir()
    shutil.copy(ROOT / "hub.yaml", project / "hub.yaml")
    shutil.copytree(ROOT / "mappings", project / "mappings")
    generate(project / "sandbox" / "data", products=products, accounts=accounts)
    cluster = Cluster(root, broker=REDIS, backend=REDIS)
    results: list[dict[str, Any]] = []
    plan = [
        (0, "sync_product", None),
        (1, "sync_product", None),
        (1, "sync_product_sharded", 2),
        (2, "sync_product", None),
        (2, "sync_product_sharded", 2),
        (2, "sync_product_sharded", 4),
    ]
    try:
        cluster.create(project)
        instance = _instance(cluster)
        running = 0
        for index, (workers, job, shards) in enumerate(plan):
            if workers != running:
                cluster.stop_workers()
                if workers:
                    cluster.start_workers([f"m{workers}w{n}" for n in range(workers)])
                running = workers
            resources: dict[str, Any] = {
                "hub_store": {"config": {"database_url": _fresh_schema(cluster, f"m{index}")}}
            }
            if shards:
                resources["hub_sharding"] = {"config": {"shards": shards}}
            env = {"HUB_EXECUTOR": "in_process"} if workers == 0 else None
            cluster.execute(job, {"resources": resources}, timeout=1800, env=env)
            row = {
                "products": products,
                "executor": "in_process" if workers == 0 else f"celery x{workers}",
                "job": job,
                "shards": shards,
                **_timings(instance, job),
            }
            print(json.dumps(row), flush=True)
            results.append(row)
        instance.dispose()
    finally:
        cluster.close()
        shutil.rmtree(root, ignore_errors=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=4000)
    parser.add_argument("--accounts", type=int, default=100)
    args = parser.parse_args()
    measure(args.products, args.accounts)


if __name__ == "__main__":
    main()
