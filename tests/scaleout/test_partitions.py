"""Key shards: a sync split into shards that run at the same time ends exactly where one unsharded sync does.

Both runs start from the same generated catalogue (with its planted defects); the sharded one runs
every shard of an entity concurrently in threads against one store, as workers would.
"""

from __future__ import annotations

import csv
import re
import shutil
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson
import pytest
import sqlalchemy as sa

from connectors import build_connector
from hub.config import HubConfig, load_config
from hub.engine import sync_entity
from hub.engine.ingest import Ingestor
from hub.engine.runner import blocking_failures
from hub.errors import ConfigError
from hub.mapping import MappingSet, load_mappings
from hub.store import Store
from pipelines.partitions import (
    KeyRouter,
    Shard,
    ShardedConnector,
    all_shards,
    cursor_system,
    shard_index,
    shard_publisher,
)
from sandbox.sample_data.scale import generate
from tests.conftest import ROOT

ENTITIES = ("product", "customer", "stock")
SHARDS = 3
_BATCH_POSITION = re.compile(r"#\d+ of the batch")


def test_shard_routing_is_stable_complete_and_spread() -> None:
    keys = [f"SKU-{n:05d}" for n in range(3000)]
    owners = [[s.index for s in all_shards(4) if s.owns(k)] for k in keys]
    assert all(len(o) == 1 for o in owners)  # every key in exactly one shard
    spread = Counter(o[0] for o in owners)
    assert set(spread) == {0, 1, 2, 3} and min(spread.values()) > 600  # roughly even
    assert [shard_index(k, 4) for k in keys[:50]] == [shard_index(k, 4) for k in keys[:50]]
    assert shard_index(None, 4) == 0 and shard_index("anything", 1) == 0
    assert Shard.parse("s2of4") == Shard(2, 4) and Shard(2, 4).name == "s2of4"
    assert cursor_system("pim", Shard(1, 3)) == "pim#s1of3"
    for bad in ("s4of4", "2of4", "s0of0", "s1of65"):
        with pytest.raises(ConfigError):
            Shard.parse(bad)


def _project(dest: Path) -> Path:
    dest.mkdir(parents=True)
    shutil.copy(ROOT / "hub.yaml", dest / "hub.yaml")
    shutil.copytree(ROOT / "mappings", dest / "mappings")
    generate(dest / "sandbox" / "data", products=240, accounts=90)
    return dest


def _setup(project: Path) -> tuple[MappingSet, HubConfig]:
    config = load_config(project / "hub.yaml")
    mappings = load_mappings(config.mappings_dir, config.systems, list(ENTITIES))
    return mappings, config


def _sync_plain(project: Path, store: Store, run_id: str) -> None:
    mappings, config = _setup(project)
    connectors = {name: build_connector(config, name) for name in config.systems}
    for entity in ENTITIES:
        sync_entity(store, mappings[entity], connectors, run_id)


def _sync_sharded(project: Path, store: Store, run_id: str) -> None:
    """Per entity: all ingest shards at once, then (no blocking failures) all publish shards at once."""
    mappings, config = _setup(project)

    def ingest(entity: str, shard: Shard) -> None:
        mapping = mappings[entity]
        for source in mapping.sources:  # creators first, as the engine does
            connector = ShardedConnector(build_connector(config, source), store, mapping, shard)
            Ingestor(store, mapping, source, connector, run_id).run(full=True)

    def publish(entity: str, target: str, shard: Shard) -> None:
        connector = build_connector(config, target)
        shard_publisher(store, mappings[entity], target, connector, run_id, shard).run()

    with ThreadPoolExecutor(max_workers=SHARDS) as pool:
        for entity in ENTITIES:
            list(pool.map(lambda s, e=entity: ingest(e, s), all_shards(SHARDS)))
            if blocking_failures(store, mappings[entity]) == 0:
                jobs = [(t, s) for t in mappings[entity].targets for s in all_shards(SHARDS)]
                list(pool.map(lambda job, e=entity: publish(e, *job), jobs))


