"""Message translator: one system's record <-> the canonical record, driven by a compiled field map."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from hub.errors import RecordRejected
from hub.mapping import paths
from hub.mapping.transforms import _MISSING, NullIf, Transform, TransformError, ValueMap, _StrTransform


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
# What a Translator runs: the same steps as _inbound/_outbound above (which stay the reference and
# produce the error of a record that fails), generated once per mapping as the source of one plain
# function: no per-record dispatch on field kinds, no path walking for plain names, string transforms
# inlined, identity outbound transforms dropped. Everything taken from the mapping (names, paths,
# transforms, constants) reaches the generated code as a bound constant ``k<i>`` (a closure variable), never as source text.

Inbound = Callable[[dict[str, Any]], dict[str, Any]]
Outbound = Callable[[dict[str, Any], frozenset[str]], dict[str, Any]]


class _Source:
    """The lines and constants of one generated function."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.consts: list[Any] = []
        self.nodes: dict[paths.Parts, str] = {}

    def k(self, value: Any) -> str:
        self.consts.append(value)
        return f"k{len(self.consts) - 1}"

    def add(self, depth: int, line: str) -> None:
        self.lines.append("    " * depth + line)

    def build(self, name: str, args: str) -> Callable[..., Any]:
        body = "\n".join("    " + line for line in self.lines)
        names = ", ".join(f"k{i}" for i in range(len(self.consts)))
        code = f"def _make({names}):\n    def {name}({args}):\n{body}\n    return {name}\n"
        namespace: dict[str, Any] = {}
        exec(compile(code, f"<{name}>", "exec"), namespace)  # code built from the fixed lines above
        return namespace["_make"](*self.consts)


def _plain(parts: paths.Parts) -> bool:
    return not any(p.isdigit() for p in parts)


_NO_NODE: Mapping[str, Any] = MappingProxyType({})  # what a missing or non-object node reads as


def _emit_nodes(src: _Source, depth: int, source: str, wanted: list[paths.Parts]) -> None:
    """Read each object on the way to these paths once (``values`` of ``values.name`` and
    ``values.brand``): ``d<i>`` is the node, or an empty mapping where ``paths.get`` finds nothing."""
    for parts in wanted:
        if len(parts) < 2 or not _plain(parts):
            continue
        for n in range(1, len(parts)):
            prefix = parts[:n]
            if prefix in src.nodes:
                continue
            parent = src.nodes[prefix[:-1]] if n > 1 else source
            name = src.nodes[prefix] = f"d{len(src.nodes)}"
            src.add(depth, f"{name} = {parent}.get({src.k(prefix[-1])})")
            src.add(depth, f"if not isinstance({name}, dict): {name} = {src.k(_NO_NODE)}")


def _emit_get(src: _Source, depth: int, target: str, parts: paths.Parts, source: str) -> None:
    """``target = paths.get(source, parts)``; ``source`` is known to be a dict, and the nodes of a
    plain path were read by ``_emit_nodes``."""
    if not parts or not _plain(parts):
        src.add(depth, f"{target} = {src.k(paths.get)}({source}, {src.k(parts)})")
        return
    parent = src.nodes[parts[:-1]] if len(parts) > 1 else source
    src.add(depth, f"{target} = {parent}.get({src.k(parts[-1])})")


def _emit_put(src: _Source, depth: int, parts: paths.Parts, value: str) -> None:
    """``paths.put(out, parts, value)`` with the common shapes written out."""
    put = src.k(paths.put)
    if len(parts) == 1:
        src.add(depth, f"out[{src.k(parts[0])}] = {value}")
        return
    a = src.k(parts[0])
    if len(parts) == 2 and _plain(parts):
        b = src.k(parts[1])
        src.add(depth, f"n = out.get({a})")
        src.add(depth, f"if type(n) is dict: n[{b}] = {value}")
        src.add(depth, f"elif {a} not in out: out[{a}] = {{{b}: {value}}}")
        src.add(depth, f"else: {put}(out, {src.k(parts)}, {value})")
        return
    if len(parts) == 3 and parts[1].isdigit() and not parts[0].isdigit() and not parts[2].isdigit():
        index, c = int(parts[1]), src.k(parts[2])
        src.add(depth, f"n = out.get({a})")
        src.add(depth, f"if type(n) is list and len(n) > {index} and type(n[{index}]) is dict:")
        src.add(depth + 1, f"n[{index}][{c}] = {value}")
        pad = f"[None] * {index} + " if index else ""
        src.add(depth, f"elif {a} not in out: out[{a}] = {pad}[{{{c}: {value}}}]")
        src.add(depth, f"else: {put}(out, {src.k(parts)}, {value})")
        return
    src.add(depth, f"{put}(out, {src.k(parts)}, {value})")


_STR_METHODS = {str.strip: "strip", str.upper: "upper", str.lower: "lower", str.title: "title"}


