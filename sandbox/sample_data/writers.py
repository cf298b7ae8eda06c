"""Small helpers to write sample files deterministically."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

# the ERP's export files: one layout for the hand-made sample and for generated data sets
ERP_PRODUCT_COLUMNS = ["code", "name", "list_price", "cost_price", "currency", "default_uom"]
ERP_PARTY_COLUMNS = [
    "code",
    "name",
    "email",
    "payment_term",
    "credit_limit_amount",
    "currency",
    "credit_hold",
    "vat_code",
]
ERP_STOCK_COLUMNS = [
    "product",
    "warehouse",
    "quantity",
    "reserved_quantity",
    "available_quantity",
    "min_quantity",
    "uom",
    "write_date",
]


def write_jsonl(path: Path, rows: Iterable[dict[str, Any] | str]) -> None:
    """Rows as JSON Lines; a plain string row is written as is (to plant malformed lines)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write((row if isinstance(row, str) else json.dumps(row, ensure_ascii=False)) + "\n")


def write_csv(path: Path, columns: list[str], rows: Iterable[list[Any] | str]) -> None:
    """Rows as CSV; a plain string row is written verbatim (to plant malformed lines)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            if isinstance(row, str):
                handle.write(row + "\n")
            else:
                writer.writerow(row)


def gtin13(body12: str) -> str:
    """Append the GS1 check digit to 12 digits."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body12)))
    return body12 + str((10 - total % 10) % 10)
