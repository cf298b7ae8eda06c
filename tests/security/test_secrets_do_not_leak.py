"""Secrets never leak (DESIGN section 8): real syncs with distinctive secrets, then every place people read.

The PIM (Akeneo dialect, OAuth2 client secret + password), the CRM (HubSpot, bearer token) and the shop
(Shopify, access token) run as sandboxes whose credentials are ``S3CR3T-...`` values handed to the hub
only as ``{env: NAME}`` settings. The run goes through 20% 429s on all three, 401 "token expired" on
every fifth PIM call, validation failures from the sample data, an alert webhook and an OpenLineage
endpoint whose URLs carry secrets and answer 503, a CRM token that is refused (the step fails), and a
Dagster run of the same. Then each secret is searched for in the logs, the CLI's output, the Dagster
event log, run records and compute logs, `hub failures` JSON and HTML, `hub lineage` JSON, every
table of the hub store and the SQLite file's bytes, the OpenLineage file, and what the webhook and
lineage endpoints received.
"""

from __future__ import annotations

import json
import logging
import shutil
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import requests
import sqlalchemy as sa
from typer.testing import CliRunner

from hub.cli import app
from pipelines.execute import run_sync
from sandbox.common import SandboxServer
from sandbox.crm.app import create_app as crm_app
from sandbox.pim.app import create_app as pim_app
from sandbox.pim.sample import read_jsonl
from sandbox.pim.sample import seed as seed_pim
from sandbox.shop import create_app as shop_app
from tests.conftest import ROOT
from tests.security.conftest import ExpiringTokens, Receiver
from tests.security.leaks import files_under, forms, leaks, secret, table_dump

pytestmark = pytest.mark.slow
PIM_CLIENT = "hub"
OUR_LOGGERS = ("hub", "connectors", "pipelines", "schedules", "dagster")


@dataclass
class Scenario:
    secrets: dict[str, list[bytes]]
    logs: list[str] = field(default_factory=list)
    cli: dict[str, str] = field(default_factory=dict)
    dagster: dict[str, str | bytes] = field(default_factory=dict)
    store: dict[str, str | bytes] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    sent: dict[str, bytes] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)


class _Collect(logging.Handler):
    """Every log record of every logger, formatted with its traceback, as an operator's log file holds it."""

    def __init__(self, into: list[str]) -> None:
        super().__init__(logging.DEBUG)
        self.into = into
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(self.format(record))


def _hub_yaml(tmp: Path, urls: dict[str, str], lineage_url: str) -> str:
    return f"""
store: {{url: "sqlite:///{tmp / "hub.db"}"}}
mappings: mappings
entities: [product, customer]
batch_size: 20
openlineage: {{file: var/openlineage/events.jsonl, url: "{lineage_url}"}}
alerts:
  webhook: {{url: {{env: HUB_ALERT_WEBHOOK}}}}
  failure_rate_pct: 1
  failure_rate_min_records: 1
systems:
  pim:
    connector: akeneo
    settings: {{base_url: "{urls["pim"]}", client_id: {PIM_CLIENT}, secret: {{env: HUB_PIM_SECRET}}, username: admin,
               password: {{env: HUB_PIM_PASSWORD}}, values_format: flat, page_size: 5, backoff: 0.01,
               requests_per_second: 1000}}
  crm:
    connector: hubspot
    settings: {{base_url: "{urls["crm"]}", access_token: {{env: HUB_CRM_ACCESS_TOKEN}}, page_size: 5, max_attempts: 10}}
  shop:
    connector: shopify
    settings: {{shop_url: "{urls["shop"]}", access_token: {{env: HUB_SHOP_ACCESS_TOKEN}}, rate_per_second: 1000,
               backoff: 0.01, max_attempts: 10}}
  erp:
    connector: files
    settings: {{inbox: sandbox/data/erp, outbox: var/outbox/erp}}
  wms:
    connector: files
    settings: {{inbox: sandbox/data/wms, outbox: var/outbox/wms, format: csv}}
"""


def _cli(runner: CliRunner, scenario: Scenario, name: str, *args: str) -> str:
    """Run `hub ARGS` in process; keep what it printed, and its exception as `hub` would print it."""
    result = runner.invoke(app, list(args))
    text = result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        text += "".join(traceback.format_exception(result.exception))
    scenario.cli[name] = text
    return result.stdout


