"""Engine behaviour on SQLite and PostgreSQL: idempotence, ownership, quarantine, publishing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from hub.engine import codec, sync_entity
from hub.mapping import load_mappings
from hub.store import Store
from hub.store.schema import audit_events, deliveries, failures, golden_records, xref
from tests.fakes import MemoryConnector

ROOT = Path(__file__).resolve().parent.parent


def pim_product(sku: str, name: str | None = "Hex Bolt M8", **values: Any) -> dict[str, Any]:
    return {
        "identifier": sku,
        "family": "fasteners",
        "enabled": True,
        "values": {"name": name, "ean": "4006381333931", "weight": {"amount": "0.5", "unit": "kg"}, **values},
    }


def erp_product(sku: str, price: str = "10.00", name: str = "Hex Bolt M8") -> dict[str, Any]:
    return {
        "code": sku,
        "name": name,
        "list_price": price,
        "cost_price": "4.5",
        "currency": "USD",
        "default_uom": "unit",
    }


@pytest.fixture
def product_mapping() -> Any:
    return load_mappings(ROOT / "mappings", {"pim", "erp", "crm", "shop", "wms"})["product"]


@pytest.fixture
def systems() -> dict[str, MemoryConnector]:
    return {name: MemoryConnector(name) for name in ("pim", "erp", "shop")}


def run(
    store: Store, mapping: Any, systems: dict[str, MemoryConnector], run_id: str
) -> dict[tuple[str, str], Any]:
    return {(s.system, s.stage): s for s in sync_entity(store, mapping, systems, run_id, batch_size=2)}


def golden(store: Store, key: str) -> dict[str, Any] | None:
    with store.begin() as conn:
        data = conn.scalar(sa.select(golden_records.c.data).where(golden_records.c.key == key))
    return codec.loads(data)


def count(store: Store, table: sa.Table, *where: Any) -> int:
    with store.begin() as conn:
        return int(conn.scalar(sa.select(sa.func.count()).select_from(table).where(*where)))


def test_second_run_creates_and_updates_nothing(store: Store, product_mapping: Any, systems: Any) -> None:
    systems["pim"].records["product"] = [pim_product(f"SKU-{i}") for i in range(5)]
    systems["erp"].records["product"] = [erp_product(f"SKU-{i}", f"{10 + i}.00") for i in range(5)]
    first = run(store, product_mapping, systems, "r1")
    assert first[("pim", "ingest")].created == 5
    assert first[("erp", "ingest")].updated == 5
    assert first[("shop", "publish")].delivered == 5
    audits, writes = count(store, audit_events), len(systems["shop"].write_calls)

    second = run(store, product_mapping, systems, "r2")
    for stats in second.values():
        assert (stats.created, stats.updated, stats.delivered, stats.rejected) == (0, 0, 0, 0), stats
    assert second[("pim", "ingest")].unchanged == 5
    assert count(store, audit_events) == audits  # no update (or any) audit events
    assert count(store, audit_events, audit_events.c.run_id == "r2") == 0
    assert len(systems["shop"].write_calls) == writes
    assert golden(store, "SKU-3")["price"] == {"amount": "13.00", "currency": "USD"}


def test_non_owner_cannot_overwrite_and_conflict_keeps_both_values(
    store: Store, product_mapping: Any, systems: Any
) -> None:
    systems["pim"].records["product"] = [pim_product("SKU-1", "Hex Bolt M8")]
    systems["erp"].records["product"] = [erp_product("SKU-1", "12.50", name="HEXBOLT 8MM")]
    stats = run(store, product_mapping, systems, "r1")
    record = golden(store, "SKU-1")
    assert record["name"] == "Hex Bolt M8"  # PIM owns the name
    assert record["price"]["amount"] == "12.50"  # ERP owns the price
    assert stats[("erp", "ingest")].conflicts == 1
    with store.begin() as conn:
        event = (
            conn.execute(sa.select(audit_events).where(audit_events.c.action == "conflict")).mappings().one()
        )
    change = codec.loads(event["changes"])["name"]
    assert change == {"owner": "pim", "kept": "Hex Bolt M8", "rejected": "HEXBOLT 8MM", "from": "erp"}
    assert event["system"] == "erp" and event["mapping_version"] == product_mapping.version
    # provenance says who set each field
    with store.begin() as conn:
        provenance = codec.loads(conn.scalar(sa.select(golden_records.c.provenance)))
    assert provenance["name"][0] == "pim" and provenance["price"][0] == "erp"


def test_owner_change_overwrites_and_is_audited_with_before_after(
    store: Store, product_mapping: Any, systems: Any
) -> None:
    systems["pim"].records["product"] = [pim_product("SKU-1", "Old name")]
    run(store, product_mapping, systems, "r1")
    systems["pim"].records["product"] = [pim_product("SKU-1", "New name")]
    stats = run(store, product_mapping, systems, "r2")
    assert stats[("pim", "ingest")].updated == 1
    assert golden(store, "SKU-1")["name"] == "New name"
    with store.begin() as conn:
        event = (
            conn.execute(
                sa.select(audit_events).where(
                    audit_events.c.run_id == "r2", audit_events.c.action == "updated"
                )
            )
            .mappings()
            .one()
        )
    assert codec.loads(event["changes"]) == {"name": ["Old name", "New name"]}


def test_rejected_record_is_quarantined_with_raw_payload_and_not_lost(
    store: Store, product_mapping: Any, systems: Any
) -> None:
    bad = pim_product("SKU-BAD", name="  ")
    systems["pim"].records["product"] = [pim_product("SKU-OK"), bad]
    stats = run(store, product_mapping, systems, "r1")
    assert stats[("pim", "ingest")].rejected == 1
    assert golden(store, "SKU-BAD") is None
    with store.begin() as conn:
        row = conn.execute(sa.select(failures)).mappings().one()
    assert (row["entity"], row["key"], row["system"], row["stage"]) == (
        "product",
        "SKU-BAD",
        "pim",
        "validate",
    )
    assert (row["rule"], row["field"], row["message"]) == (
        "product.name.required",
        "name",
        "name is required",
    )
    assert codec.loads(row["raw"]) == bad
    assert row["status"] == "open"

    run(store, product_mapping, systems, "r2")  # the same input again: still there, once
    with store.begin() as conn:
        rows = conn.execute(sa.select(failures)).mappings().all()
    assert len(rows) == 1 and rows[0]["status"] == "open" and rows[0]["attempts"] == 2

    systems["pim"].records["product"][1] = pim_product("SKU-BAD", name="Fixed name")
    run(store, product_mapping, systems, "r3")
    assert golden(store, "SKU-BAD")["name"] == "Fixed name"
    with store.begin() as conn:
        assert conn.scalar(sa.select(failures.c.status)) == "resolved"


def test_non_owner_fills_an_empty_field_until_the_owner_sets_it(
    store: Store, tmp_path: Path, systems: Any
) -> None:
    text = (ROOT / "mappings" / "product.yaml").read_text()
    folder = tmp_path / "maps"
    folder.mkdir()
    (folder / "product.yaml").write_text(text.replace("{path: description, direction: out}", "description"))
    product_mapping = load_mappings(folder)["product"]
    systems["pim"].records["product"] = [pim_product("SKU-1")]  # no description
    erp = erp_product("SKU-1")
    erp["description"] = "From the ERP"
    systems["erp"].records["product"] = [erp]
    run(store, product_mapping, systems, "r1")
    assert golden(store, "SKU-1")["description"] == "From the ERP"
    systems["pim"].records["product"] = [pim_product("SKU-1", description="From the PIM")]
    run(store, product_mapping, systems, "r2")
    assert golden(store, "SKU-1")["description"] == "From the PIM"


def test_record_for_unknown_key_from_a_non_creator_waits_as_retriable_failure(
    store: Store, product_mapping: Any, systems: Any
) -> None:
    systems["erp"].records["product"] = [erp_product("SKU-9")]
    stats = run(store, product_mapping, systems, "r1")
    assert stats[("erp", "ingest")].rejected == 1
    with store.begin() as conn:
        row = conn.execute(sa.select(failures)).mappings().one()
    assert (row["rule"], row["stage"], row["retriable"]) == ("orphan", "merge", True)


def test_publish_skips_changes_the_target_does_not_map_and_never_echoes_owned_fields(
    store: Store, product_mapping: Any, systems: Any
) -> None:
    systems["pim"].records["product"] = [pim_product("SKU-1", material="steel")]
    systems["erp"].records["product"] = [erp_product("SKU-1", "10.00")]
    run(store, product_mapping, systems, "r1")
    erp_writes = len(systems["erp"].write_calls)
    # attributes are not mapped to the ERP: the golden record changes, the ERP payload does not
    systems["pim"].records["product"] = [pim_product("SKU-1", material="zinc")]
    stats = run(store, product_mapping, systems, "r2")
    assert stats[("erp", "publish")].delivered == 0 and stats[("erp", "publish")].unchanged == 1
    assert len(systems["erp"].write_calls) == erp_writes
    # a name change reaches the ERP as an update without the ERP-owned price
    systems["pim"].records["product"] = [pim_product("SKU-1", "Renamed", material="zinc")]
    run(store, product_mapping, systems, "r3")
    sent = systems["erp"].write_calls[-1][0]
    assert sent.action == "update" and sent.payload["name"] == "Renamed"
    assert "list_price" not in sent.payload and "cost_price" not in sent.payload


def test_write_error_fails_the_record_not_the_run_and_is_retried(
    store: Store, product_mapping: Any, systems: Any
) -> None:
    systems["pim"].records["product"] = [pim_product("SKU-1"), pim_product("SKU-2")]
    systems["shop"].fail["SKU-2"] = ("422 title is too long", False)
    stats = run(store, product_mapping, systems, "r1")
    assert stats[("shop", "publish")].delivered == 1 and stats[("shop", "publish")].rejected == 1
    with store.begin() as conn:
        row = conn.execute(sa.select(failures).where(failures.c.stage == "write")).mappings().one()
    assert row["key"] == "SKU-2" and row["message"] == "422 title is too long"
    assert count(store, deliveries, deliveries.c.target == "shop") == 1

    del systems["shop"].fail["SKU-2"]
    stats = run(store, product_mapping, systems, "r2")
    assert stats[("shop", "publish")].delivered == 1  # only the failed one is written again
    assert [r.key for r in systems["shop"].write_calls[-1]] == ["SKU-2"]
    with store.begin() as conn:
        assert conn.scalar(sa.select(failures.c.status).where(failures.c.stage == "write")) == "resolved"
    assert count(store, xref, xref.c.system == "shop") == 2


def test_blocking_rule_holds_publishing(store: Store, tmp_path: Path, systems: Any) -> None:
    text = (ROOT / "mappings" / "product.yaml").read_text()
    text = text.replace(
        "{id: product.name.required, kind: required, field: name}",
        "{id: product.name.required, kind: required, field: name, blocking: true}",
    )
    (tmp_path / "maps").mkdir()
    (tmp_path / "maps" / "product.yaml").write_text(text)
    mapping = load_mappings(tmp_path / "maps")["product"]
    systems["pim"].records["product"] = [pim_product("SKU-1"), pim_product("SKU-2", name=None)]
    stats = run(store, mapping, systems, "r1")
    assert ("shop", "publish") not in stats
    assert systems["shop"].write_calls == []


def test_duplicate_key_in_batch_first_wins_and_stays_stable(
    store: Store, product_mapping: Any, systems: Any
) -> None:
    systems["pim"].records["product"] = [pim_product("SKU-1", "First"), pim_product("SKU-1", "Second")]
    run(store, product_mapping, systems, "r1")
    assert golden(store, "SKU-1")["name"] == "First"
    stats = run(store, product_mapping, systems, "r2")
    assert golden(store, "SKU-1")["name"] == "First"
    assert stats[("pim", "ingest")].updated == 0
