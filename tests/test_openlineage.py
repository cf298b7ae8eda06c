"""OpenLineage run events for every sync step: to a file by default, to an HTTP endpoint when configured."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from hub.cli_common import load_all
from hub.engine import sync_entity
from hub.store import Store
from sandbox.common import SandboxServer
from tests.conftest import copy_project

RECEIVED: list[dict[str, object]] = []


async def lineage(request: Request) -> JSONResponse:
    RECEIVED.append(await request.json())
    return JSONResponse({}, status_code=201)


@pytest.fixture
def marquez() -> Iterator[str]:
    RECEIVED.clear()
    with SandboxServer(Starlette(routes=[Route("/api/v1/lineage", lineage, methods=["POST"])])) as server:
        yield f"{server.url}/api/v1/lineage"


def test_every_step_emits_start_and_complete_to_file_and_endpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, marquez: str
) -> None:
    project = copy_project(tmp_path / "p", f"sqlite:///{tmp_path / 'hub.db'}", monkeypatch)
    config_file = project / "hub.yaml"
    config_file.write_text(config_file.read_text() + f"\nopenlineage:\n  url: {marquez}\n")
    cfg, mappings = load_all(config_file)
    from connectors import build_connector

    connectors = {name: build_connector(cfg, name) for name in cfg.systems}
    steps = sync_entity(Store(cfg.database_url), mappings["product"], connectors, "cli-abc123")

    events = [
        json.loads(line)
        for line in (project / "var" / "openlineage" / "events.jsonl").read_text().splitlines()
    ]
    assert len(events) == 2 * len(steps) == len(RECEIVED)
    assert [e["eventType"] for e in events] == ["START", "COMPLETE"] * len(steps)
    jobs = [e["job"]["name"] for e in events if e["eventType"] == "COMPLETE"]
    assert jobs == ["product.ingest.pim", "product.ingest.erp", "product.publish.erp", "product.publish.shop"]
    ingest = next(
        e for e in events if e["eventType"] == "COMPLETE" and e["job"]["name"] == "product.ingest.pim"
    )
    assert ingest["inputs"] == [{"namespace": "pim", "name": "product"}]
    assert ingest["outputs"][0]["name"] == "product" and ingest["outputs"][0]["namespace"] == "hub"
    counts = ingest["run"]["facets"]["hub_counts"]
    assert (counts["read"], counts["created"], counts["rejected"]) == (
        steps[0].read,
        steps[0].created,
        steps[0].rejected,
    )
    assert ingest["outputs"][0]["outputFacets"]["outputStatistics"]["rowCount"] == steps[0].created
    uuid.UUID(ingest["run"]["runId"])  # OpenLineage run ids are UUIDs
    assert ingest["schemaURL"].startswith("https://openlineage.io/spec/")
    assert RECEIVED[1]["job"] == events[1]["job"]


def test_an_unreachable_endpoint_does_not_fail_the_sync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = copy_project(tmp_path / "p", f"sqlite:///{tmp_path / 'hub.db'}", monkeypatch)
    config_file = project / "hub.yaml"
    config_file.write_text(
        config_file.read_text() + "\nopenlineage:\n  file: null\n  url: http://127.0.0.1:9/x\n"
    )
    cfg, mappings = load_all(config_file)
    from connectors import build_connector

    connectors = {name: build_connector(cfg, name) for name in cfg.systems}
    steps = sync_entity(Store(cfg.database_url), mappings["customer"], connectors, "r")
    assert steps[0].created > 0
    assert not (project / "var" / "openlineage").exists()
