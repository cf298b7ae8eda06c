"""Stock, orders, shipments and returns sample data (filled in by the flows work)."""

from __future__ import annotations

from pathlib import Path

DEFECTS: list[dict[str, str]] = []


def write(folder: Path) -> None:
    return None
