"""The `hub` command as users run it: real subprocesses, exit codes and the documented JSON shapes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, copy_project

SUMMARY_KEYS = {
    "entity",
    "system",
    "stage",
    "read",
    "created",
    "updated",
    "unchanged",
    "rejected",
    "conflicts",
    "delivered",
}


@pytest.fixture
def cli_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return copy_project(tmp_path / "project", f"sqlite:///{tmp_path / 'hub.db'}", monkeypatch)


def hub(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "hub.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd or ROOT,
        timeout=300,
    )


def test_sync_json_shape_exit_codes_and_second_run(cli_project: Path) -> None:
    first = hub("sync", "all", "--format", "json")
    assert first.returncode == 1, first.stderr  # the sample data has deliberate defects
    rows = json.loads(first.stdout)
    assert rows and all(set(r) == SUMMARY_KEYS for r in rows)
    by = {(r["entity"], r["system"], r["stage"]): r for r in rows}
    assert by[("product", "pim", "ingest")]["created"] > 0
    assert by[("product", "shop", "publish")]["delivered"] == by[("product", "pim", "ingest")]["created"]

    second = hub("sync", "all", "--format", "json", "--full")
    rows = json.loads(second.stdout)
    assert all(r["created"] == 0 and r["updated"] == 0 and r["delivered"] == 0 for r in rows), rows
    assert sum(r["unchanged"] for r in rows) > 0


def test_failures_listing_formats(cli_project: Path) -> None:
    hub("sync", "product")
    listed = hub("failures", "--entity", "product", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert rows and {
        "id",
        "entity",
        "key",
        "system",
        "stage",
        "rule",
        "field",
        "message",
        "status",
        "attempts",
        "first_seen",
        "last_seen",
        "raw",
    } <= set(rows[0])
    missing_name = next(r for r in rows if r["rule"] == "product.name.required")
    assert missing_name["key"] == "SKU-1003" and json.loads(missing_name["raw"])["identifier"] == "SKU-1003"
    csv_out = hub("failures", "--format", "csv", "--system", "erp")
    header, *lines = csv_out.stdout.strip().splitlines()
    assert header.startswith("id,entity,key,system,stage,rule") and lines
    assert all(",erp," in line for line in lines)
    table = hub("failures", "--status", "open")
    assert "product.name.required" in table.stdout


def test_mappings_check_ok_and_broken(cli_project: Path) -> None:
    ok = hub("mappings", "check", "--format", "json")
    assert ok.returncode == 0 and {r["entity"] for r in json.loads(ok.stdout)} >= {"product", "customer"}
    mapping = cli_project / "mappings" / "customer.yaml"
    mapping.write_text(
        mapping.read_text().replace("kind: custom, field: email", "kind: custom, field: e_mail")
    )
    broken = hub("mappings", "check")
    assert broken.returncode == 2
    assert "customer.yaml:" in broken.stderr and "e_mail" in broken.stderr


def test_unknown_entity_is_a_usage_error(cli_project: Path) -> None:
    result = hub("sync", "invoices")
    assert result.returncode == 2 and "no mapping for entity 'invoices'" in result.stderr


@pytest.mark.slow
def test_demo_runs_through_dagster_and_prints_the_summary(cli_project: Path) -> None:
    result = hub("demo", "--systems", "files")
    assert result.returncode == 0, result.stderr
    assert "Dagster run" in result.stdout
    for entity, system in (("product", "pim"), ("product", "shop"), ("customer", "crm"), ("customer", "erp")):
        assert any(line.count(entity) and f" {system} " in line for line in result.stdout.splitlines()), (
            entity,
            system,
        )
    assert "open failed records" in result.stdout
    assert (cli_project / "var" / "outbox" / "shop" / "product").is_dir()
