"""The `hub` command. Exit codes: 0 ok, 1 findings (rejected records, invalid files), 2 usage or configuration."""

from __future__ import annotations

import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from connectors.x12.cli import edi_app
from hub.cli_common import (
    SUMMARY_COLUMNS,
    ConfigOpt,
    Fmt,
    ListFmt,
    Status,
    connectors_for,
    entities,
    load_all,
)
from hub.cli_demo import demo
from hub.cli_edi import register as register_edi_ops
from hub.cli_ops import register as register_ops
from hub.cli_orders import orders_app
from hub.cli_sandbox import sandbox_app
from hub.config import load_config
from hub.errors import ConfigError, HubError
from hub.reports.failures import FAILURE_TABLE_COLUMNS, list_failures
from hub.reports.render import render
from hub.store import Store

app = typer.Typer(
    help="Commerce integration hub: sync, inspect and repair records across systems.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
mappings_app = typer.Typer(help="Mapping files: check them.", no_args_is_help=True)
app.add_typer(mappings_app, name="mappings")
register_ops(app)
app.add_typer(sandbox_app, name="sandbox")
register_edi_ops(edi_app)
app.add_typer(edi_app, name="edi")
app.add_typer(orders_app, name="orders")
app.command()(demo)
err = Console(stderr=True)


@app.command()
def sync(
    entity: Annotated[str, typer.Argument(help="Entity to sync (product, customer, ...) or 'all'.")],
    fmt: Annotated[Fmt, typer.Option("--format", "-f", help="Output format.")] = Fmt.table,
    full: Annotated[bool, typer.Option(help="Ignore cursors and read everything again.")] = False,
    publish: Annotated[bool, typer.Option(help="Publish to target systems after ingesting.")] = True,
    batch_size: Annotated[int | None, typer.Option(help="Records per batch (default from hub.yaml).")] = None,
    config: ConfigOpt = None,
) -> None:
    """Ingest ENTITY from its source systems and publish it to its targets, without Dagster.

    JSON output: a list of {entity, system, stage, read, created, updated, unchanged, rejected,
    conflicts, delivered}. Exit code 1 when any record was rejected.
    """
    from hub.engine import sync_entity

    cfg, mappings = load_all(config)
    store = Store(cfg.database_url)
    run_id = f"cli-{uuid.uuid4().hex[:12]}"
    names = entities(entity, mappings)
    connectors = connectors_for(cfg, [mappings[n] for n in names])
    rows: list[dict[str, Any]] = []
    for name in names:
        mapping = mappings[name]
        for stats in sync_entity(
            store,
            mapping,
            connectors,
            run_id,
            full=full,
            publish=publish,
            batch_size=batch_size or cfg.batch_size,
        ):
            rows.append(stats.to_dict())
    render(rows, fmt.value, columns=SUMMARY_COLUMNS, title=f"sync {entity} (run {run_id})")
    raise typer.Exit(1 if any(r["rejected"] for r in rows) else 0)


@app.command()
def failures(
    entity: Annotated[str | None, typer.Option(help="Only this entity.")] = None,
    system: Annotated[str | None, typer.Option(help="Only this system.")] = None,
    status: Annotated[Status | None, typer.Option(help="Only this status.")] = None,
    since: Annotated[
        datetime | None, typer.Option(help="Only failures seen since this time (ISO 8601).")
    ] = None,
    fmt: Annotated[ListFmt, typer.Option("--format", "-f", help="Output format.")] = ListFmt.table,
    raw: Annotated[bool, typer.Option(help="Include the raw payload (always in JSON and HTML).")] = False,
    output: Annotated[
        Path | None, typer.Option(help="HTML report file (default var/reports/failures.html).")
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """List failed records: entity, key, system, stage, rule, field, message, status, attempts, first/last seen."""
    cfg = load_config(config)
    rows = list_failures(
        Store(cfg.database_url),
        entity=entity,
        system=system,
        status=status.value if status else None,
        since=since,
        with_raw=raw or fmt in (ListFmt.json, ListFmt.html),
    )
    if fmt is ListFmt.html:
        from hub.reports.html import failures_html

        target = output or cfg.path("var/reports/failures.html")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(
            failures_html(rows, generated_at=datetime.now(UTC), source=cfg.database_url.split("@")[-1]),
            encoding="utf-8",
        )
        Console().print(f"{len(rows)} failed records written to {target}")
        return
    columns = None if fmt is not ListFmt.table else FAILURE_TABLE_COLUMNS
    render(rows, fmt.value, columns=columns, title=f"{len(rows)} failed records")


@mappings_app.command("check")
def mappings_check(
    fmt: Annotated[Fmt, typer.Option("--format", "-f", help="Output format.")] = Fmt.table,
    config: ConfigOpt = None,
) -> None:
    """Load every mapping file and check it against the schema, the models and hub.yaml."""
    cfg, mappings = load_all(config)
    rows = [
        {
            "entity": m.entity,
            "file": str(m.file.relative_to(cfg.base_dir) if m.file.is_relative_to(cfg.base_dir) else m.file),
            "version": m.version,
            "sources": ", ".join(m.sources),
            "targets": ", ".join(m.targets),
            "rules": len(m.rules),
            "status": "ok",
        }
        for m in mappings.values()
    ]
    render(rows, fmt.value, title=f"{len(rows)} mapping files are valid")


def main() -> None:
    """Console entry point: configuration errors exit 2 with file, line and key."""
    try:
        app()
    except ConfigError as exc:
        err.print(f"[red]configuration error:[/red] {exc}")
        sys.exit(2)
    except HubError as exc:
        err.print(f"[red]error:[/red] {exc}")
        sys.exit(1)


if __name__ == "__main__":
    main()
