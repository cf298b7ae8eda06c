"""``hub edi process|documents|overdue|send-846``: the stateful EDI operations, beside the stateless
``hub edi validate|translate`` of ``connectors.x12.cli``. Exit codes: 0 ok, 1 findings, 2 configuration."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from hub.cli_common import ConfigOpt, Fmt
from hub.config import load_config
from hub.engine import codec
from hub.errors import ConfigError
from hub.reports.render import render

if TYPE_CHECKING:
    from hub.edi.service import EdiService

out = Console()

PartnerArg = Annotated[str, typer.Argument(help="Partner id (mappings/partners/<id>.yaml).")]
FmtOpt = Annotated[Fmt, typer.Option("--format", "-f", help="Output format.")]


def register(app: typer.Typer) -> None:
    app.command("process")(process)
    app.command("documents")(documents)
    app.command("overdue")(overdue)
    app.command("send-846")(send_846)


def _service(config: Path | None) -> EdiService:
    from hub.edi.service import EdiService

    try:
        return EdiService(load_config(config))
    except ConfigError as exc:
        typer.echo(f"configuration error: {exc}", err=True)
        raise typer.Exit(2) from None


def _emit(rows: list[dict], fmt: Fmt, columns: tuple[str, ...], title: str) -> None:
    if fmt is Fmt.json:
        sys.stdout.write(codec.dumps_pretty(rows) + "\n")
    else:
        render(rows, "table", columns=columns, title=title, console=out)


def process(partner: PartnerArg, fmt: FmtOpt = Fmt.table, config: ConfigOpt = None) -> None:
    """Process every file waiting in PARTNER's inbox now (what the inbox sensor does)."""
    service = _service(config)
    try:
        outcomes = service.process(partner)
    except ConfigError as exc:
        typer.echo(f"configuration error: {exc}", err=True)
        raise typer.Exit(2) from None
    finally:
        service.close()
    rows = [
        {
            "file": o.file,
            "status": o.status,
            "moved_to": o.moved_to,
            "interchanges": [
                {
                    "control": i.control,
                    "sender": i.sender,
                    "status": i.status,
                    "ack": i.ack,
                    "orders": i.orders,
                }
                for i in o.interchanges
            ],
            "problems": o.problems,
        }
        for o in outcomes
    ]
    if fmt is Fmt.json:
        sys.stdout.write(codec.dumps_pretty(rows) + "\n")
    else:
        flat = [
            {
                "file": r["file"],
                "status": r["status"],
                "moved_to": r["moved_to"],
                "interchanges": ", ".join(f"{i['control']} {i['status']}" for i in r["interchanges"]),
                "acks": ", ".join(i["ack"] for i in r["interchanges"] if i["ack"]),
                "orders": ", ".join(o for i in r["interchanges"] for o in i["orders"]),
            }
            for r in rows
        ]
        render(
            flat,
            "table",
            columns=tuple(flat[0]) if flat else ("file",),
            title=f"{partner} inbox",
            console=out,
        )
    raise typer.Exit(1 if any(o.status != "archived" for o in outcomes) else 0)


DOC_COLUMNS = ("id", "partner", "direction", "set_id", "reference", "order_no", "interchange", "group_control",
               "set_control", "status", "ack_status", "at", "ack_due_at", "acked_at")  # fmt: skip


def documents(
    partner: Annotated[str | None, typer.Option("--partner", "-p", help="Only this partner.")] = None,
    order: Annotated[str | None, typer.Option("--order", help="Only this hub order number.")] = None,
    direction: Annotated[str | None, typer.Option("--direction", help="in or out.")] = None,
    fmt: FmtOpt = Fmt.table,
    config: ConfigOpt = None,
) -> None:
    """The EDI ledger: every transaction set received and sent, with control numbers and ack status."""
    from hub.edi.ledger import EdiLedger
    from hub.store import Store

    cfg = load_config(config)
    rows = EdiLedger(Store(cfg.database_url)).documents(partner=partner, order_no=order, direction=direction)
    _emit([{k: r[k] for k in DOC_COLUMNS} for r in rows], fmt, DOC_COLUMNS, "EDI documents")


def overdue(fmt: FmtOpt = Fmt.table, config: ConfigOpt = None) -> None:
    """Documents whose 997 is overdue; raises the overdue_997 alert (exit 1 when there are any)."""
    service = _service(config)
    rows = service.check_overdue()
    _emit([{k: r[k] for k in DOC_COLUMNS} for r in rows], fmt, DOC_COLUMNS, "overdue acknowledgments")
    raise typer.Exit(1 if rows else 0)


def send_846(partner: PartnerArg, config: ConfigOpt = None) -> None:
    """Send PARTNER today's 846 now (once per day; a second call sends nothing)."""
    from hub.edi.inventory import send_inventory
    from hub.engine.stats import utcnow

    service = _service(config)
    try:
        result = send_inventory(service, partner, utcnow().date())
    finally:
        service.close()
    if result.file:
        out.print(f"sent {result.file} (ISA13 {result.isa_control})")
    else:
        out.print(
            "nothing sent: " + ("already sent today" if result.skipped else "no stock known for its items")
        )
