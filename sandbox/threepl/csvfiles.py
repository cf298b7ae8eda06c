"""The warehouse's own CSV reading and writing, written from docs/threepl.md rather than shared with the hub.

A simulator that reused the connector's codec would agree with it even where both misread the spec; this
one implements the documented conventions independently (RFC 4180, UTF-8, CRLF, apostrophe neutraliser).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

REQUEST_COLUMNS = ("request_id", "order_no", "warehouse", "line_no", "sku", "quantity", "carrier", "service")
EXPECTED_COLUMNS = ("rma_no", "order_no", "warehouse", "line_no", "sku", "quantity")
SHIPMENT_COLUMNS = (
    *("shipment_no", "request_id", "order_no", "line_no", "sku", "quantity_shipped"),
    *("carrier", "service", "tracking", "ship_date", "warehouse"),
)
RECEIPT_COLUMNS = ("rma_no", "order_no", "warehouse", "line_no", "sku", "quantity", "condition")
INVENTORY_COLUMNS = ("warehouse", "sku", "on_hand", "reserved", "as_of")
_DANGEROUS = "=+-@\t\r\uff1d\uff0b\uff0d\uff20'"


def escape(value: str) -> str:
    return "'" + value if value[:1] and value[0] in _DANGEROUS else value


def unescape(value: str) -> str:
    return value[1:] if value[:1] == "'" and value[1:2] and value[1] in _DANGEROUS else value


def write_csv(columns: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([escape(str(v)) for v in row] for row in rows)
    return out.getvalue().encode("utf-8")


def read_csv(data: bytes, required: Sequence[str]) -> list[dict[str, str]]:
    """Rows by column name; raises ValueError when the file is not a table with the required columns."""
    try:
        text = data.decode("utf-8-sig")
        reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"missing columns {missing}")
        rows = [{k: unescape(v or "") for k, v in row.items() if k is not None} for row in reader]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ValueError(str(exc)) from None
    if not rows:
        raise ValueError("no rows")
    return rows
