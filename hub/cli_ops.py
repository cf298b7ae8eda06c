"""Operator commands: trace a record, preview a publish, replay or ignore failed records."""

from __future__ import annotations

import sys
import uuid
from typing import Annotated, Any

import typer
from rich.console import Console

from hub.cli_common import ConfigOpt, Fmt, connectors_for, load_all
from hub.config import load_config
from hub.engine import codec
from hub.errors import ConfigError
from hub.reports.failures import list_failures
from hub.reports.render import render, terminal_text
from hub.store import Store

out = Console(width=None if sys.stdout.isatty() else 200)


def register(app: typer.Typer) -> None:
    app.command()(lineage)
    app.command()(plan)
    app.command()(retry)
    app.command()(ignore)
    app.add_typer(alerts_app, name="alerts")


def lineage(
    entity: Annotated[str, typer.Argument(help="Entity (product, customer, order, ...).")],
    key: Annotated[str, typer.Argument(help="Natural key (SKU, account number, order number, ...).")],
    fmt: Annotated[Fmt, typer.Option("--format", "-f", help="Output format.")] = Fmt.table,
    config: ConfigOpt = None,
) -> None:
    """Where every field of a record came from, its id in every system, and its whole history."""
    from hub.lineage import record_lineage

    cfg = load_config(config)
    found = record_lineage(Store(cfg.database_url), entity, key)
    if found is None:
        out.print(f"no {entity} '{terminal_text(key)}' in the hub (no record, event or failure)")
        raise typer.Exit(1)
    if fmt is Fmt.json:
        sys.stdout.write(codec.dumps_pretty(found) + "\n")
        return
    out.print(f"[bold]{entity} {terminal_text(key)}[/bold]  version {found['version']}  hash {found['hash']}")
    out.print("ids: " + ", ".join(f"{s}={terminal_text(i)}" for s, i in sorted(found["ids"].items())))
    render(
        [{**f, "value": codec.dumps(f["value"])[:80]} for f in found["fields"]],
        "table",
        columns=("field", "value", "system", "run_id", "at"),
        title="fields and their source",
        console=out,
    )
    render(
        [{**h, "changes": _summary(h["changes"])} for h in found["history"]],
        "table",
        columns=("at", "action", "system", "target", "changes", "run_id", "mapping_version"),
        title="history",
        console=out,
    )
    if found["failures"]:
        render(
            found["failures"],
            "table",
            columns=("id", "system", "stage", "rule", "message", "status", "attempts"),
            title="failures",
            console=out,
        )
    render(
        found["deliveries"],
        "table",
        columns=("target", "system_id", "at", "up_to_date"),
        title="deliveries",
        console=out,
    )
    if found.get("order_state"):
        out.print(
            f"order state: {found['order_state']['state']} (since {found['order_state']['updated_at']})"
        )
    if found.get("edi"):
        render(
            found["edi"],
            "table",
            columns=(
                "direction",
                "partner",
                "set_id",
                "reference",
                "isa13",
                "gs06",
                "st02",
                "status",
                "ack_status",
            ),
            title="EDI documents and control numbers",
            console=out,
        )


def _summary(changes: Any, width: int = 140) -> str:
    """One line per event: 'field: before -> after' for changes, the detail for conflicts and rejections."""
    if not isinstance(changes, dict):
        return codec.dumps(changes)[:width]
    parts = []
    for name, change in changes.items():
        if isinstance(change, list) and len(change) == 2:
            parts.append(f"{name}: {codec.dumps(change[0])[:30]} -> {codec.dumps(change[1])[:40]}")
        elif isinstance(change, dict) and "kept" in change:
            parts.append(
                f"{name}: kept {codec.dumps(change['kept'])[:30]} over {codec.dumps(change['rejected'])[:30]}"
            )
        else:
            parts.append(f"{name}: {codec.dumps(change)[:60]}")
    text = "; ".join(parts)
    return text if len(text) <= width else text[: width - 1] + "…"