def _dagster_places(instance: dg.DagsterInstance, run_ids: list[str]) -> dict[str, str | bytes]:
    places: dict[str, str | bytes] = {}
    for run_id in run_ids:
        run = instance.get_run_by_id(run_id)
        assert run is not None
        places[f"dagster run {run_id} record"] = dg.serialize_value(run)
        places[f"dagster run {run_id} events"] = "\n".join(
            dg.serialize_value(entry) for entry in instance.all_logs(run_id)
        )
    return places


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory, receiver: Receiver) -> Iterator[Scenario]:
    tmp = tmp_path_factory.mktemp("secrets")
    values = {
        "HUB_SHOP_ACCESS_TOKEN": secret("shop"),
        "HUB_CRM_ACCESS_TOKEN": secret("crm"),
        "HUB_PIM_SECRET": secret("pimclient"),
        "HUB_PIM_PASSWORD": secret("pimpassword"),
    }
    refused_token, lineage_password = secret("crm-refused"), secret("lineage")
    webhook = f"{receiver.server.url}/services/T0001/B0001/{secret('webhook')}"
    lineage_url = receiver.server.url.replace("http://", f"http://ol:{lineage_password}@") + "/api/v1/lineage"
    found = Scenario(
        secrets={
            **{name: forms(v) for name, v in values.items()},
            "HUB_PIM_SECRET": forms(values["HUB_PIM_SECRET"], basic_user=PIM_CLIENT),
            "refused CRM token": forms(refused_token),
            "alert webhook path": forms(webhook.rsplit("/", 1)[1]),
            "OpenLineage URL password": forms(lineage_password, basic_user="ol"),
        }
    )
    pim_gate = ExpiringTokens(
        pim_app(tmp / "pim.db", PIM_CLIENT, values["HUB_PIM_SECRET"], "admin", values["HUB_PIM_PASSWORD"]),
        every=5,
    )
    servers = {
        "shop": SandboxServer(shop_app(tmp / "shop.db", values["HUB_SHOP_ACCESS_TOKEN"], "whsec", 1000.0)),
        "crm": SandboxServer(crm_app(tmp / "crm.db", values["HUB_CRM_ACCESS_TOKEN"], rate_window_s=0.5)),
        "pim": SandboxServer(pim_gate),
    }
    handler = _Collect(found.logs)
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in ("", *OUR_LOGGERS)}
    with pytest.MonkeyPatch.context() as mp:
        for server in servers.values():
            server.start()
        try:
            root.addHandler(handler)
            root.setLevel(logging.INFO)  # libraries as in production; urllib3 at DEBUG logs every URL path
            for name in OUR_LOGGERS:
                logging.getLogger(name).setLevel(logging.DEBUG)
            project = tmp / "project"
            project.mkdir()
            shutil.copytree(ROOT / "mappings", project / "mappings")
            shutil.copytree(ROOT / "sandbox" / "data", project / "sandbox" / "data")
            urls = {name: s.url for name, s in servers.items()}
            (project / "hub.yaml").write_text(_hub_yaml(tmp, urls, lineage_url))
            for name, value in {**values, "HUB_ALERT_WEBHOOK": webhook}.items():
                mp.setenv(name, value)
            mp.setenv("HUB_CONFIG", str(project / "hub.yaml"))
            mp.delenv("HUB_DATABASE_URL", raising=False)
            _run(found, tmp, urls, values["HUB_CRM_ACCESS_TOKEN"], refused_token, mp)
        finally:
            root.removeHandler(handler)
            for name, level in levels.items():
                logging.getLogger(name).setLevel(level)
            for server in servers.values():
                server.stop()
    found.facts["401 answered by the PIM"] = pim_gate.counts["401"]
    found.facts["PIM token requests"] = pim_gate.counts["token"]
    found.sent = {f"received {i} {path}": body for i, (path, body) in enumerate(receiver.bodies)}
    found.facts["webhook posts"] = sum(1 for path, _ in receiver.bodies if path.startswith("/services/"))
    found.facts["lineage posts"] = sum(1 for path, _ in receiver.bodies if path == "/api/v1/lineage")
    found.store = {**table_dump(f"sqlite:///{tmp / 'hub.db'}"), "hub.db bytes": (tmp / "hub.db").read_bytes()}
    found.files = files_under(project / "var", "project var")
    yield found


