"""Normalising a translated record and merging it into the golden record under field ownership."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from hub.errors import RecordRejected
from hub.mapping import EntityMapping


@cache
def _adapters(model: type[BaseModel]) -> dict[str, TypeAdapter[Any]]:
    return {name: TypeAdapter(info.annotation) for name, info in model.model_fields.items()}


def normalise(model: type[BaseModel], record: dict[str, Any]) -> dict[str, Any]:
    """Check each present field against the canonical model and return its JSON form.

    Field by field, so partial records (a system that supplies only prices) are fine. Absent and
    None are the same thing: None values are dropped, so equal content always hashes equally.
    """
    adapters = _adapters(model)
    out: dict[str, Any] = {}
    for name, value in record.items():
        adapter = adapters.get(name)
        if adapter is None:
            raise RecordRejected(
                f"'{name}' is not a field of {model.__name__}", stage="validate", rule="schema", field=name
            )
        try:
            clean = adapter.dump_python(adapter.validate_python(value), mode="json", exclude_none=True)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in (name, *first["loc"]))
            raise RecordRejected(
                f"{where}: {first['msg']} (got {value!r:.80})", stage="validate", rule="schema", field=where
            ) from None
        if clean is not None:
            out[name] = clean
    return out


@dataclass
class MergeOutcome:
    candidate: dict[str, Any]
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # field -> (before, after)
    conflicts: dict[str, dict[str, Any]] = field(default_factory=dict)


def merge(
    mapping: EntityMapping,
    system: str,
    incoming: dict[str, Any],
    supplied: frozenset[str],
    golden: dict[str, Any] | None,
) -> MergeOutcome:
    """Apply one system's record to the golden record.

    The owner of a field always wins. A non-owner may fill a field the golden record lacks (when the
    mapping allows it); a non-owner value that differs from an owned value is dropped and returned
    as a conflict with both values.
    """
    current = golden or {}
    candidate = dict(current)
    outcome = MergeOutcome(candidate)
    for name in supplied:
        new = incoming.get(name)
        old = current.get(name)
        if new == old:
            continue
        owner = mapping.owner_of(name)
        if owner == system or (old is None and new is not None and mapping.fill_empty):
            if new is None:
                candidate.pop(name, None)
            else:
                candidate[name] = new
            outcome.changes[name] = (old, new)
        elif new is not None:
            outcome.conflicts[name] = {"owner": owner, "kept": old, "rejected": new, "from": system}
    return outcome
