"""Broken files a real 3PL sends now and then, to prove the hub's reader quarantines them and carries on."""

from __future__ import annotations

import random

from sandbox.threepl.csvfiles import SHIPMENT_COLUMNS, write_csv

KINDS = (
    "truncated",  # cut in the middle of the last row (upload or disk-full accident)
    "truncated_quote",  # cut inside a quoted value
    "bad_header",  # a renamed column
    "binary",  # a zip / gzip payload under a .csv name
    "not_utf8",  # Latin-1 text
    "bad_number",  # quantity_shipped = "ten"
    "bad_date",  # ship_date day-first
    "bad_row",  # one row with an extra value among good rows
    "empty",  # zero bytes
    "unknown_kind",  # neither a known name prefix nor a known header
)


def build(kind: str, seq: int, rng: random.Random) -> tuple[str, bytes]:
    """File name and bytes of one malformed file of ``kind``."""
    name = f"SC_BAD{seq:06d}.csv"
    if kind == "unknown_kind":
        return f"XX_{seq:06d}.csv", b"foo,bar\r\n1,2\r\n"
    if kind == "empty":
        return name, b""
    if kind == "binary":
        return name, b"\x1f\x8b\x08\x00" + bytes(rng.randrange(256) for _ in range(200)) + b"\x00\r\n"
    rows = [_row(seq, line, "2") for line in (1, 2, 3)]
    if kind == "truncated_quote":
        rows[-1][7] = "GROUND, 2-day"
        data = write_csv(SHIPMENT_COLUMNS, rows)
        return name, data[: data.rindex(b"2-day")]
    if kind == "bad_number":
        rows[1][5] = "ten"
    elif kind == "bad_date":
        rows[1][9] = "31/12/2026"
    elif kind == "not_utf8":
        rows[1][7] = "Müller Spedition"
    data = write_csv(SHIPMENT_COLUMNS, rows)
    if kind == "truncated":
        return name, data[:-9]
    if kind == "bad_header":
        return name, data.replace(b"quantity_shipped", b"qty", 1)
    if kind == "not_utf8":
        return name, data.decode("utf-8").encode("latin-1")
    if kind == "bad_row":
        lines = data.split(b"\r\n")
        lines[2] += b",EXTRA"
        return name, b"\r\n".join(lines)
    if kind in ("bad_number", "bad_date"):
        return name, data
    raise ValueError(f"unknown malformed kind {kind!r}; known: {', '.join(KINDS)}")


def _row(seq: int, line: int, quantity: str) -> list[str]:
    return [
        f"SHBAD{seq:06d}",
        f"REQBAD{seq}",
        f"#BAD{seq}",
        str(line),
        f"SKU-{line}",
        quantity,
        "UPS",
        "GROUND",
        f"1ZBAD{seq:06d}",
        "2026-01-15",
        "3PL1",
    ]
