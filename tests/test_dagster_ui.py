"""The Dagster UI as an operator sees it: every entity's graph with all its systems, in real Chromium."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
import requests

from hub.cli_common import load_all
from pipelines.execute import run_sync
from sandbox.common.server import free_port
from tests.browser import chromium, require_browser, screenshot
from tests.conftest import copy_project

pytestmark = pytest.mark.slow


def test_asset_graph_shows_every_system_of_every_entity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    require_browser()
    project = copy_project(tmp_path / "p", f"sqlite:///{tmp_path / 'hub.db'}", monkeypatch)
    home = tmp_path / "dagster"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    _, ok = run_sync(config_path=project / "hub.yaml", instance=dg.DagsterInstance.get())
    assert ok
    _, mappings = load_all(project / "hub.yaml")

    port = free_port()
    web = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dagster_webserver",
            "-m",
            "pipelines.definitions",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        env={**os.environ},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{port}/server_info", timeout=2).ok:
                    break
            except requests.RequestException:
                time.sleep(0.5)
        with chromium(1600, 1000) as driver:
            driver.get(f"http://127.0.0.1:{port}/asset-groups")
            time.sleep(3)
            skip = [b for b in driver.find_elements(By.XPATH, "//button[normalize-space()='Skip']")]
            if skip:  # the first-visit community dialog
                skip[0].click()
            for entity, mapping in mappings.items():
                driver.get(
                    f"http://127.0.0.1:{port}/locations/pipelines.definitions/asset-groups/{entity}/lineage"
                )
                systems = {*mapping.sources, *mapping.targets}
                deadline = time.monotonic() + 30
                text = ""
                while time.monotonic() < deadline:
                    try:
                        text = driver.find_element(By.TAG_NAME, "body").text
                    except StaleElementReferenceException:  # the page is still rendering
                        continue
                    if all(f"\n{s}\n" in f"\n{text}\n" for s in systems) and "Materialized" in text:
                        break
                    time.sleep(0.5)
                badges = set(text.split("\n"))
                assert systems <= badges, f"{entity}: systems {sorted(systems - badges)} not shown"
                assert "hub" in badges and entity in badges
                assert "Never materialized" not in text, (
                    f"{entity}: the demo run's materialisations are not shown"
                )
                if entity == "product":
                    assert "product_from_hub" in text
                    screenshot(driver, "dagster-ui-product.png")
    finally:
        web.terminate()
        web.wait(timeout=20)


def test_demo_keep_running_leaves_ui_and_daemon_with_schedules_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import signal

    project = copy_project(tmp_path / "p", f"sqlite:///{tmp_path / 'hub.db'}", monkeypatch)
    port = free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(tmp_path / "dagster"),
        "PYTHONPATH": str(Path(__file__).parent.parent),
    }
    demo = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hub.cli",
            "demo",
            "--systems",
            "files",
            "--keep-running",
            "--port",
            str(port),
            "-c",
            str(project / "hub.yaml"),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    query = "{ repositoriesOrError { ... on RepositoryConnection { nodes { schedules { name scheduleState { status } } } } } }"
    try:
        statuses: dict[str, str] = {}
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline and not statuses:
            try:
                answer = requests.post(
                    f"http://127.0.0.1:{port}/graphql", json={"query": query}, timeout=5
                ).json()
                nodes = answer["data"]["repositoriesOrError"]["nodes"]
                statuses = {s["name"]: s["scheduleState"]["status"] for n in nodes for s in n["schedules"]}
            except (requests.RequestException, KeyError, TypeError, ValueError):
                time.sleep(1)
        assert statuses, "the Dagster UI did not come up"
        assert (
            statuses["sync_stock_schedule"] == "RUNNING" and statuses["retry_failures_schedule"] == "RUNNING"
        )
        assert set(statuses.values()) == {"RUNNING"}
    finally:
        os.killpg(demo.pid, signal.SIGTERM)
        demo.wait(timeout=30)