def _emit_inbound_transforms(src: _Source, depth: int, transforms: tuple[Transform, ...]) -> None:
    """Runs of plain string transforms share one type test; others are called as they are."""
    run: list[Callable[[str], str]] = []

    def flush() -> None:
        if run:
            methods = [_STR_METHODS.get(fn) for fn in run]
            if all(methods):  # an exact str: its methods called directly
                src.add(depth, f"if type(v) is str: v = v.{'().'.join(methods)}()")  # type: ignore[arg-type]
                src.add(depth, "elif isinstance(v, str):")
            else:
                src.add(depth, "if isinstance(v, str):")
            for fn in run:
                src.add(depth + 1, f"v = {src.k(fn)}(v)")
            run.clear()

    for t in transforms:
        if isinstance(t, _StrTransform) and type(t).inbound is _StrTransform.inbound:
            run.append(type(t).fn)
            continue
        flush()
        if type(t) is NullIf:
            src.add(depth, f"if isinstance(v, str) and v.strip() in {src.k(frozenset(t.values))}: v = None")
        elif type(t) is ValueMap and t.case_insensitive:
            # the map's hit inline; a miss (default, strict error, pass-through) goes to the transform
            found, missing = src.k(t.forward.get), src.k(_MISSING)
            src.add(depth, f"if v is None or v == '': v = {src.k(t.default)}")
            src.add(depth, "else:")
            src.add(depth + 1, f"f = {found}(str(v).strip().lower(), {missing})")
            src.add(depth + 1, f"v = {src.k(t.inbound)}(v) if f is {missing} else f")
        else:
            src.add(depth, f"v = {src.k(t.inbound)}(v)")
    flush()


def compile_inbound(fields: tuple[CompiledField, ...]) -> Inbound:
    src = _Source()
    src.add(1, "out = {}")
    src.add(1, "try:")
    src.add(2, "pass")  # a mapping may have no inbound field
    wanted = [f.system_parts for f in fields if f.inbound and f.const is None and f.system_parts]
    _emit_nodes(src, 2, "raw", wanted)  # type: ignore[arg-type]
    for f in fields:
        if not f.inbound:
            continue
        if f.const is not None:
            src.add(2, f"v = {src.k(f.const)}")
        else:
            _emit_get(src, 2, "v", f.system_parts or (), "raw")
        if f.default is not None:
            src.add(2, f"if v is None or v == '': v = {src.k(f.default)}")
        _emit_inbound_transforms(src, 2, f.transforms)
        if f.each is not None:
            each = src.k(compile_inbound(f.each))
            src.add(2, "if v is not None:")
            src.add(3, f"if not isinstance(v, list): raise {src.k(TransformError)}('shape')")
            src.add(3, f"v = [{each}(i if isinstance(i, dict) else {{'_': i}}) for i in v]")
        src.add(2, "if v or (v is not None and not (isinstance(v, str) and v == '')):")
        _emit_put(src, 3, f.canonical_parts, "v")
    src.add(1, f"except ({src.k(TransformError)}, {src.k(RecordRejected)}):")
    # the reference walk raises the reference error, naming the field and transform
    src.add(2, f"return {src.k(_inbound)}({src.k(fields)}, raw)")
    src.add(1, "return out")
    return src.build("inbound", "raw")


def compile_outbound(fields: tuple[CompiledField, ...]) -> Outbound:
    src = _Source()
    src.add(1, f"if not isinstance(record, dict): return {src.k(_outbound)}({src.k(fields)}, record, omit)")
    src.add(1, "out = {}")
    empty = src.k(frozenset())
    _emit_nodes(src, 1, "record", [f.canonical_parts for f in fields if f.outbound and f.system_parts])
    for f in fields:
        if not f.outbound or f.system_parts is None:
            continue
        src.add(1, f"if {src.k(f.top)} not in omit:")
        _emit_get(src, 2, "v", f.canonical_parts, "record")
        if f.each is not None:
            each = src.k(compile_outbound(f.each))
            src.add(2, f"if isinstance(v, list): v = [{each}(i, {empty}) for i in v]")
        for t in reversed(f.transforms):
            if type(t).outbound is not Transform.outbound:
                src.add(2, f"v = {src.k(t.outbound)}(v)")
        if f.const is not None:
            src.add(2, f"if v is None: v = {src.k(f.const)}")
        src.add(2, "if v is not None:")
        if f.join is not None:
            parts = src.k(f.system_parts)
            joined = f"{src.k(_joined)}({src.k(paths.get)}(out, {parts}), v, {src.k(f.join)})"
            src.add(3, f"{src.k(paths.put)}(out, {parts}, {joined})")
        else:
            _emit_put(src, 3, f.system_parts, "v")
    src.add(1, "return out")
    return src.build("outbound", "record, omit")
