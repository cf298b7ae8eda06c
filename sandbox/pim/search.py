"""Akeneo's ``search`` query parameter: ``{"updated": [{"operator": ">", "value": "2024-05-01 10:00:00"}]}``.

Filters on ``updated`` become SQL on the store's indexed ``updated_at`` column (so an incremental read
costs what changed); the others (``enabled``, ``family``, ``identifier``, ``categories``) are applied to
the documents. Dates may be Akeneo's ``Y-m-d H:i:s`` (UTC, whole seconds, compared at second precision
like the real service) or ISO 8601 with a fraction and zone (the sandbox's own ``updated``, exact).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.common import DocStore


class SearchError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


Predicate = Callable[[dict[str, Any]], bool]


@dataclass
class Query:
    sql: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)
    predicates: list[Predicate] = field(default_factory=list)

    def matches(self, doc: dict[str, Any]) -> bool:
        return all(p(doc) for p in self.predicates)


def _stamp(moment: datetime) -> str:
    """The store's own text form, so SQL compares strings in time order."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _moment(value: Any) -> tuple[datetime, bool]:
    """(moment, whole_seconds) of a search date, or SearchError."""
    if not isinstance(value, str):
        raise SearchError(
            422, f'Property "updated" expects a string with the format "yyyy-mm-dd H:i:s", "{value}" given.'
        )
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise SearchError(
            422, f'Property "updated" expects a string with the format "yyyy-mm-dd H:i:s", "{value}" given.'
        ) from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment, moment.microsecond == 0 and "." not in value


def _updated(query: Query, operator: str, value: Any) -> None:
    if operator == "SINCE LAST N DAYS":
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise SearchError(422, 'Property "updated" expects an integer as value for "SINCE LAST N DAYS".')
        query.sql.append("updated_at >= ?")
        query.params.append(_stamp(datetime.now(UTC) - timedelta(days=value)))
        return
    if operator in ("BETWEEN", "NOT BETWEEN"):
        if not isinstance(value, list) or len(value) != 2:
            raise SearchError(422, f'Property "updated" expects an array with 2 dates for "{operator}".')
        (low, _), (high, whole) = _moment(value[0]), _moment(value[1])
        high_end = high + timedelta(seconds=1) if whole else high + timedelta(microseconds=1)
        if operator == "BETWEEN":
            query.sql.append("(updated_at >= ? AND updated_at < ?)")
        else:
            query.sql.append("(updated_at < ? OR updated_at >= ?)")
        query.params += [_stamp(low), _stamp(high_end)]
        return
    moment, whole = _moment(value)
    step = timedelta(seconds=1) if whole else timedelta(0)
    sql = {
        ">": ("updated_at >= ?" if whole else "updated_at > ?", moment + step),
        "<": ("updated_at < ?", moment),
    }
    if operator in sql:
        clause, at = sql[operator]
        query.sql.append(clause)
        query.params.append(_stamp(at))
    elif operator in ("=", "!="):
        end = moment + (step or timedelta(microseconds=1))
        query.sql.append(
            "(updated_at >= ? AND updated_at < ?)"
            if operator == "="
            else "(updated_at < ? OR updated_at >= ?)"
        )
        query.params += [_stamp(moment), _stamp(end)]
    else:
        raise SearchError(
            422, f'Filter on property "updated" is not supported or does not support operator "{operator}"'
        )


def _field(name: str, operator: str, value: Any) -> Predicate:
    def get(doc: dict[str, Any]) -> Any:
        return doc.get(name)

    if name == "enabled" and operator in ("=", "!=") and isinstance(value, bool):
        return (lambda d: get(d) == value) if operator == "=" else (lambda d: get(d) != value)
    if name in ("family", "identifier") and operator in ("IN", "NOT IN") and isinstance(value, list):
        wanted = set(value)
        return (lambda d: get(d) in wanted) if operator == "IN" else (lambda d: get(d) not in wanted)
    if name == "family" and operator in ("EMPTY", "NOT EMPTY"):
        return (lambda d: get(d) is None) if operator == "EMPTY" else (lambda d: get(d) is not None)
    if name == "categories" and operator in ("IN", "NOT IN") and isinstance(value, list):
        wanted = set(value)
        if operator == "IN":
            return lambda d: bool(wanted & set(d.get("categories") or []))
        return lambda d: not wanted & set(d.get("categories") or [])
    raise SearchError(
        422, f'Filter on property "{name}" is not supported or does not support operator "{operator}"'
    )


def parse(raw: str | None) -> Query:
    query = Query()
    if not raw:
        return query
    try:
        search = json.loads(raw)
    except ValueError:
        raise SearchError(400, "Search query parameter should be valid JSON.") from None
    if not isinstance(search, dict):
        raise SearchError(422, "Search query parameter has to be an array.")
    for name, conditions in search.items():
        if not isinstance(conditions, list) or not all(isinstance(c, dict) for c in conditions):
            raise SearchError(
                422,
                f'Structure of filter "{name}" should respect this structure: {{"{name}":[{{"operator": "my_operator", "value": "my_value"}}]}}',
            )
        for condition in conditions:
            operator = condition.get("operator")
            if not isinstance(operator, str):
                raise SearchError(422, f'Operator is missing for the property "{name}".')
            if name == "updated":
                _updated(query, operator, condition.get("value"))
            else:
                query.predicates.append(_field(name, operator, condition.get("value")))
    return query


def rows(
    store: DocStore, collection: str, query: Query, after_id: int = 0, chunk: int = 500
) -> Iterator[dict[str, Any]]:
    """Matching documents in id order after ``after_id``, read from the store in keyset chunks."""
    where = " AND ".join(["id > ?", *query.sql])
    sql = f'SELECT doc FROM "{collection}" WHERE {where} ORDER BY id LIMIT ?'
    while True:
        batch = [json.loads(r[0]) for r in store.conn.execute(sql, (after_id, *query.params, chunk))]
        for doc in batch:
            if query.matches(doc):
                yield doc
        if len(batch) < chunk:
            return
        after_id = batch[-1]["id"]
