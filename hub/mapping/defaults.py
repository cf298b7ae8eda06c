"""Defaults for golden fields no system has supplied, e.g. a new account's payment terms by segment.

The owner's value always wins over a default: a default only fills a field that is empty after the
merge, so an ERP that later sets its own terms replaces it, and one that has none receives it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hub.mapping.schema import DefaultSpec


@dataclass(frozen=True)
class _Default:
    name: str
    value: Any
    source: str | None
    table: Mapping[str, Any] | None

    def of(self, record: Mapping[str, Any]) -> Any:
        if self.source is not None and self.table is not None:
            basis = record.get(self.source)
            if basis is not None and str(basis) in self.table:
                return self.table[str(basis)]
        return self.value


@dataclass(frozen=True)
class FieldDefaults:
    defaults: tuple[_Default, ...]

    @classmethod
    def build(
        cls, specs: Mapping[str, DefaultSpec], value_maps: Mapping[str, Mapping[str, Any]]
    ) -> FieldDefaults:
        return cls(
            tuple(
                _Default(name, spec.value, spec.from_, value_maps[spec.map] if spec.map else None)
                for name, spec in specs.items()
            )
        )

    def fill(self, candidate: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
        """Fill empty fields of ``candidate`` in place; returns field -> (None, default) for what it set."""
        filled: dict[str, tuple[Any, Any]] = {}
        for d in self.defaults:
            if candidate.get(d.name) in (None, ""):
                value = d.of(candidate)
                if value is not None:
                    candidate[d.name] = value
                    filled[d.name] = (None, value)
        return filled
