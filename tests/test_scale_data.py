"""The size-configurable sample generator: about 2% planted defects, every one reported, nothing else."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from connectors import build_connector
from hub.config import load_config
from hub.engine import sync_entity
from hub.mapping import load_mappings
from hub.reports.failures import list_failures
from hub.store import Store
from sandbox.sample_data.scale import generate
from tests.conftest import ROOT


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_generator_is_deterministic_and_plants_about_two_percent(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", products=300, accounts=120)
    second = generate(tmp_path / "b", products=300, accounts=120)
    assert first == second and _files(tmp_path / "a") == _files(tmp_path / "b")
    products = [d for d in first if d["entity"] == "product"]
    accounts = [d for d in first if d["entity"] == "customer"]
    assert len(products) == 6 and len(accounts) == 2  # 2% of 300 and of 120 (at least one of each kind)
    assert {d["defect"] for d in products} == {
        "missing name",
        "GTIN check digit wrong",
        "duplicate SKU in the same file",
        "weight unit unknown",
    }
    assert (tmp_path / "a" / "pim" / "product" / "products.jsonl").read_text().count(
        "\n"
    ) == 301  # + the duplicate


@pytest.mark.slow
def test_every_planted_defect_is_reported_with_its_rule_and_nothing_else_fails(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(ROOT / "hub.yaml", project / "hub.yaml")
    shutil.copytree(ROOT / "mappings", project / "mappings")
    planted = generate(project / "sandbox" / "data", products=500, accounts=200)
    config = load_config(project / "hub.yaml")
    mappings = load_mappings(config.mappings_dir, config.systems, ["product", "customer", "stock"])
    connectors = {name: build_connector(config, name) for name in config.systems}
    store = Store(f"sqlite:///{tmp_path / 'hub.db'}")
    for entity in ("product", "customer", "stock"):
        sync_entity(store, mappings[entity], connectors, "scale")

    failed = list_failures(store)
    reported = {(f["entity"], f["system"], f["key"], f["rule"]) for f in failed}
    for defect in planted:
        assert (defect["entity"], defect["system"], defect["key"], defect["rule"]) in reported, defect
    rejected = {d["key"] for d in planted if d["defect"] != "duplicate SKU in the same file"}
    for (
        f
    ) in failed:  # everything else follows from a planted defect: the ERP's copies and the stock of rejects
        explained = (f["entity"], f["system"], f["key"], f["rule"]) in {
            (d["entity"], d["system"], d["key"], d["rule"]) for d in planted
        }
        follows = f["rule"] in ("orphan", "stock.sku.known") and f["key"].split("@")[0] in rejected
        assert explained or follows, f
    golden = {
        e: len(
            list(
                store.engine.connect().exec_driver_sql("select 1 from golden_records where entity = ?", (e,))
            )
        )
        for e in ("product", "customer", "stock")
    }
    assert golden == {
        "product": 500 - len(rejected & {d["key"] for d in planted if d["entity"] == "product"}),
        # the CRM's accounts without the defective ones, plus the 2 registered in the shop (W numbers)
        "customer": 200 - sum(d["entity"] == "customer" for d in planted) + 2,
        "stock": 2 * golden["product"],
    }
