"""``hub edi``: validate and translate X12 files from the command line. Stateless: reads a file, prints a report.

Exit codes: 0 everything accepted, 1 anything rejected, accepted with errors, unreadable or untranslatable,
2 usage or configuration error (bad option, unknown partner, invalid profile). The JSON shapes are documented
in docs/edi.md. The hub's main CLI mounts this app with ``app.add_typer(edi_app, name="edi")``.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from connectors.x12.acks import AckOptions, Sequence, build_ack
from connectors.x12.normalise import Delimiters, Interchange, normalise
from connectors.x12.partners import PartnerProfile, find_partner, load_partners, resolve_partner
from connectors.x12.results import ACCEPTED, ValidationResult
from connectors.x12.translate import translate_orders
from connectors.x12.validate import DEFAULT_TOLERATE, validate
from hub.errors import ConfigError

edi_app = typer.Typer(
    help="EDI (X12) files: validate against the maps, preview the acknowledgment, translate 850s to orders.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class Fmt(StrEnum):
    table = "table"
    json = "json"


FileArg = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The X12 file.")]
PartnerOpt = Annotated[
    str | None,
    typer.Option(
        "--partner", "-p", help="Partner profile id or YAML path (default: matched on the ISA sender)."
    ),
]
DirOpt = Annotated[
    Path | None,
    typer.Option(
        "--partners-dir",
        help="Folder of partner profiles (default: $HUB_PARTNERS_DIR or <mappings>/partners).",
    ),
]
EncodingOpt = Annotated[
    str | None, typer.Option("--encoding", help="Force a text encoding (default: detected).")
]


class _Context:
    """Partner profiles for one command: the one named with --partner, or looked up per interchange."""

    def __init__(self, partner: str | None, folder: Path | None) -> None:
        self.folder = folder or _partners_dir()
        self.fixed: PartnerProfile | None = resolve_partner(partner, self.folder) if partner else None
        self._all: dict[str, PartnerProfile] | None = None

    def profile(self, ic: Interchange) -> PartnerProfile | None:
        if self.fixed is not None:
            return self.fixed
        if self._all is None:
            self._all = load_partners(self.folder)
        return find_partner(self._all, *ic.sender)

    def tolerate(self) -> Callable[[Interchange], frozenset[str]]:
        def pick(ic: Interchange) -> frozenset[str]:
            profile = self.profile(ic)
            return frozenset(profile.acknowledgment.tolerate) if profile else DEFAULT_TOLERATE

        return pick


def _partners_dir() -> Path:
    if os.environ.get("HUB_PARTNERS_DIR"):
        return Path(os.environ["HUB_PARTNERS_DIR"])
    from hub.config import load_config

    return load_config().mappings_dir / "partners"


def _run(file: Path, ctx: _Context, encoding: str | None) -> ValidationResult:
    return validate(normalise(file.read_bytes(), encoding=encoding), tolerate=ctx.tolerate())


def _acks(result: ValidationResult, ctx: _Context, control: int) -> str | None:
    numbers = Sequence(isa=control, gs=control, st=1)
    texts = []
    for ic_result in result.interchanges:
        profile = ctx.profile(ic_result.interchange)
        options = AckOptions()
        if profile is not None:
            policy = profile.acknowledgment
            delims = None
            if policy.delimiters == "profile":
                d = profile.delimiters
                delims = Delimiters(d.element, d.component, d.segment, d.repetition, d.line_ending)
            options = AckOptions(policy.send, policy.ta1, policy.detail, delims, profile.interchange.isa12)
        ack = build_ack(ic_result, numbers, datetime.now(), options)
        if ack is not None:
            texts.append(ack.text)
    return "".join(texts) or None


def _fail(exc: ConfigError) -> typer.Exit:
    typer.echo(f"configuration error: {exc}", err=True)
    return typer.Exit(2)


@edi_app.command("validate")
def validate_cmd(
    file: FileArg,
    partner: PartnerOpt = None,
    fmt: Annotated[Fmt, typer.Option("--format", "-f", help="Output format.")] = Fmt.table,
    partners_dir: DirOpt = None,
    encoding: EncodingOpt = None,
    ack_control: Annotated[
        int, typer.Option("--ack-control", min=1, help="ISA13/GS06 of the previewed ack.")
    ] = 1,
) -> None:
    """Validate FILE against the X12 maps and show the acknowledgment that is due."""
    try:
        ctx = _Context(partner, partners_dir)
        result = _run(file, ctx, encoding)
        ack = _acks(result, ctx, ack_control)
    except ConfigError as exc:
        raise _fail(exc) from None
    doc = {
        "file": str(file),
        "status": result.status,
        "errors": [{"code": p.code, "message": p.message} for p in result.problems],
        "interchanges": [i.to_json() for i in result.interchanges],
        "ack": ack,
    }
    if fmt is Fmt.json:
        typer.echo(json.dumps(doc, indent=2))
    else:
        _print_validation(doc)
    raise typer.Exit(0 if result.status == ACCEPTED else 1)


@edi_app.command("translate")
def translate_cmd(
    file: FileArg,
    partner: PartnerOpt = None,
    fmt: Annotated[Fmt, typer.Option("--format", "-f", help="Output format.")] = Fmt.json,
    partners_dir: DirOpt = None,
    encoding: EncodingOpt = None,
) -> None:
    """Translate the accepted 850 purchase orders in FILE into canonical orders."""
    try:
        ctx = _Context(partner, partners_dir)
        result = _run(file, ctx, encoding)
        orders = []
        for ic_result in result.interchanges:
            profile = ctx.profile(ic_result.interchange)
            single = ValidationResult([], [ic_result])
            orders += translate_orders(single, profile)
    except ConfigError as exc:
        raise _fail(exc) from None
    rejected = [
        {
            "set_id": t.set_id,
            "control_number": t.control_number,
            "status": t.status,
            "errors": [f.to_json() for f in t.errors],
        }
        for _, _, t in result.transactions()
        if t.set_id == "850" and t.status != ACCEPTED
    ]
    doc: dict[str, Any] = {
        "file": str(file),
        "status": result.status,
        "errors": [{"code": p.code, "message": p.message} for p in result.problems],
        "orders": [o.summary() for o in orders],
        "rejected": rejected,
    }
    if fmt is Fmt.json:
        typer.echo(json.dumps(doc, indent=2))
    else:
        _print_orders(doc)
    ok = result.status == ACCEPTED and not any(o.problems for o in orders)
    raise typer.Exit(0 if ok else 1)


def _add_errors(rows: Any, where: str, errors: list[dict[str, Any]]) -> None:
    """One table row per error of an envelope level (interchange, group or transaction set)."""
    for f in errors:
        rows.add_row(
            where, f["segment"] or "", _s(f.get("position")), _s(f["element"]), f["code"], f["message"]
        )


def _print_validation(doc: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)
    console.print(f"[bold]{doc['file']}[/bold]: {doc['status']}")
    for p in doc["errors"]:
        console.print(f"  file: {p['code']}: {p['message']}")
    rows = Table("where", "segment", "pos", "elem", "code", "message", box=None, pad_edge=False)
    for ic in doc["interchanges"]:
        console.print(
            f"  interchange {ic['control_number']} {ic['sender']} -> {ic['receiver']} ISA12 {ic['version']}: {ic['status']}"
        )
        for note in ic["notes"]:
            console.print(f"    note: {note}")
        _add_errors(rows, f"ISA {ic['control_number']}", ic["errors"])
        for g in ic["groups"]:
            console.print(
                f"    group {g['functional_id']} {g['control_number']} ({g['version']}): {g['status']}"
            )
            _add_errors(rows, f"GS {g['control_number']}", g["errors"])
            for t in g["transactions"]:
                console.print(f"      {t['set_id']} {t['control_number']}: {t['status']}")
                _add_errors(rows, f"ST {t['control_number']}", t["errors"])
    if rows.row_count:
        console.print(rows)
    if doc["ack"]:
        console.print("[bold]acknowledgment due:[/bold]")
        sys.stdout.write(doc["ack"] + ("" if doc["ack"].endswith("\n") else "\n"))


def _print_orders(doc: dict[str, Any]) -> None:
    typer.echo(f"{doc['file']}: {doc['status']}, {len(doc['orders'])} order(s)")
    for o in doc["orders"]:
        ship = o["ship_to"]
        typer.echo(
            f"  {o['order_no']} PO {o['po_number']} {o['order_date'] or ''} ship to {ship['location_code'] or ''} {ship['name'] or ''}"
        )
        for line in o["lines"]:
            typer.echo(
                f"    {line['line_no']:>4} {line['quantity']} {line['uom']} sku={line['sku']} upc={line['upc']} price={line['unit_price']}"
            )
        for p in o["problems"]:
            typer.echo(f"    problem: {p}")
    for t in doc["rejected"]:
        typer.echo(f"  850 {t['control_number']} not translated: {t['status']}")


def _s(value: object) -> str:
    return "" if value is None else str(value)


if __name__ == "__main__":  # pragma: no cover
    edi_app()
