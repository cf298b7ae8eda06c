"""Normalising a translated record against the canonical model, fast.

The reference is pydantic: each present field through ``TypeAdapter(annotation)``, dumped in JSON
mode without None values. Running pydantic per field per record dominates an ingest, so each field
gets a checker chosen once from its annotation that recognises values pydantic would return unchanged
(an exact ``str`` for ``str | None``, a listed literal, a list of strings, a dict of JSON values);
everything else goes through pydantic, memoised for small hashable values (units, amounts, codes).
The result is the same record pydantic gives, field for field (tests/test_normalise_fast.py).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, TypeAdapter, ValidationError

from hub.errors import RecordRejected

_MEMO_LIMIT = 20_000  # entries per field; the memo is cleared when full, so memory stays flat
_MISS = object()


_SCALARS = frozenset((str, int, bool, type(None)))


def _json_value(value: Any, depth: int = 0) -> bool:
    """JSON-native (as orjson parses it): pydantic's JSON-mode dump of ``Any`` returns it unchanged."""
    kind = type(value)
    if kind in _SCALARS:
        return True
    if kind is float:
        return value == value and value not in (float("inf"), float("-inf"))
    if depth > 8:
        return False
    if kind is list:
        for item in value:
            if type(item) not in _SCALARS and not _json_value(item, depth + 1):
                return False
        return True
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or (type(item) not in _SCALARS and not _json_value(item, depth + 1)):
                return False
        return True
    return False


def _unchanged_check(annotation: Any) -> Callable[[Any], bool] | None:
    """A predicate for values this annotation validates and dumps to themselves, or None."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return _unchanged_check(inner[0]) if len(inner) == 1 else None
    if annotation is str:
        return lambda v: type(v) is str
    if origin is Literal and all(type(a) is str for a in args):
        allowed = frozenset(args)
        return lambda v: type(v) is str and v in allowed
    if origin is list and args and args[0] is str:
        return lambda v: type(v) is list and all(type(i) is str for i in v)
    if origin is dict and len(args) == 2 and args[0] is str and args[1] is Any:
        return lambda v: type(v) is dict and _json_value(v)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _model_check(annotation)
    return None


def _plain_decimal(value: Any) -> bool:
    """A str pydantic's ``Decimal`` reads and dumps back to the same text (``12.50``, not ``012.5``)."""
    if type(value) is not str or not value.isascii() or not value.isprintable():
        return False
    try:
        number = Decimal(value)
        return number.is_finite() and str(number) == value
    except InvalidOperation:
        return False


def _model_check(model: type[BaseModel]) -> Callable[[Any], bool] | None:
    """For a small nested model of unconstrained ``Decimal`` fields and ``str`` fields with at most a
    length limit (``Quantity``): a dict with exactly its fields, each already in its dumped form.
    Models with validators, defaults that would be filled in, or other field types: None."""
    decorators = model.__pydantic_decorators__
    if any(
        (
            decorators.validators,
            decorators.field_validators,
            decorators.root_validators,
            decorators.model_validators,
            decorators.field_serializers,
            decorators.model_serializers,
            decorators.computed_fields,
        )
    ):
        return None
    strip = bool(model.model_config.get("str_strip_whitespace"))
    checks: list[tuple[str, Callable[[Any], bool]]] = []
    for name, info in model.model_fields.items():
        limits = [m for m in info.metadata if type(m).__name__ not in ("MinLen", "MaxLen")]
        if info.annotation is Decimal and not info.metadata:
            checks.append((name, _plain_decimal))
        elif info.annotation is str and not limits:
            low = next((m.min_length for m in info.metadata if type(m).__name__ == "MinLen"), 0)
            high = next((m.max_length for m in info.metadata if type(m).__name__ == "MaxLen"), None)
            checks.append((name, _bounded_str(low, high, strip)))
        else:
            return None
    names = frozenset(n for n, _ in checks)

    def check(value: Any) -> bool:
        if type(value) is not dict or value.keys() != names:
            return False
        for name, ok in checks:
            if not ok(value[name]):
                return False
        return True

    return check


def _bounded_str(low: int, high: int | None, strip: bool) -> Callable[[Any], bool]:
    def ok(value: Any) -> bool:
        if type(value) is not str or len(value) < low or (high is not None and len(value) > high):
            return False
        # printable ASCII: Python's and pydantic's notions of surrounding whitespace agree
        return not strip or (value.isascii() and value.isprintable() and value == value.strip())

    return ok


