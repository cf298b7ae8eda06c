"""The committed sample data against the committed mappings, through the engine (no Dagster).

Every planted defect listed in ``sandbox.sample_data.DEFECTS`` must be reported with its entity,
system, rule and key; nothing else may be reported, except the orphans a rejected creator record
leaves behind in the systems that only enrich; a second, full run must change nothing; and the
generator must write the same bytes every time (the committed files included).
"""

from __future__ import annotations

import shutil
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from connectors import build_connector
from hub.config import load_config
from hub.engine import ENTITY_ORDER, SyncStats, sync_entity
from hub.mapping import MappingSet, load_mappings
from hub.store import Store
from hub.store.schema import deliveries, failures, golden_records
from sandbox.sample_data import DATA_DIR, DEFECTS, generate

ROOT = Path(__file__).resolve().parent.parent
DEFECT_FIELDS = {"entity", "system", "key", "defect", "rule"}


@dataclass
class Runs:
    mappings: MappingSet
    first: list[SyncStats]
    second: list[SyncStats]
    failures_first: list[dict[str, Any]]
    failures_second: list[dict[str, Any]]
    golden_first: dict[str, int]
    golden_second: dict[str, int]
    stale_deliveries: dict[tuple[str, str], int]  # (entity, target) -> golden records the target lacks


def _run_all(store: Store, mappings: MappingSet, connectors: dict[str, Any], full: bool) -> list[SyncStats]:
    run_id = uuid.uuid4().hex
    stats: list[SyncStats] = []
    for entity in ENTITY_ORDER:  # referenced entities first
        stats += sync_entity(store, mappings[entity], connectors, run_id, full=full)
    return stats


def _failures(store: Store) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        return [dict(row) for row in conn.execute(sa.select(failures)).mappings()]


def _stale_deliveries(store: Store, mappings: MappingSet) -> dict[tuple[str, str], int]:
    """Golden records whose current content the ledger does not show as being in the target."""
    g, d = golden_records, deliveries
    out: dict[tuple[str, str], int] = {}
    with store.engine.connect() as conn:
        for entity, mapping in mappings.items():
            for target in mapping.targets:
                joined = g.outerjoin(
                    d, sa.and_(d.c.entity == g.c.entity, d.c.key == g.c.key, d.c.target == target)
                )
                out[(entity, target)] = conn.scalar(
                    sa.select(sa.func.count())
                    .select_from(joined)
                    .where(g.c.entity == entity, sa.or_(d.c.hash.is_(None), d.c.hash != g.c.hash))
                )
    return out


def _golden_counts(store: Store) -> dict[str, int]:
    t = golden_records
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(t.c.entity, sa.func.count()).group_by(t.c.entity))
        return {entity: count for entity, count in rows}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """hub.yaml, mappings/ and sandbox/data/ copied to a temp folder, every entity run twice."""
    dest = tmp_path_factory.mktemp("project")
    shutil.copy(ROOT / "hub.yaml", dest / "hub.yaml")
    shutil.copytree(ROOT / "mappings", dest / "mappings")
    shutil.copytree(ROOT / "sandbox" / "data", dest / "sandbox" / "data")
    config = load_config(dest / "hub.yaml")
    mappings = load_mappings(config.mappings_dir, config.systems)
    assert set(mappings) == set(ENTITY_ORDER), "every entity has a mapping"
    connectors = {name: build_connector(config, name) for name in config.systems}
    store = Store(f"sqlite:///{dest / 'hub.db'}")
    try:
        first = _run_all(store, mappings, connectors, full=False)
        failures_first, golden_first = _failures(store), _golden_counts(store)
        stale = _stale_deliveries(store, mappings)
        second = _run_all(store, mappings, connectors, full=True)
        failures_second, golden_second = _failures(store), _golden_counts(store)
    finally:
        store.dispose()
    return Runs(mappings, first, second, failures_first, failures_second, golden_first, golden_second, stale)


def _key(value: str | None) -> str | None:
    return value or None  # keyless defects are listed with key '' and stored with key NULL


def _signature(row: dict[str, Any]) -> tuple[str, str, str | None, str | None]:
    return (row["entity"], row["system"], row["rule"], _key(row["key"]))


def test_defects_are_well_formed() -> None:
    for defect in DEFECTS:
        assert set(defect) == DEFECT_FIELDS, defect
        assert defect["rule"] and defect["defect"], defect
    signatures = Counter(_signature(d) for d in DEFECTS if d["key"])
    assert [s for s, n in signatures.items() if n > 1] == [], "each keyed defect is listed once"
    entities = {d["entity"] for d in DEFECTS}
    assert entities == set(ENTITY_ORDER), "every entity has planted defects"


@pytest.mark.parametrize(
    "defect", DEFECTS, ids=[f"{d['entity']}-{d['system']}-{d['rule']}-{d['key']}" for d in DEFECTS]
)
def test_every_defect_is_reported(runs: Runs, defect: dict[str, str]) -> None:
    found = [r for r in runs.failures_first if _signature(r) == _signature(defect)]
    assert found, (
        f"{defect['defect']!r} ({defect['entity']}/{defect['system']}, key {defect['key']!r}) "
        f"not reported as {defect['rule']!r}; reported for that key: "
        f"{[(r['rule'], r['message']) for r in runs.failures_first if r['entity'] == defect['entity'] and _key(r['key']) == _key(defect['key'])]}"
    )
    assert all(r["status"] == "open" for r in found)


