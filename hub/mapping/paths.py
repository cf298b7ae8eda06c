"""Dot paths into nested records: ``values.name``, ``variants.0.sku``."""

from __future__ import annotations

import itertools
from typing import Any

Parts = tuple[str, ...]


def split(path: str) -> Parts:
    return tuple(path.split("."))


def get(record: Any, parts: Parts) -> Any:
    value = record
    for part in parts:
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit():
            index = int(part)
            value = value[index] if index < len(value) else None
        else:
            return None
        if value is None:
            return None
    return value


def put(record: dict[str, Any], parts: Parts, value: Any) -> None:
    """Set a value, creating dicts (and lists for digit parts) on the way."""
    node: Any = record
    for here, nxt in itertools.pairwise(parts):
        child_default: Any = [] if nxt.isdigit() else {}
        if isinstance(node, list):
            index = int(here)
            while len(node) <= index:
                node.append(None)
            if node[index] is None:
                node[index] = child_default
            node = node[index]
        else:
            node = node.setdefault(here, child_default)
    last = parts[-1]
    if isinstance(node, list):
        index = int(last)
        while len(node) <= index:
            node.append(None)
        node[index] = value
    else:
        node[last] = value
