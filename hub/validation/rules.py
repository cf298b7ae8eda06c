"""The rule kinds: required, pattern, range, enum, unique (within batch), reference, custom.

Each kind runs over a whole batch (one compiled regex, one store query per reference rule) and
returns violations by record index.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Protocol

from hub.mapping.loader import resolve_function
from hub.mapping.schema import RuleSpec


class KeyLookup(Protocol):
    def existing_keys(self, entity: str, keys: set[str]) -> set[str]:
        """Which of ``keys`` have a golden record of ``entity``."""
        ...


@dataclass(frozen=True)
class Violation:
    index: int
    rule: RuleSpec
    field: str
    message: str

    @property
    def top_field(self) -> str:
        return self.field.split(".", 1)[0]


_EMPTY = object()


@lru_cache(maxsize=1024)
def _parts(dotted: str) -> tuple[tuple[str, ...], bool]:
    parts = tuple(dotted.split("."))
    return parts, "*" in parts


def field_values(record: dict[str, Any], dotted: str) -> list[Any]:
    """Values at a dot path; ``*`` walks every item of a list (``lines.*.sku``). Missing -> [_EMPTY]."""
    parts, walks = _parts(dotted)
    if not walks:  # one value: no list of nodes to build
        node: Any = record
        for part in parts:
            node = node.get(part, _EMPTY) if isinstance(node, dict) else _EMPTY
        return [node]
    nodes: list[Any] = [record]
    for part in parts:
        nxt: list[Any] = []
        for node in nodes:
            if node is _EMPTY or node is None:
                nxt.append(_EMPTY)
            elif part == "*":
                nxt.extend(node if isinstance(node, list) and node else [_EMPTY])
            elif isinstance(node, dict):
                nxt.append(node.get(part, _EMPTY))
            else:
                nxt.append(_EMPTY)
        nodes = nxt
    return nodes


def _present(values: list[Any]) -> list[Any]:
    return [v for v in values if v is not _EMPTY and v is not None and v != ""]


def _present_values(dotted: str) -> Callable[[dict[str, Any]], list[Any]]:
    """``_present(field_values(record, dotted))`` for one rule, chosen once: a plain name or dot path
    (one value at most) is read without building the list of nodes."""
    parts, walks = _parts(dotted)
    if walks:
        return lambda record: _present(field_values(record, dotted))
    if len(parts) == 1:
        (name,) = parts

        def one(record: dict[str, Any]) -> list[Any]:
            value = record.get(name) if isinstance(record, dict) else None
            return [] if value is None or value == "" else [value]

        return one

    def path(record: dict[str, Any]) -> list[Any]:
        node: Any = record
        for part in parts:
            node = node.get(part) if isinstance(node, dict) else None
            if node is None:
                return []
        return [] if node == "" else [node]

    return path


def _message(rule: RuleSpec, default: str) -> str:
    return rule.message or default


def _required(rule: RuleSpec, records: Sequence[dict[str, Any]], _: KeyLookup) -> Iterable[tuple[int, str]]:
    for i, record in enumerate(records):
        values = field_values(record, rule.field)
        if any(v is _EMPTY or v is None or v == "" or v == [] or v == {} for v in values):
            yield i, _message(rule, f"{rule.field} is required")


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _pattern(rule: RuleSpec, records: Sequence[dict[str, Any]], _: KeyLookup) -> Iterable[tuple[int, str]]:
    regex, present = _compiled(rule.pattern or ""), _present_values(rule.field)
    for i, record in enumerate(records):
        for value in present(record):
            if not regex.fullmatch(str(value)):
                yield i, _message(rule, f"{rule.field} '{value}' does not match {rule.pattern}")
                break


def _range(rule: RuleSpec, records: Sequence[dict[str, Any]], _: KeyLookup) -> Iterable[tuple[int, str]]:
    low = Decimal(str(rule.min)) if rule.min is not None else None
    high = Decimal(str(rule.max)) if rule.max is not None else None
    present = _present_values(rule.field)
    for i, record in enumerate(records):
        for value in present(record):
            try:
                number = Decimal(str(value))
            except InvalidOperation:
                yield i, _message(rule, f"{rule.field} '{value}' is not a number")
                break
            if (low is not None and number < low) or (high is not None and number > high):
                bounds = (
                    f"[{rule.min if low is not None else '-inf'}, {rule.max if high is not None else 'inf'}]"
                )
                yield i, _message(rule, f"{rule.field} {value} is outside {bounds}")
                break


def _enum(rule: RuleSpec, records: Sequence[dict[str, Any]], _: KeyLookup) -> Iterable[tuple[int, str]]:
    allowed, present = set(map(str, rule.values or [])), _present_values(rule.field)
    for i, record in enumerate(records):
        for value in present(record):
            if str(value) not in allowed:
                yield i, _message(rule, f"{rule.field} '{value}' is not one of {sorted(allowed)}")
                break


def _unique(rule: RuleSpec, records: Sequence[dict[str, Any]], _: KeyLookup) -> Iterable[tuple[int, str]]:
    """Every occurrence after the first of a value is a violation (the first one wins)."""
    first_seen: dict[str, int] = {}
    present = _present_values(rule.field)
    for i, record in enumerate(records):
        for value in present(record):
            text = str(value)
            if text in first_seen and first_seen[text] != i:
                yield (
                    i,
                    _message(
                        rule, f"{rule.field} '{value}' duplicates record #{first_seen[text] + 1} of the batch"
                    ),
                )
                break
            first_seen.setdefault(text, i)


def _reference(
    rule: RuleSpec, records: Sequence[dict[str, Any]], lookup: KeyLookup
) -> Iterable[tuple[int, str]]:
    wanted = {str(v) for r in records for v in _present(field_values(r, rule.field))}
    known = lookup.existing_keys(rule.entity or "", wanted) if wanted else set()
    for i, record in enumerate(records):
        for value in _present(field_values(record, rule.field)):
            if str(value) not in known:
                yield i, _message(rule, f"{rule.field} '{value}' is not a known {rule.entity}")
                break


def _custom(rule: RuleSpec, records: Sequence[dict[str, Any]], _: KeyLookup) -> Iterable[tuple[int, str]]:
    """``function(record) -> message | None``; a function with ``batch = True`` takes the list and
    returns ``{index: message}``."""
    fn = resolve_function(rule.function or "")
    if getattr(fn, "batch", False):
        yield from fn(list(records)).items()
        return
    for i, record in enumerate(records):
        message = fn(record)
        if message:
            yield i, str(message)


KINDS: dict[str, Callable[[RuleSpec, Sequence[dict[str, Any]], KeyLookup], Iterable[tuple[int, str]]]] = {
    "required": _required,
    "pattern": _pattern,
    "range": _range,
    "enum": _enum,
    "unique": _unique,
    "reference": _reference,
    "custom": _custom,
}


def evaluate(
    rules: Sequence[RuleSpec], records: Sequence[dict[str, Any]], lookup: KeyLookup
) -> list[Violation]:
    """All violations of ``rules`` over ``records``, in rule order."""
    out: list[Violation] = []
    for rule in rules:
        for index, message in KINDS[rule.kind](rule, records, lookup):
            out.append(Violation(index, rule, rule.field, message))
    return out