def _state(store: Store) -> dict[str, Any]:
    """Everything a sync decides, without run ids, timestamps and surrogate ids."""
    queries = {
        "golden": "select entity, key, hash, data, version from golden_records",
        "xref": "select entity, system, key, system_id, source_hash from xref",
        "deliveries": "select entity, key, target, hash, payload_hash, system_id from deliveries",
        "failures": "select entity, key, system, stage, rule, field, status, message from failures",
        "audit": "select entity, key, system, target, action, changes from audit_events",
    }
    out: dict[str, Any] = {}
    with store.begin() as conn:
        for name, sql in queries.items():
            rows = [tuple(_text(v) for v in row) for row in conn.execute(sa.text(sql))]
            out[name] = Counter(rows)
        out["cursors"] = {
            (r.system, r.entity) for r in conn.execute(sa.text("select system, entity from cursors"))
        }
        out["stats"] = {
            (r.entity, r.system, r.stage): tuple(int(v) for v in r[3:])
            for r in conn.execute(
                sa.text(
                    "select entity, system, stage, sum(read), sum(created), sum(updated), sum(unchanged),"
                    " sum(rejected), sum(conflicts), sum(delivered) from sync_stats"
                    " group by entity, system, stage"
                )
            )
        }
    return out


def _text(value: Any) -> str:
    """A position within a batch ("duplicates record #83 of the batch") depends on the batch's
    other records, which differ between shards; the finding itself does not."""
    return _BATCH_POSITION.sub("#N of the batch", "" if value is None else str(value))


def _outbox(project: Path) -> Counter[tuple[str, str]]:
    """Every record written to every outbox, whatever the batch files they landed in."""
    records: Counter[tuple[str, str]] = Counter()
    for file in sorted((project / "var" / "outbox").rglob("*")):
        where = str(file.parent.relative_to(project / "var" / "outbox"))
        if file.suffix == ".jsonl":
            for line in file.read_bytes().splitlines():
                records[(where, orjson.dumps(orjson.loads(line), option=orjson.OPT_SORT_KEYS).decode())] += 1
        elif file.suffix == ".csv":
            with file.open(newline="") as handle:
                for row in csv.DictReader(handle):
                    kept = {k: v for k, v in row.items() if v}
                    records[(where, orjson.dumps(kept, option=orjson.OPT_SORT_KEYS).decode())] += 1
    return records


def _without_shard_cursors(state: dict[str, Any]) -> dict[str, Any]:
    return {**state, "cursors": {(s.split("#")[0], e) for s, e in state["cursors"]}}


def _change_some_products(project: Path) -> None:
    """A second drop: five changed names and three new products (no cursor can skip this file)."""
    pim = project / "sandbox" / "data" / "pim" / "product"
    lines = [orjson.loads(line) for line in (pim / "products.jsonl").read_bytes().splitlines()]
    changed = []
    for record in lines[10:15]:
        record["values"]["name"] = f"{record['values'].get('name') or 'Item'} (renamed)"
        changed.append(record)
    for n in range(3):
        extra = orjson.loads(orjson.dumps(lines[20]))
        extra["identifier"] = f"NEW-{n:03d}"
        extra["values"]["ean"] = None
        changed.append(extra)
    (pim / "products-2.jsonl").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in changed))


@pytest.mark.slow
def test_sharded_sync_equals_unsharded_sync(tmp_path: Path, db_url: str) -> None:
    plain_project, sharded_project = _project(tmp_path / "plain"), _project(tmp_path / "sharded")
    plain = Store(f"sqlite:///{tmp_path / 'plain.db'}")
    sharded = Store(db_url)
    try:
        _sync_plain(plain_project, plain, "run-1")
        _sync_sharded(sharded_project, sharded, "run-1")
        first = _state(plain)
        assert sum(first["golden"].values()) > 300  # products, customers and stock levels
        assert sum(first["failures"].values()) > 0  # the planted defects are in the comparison
        assert sum(first["deliveries"].values()) > 300
        assert _without_shard_cursors(_state(sharded)) == first
        assert _outbox(sharded_project) == _outbox(plain_project)

        # every shard really had a share of the work
        mappings, _ = _setup(sharded_project)
        router = KeyRouter(mappings["product"], "pim")
        pim_file = sharded_project / "sandbox" / "data" / "pim" / "product" / "products.jsonl"
        keys = [router.key_of(orjson.loads(line)) for line in pim_file.read_bytes().splitlines()]
        assert {shard_index(k, SHARDS) for k in keys} == set(range(SHARDS))

        # an incremental run: each shard reads only the new file, from its own cursor
        for project in (plain_project, sharded_project):
            _change_some_products(project)
        _sync_plain(plain_project, plain, "run-2")
        _sync_sharded(sharded_project, sharded, "run-2")
        second = _state(plain)
        assert second["golden"] != first["golden"]
        assert _without_shard_cursors(_state(sharded)) == second
        assert _outbox(sharded_project) == _outbox(plain_project)
        with sharded.begin() as conn:
            read = conn.scalar(
                sa.text(
                    "select sum(read) from sync_stats where run_id = 'run-2' and entity = 'product'"
                    " and system = 'pim'"
                )
            )
        assert read == 8
    finally:
        plain.dispose()
        sharded.dispose()
