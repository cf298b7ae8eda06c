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
        writer.writerows(rows)
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
    return escape(str(value))  # data is never rich markup: '[x]' must print as is
