"""Alerts through real sinks: SMTP to the mail catcher, JSON to a webhook; de-duplicated and silenceable."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from connectors import build_connector
from hub.alerts import Alert, AlertManager, low_stock_levels
from hub.alerts.sinks import EmailSink, WebhookSink
from hub.cli_common import load_all
from hub.engine import sync_entity
from hub.store import Store
from sandbox.common import SandboxServer
from sandbox.mail import MailCatcher
from tests.conftest import ROOT, copy_project

POSTED: list[dict[str, Any]] = []


async def hook(request: Request) -> JSONResponse:
    POSTED.append(await request.json())
    return JSONResponse({"ok": True})


@pytest.fixture
def sinks(tmp_path: Path) -> Iterator[tuple[MailCatcher, str]]:
    POSTED.clear()
    with (
        MailCatcher(tmp_path / "mail") as mail,
        SandboxServer(Starlette(routes=[Route("/hook", hook, methods=["POST"])])) as web,
    ):
        yield mail, f"{web.url}/hook"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sinks: tuple[MailCatcher, str]) -> Path:
    mail, url = sinks
    dest = copy_project(tmp_path / "p", f"sqlite:///{tmp_path / 'hub.db'}", monkeypatch)
    (dest / "hub.yaml").write_text(
        (dest / "hub.yaml").read_text()
        + f"""
alerts:
  email: {{host: 127.0.0.1, port: {mail.port}, sender: hub@example.com, to: [ops@example.com]}}
  webhook: {{url: "{url}"}}
  failure_rate_pct: 5
  failure_rate_min_records: 20
"""
    )
    return dest


def run_all(project: Path, run_id: str, **kw: Any) -> None:
    cfg, mappings = load_all(project / "hub.yaml")
    connectors = {name: build_connector(cfg, name) for name in cfg.systems}
    store = Store(cfg.database_url)
    for entity in ("product", "customer", "stock"):
        sync_entity(store, mappings[entity], connectors, run_id, **kw)


def test_failure_rate_alert_reaches_email_and_webhook_once(
    project: Path, sinks: tuple[MailCatcher, str]
) -> None:
    mail, _ = sinks
    run_all(project, "r1")
    subjects = [m["Subject"] for m in mail.messages()]
    # 5 of 50 PIM products (10%) and 5 of 49 ERP prices failed: above 5%
    assert "[hub warning] 10.0% of product records failed in pim ingest" in subjects
    assert any(s.startswith("[hub warning] 10.2% of product records failed in erp ingest") for s in subjects)
    assert len(POSTED) == len(mail.messages())
    posted = next(p for p in POSTED if p["alert"]["subject"] == "product/pim/ingest")
    assert posted["text"].startswith("[hub warning] 10.0% of product records failed")
    assert posted["blocks"][0]["type"] == "section" and posted["alert"]["kind"] == "failure_rate"
    body = next(m for m in mail.messages() if "pim ingest" in m["Subject"]).get_payload(decode=True).decode()
    assert "5 of 50 records failed" in body and "hub failures --entity product --system pim" in body

    sent = len(mail.messages())
    run_all(project, "r2", full=True)  # the same failures again: counted, not sent again
    assert len(mail.messages()) == sent and len(POSTED) == sent
    listed = subprocess.run(
        [sys.executable, "-m", "hub.cli", "alerts", "--format", "json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    rows = {r["subject"]: r for r in json.loads(listed.stdout)}
    assert rows["product/pim/ingest"]["count"] == 2 and rows["product/pim/ingest"]["last_sent_at"]


def test_silenced_alert_is_counted_but_not_sent(tmp_path: Path, sinks: tuple[MailCatcher, str]) -> None:
    mail, url = sinks

    manager = AlertManager(
        Store(f"sqlite:///{tmp_path / 'a.db'}"),
        [EmailSink(host="127.0.0.1", port=mail.port, sender="hub@x", to=["ops@x"]), WebhookSink(url=url)],
        dedupe=timedelta(0),
    )
    alert = Alert("unknown_edi_sender", "ZZ:ACME", "unknown EDI sender ZZ:ACME", "file x.edi moved to error/")
    assert manager.raise_alert(alert)
    assert manager.silence(alert.fingerprint, hours=1)
    assert not manager.raise_alert(alert)
    assert len(mail.messages()) == 1 and len(POSTED) == 1
    assert manager.listing()[0]["count"] == 2


def test_low_stock_levels_are_found_and_alerted(project: Path, sinks: tuple[MailCatcher, str]) -> None:
    mail, _ = sinks
    run_all(project, "r1")
    cfg, _ = load_all(project / "hub.yaml")
    low = low_stock_levels(Store(cfg.database_url))
    assert low, "the sample stock has levels below their reorder point"
    assert all(float(level["available"]) < float(level["reorder_point"]) for level in low)
    low_subjects = {m["Subject"] for m in mail.messages() if "low stock" in m["Subject"]}
    assert low_subjects == {f"[hub warning] low stock: {lv['sku']} at {lv['warehouse']}" for lv in low}


def test_a_dead_sink_does_not_fail_the_sync(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dest = copy_project(tmp_path / "p", f"sqlite:///{tmp_path / 'hub.db'}", monkeypatch)
    (dest / "hub.yaml").write_text(
        (dest / "hub.yaml").read_text() + "\nalerts:\n  webhook: {url: 'http://127.0.0.1:9/none'}\n"
    )
    run_all(dest, "r1")  # no exception
    cfg, _ = load_all(dest / "hub.yaml")
    rows = AlertManager(Store(cfg.database_url), []).listing()
    assert rows and all(r["last_sent_at"] is None for r in rows)  # recorded, still due