def test_keyless_failures_match_keyless_defects_one_for_one(runs: Runs) -> None:
    listed = Counter(_signature(d) for d in DEFECTS if not d["key"])
    reported = Counter(_signature(r) for r in runs.failures_first if r["key"] is None)
    assert reported == listed


def test_nothing_else_is_reported(runs: Runs) -> None:
    """Besides DEFECTS, only orphans: a non-creating system's record whose creator record was rejected."""
    listed = {_signature(d) for d in DEFECTS}
    rejected_by_creator: dict[str, set[str]] = {}
    for entity, mapping in runs.mappings.items():
        creators = {s.name for s in mapping.systems.values() if s.read and s.creates}
        rejected_by_creator[entity] = {
            r["key"]
            for r in runs.failures_first
            if r["entity"] == entity and r["system"] in creators and r["key"] is not None
        }
    unexplained = []
    for row in runs.failures_first:
        if _signature(row) in listed:
            continue
        system_map = runs.mappings[row["entity"]].systems[row["system"]]
        if (
            row["rule"] == "orphan"
            and row["stage"] == "merge"
            and not system_map.creates
            and row["key"] in rejected_by_creator[row["entity"]]
        ):
            continue
        unexplained.append((row["entity"], row["system"], row["key"], row["rule"], row["message"]))
    assert unexplained == []


def test_follow_on_orphans_are_exactly_the_erp_copies_of_rejected_records(runs: Runs) -> None:
    """Pinned down: which creator rejections leave an ERP orphan behind (the ERP enriches products/customers)."""
    listed = {_signature(d) for d in DEFECTS}
    orphans = {
        (r["entity"], r["system"], r["key"])
        for r in runs.failures_first
        if r["rule"] == "orphan" and _signature(r) not in listed
    }
    assert {system for _, system, _ in orphans} <= {"erp"}
    assert orphans == {
        ("product", "erp", "SKU-1003"),
        ("product", "erp", "SKU-1007"),
        ("product", "erp", "SKU-1015"),
        ("customer", "erp", "C10004"),
        ("customer", "erp", "C10009"),
    }


def test_every_record_read_is_accounted_for(runs: Runs) -> None:
    for stats in runs.first:
        if stats.stage == "ingest":
            outcome = stats.created + stats.updated + stats.unchanged + stats.rejected
            assert outcome == stats.read, stats.to_dict()


def test_every_accepted_record_is_published(runs: Runs) -> None:
    """Every golden record is in every target: written by the publish, or already there as read from it."""
    assert runs.stale_deliveries and all(n == 0 for n in runs.stale_deliveries.values()), (
        runs.stale_deliveries
    )
    for stats in runs.first:
        if stats.stage != "publish":
            continue
        assert stats.rejected == 0, stats.to_dict()
        also_source = runs.mappings[stats.entity].systems[stats.system].read
        if not also_source:
            assert stats.delivered == runs.golden_first[stats.entity], stats.to_dict()


def test_a_source_that_is_also_a_target_gets_only_what_it_lacks(runs: Runs) -> None:
    """The ERP is not sent back what it just sent; it gets the records it lacks and owner values it contradicts."""
    publish = {(s.entity, s.system): s for s in runs.first if s.stage == "publish"}
    ingest = {(s.entity, s.system): s for s in runs.first if s.stage == "ingest"}
    customer_erp = publish[("customer", "erp")]
    assert customer_erp.updated == ingest[("customer", "erp")].conflicts == 3  # CRM names set back in the ERP
    assert customer_erp.created == 1  # C10012: its ERP record was rejected (unknown payment term)
    # (products do go back to the ERP: its export has no description, which the PIM owns)


def test_flows_reach_the_hub(runs: Runs) -> None:
    # 60 stock rows + 2 bad ones, 1 of the 60 negative; 25 orders, 4 bad; 10 shipments, 3 bad; 5 returns, 3 bad
    counts = {e: runs.golden_first.get(e, 0) for e in ("order", "stock", "shipment", "return")}
    assert counts == {"order": 21, "stock": 59, "shipment": 7, "return": 2}


def test_second_full_run_changes_nothing(runs: Runs) -> None:
    changed = [s.to_dict() for s in runs.second if s.created or s.updated or s.delivered or s.conflicts]
    assert changed == []
    assert runs.golden_second == runs.golden_first
    rejected = {(s.entity, s.system, s.stage): s.rejected for s in runs.first}
    assert {(s.entity, s.system, s.stage): s.rejected for s in runs.second} == rejected
    # the same failures, seen once more each
    first = {r["fingerprint"]: r for r in runs.failures_first}
    second = {r["fingerprint"]: r for r in runs.failures_second}
    assert set(second) == set(first)
    assert all(second[f]["attempts"] == first[f]["attempts"] + 1 for f in first)


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_generator_is_deterministic_and_committed_data_is_current(tmp_path: Path) -> None:
    generate(tmp_path / "a")
    generate(tmp_path / "b")
    a, b = _tree(tmp_path / "a"), _tree(tmp_path / "b")
    assert a and a == b
    committed = _tree(DATA_DIR)
    assert {name: data for name, data in committed.items() if name in a} == a
    assert sorted(a) == sorted(committed), "sandbox/data holds exactly what the generator writes"