def _run(
    found: Scenario,
    tmp: Path,
    urls: dict[str, str],
    crm_token: str,
    refused_token: str,
    mp: pytest.MonkeyPatch,
) -> None:
    """Seed, sync through the CLI under faults, fail one sync on a refused token, run Dagster, report."""
    seeded = seed_pim(urls["pim"], read_jsonl(ROOT / "sandbox" / "data" / "pim" / "product"))
    assert seeded["count"] > 30
    customers = list(read_jsonl(ROOT / "sandbox" / "data" / "crm" / "customer"))
    requests.post(
        f"{urls['crm']}/__sandbox/seed", json={"customers": customers}, timeout=30
    ).raise_for_status()
    for url in urls.values():
        body = {"rate": 0.2, "kinds": ["429"], "retry_after": 0.01, "seed": 5}
        requests.post(f"{url}/__sandbox/faults", json=body, timeout=5).raise_for_status()

    runner = CliRunner()
    summary = json.loads(_cli(runner, found, "hub sync all", "sync", "all", "--format", "json"))
    found.facts["sync summary"] = summary

    mp.setenv("HUB_CRM_ACCESS_TOKEN", refused_token)
    _cli(runner, found, "hub sync customer (refused token)", "sync", "customer", "--full")
    found.facts["refused sync error"] = found.cli["hub sync customer (refused token)"]

    (tmp / "dagster").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp / "dagster")) as instance:
        failed_run, failed_ok = run_sync(["customer"], instance=instance, full=True)
        mp.setenv("HUB_CRM_ACCESS_TOKEN", crm_token)
        good_run, good_ok = run_sync(instance=instance, full=True)
        found.facts["dagster runs ok"] = (good_ok, failed_ok)
        found.dagster = _dagster_places(instance, [good_run, failed_run])
    found.dagster.update(files_under(tmp / "dagster", "dagster home"))
    found.facts["compute log files"] = [p for p in found.dagster if "compute_logs" in p]
    found.facts["faults"] = {
        name: requests.get(f"{url}/__sandbox/faults", timeout=5).json()["counts"]
        for name, url in urls.items()
    }

    rows = json.loads(_cli(runner, found, "hub failures json", "failures", "--format", "json"))
    found.facts["failures"] = rows
    _cli(runner, found, "hub failures html", "failures", "--format", "html", "--output", str(tmp / "f.html"))
    found.cli["failures.html"] = (tmp / "f.html").read_text()
    engine = sa.create_engine(f"sqlite:///{tmp / 'hub.db'}")
    with engine.connect() as conn:
        keys = [
            ("product", conn.scalar(sa.text("select min(key) from golden_records where entity='product'"))),
            ("customer", conn.scalar(sa.text("select min(key) from golden_records where entity='customer'"))),
        ]
    engine.dispose()
    keys += [(r["entity"], r["key"]) for r in rows if r["key"]][:3]
    for entity, key in keys:
        _cli(runner, found, f"hub lineage {entity} {key}", "lineage", entity, str(key), "--format", "json")


def test_the_scenario_really_went_through_faults_failures_and_dagster(scenario: Scenario) -> None:
    """Without this, a clean search could mean that nothing ran."""
    facts = scenario.facts
    assert facts["401 answered by the PIM"] >= 2 and facts["PIM token requests"] >= 3, facts
    faults = facts["faults"]
    assert all(counts.get("429", 0) > 0 for counts in faults.values()), faults
    summary = {(r["entity"], r["system"], r["stage"]): r for r in facts["sync summary"]}
    assert summary[("product", "pim", "ingest")]["created"] > 30
    assert summary[("customer", "shop", "publish")]["delivered"] > 10
    assert "401" in str(facts["refused sync error"])
    assert facts["dagster runs ok"] == (True, False)
    assert facts["compute log files"], "the Dagster run captured no compute logs to search"
    assert len(facts["failures"]) > 5
    assert facts["webhook posts"] and facts["lineage posts"], facts
    assert any("alert sink webhook failed" in line for line in scenario.logs)
    assert any(name.startswith("table alerts") for name in scenario.store)


def test_no_secret_in_logs_or_cli_output(scenario: Scenario) -> None:
    assert scenario.logs
    found = leaks({"log": "\n".join(scenario.logs), **scenario.cli}, scenario.secrets)
    assert not found, found


def test_no_secret_in_the_dagster_run(scenario: Scenario) -> None:
    """Event log (with step failures and their stack traces), run record and run config, materialisation
    metadata, compute logs, and every other file of the instance."""
    found = leaks(scenario.dagster, scenario.secrets)
    assert not found, found


def test_no_secret_in_the_hub_store(scenario: Scenario) -> None:
    """failures, audit_events, alerts, sync_stats, cursors... and the SQLite file's bytes (free pages too)."""
    assert {"table failures", "table audit_events", "table alerts"} <= set(scenario.store)
    found = leaks(scenario.store, scenario.secrets)
    assert not found, found


def test_no_secret_in_files_or_what_endpoints_received(scenario: Scenario) -> None:
    """The OpenLineage file, the outboxes, and the bodies the webhook and lineage endpoints were sent."""
    assert any("openlineage" in name for name in scenario.files)
    found = leaks({**scenario.files, **scenario.sent}, scenario.secrets)
    assert not found, found
