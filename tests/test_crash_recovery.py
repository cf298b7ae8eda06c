"""A sync killed with SIGKILL at many points, then run again, ends exactly like an uninterrupted run."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import ROOT

pytestmark = pytest.mark.slow

PRODUCTS = 4000
BATCH = 100


def _make_project(dest: Path) -> Path:
    """hub.yaml + mappings + a generated catalogue big enough to be killed in the middle of."""
    dest.mkdir(parents=True)
    shutil.copy(ROOT / "hub.yaml", dest / "hub.yaml")
    (dest / "mappings").mkdir()
    shutil.copy(ROOT / "mappings" / "product.yaml", dest / "mappings" / "product.yaml")
    pim = dest / "sandbox" / "data" / "pim" / "product"
    erp = dest / "sandbox" / "data" / "erp" / "product"
    pim.mkdir(parents=True)
    erp.mkdir(parents=True)
    with (pim / "products.jsonl").open("w") as handle:
        for i in range(PRODUCTS):
            name = "" if i % 97 == 0 else f"Item {i}"  # some rejects, so failures are compared too
            handle.write(
                json.dumps(
                    {
                        "identifier": f"SKU-{i:06d}",
                        "family": "tools",
                        "enabled": True,
                        "values": {"name": name, "weight": {"amount": "1.5", "unit": "kg"}},
                    }
                )
                + "\n"
            )
    with (erp / "products.csv").open("w") as handle:
        handle.write("code,name,list_price,cost_price,currency,default_uom\n")
        for i in range(PRODUCTS):
            handle.write(f"SKU-{i:06d},Item {i},{10 + i % 50}.99,{5 + i % 7}.25,USD,unit\n")
    return dest


def _cmd() -> list[str]:
    return [
        sys.executable,
        "-m",
        "hub.cli",
        "sync",
        "product",
        "--batch-size",
        str(BATCH),
        "--format",
        "json",
    ]


def _env(project: Path, url: str) -> dict[str, str]:
    return {
        **os.environ,
        "HUB_CONFIG": str(project / "hub.yaml"),
        "HUB_DATABASE_URL": url,
        "PYTHONPATH": str(ROOT),
    }


class _Progress:
    """Counts audit events from outside the syncing process (they grow through every stage)."""

    def __init__(self, url: str) -> None:
        self.engine = sa.create_engine(url, poolclass=sa.pool.NullPool)

    def __call__(self) -> int:
        try:
            with self.engine.connect() as conn:
                return int(conn.scalar(sa.text("select count(*) from audit_events")))
        except sa.exc.SQLAlchemyError:  # table not created yet, or locked for a moment
            return 0


def _state(project: Path, url: str) -> dict[str, object]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        q = lambda sql: sorted(tuple(r) for r in conn.execute(sa.text(sql)))  # noqa: E731
        state = {
            "golden": q("select entity, key, data, hash, version from golden_records"),
            "xref": q("select entity, system, key, system_id, source_hash from xref"),
            "deliveries": q("select entity, key, target, hash, payload_hash, system_id from deliveries"),
            "failures": q("select fingerprint, entity, key, system, stage, rule, status from failures"),
            # file signatures hold mtimes, which differ between the two copies: compare what was read
            "cursors": sorted(
                (system, entity, sorted(json.loads(value)["done"]), json.loads(value)["at"])
                for system, entity, value in q("select system, entity, value from cursors")
            ),
            "dup_golden": q(
                "select entity, key, count(*) from golden_records group by entity, key having count(*) > 1"
            ),
            "dup_xref": q(
                "select entity, system, key, count(*) from xref group by entity, system, key having count(*) > 1"
            ),
        }
    engine.dispose()
    outbox: dict[str, list[str]] = {}
    for target in ("erp", "shop"):
        lines = []
        for file in sorted((project / "var" / "outbox" / target / "product").glob("*.jsonl")):
            lines.extend(file.read_text().splitlines())
        outbox[target] = sorted(lines)
    state["outbox"] = outbox
    return state


def test_sigkill_at_many_points_then_rerun_matches_uninterrupted_run(tmp_path: Path, db_url: str) -> None:
    """Reference run on SQLite; the killed runs on each backend: the end states must be identical."""
    reference = _make_project(tmp_path / "reference")
    reference_url = f"sqlite:///{tmp_path / 'reference.db'}"
    done = subprocess.run(
        _cmd(), env=_env(reference, reference_url), capture_output=True, text=True, timeout=300
    )
    assert done.returncode in (0, 1), done.stderr  # 1: some records were rejected (on purpose)
    expected = _state(reference, reference_url)
    total_events = _Progress(reference_url)()
    assert len(expected["golden"]) == PRODUCTS - len(range(0, PRODUCTS, 97))

    crashed = _make_project(tmp_path / "crashed")
    progress = _Progress(db_url)
    kills = 0
    for fraction in (0.05, 0.2, 0.35, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95):
        threshold = int(total_events * fraction)
        if progress() >= threshold:
            continue
        process = subprocess.Popen(
            _cmd(), env=_env(crashed, db_url), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 120
        while process.poll() is None and progress() < threshold and time.monotonic() < deadline:
            time.sleep(0.01)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait()
    assert kills >= 6, f"only {kills} runs were killed mid-way"
    final = subprocess.run(_cmd(), env=_env(crashed, db_url), capture_output=True, text=True, timeout=300)
    assert final.returncode in (0, 1), final.stderr

    actual = _state(crashed, db_url)
    assert actual["dup_golden"] == [] and actual["dup_xref"] == []
    for part in ("golden", "xref", "deliveries", "failures", "cursors", "outbox"):
        assert actual[part] == expected[part], f"{part} differs after {kills} kills"
