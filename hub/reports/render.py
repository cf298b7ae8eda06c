"""Render rows (list of dicts) as a rich table, JSON or CSV: one place for every listing command."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from hub.engine import codec

FORMATS = ("table", "json", "csv")


def render(
    rows: Sequence[dict[str, Any]],
    fmt: str,
    *,
    columns: Sequence[str] | None = None,
    title: str | None = None,
    console: Console | None = None,
) -> None:
    """Print rows in the chosen format. JSON is the stable, documented shape: a list of objects."""
    columns = list(columns or (rows[0].keys() if rows else []))
    if fmt == "json":
        sys.stdout.write(codec.dumps_pretty(list(rows)) + "\n")
    elif fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: _spreadsheet_safe(v) for k, v in row.items()} for row in rows)
        sys.stdout.write(buffer.getvalue())
    else:
        table = Table(title=title, show_lines=False, header_style="bold")
        for column in columns:
            numeric = bool(rows) and all(isinstance(r.get(column), int) for r in rows)
            table.add_column(column, justify="right" if numeric else "left", overflow="fold")
        for row in rows:
            table.add_row(*(_cell(row.get(c)) for c in columns))
        (console or Console(width=None if sys.stdout.isatty() else 200)).print(table)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str) and len(value) > 19 and value[10:11] == "T" and value[:4].isdigit():
        return value[:19].replace("T", " ")  # ISO timestamps, to the second
    return terminal_text(value)


# C0 controls but tab and newline, DEL and C1: a terminal acts on them (ESC [2J clears the screen, CR
# overwrites a line), so data shows them as \xNN instead
_CONTROLS = {c: f"\\x{c:02x}" for c in (*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0))}


def terminal_text(value: Any) -> str:
    """Data as rich prints it to a terminal: never markup ('[x]' prints as is), never a control code."""
    return escape(str(value).translate(_CONTROLS))


# a spreadsheet runs a cell that starts with one of these as a formula (CSV injection)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _spreadsheet_safe(value: Any) -> Any:
    """CSV for people: a text cell that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value
