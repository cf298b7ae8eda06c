"""Deterministic PIM product catalogues of any size, written as JSON Lines without holding them in memory.

The records have the shape the product mapping reads from the PIM (``identifier``, ``family``,
``enabled``, ``values.*``) and about 0.4% planted defects (missing name, wrong GTIN check digit,
unknown weight unit, a SKU repeated in the same batch), so validation, quarantine and failures do
real work. ``write_changes`` writes the delta file of an incremental run: ``rate`` of the records
with a new name and weight, the way a PIM export drops only what changed.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from sandbox.sample_data.catalog import BRANDS, CATEGORIES
from sandbox.sample_data.writers import gtin13

DEFECT_EVERY = 250  # one record in 250 has a defect (0.4%)
DEFECTS = ("missing name", "GTIN check digit wrong", "weight unit unknown", "duplicate SKU")
MATERIALS = ("steel", "zinc", "nylon", "polymer", "aluminium")


def product(i: int, revision: int = 0) -> dict[str, Any]:
    """Record ``i`` of the catalogue; ``revision`` > 0 gives a changed version of the same SKU."""
    rng = random.Random(i * 7919 + revision)
    sku = f"SKU-{1000000 + i}"
    category = list(CATEGORIES)[i % len(CATEGORIES)]
    nouns, variants = CATEGORIES[category]
    name = f"{rng.choice(BRANDS)} {rng.choice(nouns)} {rng.choice(variants)} {i}"
    if revision:
        name += f" rev {revision}"
    kg = round(rng.uniform(0.05, 25.0), 3)
    unit, amount = ("POUND", round(kg / 0.45359237, 3)) if i % 4 == 0 else ("KILOGRAM", kg)
    values: dict[str, Any] = {
        "name": name,
        "description": f"{name}. Sold per unit; see the data sheet.",
        "brand": rng.choice(BRANDS),
        "ean": gtin13(f"5{i:011d}"),
        "weight": {"amount": str(amount), "unit": unit},
        "material": rng.choice(MATERIALS),
        "pack_size": rng.choice([1, 5, 10, 25, 50]),
        "images": [f"https://cdn.example.com/img/{sku.lower()}.jpg"],
    }
    return {"identifier": sku, "family": category, "enabled": i % 10 != 0, "values": values}


def defect_of(i: int) -> str | None:
    return DEFECTS[(i // DEFECT_EVERY) % len(DEFECTS)] if i % DEFECT_EVERY == 7 else None


def records(count: int) -> Iterator[dict[str, Any]]:
    """The catalogue in file order, defects planted (a duplicate follows its original)."""
    for i in range(count):
        record = product(i)
        defect = defect_of(i)
        if defect == "missing name":
            record["values"]["name"] = ""
        elif defect == "GTIN check digit wrong":
            ean = record["values"]["ean"]
            record["values"]["ean"] = ean[:-1] + str((int(ean[-1]) + 1) % 10)
        elif defect == "weight unit unknown":
            record["values"]["weight"]["unit"] = "stone"
        yield record
        if defect == "duplicate SKU":
            yield {**record, "values": {**record["values"], "name": record["values"]["name"] + " (old)"}}


def changed_indexes(count: int, rate: float) -> list[int]:
    """Which records an incremental run changes: every ``1/rate``-th clean one, spread over the file."""
    step = max(1, round(1 / rate))
    return [i for i in range(3, count, step) if defect_of(i) is None]


def write_catalogue(path: Path, count: int) -> int:
    """Write ``count`` products (plus planted duplicates); returns the number of lines."""
    return _write(path, records(count))


def write_changes(path: Path, count: int, rate: float, revision: int = 1) -> int:
    """The delta file: ``rate`` of the catalogue with changed content (same SKUs)."""
    return _write(path, (product(i, revision) for i in changed_indexes(count, rate)))


def _write(path: Path, rows: Iterator[dict[str, Any]]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = 0
    with path.open("wb") as handle:
        buffer: list[bytes] = []
        for row in rows:
            buffer.append(orjson.dumps(row))
            lines += 1
            if len(buffer) >= 10000:
                handle.write(b"\n".join(buffer) + b"\n")
                buffer = []
        if buffer:
            handle.write(b"\n".join(buffer) + b"\n")
    return lines
