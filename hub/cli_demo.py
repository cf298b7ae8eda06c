"""`hub demo`: the hub end to end on its embedded systems, through Dagster, with a summary."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from hub.cli_common import SUMMARY_COLUMNS, ConfigOpt, Fmt
from hub.config import PROJECT_ROOT, HubConfig, load_config
from hub.errors import FatalError
from hub.redact import redact_url
from hub.reports.failures import list_failures, run_summary
from hub.reports.render import render
from hub.store import Store


class DemoSystems(StrEnum):
    sandbox = "sandbox"
    files = "files"


def demo(
    systems: Annotated[
        DemoSystems,
        typer.Option(
            help="sandbox: the Shopify-, HubSpot- and Akeneo-style stand-ins and a real Tryton ERP "
            "(hub.sandbox.yaml); files: every system a file drop (hub.yaml)."
        ),
    ] = DemoSystems.sandbox,
    reset: Annotated[
        bool, typer.Option(help="Start from an empty hub store (files; the sandbox demo always does).")
    ] = False,
    fmt: Annotated[Fmt, typer.Option("--format", "-f", help="Output format of the summary.")] = Fmt.table,
    keep_running: Annotated[
        bool,
        typer.Option(help="Then leave the Dagster UI and daemon running with every schedule and sensor on."),
    ] = False,
    port: Annotated[int, typer.Option(help="Port of the Dagster UI with --keep-running.")] = 3000,
    products: Annotated[
        int,
        typer.Option(
            help="Sandbox demo: products to generate (about 2% defective); 0: the small sample set."
        ),
    ] = 500,
    accounts: Annotated[int, typer.Option(help="Sandbox demo: B2B accounts to generate.")] = 200,
    config: ConfigOpt = None,
) -> None:
    """Sync the embedded systems end to end through Dagster and print a per-entity, per-system summary."""
    import dagster as dg

    from pipelines.execute import run_sync

    sandbox = systems is DemoSystems.sandbox
    cfg = load_config(config or (PROJECT_ROOT / "hub.sandbox.yaml" if sandbox else None))
    out = Console(width=None if sys.stdout.isatty() else 200)
    running = _start_sandboxes(cfg, out, products, accounts) if sandbox else None
    try:
        if reset or sandbox:
            Store(cfg.database_url).drop_all()  # fresh systems, fresh hub
        home = Path(os.environ.get("DAGSTER_HOME") or cfg.path("var/dagster"))
        home.mkdir(parents=True, exist_ok=True)
        instance = dg.DagsterInstance.local_temp(str(home))  # `make dagster-dev` shows these runs
        run_id, success = run_sync(None, config_path=cfg.file, instance=instance)
        store = Store(cfg.database_url)
        render(
            _ordered(run_summary(store, run_id)),
            fmt.value,
            columns=SUMMARY_COLUMNS,
            title=f"Dagster run {run_id} ({cfg.file.name if cfg.file else 'hub.yaml'})",
            console=out,
        )
        if fmt is Fmt.table:
            again, again_ok = run_sync(None, config_path=cfg.file, instance=instance)
            totals = {
                k: sum(r[k] for r in run_summary(store, again)) for k in ("created", "updated", "delivered")
            }
            out.print(
                f"Second sync (run {again}): {totals['created']} created, {totals['updated']} updated, "
                f"{totals['delivered']} delivered: nothing changed, so nothing was written."
            )
            success = success and again_ok
            if running is not None:
                _orders(out, cfg, running)
            _where(out, cfg, store, running)
        if keep_running:
            _dagster_dev(out, cfg, home, port)
    finally:
        if running is not None:
            running.stop()
    raise typer.Exit(0 if success else 1)


def _start_sandboxes(cfg: HubConfig, out: Console, products: int, accounts: int) -> Any:
    from sandbox.runner import DATA, ENV, Sandboxes, state_file
    from sandbox.sample_data.scale import generate

    var = cfg.path("var")
    if state_file(var).exists():
        raise FatalError(
            "sandboxes from `hub sandbox up` are running: stop them (`hub sandbox down`) first, "
            f"or sync against them with `hub sync all -c {cfg.file}`"
        )
    for name in ("shop", "crm", "pim"):  # fresh stand-ins: the demo starts from the sample data
        for suffix in ("", "-wal", "-shm"):
            (var / "sandbox" / f"{name}.db{suffix}").unlink(missing_ok=True)
    out.print(
        "Starting the shop, CRM and PIM stand-ins and Tryton (the first start builds its database, ~1 min)..."
    )
    data = DATA
    if products or accounts:
        data = var / "sandbox" / "generated"
        shutil.rmtree(data, ignore_errors=True)
        planted = generate(data, products=products, accounts=accounts)
        out.print(
            f"Generated {products} products and {accounts} accounts with {len(planted)} deliberate defects."
        )
    # the stand-ins with Shopify Plus-like limits, so a catalogue of hundreds loads in a minute or two
    sandboxes = Sandboxes(var, with_erp=True, tryton_cache=var, fast_limits=True).start()
    if sandboxes.erp is None:
        sandboxes.stop()
        raise FatalError(
            f"Tryton cannot run here ({sandboxes.erp_error}); `hub demo --systems files` runs without it"
        )
    seeded = sandboxes.seed(data)
    os.environ.update(ENV)  # the profile's secrets ({env: ...}) are the sandboxes' local credentials
    pim = seeded.get("pim", {})
    out.print(
        f"Seeded: PIM {pim.get('count', '?')} products, CRM, shop orders, Tryton prices, parties and stock."
    )
    return sandboxes


def _orders(out: Console, cfg: HubConfig, sandboxes: Any) -> None:
    from hub.demo_orders import run_order_demo

    out.print("Order to cash: placing shop orders and a partner's EDI 850, the 3PL simulator ships them...")
    summary = run_order_demo(cfg, sandboxes)
    if not summary:
        return
    states = ", ".join(f"{n} {s}" for s, n in sorted(summary.get("order_states", {}).items()))
    out.print(
        f"Orders: {summary.get('shop_orders', 0)} from the shop and 1 EDI 850 -> {states}. "
        f"3PL: {summary.get('3pl_requests', 0)} fulfilment requests over SFTP, "
        f"{summary.get('3pl_confirmations_archived', 0)} confirmations applied. "
        f"EDI back to the partner: {', '.join(summary.get('edi_documents_received_by_partner', []))}. "
        f"Mails in {sandboxes.mail.folder}: {summary.get('mails', 0)}. "
        "Journey of one order: [bold]hub lineage order ORDER_NO -c hub.sandbox.yaml[/bold]."
    )


def _ordered(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from hub.engine import ENTITY_ORDER

    order = {name: i for i, name in enumerate(ENTITY_ORDER)}
    return sorted(rows, key=lambda r: (order.get(r["entity"], 99), r["stage"] != "ingest"))


def _where(out: Console, cfg: HubConfig, store: Store, sandboxes: Any) -> None:
    open_failures = len(list_failures(store, status="open"))
    config = f" -c {cfg.file}" if cfg.file and cfg.file.name != "hub.yaml" else ""
    out.print(f"Hub store: {redact_url(cfg.database_url)}")
    out.print(
        f"{open_failures} open failed records, each with its reason: [bold]hub failures{config}[/bold] "
        f"(or --format html for the report)."
    )
    if sandboxes is not None:
        urls = ", ".join(f"{name} {server.url}" for name, server in sandboxes.servers.items())
        out.print(f"Systems (stopped when the demo ends): {urls}, erp {sandboxes.erp.url}")
    else:
        out.print(f"Outboxes: {cfg.path('var/outbox')}")
    out.print("Dagster UI: [bold]hub demo --keep-running[/bold] (or make dagster-dev).")


def _dagster_dev(out: Console, cfg: HubConfig, home: Path, port: int) -> None:
    out.print(f"Dagster UI and daemon on http://127.0.0.1:{port} (schedules and sensors on); Ctrl-C stops.")
    env = {**os.environ, "DAGSTER_HOME": str(home), "HUB_SCHEDULES_RUNNING": "1", "HUB_CONFIG": str(cfg.file)}
    command = [
        sys.executable,
        "-m",
        "dagster",
        "dev",
        "-m",
        "pipelines.definitions",
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
    ]
    try:
        subprocess.call(command, env=env)
    except KeyboardInterrupt:
        pass
