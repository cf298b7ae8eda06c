"""The sync part of the crash scenario: ``hub sync product`` over files (PIM JSON Lines + ERP CSV into the hub,
then published to two file outboxes), killed at a named point, run again, compared with an uninterrupted run."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
PRODUCTS, BATCH = 300, 50  # 6 batches per source, 6 pages per target


@dataclass(frozen=True)
class SyncPoint:
    label: str
    kill_at: str
    what: str


SYNC_POINTS = (
    SyncPoint("sync-reading", "ingest.batch.read:3", "third batch read from the PIM, nothing of it applied"),
    SyncPoint("sync-between-batches", "ingest.batch.committed:8", "ERP batch 2 committed, batch 3 not read"),
    SyncPoint("sync-publish-written", "publish.page.written:2", "page 2 written to the outbox, ledger not"),
    SyncPoint("sync-publish-recorded", "publish.page.recorded:2", "page 2 recorded, page 3 not written"),
)


def make_project(dest: Path) -> Path:
    """hub.yaml + the product mapping + a generated catalogue with a few rejects (afresh: a second run in the
    same work folder starts from nothing)."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    shutil.copy(ROOT / "hub.yaml", dest / "hub.yaml")
    (dest / "mappings").mkdir()
    shutil.copy(ROOT / "mappings" / "product.yaml", dest / "mappings" / "product.yaml")
    pim, erp = dest / "sandbox/data/pim/product", dest / "sandbox/data/erp/product"
    pim.mkdir(parents=True)
    erp.mkdir(parents=True)
    with (pim / "products.jsonl").open("w") as out:
        for i in range(PRODUCTS):
            values = {"name": "" if i % 97 == 0 else f"Item {i}", "weight": {"amount": "1.5", "unit": "kg"}}
            row = {"identifier": f"SKU-{i:06d}", "family": "tools", "enabled": True, "values": values}
            out.write(json.dumps(row) + "\n")
    with (erp / "products.csv").open("w") as out:
        out.write("code,name,list_price,cost_price,currency,default_uom\n")
        out.writelines(
            f"SKU-{i:06d},Item {i},{10 + i % 50}.99,{5 + i % 7}.25,USD,unit\n" for i in range(PRODUCTS)
        )
    return dest


def sync(project: Path, kill_at: str | None = None) -> int:
    from tests.chaos.crashes import child_env

    env = child_env(project / "hub.yaml", {"HUB_DATABASE_URL": f"sqlite:///{project / 'hub.db'}"}, kill_at)
    cmd = [sys.executable, "-m", "hub.cli", "sync", "product", "--batch-size", str(BATCH), "--format", "json"]
    return subprocess.run(cmd, env=env, capture_output=True, timeout=300, check=False).returncode


def state(project: Path) -> dict[str, Any]:
    """What a sync leaves: golden records, xref, deliveries, failures, cursors, the outbox lines."""
    engine = sa.create_engine(f"sqlite:///{project / 'hub.db'}", poolclass=sa.pool.NullPool)
    with engine.connect() as conn:

        def q(sql: str) -> list[tuple[Any, ...]]:
            return sorted(tuple(r) for r in conn.execute(sa.text(sql)))

        compare = {
            "golden": q("select entity, key, data, hash, version from golden_records"),
            "xref": q("select entity, system, key, system_id, source_hash from xref"),
            "deliveries": q("select entity, key, target, hash, payload_hash, system_id from deliveries"),
            "failures": q("select fingerprint, entity, key, system, stage, rule, status from failures"),
            "cursors": sorted(  # file signatures hold mtimes: compare what was read
                (s, e, tuple(sorted(json.loads(v)["done"])))
                for s, e, v in q("select system, entity, value from cursors")
            ),
        }
        duplicates = [f"golden {r}" for r in q("select key, count(*) from golden_records group by entity, key "
                                                "having count(*) > 1")]  # fmt: skip
    engine.dispose()
    for target in ("erp", "shop"):
        lines: list[str] = []
        for file in sorted((project / "var/outbox" / target / "product").glob("*.jsonl")):
            lines += file.read_text().splitlines()
        duplicates += [f"{target} outbox line twice" for _ in range(len(lines) - len(set(lines)))]
        compare[f"outbox_{target}"] = sorted(set(lines))
    return {"compare": compare, "duplicates": duplicates, "reused": []}


def run_sync_points(workdir: Path, points: list[SyncPoint]) -> list[dict[str, Any]]:
    from tests.chaos.crashes import _result

    if not points:
        return []
    reference = make_project(workdir / "reference")
    ref_rc = sync(reference)
    expected = state(reference)
    results = []
    for point in points:
        started = time.monotonic()
        project = make_project(workdir / point.label)
        killed_rc = sync(project, point.kill_at)
        rerun_rc = sync(project)
        results.append(_result(point.label, point.kill_at, point.what, killed_rc, rerun_rc, ref_rc,
                               state(project), expected, time.monotonic() - started))  # fmt: skip
    return results
