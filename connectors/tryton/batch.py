"""Batched creates and writes where one bad record fails only itself.

Tryton runs a call in one transaction, so one refused record rolls back the whole call: a refused
batch is retried record by record to find the culprit. A create whose answer was lost (connection
dropped, 5xx) may or may not have happened: what exists is looked up by natural key before creating
the rest again, so a retry never duplicates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from connectors.tryton.client import TrytonClient, TrytonRPCError
from hub.errors import RetriableError

RECONCILE_ROUNDS = 3


@dataclass(frozen=True)
class Outcome:
    id: int | None = None
    error: str | None = None
    retriable: bool = False


def _refused(exc: TrytonRPCError) -> Outcome:
    where = f" (field {exc.field})" if exc.field else ""
    return Outcome(error=f"Tryton refused: {exc}{where}", retriable=exc.retriable)


def create(
    client: TrytonClient,
    model: str,
    items: Sequence[tuple[str, dict[str, Any]]],
    find: Callable[[list[str]], dict[str, int]],
) -> dict[str, Outcome]:
    """Create ``items`` (natural key, values) in one call; the id or the error per key."""
    out: dict[str, Outcome] = {}
    pending = list(items)
    failure: Exception | None = None
    for _ in range(RECONCILE_ROUNDS):
        if not pending:
            break
        try:
            ids = client.create(model, [values for _, values in pending])
        except TrytonRPCError as exc:
            if len(pending) == 1:
                out[pending[0][0]] = _refused(exc)
            else:
                for item in pending:
                    out.update(create(client, model, [item], find))
            return out
        except RetriableError as exc:
            failure = exc
            found = find([key for key, _ in pending])
            out.update({key: Outcome(id=i) for key, i in found.items()})
            pending = [item for item in pending if item[0] not in found]
            continue
        out.update({key: Outcome(id=i) for (key, _), i in zip(pending, ids, strict=True)})
        pending = []
    for key, _ in pending:
        out[key] = Outcome(error=f"Tryton unavailable: {failure}", retriable=True)
    return out


def write(
    client: TrytonClient, model: str, items: Sequence[tuple[str, int, dict[str, Any]]]
) -> dict[str, Outcome]:
    """Write ``items`` (key, id, values) in one call; writes are idempotent, so the client retries them."""
    todo = [item for item in items if item[2]]
    out = {key: Outcome(id=i) for key, i, values in items if not values}
    if not todo:
        return out
    try:
        client.write(model, *[([i], values) for _, i, values in todo])
    except TrytonRPCError as exc:
        if len(todo) == 1:
            out[todo[0][0]] = _refused(exc)
            return out
        for item in todo:
            out.update(write(client, model, [item]))
        return out
    except RetriableError as exc:
        out.update({key: Outcome(error=f"Tryton unavailable: {exc}", retriable=True) for key, _, _ in todo})
        return out
    out.update({key: Outcome(id=i) for key, i, _ in todo})
    return out
