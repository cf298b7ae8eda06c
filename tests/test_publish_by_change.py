"""Publish compares only what changed since the target's watermark, and still re-offers what failed.

On SQLite and PostgreSQL: an incremental publish looks at the changed records only; a failed write,
a stale target copy and a run that stops half-way are all delivered by a later run.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from hub.engine import sync_entity
from hub.engine.ports import OutboundRecord, WriteResult
from hub.engine.repository import Repository
from hub.mapping import load_mappings
from hub.store import Store
from hub.store.schema import golden_records, publish_backlog, publish_marks
from tests.fakes import MemoryConnector
from tests.test_engine import erp_product, pim_product

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def mapping() -> Any:
    return load_mappings(ROOT / "mappings", {"pim", "erp", "crm", "shop", "wms"})["product"]


@pytest.fixture
def systems() -> dict[str, MemoryConnector]:
    return {name: MemoryConnector(name) for name in ("pim", "erp", "shop")}


def run(store: Store, mapping: Any, systems: dict[str, MemoryConnector], run_id: str) -> dict[str, Any]:
    stats = sync_entity(store, mapping, systems, run_id, batch_size=2)
    return {s.system: s for s in stats if s.stage == "publish"}


def compared(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """The golden ids each incremental page query was given."""
    seen: list[list[int]] = []
    original = Repository.pending_among

    def spy(self: Repository, conn: Any, entity: str, target: str, ids: Sequence[int]) -> Any:
        seen.append(list(ids))
        return original(self, conn, entity, target, ids)

    monkeypatch.setattr(Repository, "pending_among", spy)
    return seen


def ids_of(store: Store, *keys: str) -> list[int]:
    with store.begin() as conn:
        t = golden_records
        return sorted(conn.scalars(sa.select(t.c.id).where(t.c.key.in_(keys))))


def test_incremental_publish_compares_only_changed_records(
    store: Store, mapping: Any, systems: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    systems["pim"].records["product"] = [pim_product(f"SKU-{i}") for i in range(7)]
    assert run(store, mapping, systems, "r1")["shop"].delivered == 7
    with store.begin() as conn:
        marks = conn.execute(sa.select(publish_marks.c.target, publish_marks.c.seq)).all()
    assert {t for t, _ in marks} == {"shop", "erp"} and all(seq == 7 for _, seq in marks)

    seen = compared(monkeypatch)
    systems["pim"].records["product"][4] = pim_product("SKU-4", "Renamed")
    stats = run(store, mapping, systems, "r2")
    assert stats["shop"].delivered == 1 and systems["shop"].write_calls[-1][0].key == "SKU-4"
    assert seen == [ids_of(store, "SKU-4"), ids_of(store, "SKU-4")]  # shop, then erp: one record each

    seen.clear()
    stats = run(store, mapping, systems, "r3")  # nothing changed: nothing compared
    assert stats["shop"].delivered == 0 and seen == []


def test_failed_write_is_offered_again_after_the_watermark_moved(
    store: Store, mapping: Any, systems: Any
) -> None:
    systems["pim"].records["product"] = [pim_product("SKU-1"), pim_product("SKU-2"), pim_product("SKU-3")]
    systems["shop"].fail["SKU-2"] = ("503 busy", True)
    assert run(store, mapping, systems, "r1")["shop"].rejected == 1
    # another record changes; SKU-2 (unchanged, below the watermark) is still offered, and fails again
    systems["pim"].records["product"][0] = pim_product("SKU-1", "Renamed")
    stats = run(store, mapping, systems, "r2")["shop"]
    assert (stats.delivered, stats.rejected) == (1, 1)
    assert sorted(r.key for r in systems["shop"].write_calls[-1]) == ["SKU-1", "SKU-2"]

    del systems["shop"].fail["SKU-2"]
    assert run(store, mapping, systems, "r3")["shop"].delivered == 1
    assert systems["shop"].written["product"]["SKU-2"]["title"] == "Hex Bolt M8"
    with store.begin() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(publish_backlog)) == 0
    assert run(store, mapping, systems, "r4")["shop"].delivered == 0


def test_stale_copy_in_a_source_that_is_also_a_target_is_set_back(
    store: Store, mapping: Any, systems: Any
) -> None:
    systems["pim"].records["product"] = [pim_product("SKU-1")]
    systems["erp"].records["product"] = [erp_product("SKU-1")]
    run(store, mapping, systems, "r1")
    # the ERP sends a name it does not own: the golden record keeps the PIM's, the ERP gets it back
    systems["erp"].records["product"] = [erp_product("SKU-1", name="ERP name")]
    stats = run(store, mapping, systems, "r2")
    assert stats["erp"].delivered == 1
    assert systems["erp"].write_calls[-1][0].payload["name"] == "Hex Bolt M8"
    assert run(store, mapping, systems, "r3")["erp"].delivered == 0


class _Crashing(MemoryConnector):
    """Fails (raises) on its nth write call, like a process that dies half-way through a publish."""

    def __init__(self, system: str, crash_on: int) -> None:
        super().__init__(system)
        self.crash_on = crash_on

    def write(self, entity: str, records: Sequence[OutboundRecord]) -> list[WriteResult]:
        if len(self.write_calls) + 1 == self.crash_on:
            self.crash_on = 0
            raise ConnectionError("target went away")
        return super().write(entity, records)


def test_a_run_that_stops_half_way_leaves_the_watermark_and_the_next_run_finishes(
    store: Store, mapping: Any, systems: Any
) -> None:
    systems["pim"].records["product"] = [pim_product(f"SKU-{i}") for i in range(4)]
    run(store, mapping, systems, "r1")
    for i in range(4):
        systems["pim"].records["product"][i] = pim_product(f"SKU-{i}", f"Renamed {i}")
    systems["shop"] = _Crashing("shop", crash_on=2)  # first page (2 records) lands, the second does not
    systems["shop"].written = {"product": {}}
    with pytest.raises(ConnectionError):
        run(store, mapping, systems, "r2")
    with store.begin() as conn:
        mark = conn.scalar(sa.select(publish_marks.c.seq).where(publish_marks.c.target == "shop"))
    assert mark == 4  # still r1's
    stats = run(store, mapping, systems, "r3")
    assert stats["shop"].delivered == 2  # the two the crash left, not the two already delivered
    assert {k: v["title"] for k, v in systems["shop"].written["product"].items()} == {
        f"SKU-{i}": f"Renamed {i}" for i in range(4)
    }


@pytest.mark.postgres
def test_copy_path_stores_what_the_values_path_stores(pg_url: str) -> None:
    """PostgreSQL batches of 64+ rows go through COPY: same rows, same id order, escapes intact."""
    from datetime import UTC, datetime

    from hub.engine.pgcopy import copy_write
    from hub.store.schema import audit_events, xref

    store = Store(pg_url)
    now = datetime(2026, 11, 22, 18, 0, tzinfo=UTC)
    tricky = ["tab\there", "line\nbreak\r", "back\\slash \\N", "naïve ünïcode", '{"a": "q\\"uote"}']
    rows = [
        {
            "run_id": "r",
            "at": now,
            "entity": "product",
            "key": f"K{i}",
            "system": None if i % 2 else "pim",
            "target": None,
            "action": "created",
            "changes": tricky[i % len(tricky)],
            "mapping_version": "1",
            "correlation": None,
        }
        for i in range(100)
    ]
    links = [
        {
            "entity": "product",
            "key": f"K{i}",
            "system": "pim",
            "system_id": f"P{i}",
            "source_hash": None,
            "updated_at": now,
        }
        for i in range(100)
    ]
    t = audit_events
    columns = [t.c.key, t.c.system, t.c.changes, t.c.correlation, t.c.at]
    try:
        with store.begin() as conn:
            copy_write(conn, audit_events, rows, None, ())
            copy_write(conn, xref, links, ("entity", "system", "key"), ("system_id",))
            copy_write(
                conn,
                xref,
                [{**r, "system_id": "X" + r["system_id"]} for r in links],
                ("entity", "system", "key"),
                ("system_id",),
            )
            copied = conn.execute(sa.select(*columns).order_by(t.c.id)).all()
            ids = conn.execute(sa.select(xref.c.system_id).order_by(xref.c.key)).scalars().all()
            conn.execute(sa.delete(audit_events))
            store.insert_many(conn, audit_events, rows)
            expected = conn.execute(sa.select(*columns).order_by(t.c.id)).all()
    finally:
        store.dispose()
    assert copied == expected and [r[0] for r in copied] == [f"K{i}" for i in range(100)]
    assert sorted(ids) == sorted(f"XP{i}" for i in range(100))


def test_shards_publish_by_change_each_from_its_own_watermark(
    store: Store, mapping: Any, systems: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Shards publishing side by side: each keeps ``<target>#<shard>``, compares only the change, owns
    its part of the backlog."""
    from hub.engine.ingest import Ingestor
    from pipelines.partitions import all_shards, shard_index, shard_publisher

    shards = all_shards(2)

    def sync(run_id: str) -> dict[str, int]:
        Ingestor(store, mapping, "pim", systems["pim"], run_id, batch_size=3).run()
        stats = [shard_publisher(store, mapping, "shop", systems["shop"], run_id, s, 3).run() for s in shards]
        return {s.name: st.delivered for s, st in zip(shards, stats, strict=True)}

    keys = [f"SKU-{i}" for i in range(8)]
    assert {shard_index(k, 2) for k in keys} == {0, 1}  # both shards have work
    systems["pim"].records["product"] = [pim_product(k) for k in keys]
    first = sync("r1")
    assert sum(first.values()) == 8 and all(first.values())
    with store.begin() as conn:
        marks = dict(conn.execute(sa.select(publish_marks.c.target, publish_marks.c.seq)).all())
    assert marks == {"shop#s0of2": 8, "shop#s1of2": 8}

    seen = compared(monkeypatch)
    changed = keys[5]
    owner = shards[shard_index(changed, 2)].name
    failing = next(k for k in keys if shard_index(k, 2) != shard_index(changed, 2))
    systems["pim"].records["product"][5] = pim_product(changed, "Renamed")
    systems["pim"].records["product"][keys.index(failing)] = pim_product(failing, "Also renamed")
    systems["shop"].fail[failing] = ("503 busy", True)
    second = sync("r2")
    assert second[owner] == 1 and sum(second.values()) == 1  # the failing one is in the backlog
    assert seen and all(
        ids == ids_of(store, changed, failing) for ids in seen
    )  # the change, not the catalogue

    seen.clear()
    del systems["shop"].fail[failing]
    third = sync("r3")  # only the backlog: the failing key, by its own shard
    assert sum(third.values()) == 1 and systems["shop"].written["product"][failing]["title"] == "Also renamed"
    assert all(ids == ids_of(store, failing) for ids in seen)
    with store.begin() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(publish_backlog)) == 0
    seen.clear()
    assert sum(sync("r4").values()) == 0 and seen == []
