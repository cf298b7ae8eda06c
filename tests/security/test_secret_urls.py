"""Passwords inside URLs and settings stay out of error messages, reports and the Dagster run.

A URL with a password (``postgresql://hub:pw@db/hub``, ``https://user:pw@pim``) is printed by the
errors that mention it, and pydantic echoes the value of a setting it refuses; each case here is
one a user meets: the store down, a refused login, a host down, a secret typed in the wrong shape.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import subprocess
import sys
import traceback
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa
from rich.console import Console
from typer.testing import CliRunner

from connectors.akeneo import AkeneoResource
from connectors.hubspot.resource import HubSpotResource
from connectors.registry import build_connector
from connectors.shopify import ShopifyResource
from hub.cli import app
from hub.cli_demo import _where
from hub.config import load_config
from hub.engine.ports import OutboundRecord
from hub.errors import ConfigError, FatalError, RetriableError
from hub.store import Store
from pipelines.execute import run_sync
from sandbox.common import SandboxServer, free_port
from sandbox.pim.app import create_app as pim_app
from tests.conftest import ROOT, copy_project
from tests.security.leaks import files_under, forms, leaks, secret, table_dump


def _everything(exc: BaseException) -> str:
    """The message and the whole traceback, as a log with exc_info or an uncaught error shows it."""
    return "".join(traceback.format_exception(exc))


def _with_password(url: str, password: str, user: str = "hub") -> str:
    return url.replace("://", f"://{user}:{password}@", 1)


def test_refused_login_names_the_pim_url_without_its_password(tmp_path: Path) -> None:
    password = secret("pim-url")
    with SandboxServer(pim_app(tmp_path / "pim.db"), name="pim") as pim:
        resource = AkeneoResource(
            base_url=_with_password(pim.url, password),
            client_id="hub",
            secret="not-the-secret",
            username="admin",
            password="not-the-password",
            backoff=0.01,
        )
        connector = resource.connector("pim")
        with pytest.raises(FatalError) as refused:
            list(connector.read("product", None, 10))
    message = str(refused.value)
    assert "authentication refused" in message and f"127.0.0.1:{pim.port}" in message, message
    assert password not in _everything(refused.value)


def test_connection_errors_do_not_print_url_passwords() -> None:
    """Shop and CRM down: read errors raise, writes fail their records; neither quotes the password."""
    password, down = secret("host-url"), f"http://127.0.0.1:{free_port()}"
    shop = ShopifyResource(
        shop_url=_with_password(down, password), access_token="x", backoff=0.01, max_attempts=2, timeout=0.5
    ).connector("shop")
    crm = HubSpotResource(
        base_url=_with_password(down, password), access_token="x", max_attempts=2, timeout=0.5
    ).connector("crm")
    with pytest.raises(RetriableError) as shop_read:
        list(shop.read("product", None, 10))
    with pytest.raises(RetriableError) as crm_read:
        list(crm.read("customer", None, 10))
    record = OutboundRecord(
        "SKU-1", None, {"title": "t", "variants": [{"sku": "SKU-1", "price": "1.00"}]}, "create"
    )
    [written] = shop.write("product", [record])
    assert not written.ok and written.retriable and "ConnectionError" in (written.error or "")
    for text in (_everything(shop_read.value), _everything(crm_read.value), written.error or ""):
        assert password not in text


def test_a_refused_setting_is_named_without_its_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A token typed inline as digits (YAML makes it a number) or a URL given as a list: the
    ConfigError names file and key, and never echoes the value."""
    token = str(secrets.randbelow(10**15) + 10**15)  # 16 digits: YAML reads an int, the field wants a str
    url_password = secret("listed-url")
    project = copy_project(tmp_path / "p", f"sqlite:///{tmp_path / 'hub.db'}", monkeypatch)
    text = (project / "hub.yaml").read_text()
    shop = "    connector: files\n    settings: {inbox: sandbox/data/shop, outbox: var/outbox/shop}\n"
    assert shop in text
    cases = {
        "access_token": f"    connector: shopify\n    settings: {{shop_url: 'http://127.0.0.1:1', access_token: {token}}}\n",
        "shop_url": f"    connector: shopify\n    settings: {{shop_url: ['http://u:{url_password}@h'], access_token: x}}\n",
    }
    for key, settings in cases.items():
        (project / "hub.yaml").write_text(text.replace(shop, settings))
        with pytest.raises(ConfigError) as refused:
            build_connector(load_config(project / "hub.yaml"), "shop")
        message = _everything(refused.value)
        assert "systems.shop.settings" in message and key in message, message
        assert token not in message and url_password not in message, message
        result = CliRunner().invoke(app, ["sync", "product"])
        shown = result.output + _everything(result.exception) if result.exception else result.output
        assert isinstance(result.exception, ConfigError) and token not in shown and url_password not in shown


