"""A throw-away scale-out deployment on loopback: Celery workers, a PostgreSQL Dagster instance, a hub store.

Built from the files in deploy/ (instance dagster.yaml and celery.yaml), so the tests exercise the
templates an operator copies. Everything it creates is removed by ``close()``: the worker process
groups, the database and the broker's keys.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from tests.conftest import POSTGRES_URL, ROOT

BIN = Path(sys.executable).parent
READY_TIMEOUT_S = 60


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


@dataclass
class Worker:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@dataclass
class Cluster:
    """One database (Dagster instance in ``public``, hub store in schema ``hub``) and N workers."""

    root: Path
    broker: str
    backend: str
    key_prefix: str = field(default_factory=lambda: f"hubtest-{uuid.uuid4().hex[:8]}:")
    database: str = field(default_factory=lambda: f"hubscale_{uuid.uuid4().hex[:10]}")
    workers: list[Worker] = field(default_factory=list)

    @property
    def admin_url(self) -> sa.URL:
        return sa.make_url(POSTGRES_URL)

    @property
    def store_url(self) -> str:
        url = self.admin_url.set(database=self.database)
        return url.render_as_string(hide_password=False) + "?options=-csearch_path%3Dhub"

    @property
    def home(self) -> Path:
        return self.root / "dagster_home"

    @property
    def celery_config(self) -> Path:
        return self.root / "celery.yaml"

    # -- set-up ----------------------------------------------------------------------------------------
    def create(self, project: Path) -> None:
        self.project = project
        engine = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{self.database}"'))
        engine.dispose()
        engine = sa.create_engine(self.admin_url.set(database=self.database))
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE SCHEMA hub"))
        engine.dispose()
        self.home.mkdir(parents=True)
        (self.home / "dagster.yaml").write_text((ROOT / "deploy" / "dagster.yaml").read_text())
        config = yaml.safe_load((ROOT / "deploy" / "celery.yaml").read_text())
        source = config["execution"]["config"]["config_source"]
        # this test's keys only, on a broker the machine shares
        source["broker_transport_options"]["global_keyprefix"] = self.key_prefix
        source["result_backend_transport_options"] = {"global_keyprefix": self.key_prefix}
        self.celery_config.write_text(yaml.safe_dump(config))

    def env(self) -> dict[str, str]:
        url = self.admin_url
        return {
            **os.environ,
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "DAGSTER_HOME": str(self.home),
            "DAGSTER_PG_HOST": url.host or "127.0.0.1",
            "DAGSTER_PG_PORT": str(url.port or 5432),
            "DAGSTER_PG_USER": url.username or "postgres",
            "DAGSTER_PG_PASSWORD": url.password or "",
            "DAGSTER_PG_DB": self.database,
            "HUB_CONFIG": str(self.project / "hub.yaml"),
            "HUB_DATABASE_URL": self.store_url,
            "HUB_EXECUTOR": "celery",
            "HUB_CELERY_CONFIG": str(self.celery_config),
            "HUB_CELERY_BROKER": self.broker,
            "HUB_CELERY_BACKEND": self.backend,
        }

    def start_workers(self, names: Sequence[str]) -> None:
        """Start workers with deploy/worker.sh (concurrency 1) and wait until each says it is ready."""
        for name in names:
            log = self.root / f"{name}.log"
            # deploy/worker.sh as an operator runs it: dagster-celery worker start, concurrency 1
            command = ["bash", str(ROOT / "deploy" / "worker.sh"), "--without-gossip", "--without-mingle"]
            with log.open("wb") as out:
                process = subprocess.Popen(
                    command,
                    cwd=self.root,
                    env={**self.env(), "HUB_WORKER_NAME": name},
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            self.workers.append(Worker(name, process, log))
        deadline = time.monotonic() + READY_TIMEOUT_S
        for worker in self.workers:
            while " ready." not in worker.text():
                if worker.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"worker {worker.name} did not start:\n{worker.text()[-3000:]}")
                time.sleep(0.2)

    # -- use -------------------------------------------------------------------------------------------
    def execute(
        self,
        job: str,
        run_config: dict[str, Any] | None = None,
        timeout: float = 120,
        env: dict[str, str] | None = None,
    ) -> str:
        """``dagster job execute`` as an operator would; returns its output (the run is in the instance)."""
        return self._dagster(["job", "execute", "-j", job], run_config, timeout, env)

    def materialize(self, selection: str, timeout: float = 120) -> str:
        """``dagster asset materialize``: one run of the selected assets (job ``__ASSET_JOB``)."""
        return self._dagster(["asset", "materialize", "--select", selection], None, timeout)

    def _dagster(
        self,
        args: list[str],
        run_config: dict[str, Any] | None,
        timeout: float,
        env: dict[str, str] | None = None,
    ) -> str:
        command = [str(BIN / "dagster"), *args, "-m", "pipelines.definitions", "-a", "defs"]
        if run_config:
            file = self.root / f"run-{uuid.uuid4().hex[:6]}.yaml"
            file.write_text(yaml.safe_dump(run_config))
            command += ["-c", str(file)]
        done = subprocess.run(
            command,
            cwd=self.root,
            env={**self.env(), **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"

    # -- tear-down -------------------------------------------------------------------------------------
    def stop_workers(self, timeout: float = 15) -> None:
        """SIGTERM to each worker's process group (the CLI and the celery process it started), then
        wait until the whole group is gone; SIGKILL what is left after ``timeout``."""
        for worker in self.workers:
            _signal_group(worker.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for worker in self.workers:
            while _group_alive(worker.process.pid) and time.monotonic() < deadline:
                worker.process.poll()  # reap the CLI process so it does not linger as a zombie
                time.sleep(0.1)
            if _group_alive(worker.process.pid):
                _signal_group(worker.process.pid, signal.SIGKILL)
            worker.process.wait(timeout=10)
        self.workers = []

    def close(self) -> None:
        self.stop_workers()
        engine = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)'))
        engine.dispose()
        if self.broker.startswith("amqp://"):
            from kombu import Connection

            with Connection(self.broker) as connection:  # the task queue (result queues expire by themselves)
                connection.default_channel.queue_delete("dagster", if_unused=True, if_empty=True)
        if self.broker.startswith("redis://"):
            import redis

            client = redis.Redis.from_url(self.broker)
            keys = list(client.scan_iter(match=f"{self.key_prefix}*"))
            if keys:
                client.delete(*keys)
            client.close()


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        pass


def _group_alive(pgid: int) -> bool:
    """Whether any process of the group still runs (zombies of our own children aside)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                return True
    return False
