"""`hub orders`: list and show orders, approve or reject them, and run the intake by hand.

Exit codes: 0 ok; 1 a finding (no such order, the order is not pending approval, events failed);
2 usage or configuration (a missing option, no webhook secret).
"""

from __future__ import annotations

import getpass
import sys
import uuid
from typing import Annotated, Any

import typer
from rich.console import Console

from hub.cli_common import ConfigOpt, Fmt
from hub.config import load_config
from hub.engine import codec
from hub.errors import ConfigError
from hub.reports.render import render
from hub.store import Store
from hub.workflows.states import OrderState, get_order, history, list_orders

orders_app = typer.Typer(help="Orders: list, show, approve, reject; run the intake.", no_args_is_help=True)
out = Console(width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True)
LIST_COLUMNS = ("order_no", "state", "customer_no", "total", "currency", "updated_at")


def _store(config: Any) -> Store:
    return Store(load_config(config).database_url)


def _run_id(kind: str) -> str:
    return f"cli-{kind}-{uuid.uuid4().hex[:8]}"


def _row(record: Any) -> dict[str, Any]:
    return {k: v for k, v in record.to_dict().items() if k != "data"}


@orders_app.command("list")
def list_command(
    state: Annotated[OrderState | None, typer.Option(help="Only orders in this state.")] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many, newest first.")] = None,
    fmt: Annotated[Fmt, typer.Option("--format", "-f", help="Output format.")] = Fmt.table,
    config: ConfigOpt = None,
) -> None:
    """Orders the hub tracks, newest first. JSON: a list of {order_no, state, customer_no, total,
    currency, created_at, updated_at}."""
    records = list_orders(_store(config), states={state} if state else None, limit=limit)
    rows = [_row(r) for r in records]
    render(rows, fmt.value, columns=LIST_COLUMNS, title=f"{len(rows)} orders", console=out)


@orders_app.command("show")
def show(
    order_no: Annotated[str, typer.Argument(help="Order number (the shop's '#1001' without '#').")],
    fmt: Annotated[Fmt, typer.Option("--format", "-f", help="Output format.")] = Fmt.table,
    config: ConfigOpt = None,
) -> None:
    """One order: state, lines, why it waits (reasons), its allocation plan and its transitions."""
    store = _store(config)
    record = get_order(store, order_no)
    if record is None:
        err.print(f"no order {order_no} in the hub")
        raise typer.Exit(1)
    transitions = history(store, order_no)
    if fmt is Fmt.json:
        body = {**_row(record), "data": {k: v for k, v in record.data.items() if k != "raw"}}
        sys.stdout.write(codec.dumps_pretty({**body, "history": transitions}) + "\n")
        return
    order = record.order or {}
    out.print(
        f"[bold]order {order_no}[/bold]  state [bold]{record.state.value}[/bold]  customer "
        f"{record.customer_no or '-'}  total {record.total if record.total is not None else '-'} "
        f"{record.currency or ''}"
    )
    lines = [
        {
            "line_no": line.get("line_no"),
            "sku": line.get("sku"),
            "quantity": (line.get("quantity") or {}).get("value"),
            "unit_price": (line.get("unit_price") or {}).get("amount"),
        }
        for line in order.get("lines") or []
    ]
    render(lines, "table", columns=("line_no", "sku", "quantity", "unit_price"), title="lines", console=out)
    if record.data.get("reasons"):
        render(
            record.data["reasons"],
            "table",
            columns=("outcome", "rule", "field", "message"),
            title="reasons",
            console=out,
        )
    plan = [
        {**p, "allocations": ", ".join(f"{a['warehouse']}={a['quantity']}" for a in p["allocations"])}
        for p in record.data.get("plan") or []
    ]
    if plan:
        render(
            plan,
            "table",
            columns=("line_no", "sku", "ordered", "allocations", "backordered", "status"),
            title="allocation",
            console=out,
        )
    rows = [{**t, "correlation": codec.dumps(t["correlation"])} for t in transitions]
    render(
        rows,
        "table",
        columns=("at", "from", "to", "reason", "run_id", "correlation"),
        title="history",
        console=out,
    )


def _decision(fn: Any, order_no: str, fmt: Fmt, config: Any, **kwargs: Any) -> None:
    from hub.workflows.approval import NotPendingApproval

    try:
        record = fn(_store(config), order_no, **kwargs)
    except NotPendingApproval as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    if fmt is Fmt.json:
        sys.stdout.write(codec.dumps_pretty(_row(record)) + "\n")
    else:
        out.print(f"order {order_no} is now {record.state.value}")


