"""The scheduled retry: retriable failures wait out their back-off, then the retry job replays them."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from hub.engine.replay import backoff_for, due_retriable
from hub.engine.stats import utcnow
from hub.store import Store
from hub.store.schema import failures, golden_records
from pipelines.build import build_definitions
from tests.conftest import copy_project

pytestmark = pytest.mark.slow


def test_backoff_grows_and_is_capped() -> None:
    assert [backoff_for(n) for n in (1, 2, 3)] == [
        timedelta(minutes=2),
        timedelta(minutes=4),
        timedelta(minutes=8),
    ]
    assert backoff_for(20) == timedelta(hours=6)


def test_an_orphan_is_resolved_by_the_retry_job_once_its_creator_arrives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    project = copy_project(tmp_path / "p", url, monkeypatch)
    defs = build_definitions(project / "hub.yaml")
    instance = dg.DagsterInstance.ephemeral()
    assert defs.resolve_job_def("sync_product").execute_in_process(instance=instance, raise_on_error=False)
    store = Store(url)

    def orphan() -> dict[str, object]:
        with store.begin() as conn:
            return dict(
                conn.execute(
                    sa.select(failures).where(failures.c.key == "SKU-1003", failures.c.system == "erp")
                )
                .mappings()
                .one()
            )

    assert orphan()["rule"] == "orphan" and orphan()["retriable"]
    assert orphan()["id"] not in due_retriable(store)  # just failed: waits for its back-off
    assert orphan()["id"] in due_retriable(store, utcnow() + timedelta(minutes=3))

    # the PIM fixes the product; the next product sync creates it, but the ERP's unchanged price is not read again
    pim = project / "sandbox" / "data" / "pim" / "product" / "products.jsonl"
    text = pim.read_text()
    at = text.index('"name": "   "', text.index('"identifier": "SKU-1003"'))
    pim.write_text(text[:at] + '"name": "Fixed"' + text[at + len('"name": "   "') :])
    defs.resolve_job_def("sync_product").execute_in_process(instance=instance, raise_on_error=False)
    assert orphan()["status"] == "open"

    with store.begin() as conn:  # let the back-off pass
        conn.execute(sa.update(failures).values(last_seen=utcnow() - timedelta(hours=1)))
    result = defs.resolve_job_def("retry_failures").execute_in_process(instance=instance)
    assert result.success
    assert orphan()["status"] == "resolved"
    with store.begin() as conn:
        data = conn.scalar(sa.select(golden_records.c.data).where(golden_records.c.key == "SKU-1003"))
    assert '"price"' in data  # the ERP's price arrived with the replay
    schedules = {s.name: s for s in defs.schedules or []}
    assert schedules["retry_failures_schedule"].cron_schedule == "*/15 * * * *"
