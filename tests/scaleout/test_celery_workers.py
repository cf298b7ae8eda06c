"""Scale-out for real: two Celery worker processes on loopback share the steps of hub sync runs.

The Dagster instance is on PostgreSQL (deploy/dagster.yaml in a temporary DAGSTER_HOME, its own
database), the broker and result backend on Redis (deploy/celery.yaml, keys under a prefix of this
test), and the hub store in a schema of the same database. Runs are started with ``dagster job
execute`` like an operator would, and their results are compared with an in-process sync of the same
generated catalogue.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import sqlalchemy as sa

from connectors import build_connector
from hub.config import load_config
from hub.engine import sync_entity
from hub.mapping import load_mappings
from hub.store import Store
from sandbox.sample_data.scale import generate
from tests.conftest import _PG_REASON, ROOT
from tests.scaleout.cluster import Cluster, reachable

REDIS_URL = os.environ.get("HUB_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ENTITIES = ("product", "customer", "stock")
WORKERS = ("hubw1", "hubw2")
SHARDS = 2

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def _unavailable() -> str | None:
    if _PG_REASON is not None:
        return _PG_REASON
    redis_at = sa.make_url(REDIS_URL)
    if not reachable(redis_at.host or "127.0.0.1", redis_at.port or 6379):
        return f"Redis not reachable at {REDIS_URL}"
    try:
        import dagster_celery  # noqa: F401
        import redis  # noqa: F401
    except ImportError as exc:
        return f"{exc.name} not installed (pip install -e '.[scale]')"
    return None


def _project(dest: Path) -> Path:
    dest.mkdir(parents=True)
    shutil.copy(ROOT / "hub.yaml", dest / "hub.yaml")
    shutil.copytree(ROOT / "mappings", dest / "mappings")
    generate(dest / "sandbox" / "data", products=60, accounts=30)
    return dest


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    reason = _unavailable()
    if reason is not None:
        if os.environ.get("HUB_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"HUB_REQUIRE_POSTGRES=1 but {reason}")
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("scaleout")
    made = Cluster(root, broker=REDIS_URL, backend=REDIS_URL)
    try:
        made.create(_project(root / "project"))
        made.start_workers(WORKERS)
        yield made
    finally:
        made.close()


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The same catalogue synced in this process, unsharded, into SQLite: what the workers must produce."""
    root = tmp_path_factory.mktemp("reference")
    project = _project(root / "project")
    config = load_config(project / "hub.yaml")
    mappings = load_mappings(config.mappings_dir, config.systems, list(ENTITIES))
    connectors = {name: build_connector(config, name) for name in config.systems}
    store = Store(f"sqlite:///{root / 'hub.db'}")
    try:
        for entity in ENTITIES:
            sync_entity(store, mappings[entity], connectors, "reference")
        return _outcome(store)
    finally:
        store.dispose()


def _outcome(store: Store, entity: str | None = None) -> dict[str, Any]:
    """Golden records and deliveries, without run ids and times."""
    where = "where entity = :entity" if entity else ""
    with store.begin() as conn:
        golden = conn.execute(
            sa.text(f"select entity, key, hash, data from golden_records {where}"), {"entity": entity}
        ).all()
        ledger = conn.execute(
            sa.text(f"select entity, key, target, hash, payload_hash from deliveries {where}"),
            {"entity": entity},
        ).all()
    return {"golden": {tuple(r) for r in golden}, "deliveries": {tuple(r) for r in ledger}}


def _only(outcome: dict[str, Any], entity: str) -> dict[str, Any]:
    return {name: {row for row in rows if row[0] == entity} for name, rows in outcome.items()}


def _instance(cluster: Cluster) -> dg.DagsterInstance:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in cluster.env().items():
            if name.startswith("DAGSTER_"):
                patch.setenv(name, value)
        return dg.DagsterInstance.from_config(str(cluster.home))


def _last_run(instance: dg.DagsterInstance, job: str) -> dg.DagsterRun:
    runs = instance.get_runs(filters=dg.RunsFilter(job_name=job), limit=1)
    assert runs, f"no {job} run recorded in the instance"
    return runs[0]


def _workers_of(instance: dg.DagsterInstance, run_id: str) -> dict[str, str]:
    """step key -> Celery worker that executed it (the executor's engine event in each task)."""
    out: dict[str, str] = {}
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
        event = entry.get_dagster_event()
        metadata = event.engine_event_data.metadata if event.engine_event_data else {}
        if "Celery worker" in metadata and event.step_key:
            out[event.step_key] = str(metadata["Celery worker"].value)
    return out


def _step_pids(instance: dg.DagsterInstance, run_id: str) -> set[int]:
    return {
        entry.get_dagster_event().pid
        for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_START)
    }


def _store(cluster: Cluster, url: str | None = None) -> Store:
    return Store(url or cluster.store_url)