def plan(
    entity: Annotated[str, typer.Argument(help="Entity to preview.")],
    target: Annotated[str | None, typer.Option(help="Only this target system.")] = None,
    ingest: Annotated[
        bool,
        typer.Option(
            help="Read the sources into the hub first (a sync's first half); --no-ingest plans "
            "from what the hub already has."
        ),
    ] = True,
    fmt: Annotated[Fmt, typer.Option("--format", "-f", help="Output format.")] = Fmt.table,
    config: ConfigOpt = None,
) -> None:
    """What the next sync would create and update in the targets, field by field (before -> after).

    Nothing is written to any target system. With --ingest (the default) the sources are read into the
    hub first, so a change made in a source system shows up; the hub store records what was read.
    """
    from hub.engine import Ingestor, Publisher
    from hub.engine.runner import blocking_failures

    cfg, mappings = load_all(config)
    if entity not in mappings:
        raise ConfigError(f"no mapping for entity '{entity}'")
    mapping = mappings[entity]
    targets = [target] if target else mapping.targets
    unknown = [t for t in targets if t not in mapping.targets]
    if unknown:
        raise ConfigError(
            f"{', '.join(unknown)} is not a target of {entity} (targets: {', '.join(mapping.targets)})"
        )
    store = Store(cfg.database_url)
    if ingest:
        sources = connectors_for(cfg, [mapping])
        run_id = f"plan-{uuid.uuid4().hex[:12]}"
        for source in mapping.sources:
            Ingestor(store, mapping, source, sources[source], run_id, cfg.batch_size).run()
    planned: list[dict[str, Any]] = []
    for name in targets:
        for w in Publisher(store, mapping, name, None, "plan").plan():
            planned.append(
                {
                    "target": name,
                    "key": w.key,
                    "action": w.action,
                    "system_id": w.system_id,
                    "changes": {k: list(v) for k, v in w.changes().items()},
                }
            )
    blocked = blocking_failures(store, mapping)
    # records the hub refused on the way in: they are not in any of these writes until fixed
    rejected = [
        {k: f[k] for k in ("id", "key", "system", "stage", "rule", "message")}
        for f in list_failures(store, entity=entity, status="open")
        if f["stage"] != "write"
    ]
    if fmt is Fmt.json:
        report = {
            "entity": entity,
            "blocked_by_open_failures": blocked,
            "writes": planned,
            "rejected": rejected,
        }
        sys.stdout.write(codec.dumps_pretty(report) + "\n")
        return
    rows = [
        {
            "target": p["target"],
            "key": p["key"],
            "action": p["action"],
            "field": field,
            "before": codec.dumps(before),
            "after": codec.dumps(after),
        }
        for p in planned
        for field, (before, after) in (p["changes"].items() or [("", (None, None))])
    ]
    render(
        rows,
        "table",
        columns=("target", "key", "action", "field", "before", "after"),
        title=f"{entity}: {len(planned)} records would be written",
        console=out,
    )
    if rejected:
        render(
            rejected,
            "table",
            columns=("id", "key", "system", "stage", "rule", "message"),
            title=f"{len(rejected)} {entity} records rejected on the way in (not published until fixed)",
            console=out,
        )
    if blocked:
        out.print(f"[yellow]publishing is held back: {blocked} open failures of blocking rules[/yellow]")


def retry(
    ids: Annotated[list[int] | None, typer.Argument(help="Failure ids (see `hub failures`).")] = None,
    entity: Annotated[str | None, typer.Option(help="Every open failure of this entity.")] = None,
    everything: Annotated[bool, typer.Option("--all", help="Every open failure.")] = False,
    from_payload: Annotated[
        bool, typer.Option(help="Re-translate the stored raw payloads instead of reading the source again.")
    ] = False,
    fmt: Annotated[Fmt, typer.Option("--format", "-f", help="Output format.")] = Fmt.table,
    config: ConfigOpt = None,
) -> None:
    """Replay failed records after a fix (idempotent). Exit 1 when some are still failing."""
    from hub.engine.replay import retry_failures

    if not ids and not entity and not everything:
        raise ConfigError("say which failures: IDS, --entity E or --all")
    cfg, mappings = load_all(config)
    selected = [mappings[entity]] if entity and entity in mappings else list(mappings.values())
    outcome = retry_failures(
        Store(cfg.database_url),
        mappings,
        connectors_for(cfg, selected),
        f"retry-{uuid.uuid4().hex[:12]}",
        ids=ids,
        entity=entity,
        everything=everything,
        from_payload=from_payload,
        batch_size=cfg.batch_size,
    )
    render(
        [o.to_dict() for o in outcome],
        fmt.value,
        columns=("id", "entity", "key", "system", "stage", "rule", "status", "message"),
        title=f"{sum(o.status == 'resolved' for o in outcome)} of {len(outcome)} resolved",
        console=out,
    )
    raise typer.Exit(1 if any(o.status == "open" for o in outcome) else 0)


def ignore(
    failure_id: Annotated[int, typer.Argument(help="Failure id.")],
    reason: Annotated[str, typer.Option(help="Why it may be ignored (kept with the failure).")],
    config: ConfigOpt = None,
) -> None:
    """Mark a failure ignored: it stops blocking and alerting; the reason is kept."""
    from hub.engine.replay import ignore_failure

    cfg = load_config(config)
    if not ignore_failure(Store(cfg.database_url), failure_id, reason):
        raise ConfigError(f"no failure with id {failure_id}")
    out.print(f"failure {failure_id} ignored: {reason}")


alerts_app = typer.Typer(
    help="Alerts raised by the hub: list them, silence one.", invoke_without_command=True
)


@alerts_app.callback()
def alerts_list(
    ctx: typer.Context,
    fmt: Annotated[Fmt, typer.Option("--format", "-f", help="Output format.")] = Fmt.table,
    config: ConfigOpt = None,
) -> None:
    """Every alert condition with how often it was seen, when it was last sent, and any silence."""
    if ctx.invoked_subcommand is not None:
        return
    from hub.alerts import AlertManager

    cfg = load_config(config)
    rows = AlertManager(Store(cfg.database_url), []).listing()
    render(
        rows,
        fmt.value,
        columns=(
            "fingerprint",
            "kind",
            "subject",
            "severity",
            "title",
            "count",
            "last_at",
            "last_sent_at",
            "silenced_until",
        ),
        title=f"{len(rows)} alerts",
        console=out,
    )


@alerts_app.command("silence")
def alerts_silence(
    fingerprint: Annotated[str, typer.Argument(help="The alert's fingerprint (see `hub alerts`).")],
    hours: Annotated[float, typer.Option(help="How long to stay quiet.")] = 24.0,
    config: ConfigOpt = None,
) -> None:
    """Do not send this alert again for a while (it is still counted)."""
    from hub.alerts import AlertManager

    cfg = load_config(config)
    if not AlertManager(Store(cfg.database_url), []).silence(fingerprint, hours):
        raise ConfigError(f"no alert with fingerprint {fingerprint}")
    out.print(f"alert {fingerprint} silenced for {hours:g} hours")
