"""Message translator: one system's record <-> the canonical record, driven by a compiled field map."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hub.errors import RecordRejected
from hub.mapping import paths
from hub.mapping.transforms import Transform, TransformError


@dataclass(frozen=True)
class CompiledField:
    canonical: str
    canonical_parts: paths.Parts
    system_parts: paths.Parts | None
    transforms: tuple[Transform, ...]
    const: Any = None
    default: Any = None
    each: tuple[CompiledField, ...] | None = None
    inbound: bool = True
    outbound: bool = True

    @property
    def top(self) -> str:
        return self.canonical_parts[0]


@dataclass
class Translator:
    """Translates records of one system for one entity, in both directions."""

    system: str
    entity: str
    fields: tuple[CompiledField, ...]
    id_parts: paths.Parts | None = None
    supplied: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        self.supplied = frozenset(f.top for f in self.fields if f.inbound)

    def system_id(self, raw: dict[str, Any]) -> str | None:
        if self.id_parts is None:
            return None
        value = paths.get(raw, self.id_parts)
        return None if value is None else str(value)

    def to_canonical(self, raw: dict[str, Any], only: tuple[str, ...] | None = None) -> dict[str, Any]:
        """Canonical record with only the fields this system supplies; missing values are absent.

        ``only`` limits translation to those canonical fields (e.g. the natural key).
        """
        if not isinstance(raw, dict):
            raise RecordRejected("record is not an object", stage="translate", raw=raw)
        fields = self.fields if only is None else tuple(f for f in self.fields if f.top in only)
        return _inbound(fields, raw)

    def from_canonical(self, record: dict[str, Any], omit: frozenset[str] = frozenset()) -> dict[str, Any]:
        """The system's shape of a canonical record; top-level fields in ``omit`` are left out."""
        return _outbound(self.fields, record, omit)


def _inbound(fields: tuple[CompiledField, ...], raw: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields:
        if not f.inbound:
            continue
        value = f.const if f.const is not None else paths.get(raw, f.system_parts or ())
        if (value is None or value == "") and f.default is not None:
            value = f.default
        try:
            for transform in f.transforms:
                value = transform.inbound(value)
        except TransformError as exc:
            raise RecordRejected(
                f"{f.canonical}: {exc}",
                stage="translate",
                rule=f"transform.{transform.name}",
                field=f.canonical,
            ) from None
        if f.each is not None and value is not None:
            if not isinstance(value, list):
                raise RecordRejected(
                    f"{f.canonical}: expected a list", stage="translate", rule="shape", field=f.canonical
                )
            value = [_inbound(f.each, item if isinstance(item, dict) else {"_": item}) for item in value]
        if isinstance(value, str):
            value = value if value != "" else None
        if value is not None:
            paths.put(out, f.canonical_parts, value)
    return out


def _outbound(
    fields: tuple[CompiledField, ...], record: dict[str, Any], omit: frozenset[str]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields:
        if not f.outbound or f.system_parts is None or f.top in omit:
            continue
        value = paths.get(record, f.canonical_parts)
        if f.each is not None and isinstance(value, list):
            value = [_outbound(f.each, item, frozenset()) for item in value]
        for transform in reversed(f.transforms):
            value = transform.outbound(value)
        if value is None and f.const is not None:
            value = f.const
        if value is not None:
            paths.put(out, f.system_parts, value)
    return out
