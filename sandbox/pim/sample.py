"""The hub's simplified sample products (``sandbox/data/pim/product/*.jsonl``) in Akeneo's shape.

So ``hub demo`` can seed the PIM sandbox from the same catalogue the file connector reads. The
conversion is literal: values become ``[{"locale", "scope", "data"}]`` lists, weight units become
Akeneo's (``kg`` -> ``KILOGRAM``), ``attributes.material``/``attributes.pack`` become the ``material``
and ``pack_size`` attributes. Bad sample data stays bad, so the sandbox refuses what Akeneo would
(e.g. an identifier with spaces, an unknown family or unit): ``seed`` reports those per product.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import requests

UNITS = {"kg": "KILOGRAM", "kilogram": "KILOGRAM", "g": "GRAM", "gram": "GRAM", "lb": "POUND", "lbs": "POUND"}
UNITS |= {"pound": "POUND", "oz": "OUNCE", "mg": "MILLIGRAM", "t": "TON"}
ATTRIBUTES = {"material": "material", "pack": "pack_size"}


def to_akeneo(record: dict[str, Any], locale: str = "en_US", channel: str = "ecommerce") -> dict[str, Any]:
    simple = record.get("values") or {}
    values: dict[str, Any] = {}

    def put(code: str, data: Any, *, localised: bool = False, scoped: bool = False) -> None:
        if data is not None and data != "":
            values[code] = [
                {"locale": locale if localised else None, "scope": channel if scoped else None, "data": data}
            ]

    put("name", simple.get("name"), localised=True)
    put("description", simple.get("description"), localised=True, scoped=True)
    put("brand", simple.get("brand"))
    put("ean", simple.get("ean"))
    weight = simple.get("weight")
    if isinstance(weight, dict) and weight.get("amount") not in (None, ""):
        unit = str(weight.get("unit") or "")
        put("weight", {"amount": weight["amount"], "unit": UNITS.get(unit.lower(), unit.upper())})
    for key, code in ATTRIBUTES.items():
        # flat sample values (``pack_size``), or the older nested ``attributes.pack``
        put(code, simple.get(code, (simple.get("attributes") or {}).get(key)))
    put("images", simple.get("images") or None)
    return {
        "identifier": record.get("identifier"),
        "family": record.get("family"),
        "enabled": record.get("enabled", True),
        "values": values,
    }


def read_jsonl(folder: str | Path) -> Iterator[dict[str, Any]]:
    """Sample records; lines that are not JSON objects are skipped (the file connector quarantines them)."""
    for file in sorted(Path(folder).glob("*.jsonl")):
        for line in file.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                yield record


def seed(url: str, records: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Load converted records through ``/__sandbox/seed``; returns per-product statuses and the count."""
    body = {"products": [to_akeneo(r) for r in records]}
    response = requests.post(f"{url.rstrip('/')}/__sandbox/seed", json=body, timeout=60)
    response.raise_for_status()
    return dict(response.json())
