"""Accounts registered in the shop get a hub key, default terms by segment and a segment tag, with
the engine's in-memory connectors (the sandbox version is in tests/test_sandbox_flows.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from hub.engine import codec, sync_entity
from hub.errors import ConfigError
from hub.mapping import load_mappings
from hub.mapping.loader import load_mapping_file
from hub.mapping.transforms import build_transform
from hub.store import Store
from hub.store.schema import golden_records, xref
from tests.conftest import ROOT
from tests.fakes import MemoryConnector


@pytest.fixture
def mapping() -> Any:
    return load_mappings(ROOT / "mappings", {"pim", "erp", "crm", "shop", "wms"})["customer"]


def crm_company(account: str, name: str, segment: str | None = "Wholesale", **props: Any) -> dict[str, Any]:
    properties = {"account_number": account, "name": name, "email": f"ap@{account.lower()}.example"}
    if segment:
        properties["segment"] = segment
    return {"id": f"crm-{account}", "properties": {**properties, **props}, "addresses": [], "contacts": []}


def shop_customer(shop_id: int, company: str, note: str | None = None, tags: str = "") -> dict[str, Any]:
    return {
        "id": shop_id,
        "email": f"buyer{shop_id}@example.com",
        "phone": "+1-555-0100",
        "note": note,
        "tags": tags,
        "default_address": {"company": company},
    }


def golden(store: Store, key: str) -> dict[str, Any] | None:
    with store.begin() as conn:
        data = conn.scalar(
            sa.select(golden_records.c.data).where(
                golden_records.c.entity == "customer", golden_records.c.key == key
            )
        )
    return codec.loads(data) if data else None


def run(
    store: Store, mapping: Any, systems: dict[str, MemoryConnector], run_id: str
) -> dict[tuple[str, str], Any]:
    return {(s.system, s.stage): s for s in sync_entity(store, mapping, systems, run_id, batch_size=2)}


def test_shop_registrations_get_one_key_each_that_survives_rereads(store: Store, mapping: Any) -> None:
    systems = {name: MemoryConnector(name) for name in ("crm", "erp", "shop")}
    systems["crm"].records["customer"] = [crm_company("C10001", "Acme Tools")]
    systems["shop"].records["customer"] = [
        shop_customer(501, "Harbor Supply"),
        shop_customer(502, "Bay Parts"),
    ]
    run(store, mapping, systems, "r1")
    minted = {k: v for k, v in systems["crm"].written["customer"].items() if k.startswith("W")}
    assert sorted(minted) == ["W00001", "W00002"]
    assert {v["properties"]["name"] for v in minted.values()} == {"Harbor Supply", "Bay Parts"}
    # the ERP gets each new account with the default terms (no segment: prepaid); the shop its number
    erp = systems["erp"].written["customer"]
    assert erp["W00001"]["payment_term"] == "PREPAID" and erp["C10001"]["payment_term"] == "NET 30"
    assert {systems["shop"].written["customer"][k]["note"] for k in minted} == {
        "account:W00001",
        "account:W00002",
    }

    # read again, before the note reached the shop and after: the same keys, nothing new
    second = run(store, mapping, systems, "r2")
    assert second[("shop", "ingest")].created == 0
    systems["shop"].records["customer"] = [
        shop_customer(501, "Harbor Supply", note="account:W00001"),
        shop_customer(502, "Bay Parts", note="account:W00002"),
    ]
    third = run(store, mapping, systems, "r3")
    assert (third[("shop", "ingest")].created, third[("shop", "ingest")].updated) == (0, 0)
    with store.begin() as conn:
        links = dict(
            conn.execute(sa.select(xref.c.system_id, xref.c.key).where(xref.c.system == "shop")).all()
        )
    assert links["501"] == "W00001" and links["502"] == "W00002"
    # a third registration continues the sequence
    systems["shop"].records["customer"].append(shop_customer(503, "Cove Marine"))
    run(store, mapping, systems, "r4")
    assert golden(store, "W00003")["name"] == "Cove Marine"


def test_segment_is_one_shop_tag_and_terms_default_by_segment_until_the_erp_sets_them(
    store: Store, mapping: Any
) -> None:
    systems = {name: MemoryConnector(name) for name in ("crm", "erp", "shop")}
    systems["crm"].records["customer"] = [crm_company("C10001", "Acme Tools", "Key Account", tags="vip;b2b")]
    run(store, mapping, systems, "r1")
    assert golden(store, "C10001")["payment_terms"] == "net60"  # enterprise
    shop = systems["shop"].written["customer"]["C10001"]
    assert shop["tags"] == "b2b, vip, segment:enterprise"

    systems["crm"].records["customer"] = [crm_company("C10001", "Acme Tools", "Retail", tags="vip;b2b")]
    run(store, mapping, systems, "r2")
    assert systems["shop"].written["customer"]["C10001"]["tags"] == "b2b, vip, segment:retail"
    assert golden(store, "C10001")["payment_terms"] == "net60"  # a default is not re-chosen

    # the ERP, owner of the terms, replaces the default; a party without terms keeps it
    systems["erp"].records["customer"] = [{"code": "C10001", "name": "Acme Tools", "payment_term": "NET 30"}]
    run(store, mapping, systems, "r3")
    assert golden(store, "C10001")["payment_terms"] == "net30"


def test_shop_tags_read_back_split_segment_from_the_other_tags(mapping: Any) -> None:
    translator = mapping.systems["shop"].translator
    record = translator.to_canonical({"id": 1, "note": "account:c10001", "tags": "vip, segment:retail, b2b"})
    assert (record["account_no"], record["segment"], record["tags"]) == ("C10001", "retail", ["b2b", "vip"])
    out = translator.from_canonical({"account_no": "C10001", "segment": "retail", "tags": ["b2b", "vip"]})
    assert out["tags"] == "b2b, vip, segment:retail" and "payment_terms" not in (out.get("metafields") or {})
    assert translator.from_canonical({"account_no": "C1", "segment": "retail"})["tags"] == "segment:retail"


def test_owner_with_nothing_to_say_does_not_empty_what_another_system_filled(
    store: Store, mapping: Any
) -> None:
    systems = {name: MemoryConnector(name) for name in ("crm", "erp", "shop")}
    company = crm_company("C10001", "Acme Tools")
    del company["properties"]["email"]
    systems["crm"].records["customer"] = [company]
    systems["erp"].records["customer"] = [
        {"code": "C10001", "name": "Acme Tools", "email": "ap@acme.example"}
    ]
    run(store, mapping, systems, "r1")
    assert golden(store, "C10001")["email"] == "ap@acme.example"  # filled by the ERP
    systems["crm"].records["customer"] = [
        {**company, "properties": {**company["properties"], "phone": "+1-1"}}
    ]
    stats = run(store, mapping, systems, "r2")
    assert golden(store, "C10001")["email"] == "ap@acme.example" and stats[("crm", "ingest")].updated == 1


def test_tag_transform_and_mapping_errors_name_the_key(tmp_path: Path) -> None:
    tag = build_transform({"tag": {"prefix": "segment:"}}, {})
    assert (
        tag.inbound(["a", "segment:x"]) == "x" and tag.inbound("a, b") is None and tag.outbound(None) is None
    )
    with pytest.raises(ValueError, match="prefix"):
        build_transform({"tag": {}}, {})
    text = (ROOT / "mappings" / "customer.yaml").read_text()
    bad = tmp_path / "customer.yaml"
    bad.write_text(text.replace('mint_key: {format: "W{n:05d}"}', 'mint_key: {format: "W"}'))
    with pytest.raises(ConfigError, match="mint_key"):
        load_mapping_file(bad)
    bad.write_text(text.replace("map: default_terms", "map: no_such_map"))
    with pytest.raises(ConfigError, match="no_such_map"):
        load_mapping_file(bad)