def _memo_key(value: Any) -> Any:
    """A hashable key that tells apart what pydantic tells apart (type included), or _MISS."""
    kind = type(value)
    if kind in (str, int, bool, float) or value is None:
        return (kind, value)
    if kind is dict and len(value) <= 8:
        items = []
        for k, v in value.items():
            if type(k) is not str or type(v) not in (str, int, bool, float, type(None)):
                return _MISS
            items.append((k, type(v), v))
        return (dict, tuple(items))
    return _MISS


def _is_plain_str(annotation: Any) -> bool:
    """``str`` or ``str | None``: an exact str is returned as it is (the commonest case, checked inline)."""
    if annotation is str:
        return True
    args = typing.get_args(annotation)
    return typing.get_origin(annotation) in (typing.Union, types.UnionType) and set(args) == {str, type(None)}


class _Field:
    __slots__ = ("adapter", "memo", "name", "order", "plain_str", "unchanged")

    def __init__(self, name: str, annotation: Any) -> None:
        self.name = name
        self.adapter: TypeAdapter[Any] = TypeAdapter(annotation)
        self.unchanged = _unchanged_check(annotation)
        self.plain_str = _is_plain_str(annotation)
        self.memo: dict[Any, Any] = {}
        inner = [a for a in (typing.get_args(annotation) or (annotation,)) if a is not type(None)]
        model = inner[0] if len(inner) == 1 else None
        # a nested model's dict comes back in the model's field order, as pydantic dumps it
        self.order = (
            tuple(model.model_fields) if isinstance(model, type) and issubclass(model, BaseModel) else None
        )

    def clean(self, value: Any) -> Any:
        if self.unchanged is not None and self.unchanged(value):
            if type(value) is dict:
                return {k: value[k] for k in self.order} if self.order else dict(value)
            return list(value) if type(value) is list else value
        key = _memo_key(value)
        if key is not _MISS:
            found = self.memo.get(key, _MISS)
            if found is not _MISS:
                return dict(found) if type(found) is dict else found
        clean = self._pydantic(value)
        if key is not _MISS and (type(clean) is not dict or all(type(v) is str for v in clean.values())):
            if type(clean) is not list:
                if len(self.memo) >= _MEMO_LIMIT:
                    self.memo.clear()
                self.memo[key] = dict(clean) if type(clean) is dict else clean
        return clean

    def _pydantic(self, value: Any) -> Any:
        adapter = self.adapter
        try:
            return adapter.dump_python(adapter.validate_python(value), mode="json", exclude_none=True)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in (self.name, *first["loc"]))
            raise RecordRejected(
                f"{where}: {first['msg']} (got {value!r:.80})", stage="validate", rule="schema", field=where
            ) from None
        except (ValueError, RecursionError) as exc:  # nested beyond pydantic's serialisation depth limit
            raise RecordRejected(
                f"{self.name}: {exc}", stage="validate", rule="schema", field=self.name
            ) from None


@cache
def _fields(model: type[BaseModel]) -> dict[str, _Field]:
    return {name: _Field(name, info.annotation) for name, info in model.model_fields.items()}


@cache
def _plan(model: type[BaseModel]) -> dict[str, tuple[bool, Callable[[Any], Any]]]:
    """Per field: is it a plain ``str`` field, and its ``clean`` (looked up once, not per value)."""
    return {name: (f.plain_str, _unchanged_first(f)) for name, f in _fields(model).items()}


def _unchanged_first(f: _Field) -> Callable[[Any], Any]:
    """``f.clean`` with its first step (a value already in its JSON form) in the same call."""
    unchanged, clean, order = f.unchanged, f.clean, f.order
    if unchanged is None:
        return clean

    def same(value: Any) -> Any:
        if not unchanged(value):
            return clean(value)
        kind = type(value)
        if kind is dict:
            return {k: value[k] for k in order} if order else dict(value)
        return list(value) if kind is list else value

    return same


def normalise(model: type[BaseModel], record: dict[str, Any]) -> dict[str, Any]:
    """Check each present field against the canonical model and return its JSON form.

    Field by field, so partial records (a system that supplies only prices) are fine. Absent and
    None are the same thing: None values are dropped, so equal content always hashes equally.
    """
    plan = _plan(model)
    out: dict[str, Any] = {}
    for name, value in record.items():
        step = plan.get(name)
        if step is None:
            raise RecordRejected(
                f"'{name}' is not a field of {model.__name__}", stage="validate", rule="schema", field=name
            )
        if step[0] and type(value) is str:
            out[name] = value
            continue
        clean = step[1](value)
        if clean is not None:
            out[name] = clean
    return out