@orders_app.command("approve")
def approve(
    order_no: Annotated[str, typer.Argument(help="Order waiting for approval.")],
    by: Annotated[str | None, typer.Option(help="Who approves (default: the login name).")] = None,
    note: Annotated[str | None, typer.Option(help="Kept with the decision.")] = None,
    fmt: Annotated[Fmt, typer.Option("--format", "-f", help="Output format.")] = Fmt.table,
    config: ConfigOpt = None,
) -> None:
    """Approve an order in pending_approval (exit 1 if it is not); it is allocated on the next run."""
    from hub.workflows.approval import approve as approve_order

    who = by or getpass.getuser()
    _decision(approve_order, order_no, fmt, config, by=who, note=note, run_id=_run_id("approve"))


@orders_app.command("reject")
def reject(
    order_no: Annotated[str, typer.Argument(help="Order waiting for approval.")],
    reason: Annotated[str, typer.Option(help="Why (kept with the order and in its history).")],
    by: Annotated[str | None, typer.Option(help="Who rejects (default: the login name).")] = None,
    fmt: Annotated[Fmt, typer.Option("--format", "-f", help="Output format.")] = Fmt.table,
    config: ConfigOpt = None,
) -> None:
    """Reject an order in pending_approval (exit 1 if it is not). Rejected is final."""
    from hub.workflows.approval import reject as reject_order

    if not reason.strip():
        raise typer.BadParameter("must not be empty", param_hint="--reason")
    who = by or getpass.getuser()
    _decision(reject_order, order_no, fmt, config, reason=reason, by=who, run_id=_run_id("reject"))


@orders_app.command("process")
def process(
    fmt: Annotated[Fmt, typer.Option("--format", "-f", help="Output format.")] = Fmt.table,
    config: ConfigOpt = None,
) -> None:
    """Drain the order inbox once (validate, approve, allocate); exit 1 when events failed.

    Without an ERP port the golden records give SKUs, prices and customers, and approved orders wait
    for allocation by the orchestrated flow.
    """
    from hub.workflows.setup import build_processor

    cfg = load_config(config)
    processor = build_processor(cfg, Store(cfg.database_url), run_id=_run_id("process"))
    stats = processor.run_once()
    body = stats.to_dict()
    if fmt is Fmt.json:
        sys.stdout.write(codec.dumps_pretty(body) + "\n")
    else:
        render(
            [{**body, "states": codec.dumps(body["states"]), "handed_off": len(stats.handed_off)}],
            "table",
            title="order inbox",
            console=out,
        )
    raise typer.Exit(1 if stats.failed else 0)


@orders_app.command("recheck")
def recheck(
    order_nos: Annotated[
        list[str] | None, typer.Argument(help="Orders to check again (default: all).")
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Validate invalid and on-hold orders again after a fix (a SKU published, a customer created)."""
    from hub.workflows.setup import build_processor

    cfg = load_config(config)
    stats = build_processor(cfg, Store(cfg.database_url), run_id=_run_id("recheck")).recheck(order_nos)
    out.print(f"rechecked: {codec.dumps(stats.states)}")


@orders_app.command("poll")
def poll(config: ConfigOpt = None) -> None:
    """Read orders changed in the shop since the last poll into the inbox (the webhook safety net)."""
    from connectors import build_connector
    from hub.workflows.intake import poll_orders

    cfg = load_config(config)
    shop = cfg.orders.shop_system
    if shop not in cfg.systems:
        raise ConfigError(
            f"orders.shop_system '{shop}' is not a system in hub.yaml", key="orders.shop_system"
        )
    result = poll_orders(Store(cfg.database_url), build_connector(cfg, shop))
    out.print(f"read {result.read} orders, {result.enqueued} new events")


@orders_app.command("receive")
def receive(
    host: Annotated[str | None, typer.Option(help="Listen address (default orders.webhook.host).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default orders.webhook.port).")] = None,
    config: ConfigOpt = None,
) -> None:
    """Run the shop webhook receiver in the foreground until interrupted."""
    from hub.workflows.setup import build_webhook_app
    from hub.workflows.webhooks import serve

    cfg = load_config(config)
    app = build_webhook_app(cfg, Store(cfg.database_url))
    hook = cfg.orders.webhook
    serve(app, host or hook.host, port or hook.port)
