"""Operators' tools on the sample systems: plan, retry after a fix, ignore, lineage."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from connectors import build_connector
from hub.config import load_config
from hub.engine import Publisher, sync_entity
from hub.engine.replay import ignore_failure, retry_failures
from hub.lineage import record_lineage
from hub.mapping import load_mappings
from hub.store import Store
from hub.store.schema import audit_events, deliveries, failures
from tests.conftest import ROOT


class Hub:
    """The sample project synced once, with helpers to poke at it."""

    def __init__(self, project: Path) -> None:
        self.project = project
        self.config = load_config(project / "hub.yaml")
        self.store = Store(self.config.database_url)
        self.reload()

    def reload(self) -> None:
        self.mappings = load_mappings(self.config.mappings_dir, self.config.systems)
        self.connectors = {name: build_connector(self.config, name) for name in self.config.systems}

    def sync(self, entity: str, run_id: str, **kw: Any) -> None:
        sync_entity(self.store, self.mappings[entity], self.connectors, run_id, **kw)

    def failure(self, **where: Any) -> Any:
        with self.store.begin() as conn:
            query = sa.select(failures).where(*(failures.c[k] == v for k, v in where.items()))
            return conn.execute(query).mappings().one()

    def count(self, table: sa.Table) -> int:
        with self.store.begin() as conn:
            return int(conn.scalar(sa.select(sa.func.count()).select_from(table)))


@pytest.fixture
def hub(project: Path) -> Hub:
    h = Hub(project)
    for entity in ("product", "customer"):
        h.sync(entity, "first")
    return h


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def test_plan_shows_exactly_the_erp_price_change_and_writes_nothing(hub: Hub) -> None:
    """The price changes in the ERP; `hub plan` reads it and shows just that change; no target is written."""
    prices = hub.project / "sandbox" / "data" / "erp" / "product" / "products.csv"
    line = next(row for row in prices.read_text().splitlines() if row.startswith("SKU-1001,"))
    old_price = line.split(",")[2]
    edit(prices, line, line.replace(f",{old_price},", ",999.99,"))
    outbox = hub.project / "var" / "outbox"
    files_before = sorted(p.relative_to(outbox) for p in outbox.rglob("*"))
    ledger_before = hub.count(deliveries)

    def delivered() -> int:
        with hub.store.begin() as conn:
            return int(
                conn.scalar(
                    sa.select(sa.func.count())
                    .select_from(audit_events)
                    .where(audit_events.c.action == "delivered")
                )
            )

    sent_before = delivered()
    shown = subprocess.run(
        [sys.executable, "-m", "hub.cli", "plan", "product", "--target", "shop", "-f", "json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert shown.returncode == 0, shown.stderr
    expected = {"variants.0.price": [old_price, "999.99"]}
    report = json.loads(shown.stdout)
    rejected = {(r["key"], r["rule"]) for r in report["rejected"]}
    assert ("SKU-1003", "product.name.required") in rejected and ("SKU-1003", "orphan") in rejected
    assert report["writes"] == [
        {
            "target": "shop",
            "key": "SKU-1001",
            "action": "update",
            "system_id": "SKU-1001",
            "changes": expected,
        }
    ]
    # nothing went to any system: no outbox file, no delivery in the ledger, no 'delivered' event
    assert sorted(p.relative_to(outbox) for p in outbox.rglob("*")) == files_before
    assert (hub.count(deliveries), delivered()) == (ledger_before, sent_before)
    # planning again from what the hub now has gives the same answer
    planned = Publisher(hub.store, hub.mappings["product"], "shop", None, "plan").plan()
    assert [(w.key, w.action, w.changes()) for w in planned] == [
        ("SKU-1001", "update", {"variants.0.price": (old_price, "999.99")})
    ]


def test_retry_after_a_fix_in_the_source_resolves_and_lineage_shows_it(hub: Hub) -> None:
    pim = hub.project / "sandbox" / "data" / "pim" / "product" / "products.jsonl"
    broken = hub.failure(entity="product", key="SKU-1003", system="pim")
    orphan = hub.failure(entity="product", key="SKU-1003", system="erp")
    assert (broken["rule"], orphan["rule"]) == ("product.name.required", "orphan")
    text = pim.read_text()
    start = text.index('"identifier": "SKU-1003"')
    name_at = text.index('"name": "   "', start)
    pim.write_text(text[:name_at] + '"name": "Fixed Safety Gloves"' + text[name_at + len('"name": "   "') :])

    outcome = retry_failures(hub.store, hub.mappings, hub.connectors, "retry-1", entity="product")
    status = {(o.key, o.system): o.status for o in outcome}
    assert status[("SKU-1003", "pim")] == "resolved" and status[("SKU-1003", "erp")] == "resolved"
    assert status[("SKU-1011", "pim")] == "open"  # still a duplicate in the source
    again = retry_failures(hub.store, hub.mappings, hub.connectors, "retry-2", ids=[broken["id"]])
    assert again == []  # resolved failures are not retried again

    trace = record_lineage(hub.store, "product", "SKU-1003")
    assert trace is not None and trace["record"]["name"] == "Fixed Safety Gloves"
    assert {f["system"]: f["status"] for f in trace["failures"]} == {"pim": "resolved", "erp": "resolved"}
    assert [h["action"] for h in trace["history"]][:2] == ["rejected", "created"]
    assert any(h["run_id"] == "retry-1" and h["action"] == "created" for h in trace["history"])
    assert {f["field"]: f["system"] for f in trace["fields"]}["price"] == "erp"  # the orphan's price arrived


def test_retry_from_payload_after_a_mapping_fix(hub: Hub) -> None:
    failed = hub.failure(entity="product", key="SKU-1015", system="pim")
    assert failed["rule"] == "transform.value_map"
    edit(
        hub.project / "mappings" / "product.yaml",
        "weight_units: {KILOGRAM: KGM,",
        "weight_units: {stone: STN, KILOGRAM: KGM,",
    )
    hub.reload()
    outcome = retry_failures(
        hub.store, hub.mappings, hub.connectors, "replay", ids=[failed["id"]], from_payload=True
    )
    assert [(o.key, o.status) for o in outcome] == [("SKU-1015", "resolved")]
    trace = record_lineage(hub.store, "product", "SKU-1015")
    assert trace["record"]["weight"]["uom"] == "STN"
    assert trace["history"][-1]["mapping_version"] == hub.mappings["product"].version


def test_ignore_keeps_the_reason_and_stops_the_failure_from_blocking(hub: Hub) -> None:
    failed = hub.failure(entity="product", key="SKU-1011", system="pim")
    assert ignore_failure(hub.store, failed["id"], "duplicate row in the supplier feed, known")
    row = hub.failure(id=failed["id"])
    assert (row["status"], row["note"]) == ("ignored", "duplicate row in the supplier feed, known")
    hub.sync("product", "again", full=True)  # seen again: stays ignored
    assert hub.failure(id=failed["id"])["status"] == "ignored"
    assert retry_failures(hub.store, hub.mappings, hub.connectors, "r", ids=[failed["id"]]) == []


def test_lineage_json_shape(hub: Hub) -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "hub.cli", "lineage", "customer", "C10002", "-f", "json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert shown.returncode == 0, shown.stderr
    trace = json.loads(shown.stdout)
    assert set(trace) == {
        "entity",
        "key",
        "version",
        "hash",
        "record",
        "fields",
        "ids",
        "history",
        "failures",
        "deliveries",
        "order_state",
        "edi",
    }
    assert trace["ids"] == {"crm": "5102", "erp": "C10002", "shop": "C10002"}
    conflict = next(h for h in trace["history"] if h["action"] == "conflict")
    assert conflict["changes"]["name"]["owner"] == "crm" and conflict["system"] == "erp"
    # the CRM, too: it mirrors the ERP's payment terms (and gets accounts registered in the shop)
    assert {d["target"] for d in trace["deliveries"]} == {"crm", "erp", "shop"}
    missing = subprocess.run(
        [sys.executable, "-m", "hub.cli", "lineage", "customer", "NOPE"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert missing.returncode == 1