def test_store_url_password_is_not_printed_when_the_database_is_down(tmp_path: Path) -> None:
    """`hub` as users run it (a subprocess), the store's PostgreSQL down; malformed store URLs too."""
    password = secret("db-down")
    project = tmp_path / "p"
    project.mkdir()
    (project / "hub.yaml").write_text((ROOT / "hub.yaml").read_text())
    (project / "mappings").symlink_to(ROOT / "mappings")
    url = f"postgresql+psycopg2://hub:{password}@127.0.0.1:{free_port()}/hub"
    env = {
        **os.environ,
        "HUB_CONFIG": str(project / "hub.yaml"),
        "HUB_DATABASE_URL": url,
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-m", "hub.cli", "failures", "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode != 0 and "127.0.0.1" in done.stderr, done.stderr[-2000:]
    assert password not in done.stdout + done.stderr
    for bad in (
        f"postgresql+psycopg2://hub:{password}@127.0.0.1:notaport/hub",
        f"postgresql+nosuchdriver://hub:{password}@127.0.0.1/hub",
    ):
        with pytest.raises(Exception) as refused:
            Store(bad)
        assert password not in _everything(refused.value)


@pytest.mark.slow
def test_store_password_stays_out_of_cli_reports_and_the_dagster_run(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A real PostgreSQL store reached with a password (the test server trusts loopback and ignores
    it): syncs, reports, lineage, the demo's summary and a Dagster run never show it."""
    password = secret("db")
    url = sa.engine.make_url(pg_url).set(password=password).render_as_string(hide_password=False)
    assert password in url
    project = copy_project(tmp_path / "p", url, monkeypatch)
    caplog.set_level(logging.DEBUG, logger="hub")
    caplog.set_level(logging.DEBUG, logger="pipelines")
    runner = CliRunner()
    places: dict[str, str | bytes] = {}
    for args in (
        ["sync", "product", "--format", "json"],
        ["failures", "--format", "json"],
        ["failures", "--format", "csv"],
        ["failures", "--format", "html", "--output", str(tmp_path / "f.html")],
        ["lineage", "product", "SKU-1001", "--format", "json"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code in (0, 1), result.output
        places[" ".join(args[:3])] = result.output
    assert json.loads(places["failures --format json"]), "the sample data has failures to report"
    places["failures.html"] = (tmp_path / "f.html").read_text()
    summary = Console(record=True, width=200)
    _where(summary, load_config(project / "hub.yaml"), Store(url), None)
    places["hub demo summary"] = summary.export_text()
    assert "Hub store: postgresql" in places["hub demo summary"]

    (tmp_path / "dagster").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "dagster")) as instance:
        run_id, ok = run_sync(["product"], instance=instance, full=True)
        assert ok
        places["dagster events"] = "\n".join(dg.serialize_value(e) for e in instance.all_logs(run_id))
        places["dagster run"] = dg.serialize_value(instance.get_run_by_id(run_id))
    places.update(files_under(tmp_path / "dagster", "dagster home"))
    places.update(table_dump(url))
    places["log"] = caplog.text
    found = leaks(places, {"store password": forms(password)})
    assert not found, found
