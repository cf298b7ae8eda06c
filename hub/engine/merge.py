"""Normalising a translated record and merging it into the golden record under field ownership."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hub.engine.normalise import normalise
from hub.mapping import EntityMapping

__all__ = ["MergeOutcome", "Merger", "merge", "normalise"]


@dataclass
class MergeOutcome:
    candidate: dict[str, Any]
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # field -> (before, after)
    conflicts: dict[str, dict[str, Any]] = field(default_factory=dict)


class Merger:
    """``merge`` for one (mapping, system, supplied fields), with each field's owner looked up once."""

    def __init__(self, mapping: EntityMapping, system: str, supplied: frozenset[str]) -> None:
        self.system, self.fill_empty = system, mapping.fill_empty
        self.plan = tuple((name, mapping.owner_of(name)) for name in supplied)

    def __call__(self, incoming: dict[str, Any], golden: dict[str, Any] | None) -> MergeOutcome:
        if not golden:
            return self._first(incoming)
        current = golden
        candidate = dict(current)
        outcome = MergeOutcome(candidate)
        system, fill_empty = self.system, self.fill_empty
        for name, owner in self.plan:
            new = incoming.get(name)
            old = current.get(name)
            if new == old:
                continue
            if owner == system or (old is None and new is not None and fill_empty):
                if new is None:
                    candidate.pop(name, None)
                else:
                    candidate[name] = new
                outcome.changes[name] = (old, new)
            elif new is not None:
                outcome.conflicts[name] = {"owner": owner, "kept": old, "rejected": new, "from": system}
        return outcome

    def _first(self, incoming: dict[str, Any]) -> MergeOutcome:
        """``__call__`` against no golden record (every old value None): what a full load mostly does."""
        outcome = MergeOutcome({})
        candidate, changes = outcome.candidate, outcome.changes
        system, fill_empty = self.system, self.fill_empty
        for name, owner in self.plan:
            new = incoming.get(name)
            if new is None:
                continue
            if owner == system or fill_empty:
                candidate[name] = new
                changes[name] = (None, new)
            else:
                outcome.conflicts[name] = {"owner": owner, "kept": None, "rejected": new, "from": system}
        return outcome


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
