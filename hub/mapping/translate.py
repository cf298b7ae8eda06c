"""Message translator: one system's record <-> the canonical record, driven by a compiled field map."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hub.errors import RecordRejected
from hub.mapping import paths
from hub.mapping.transforms import Transform, TransformError, _StrTransform


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
    join: str | None = None  # outbound: added to what is already at the path, with this separator

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
        self._inbound = compile_inbound(self.fields)
        self._outbound = compile_outbound(self.fields)

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
        if only is not None:
            return _inbound(tuple(f for f in self.fields if f.top in only), raw)
        return self._inbound(raw)

    def from_canonical(self, record: dict[str, Any], omit: frozenset[str] = frozenset()) -> dict[str, Any]:
        """The system's shape of a canonical record; top-level fields in ``omit`` are left out."""
        return self._outbound(record, omit)


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
            if f.join is not None:
                value = _joined(paths.get(out, f.system_parts), value, f.join)
            paths.put(out, f.system_parts, value)
    return out


def _joined(existing: Any, value: Any, sep: str) -> Any:
    """``value`` added to what another field already put at the same path (text or list)."""
    if existing is None or existing == "" or existing == []:
        return value
    if isinstance(existing, list):
        return [*existing, *(value if isinstance(value, list) else [value])]
    return f"{existing}{sep}{value}"


# -- compiled translation ---------------------------------------------------------------------------
# The functions below are what a Translator runs: the same steps as _inbound/_outbound above (which
# stay the reference and produce the error of a record that fails), with the per-field decisions
# taken once: path getters specialised by depth, chains of string transforms fused, identity outbound
# transforms dropped.

Inbound = Callable[[dict[str, Any]], dict[str, Any]]
Outbound = Callable[[dict[str, Any], frozenset[str]], dict[str, Any]]


def _getter(parts: paths.Parts | None) -> Callable[[Any], Any]:
    if not parts:
        return lambda raw: raw
    if any(p.isdigit() for p in parts):
        return lambda raw: paths.get(raw, parts)
    if len(parts) == 1:
        (a,) = parts
        return lambda raw: raw.get(a) if isinstance(raw, dict) else None
    if len(parts) == 2:
        a, b = parts

        def get2(raw: Any) -> Any:
            node = raw.get(a) if isinstance(raw, dict) else None
            return node.get(b) if isinstance(node, dict) else None

        return get2
    return lambda raw: paths.get(raw, parts)


def _inbound_chain(transforms: tuple[Transform, ...]) -> Callable[[Any], Any] | None:
    if not transforms:
        return None
    if all(isinstance(t, _StrTransform) for t in transforms):
        fns = tuple(type(t).fn for t in transforms)

        def strings(value: Any) -> Any:
            if isinstance(value, str):
                for fn in fns:
                    value = fn(value)
            return value

        return strings
    calls = tuple(t.inbound for t in transforms)

    def chain(value: Any) -> Any:
        for call in calls:
            value = call(value)
        return value

    return chain


def _putter(parts: paths.Parts) -> Callable[[dict[str, Any], Any], None]:
    """``paths.put`` for one path: plain names, or ``variants.0.sku`` with its list built in place."""
    if len(parts) == 1:
        (a,) = parts

        def put1(out: dict[str, Any], value: Any) -> None:
            out[a] = value

        return put1
    if len(parts) == 3 and parts[1].isdigit() and not parts[0].isdigit() and not parts[2].isdigit():
        a, index, c = parts[0], int(parts[1]), parts[2]

        def put_item(out: dict[str, Any], value: Any) -> None:
            items = out.get(a)
            if type(items) is list and len(items) > index and type(items[index]) is dict:
                items[index][c] = value
            else:
                paths.put(out, parts, value)

        return put_item
    return lambda out, value: paths.put(out, parts, value)


def _joining(parts: paths.Parts, sep: str) -> Callable[[dict[str, Any], Any], None]:
    def put_joined(out: dict[str, Any], value: Any) -> None:
        paths.put(out, parts, _joined(paths.get(out, parts), value, sep))

    return put_joined


def _pair(parts: paths.Parts) -> tuple[str, str] | None:
    """Two plain names (``weight.value``): put without the general walk."""
    return (parts[0], parts[1]) if len(parts) == 2 and not any(p.isdigit() for p in parts) else None


def compile_inbound(fields: tuple[CompiledField, ...]) -> Inbound:
    steps = []
    for f in fields:
        if not f.inbound:
            continue
        get = (lambda raw, c=f.const: c) if f.const is not None else _getter(f.system_parts)
        each = compile_inbound(f.each) if f.each is not None else None
        top = f.canonical_parts[0] if len(f.canonical_parts) == 1 else None
        pair = _pair(f.canonical_parts)
        steps.append((get, f.default, _inbound_chain(f.transforms), each, top, pair, f.canonical_parts))
    plan = tuple(steps)

    def inbound(raw: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        try:
            for get, default, chain, each, top, pair, parts in plan:
                value = get(raw)
                if default is not None and (value is None or value == ""):
                    value = default
                if chain is not None:
                    value = chain(value)
                if each is not None and value is not None:
                    if not isinstance(value, list):
                        raise TransformError("shape")
                    value = [each(item if isinstance(item, dict) else {"_": item}) for item in value]
                if value is None or (value == "" and isinstance(value, str)):
                    continue
                if top is not None:
                    out[top] = value
                elif pair is not None:
                    node = out.setdefault(pair[0], {})
                    if type(node) is dict:
                        node[pair[1]] = value
                    else:
                        paths.put(out, parts, value)
                else:
                    paths.put(out, parts, value)
        except (TransformError, RecordRejected):
            return _inbound(fields, raw)  # raises the reference error, naming the field and transform
        return out

    return inbound


def compile_outbound(fields: tuple[CompiledField, ...]) -> Outbound:
    steps = []
    for f in fields:
        if not f.outbound or f.system_parts is None:
            continue
        calls = tuple(
            t.outbound for t in reversed(f.transforms) if type(t).outbound is not Transform.outbound
        )
        each = compile_outbound(f.each) if f.each is not None else None
        put = _putter(f.system_parts)
        if f.join is not None:
            put = _joining(f.system_parts, f.join)
        steps.append((f.top, _getter(f.canonical_parts), each, calls, f.const, put))
    plan = tuple(steps)
    empty: frozenset[str] = frozenset()

    def outbound(record: dict[str, Any], omit: frozenset[str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, get, each, calls, const, put in plan:
            if name in omit:
                continue
            value = get(record)
            if each is not None and isinstance(value, list):
                value = [each(item, empty) for item in value]
            for call in calls:
                value = call(value)
            if value is None:
                if const is None:
                    continue
                value = const
            put(out, value)
        return out

    return outbound