def test_sync_steps_run_on_both_workers(cluster: Cluster, reference: dict[str, Any]) -> None:
    """Ingest and publish of three entities (nine steps, stock after product) as one asset run."""
    output = cluster.materialize(" or ".join(f"group:{entity}" for entity in ENTITIES))
    instance = _instance(cluster)
    try:
        run = _last_run(instance, "__ASSET_JOB")
        assert run.status == dg.DagsterRunStatus.SUCCESS, output[-4000:]
        by_step = _workers_of(instance, run.run_id)
        assert {"ingest_product", "ingest_customer", "ingest_stock", "shop__product_from_hub"} <= set(by_step)
        assert {name.split("@")[0] for name in by_step.values()} == set(WORKERS), by_step
        worker_pids = {w.process.pid for w in cluster.workers}
        pids = _step_pids(instance, run.run_id)
        assert len(pids) >= 2 and not pids & worker_pids  # pool processes of the workers, not this one
        assert os.getpid() not in pids
    finally:
        instance.dispose()

    store = _store(cluster)
    try:
        got = _outcome(store)
    finally:
        store.dispose()
    assert len(reference["golden"]) > 100 and len(reference["deliveries"]) > 100
    for entity in ENTITIES:
        assert _only(got, entity) == _only(reference, entity), entity


def test_sharded_sync_spreads_shards_over_workers(cluster: Cluster, reference: dict[str, Any]) -> None:
    """The product sync in key shards, into a fresh hub schema: the same records as unsharded."""
    engine = sa.create_engine(cluster.store_url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE SCHEMA hub_sharded"))
    engine.dispose()
    url = cluster.store_url.replace("search_path%3Dhub", "search_path%3Dhub_sharded")
    run_config = {
        "resources": {
            "hub_store": {"config": {"database_url": url}},
            "hub_sharding": {"config": {"shards": SHARDS}},
        }
    }
    output = cluster.execute("sync_product_sharded", run_config)
    instance = _instance(cluster)
    try:
        run = _last_run(instance, "sync_product_sharded")
        assert run.status == dg.DagsterRunStatus.SUCCESS, output[-4000:]
        by_step = _workers_of(instance, run.run_id)
        shards = {step: worker for step, worker in by_step.items() if step.startswith("product_ingest[")}
        assert len(shards) == SHARDS, by_step
        assert {name.split("@")[0] for name in shards.values()} == set(WORKERS)  # shards on both workers
        mats = {
            entry.asset_materialization.asset_key.to_user_string(): entry.asset_materialization.metadata
            for entry in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
            if entry.asset_materialization
        }
    finally:
        instance.dispose()

    store = _store(cluster, url)
    try:
        got = _outcome(store, "product")
        with store.begin() as conn:
            cursors = set(conn.scalars(sa.text("select system from cursors where entity = 'product'")))
    finally:
        store.dispose()
    assert got == _only(reference, "product")
    assert cursors == {f"{system}#s{i}of{SHARDS}" for system in ("pim", "erp") for i in range(SHARDS)}
    assert mats["hub/product"]["records"].value == len(got["golden"])
    assert mats["shop/product_from_hub"]["delivered"].value == len(
        {row for row in got["deliveries"] if row[2] == "shop"}
    )


RABBITMQ = ("127.0.0.1", 5672)


def test_rabbitmq_broker_runs_the_same_job(tmp_path: Path, reference: dict[str, Any]) -> None:
    """The same deployment with RabbitMQ as broker (rpc:// results). Opt-in: it adds ~30 s."""
    if os.environ.get("HUB_SCALEOUT_RABBITMQ") != "1":
        pytest.skip("RabbitMQ variant is opt-in: set HUB_SCALEOUT_RABBITMQ=1 (adds ~30 s)")
    reason = _PG_REASON or (None if reachable(*RABBITMQ) else f"RabbitMQ not reachable at {RABBITMQ}")
    if reason is not None:
        pytest.fail(f"HUB_SCALEOUT_RABBITMQ=1 but {reason}")
    made = Cluster(tmp_path, broker=f"amqp://guest:guest@{RABBITMQ[0]}:{RABBITMQ[1]}//", backend="rpc://")
    try:
        made.create(_project(tmp_path / "project"))
        made.start_workers(("rabbit1", "rabbit2"))
        output = made.execute("sync_product")
        instance = _instance(made)
        try:
            run = _last_run(instance, "sync_product")
            assert run.status == dg.DagsterRunStatus.SUCCESS, output[-4000:]
            workers = {name.split("@")[0] for name in _workers_of(instance, run.run_id).values()}
        finally:
            instance.dispose()
        assert workers and workers <= {"rabbit1", "rabbit2"}
        store = _store(made)
        try:
            assert _outcome(store, "product") == _only(reference, "product")
        finally:
            store.dispose()
    finally:
        made.close()
