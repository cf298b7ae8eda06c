"""Change-date cursors for Tryton models.

A record's change time is the latest of several stamps, because Tryton does not touch a record's own
``write_date`` when a related record changes: a product's template, a party's contact mechanisms.
New records have a NULL ``write_date``, so ``create_date`` is always one of the stamps. Stamps are naive
UTC datetimes. The cursor is ``"<ISO time>|<id>"``: every record whose (change time, id) is at or
before it has been read. Ties (records created in one call share a timestamp) are broken by id.

A full read pages by id and ends with a watermark taken before it started, so a record changed while
the pages were read comes again in the next incremental read (the engine skips it if unchanged).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from connectors.tryton.client import Domain, TrytonClient
from hub.engine.ports import ReadBatch
from hub.errors import FatalError

Stamp = tuple[dt.datetime, int]
_SCAN_PAGE = 2000


@dataclass(frozen=True)
class ChangeSpec:
    """How to find what changed in ``model``.

    ``stamps`` are read paths on ``model`` (``"template.write_date"``, ``"contact_mechanisms.write_date"``);
    ``watermarks`` are (model, date field) pairs whose maximum bounds every stamp.
    """

    model: str
    stamps: tuple[str, ...]
    watermarks: tuple[tuple[str, str], ...]
    domain: tuple[Any, ...] = ()


def parse_cursor(cursor: str | None) -> Stamp | None:
    if not cursor:
        return None
    try:
        when, _, ident = cursor.partition("|")
        return dt.datetime.fromisoformat(when), int(ident or 0)
    except ValueError:
        raise FatalError(f"not a Tryton cursor (expected '<ISO time>|<id>'): {cursor!r}") from None


def format_cursor(stamp: Stamp | None) -> str | None:
    return None if stamp is None else f"{stamp[0].isoformat(timespec='microseconds')}|{stamp[1]}"


def _stamp_values(row: dict[str, Any], path: str) -> list[dt.datetime]:
    head, _, tail = path.partition(".")
    if not tail:
        value = row.get(head)
        return [value] if isinstance(value, dt.datetime) else []
    related = row.get(f"{head}.")
    items = related if isinstance(related, list) else [related] if isinstance(related, dict) else []
    return [v for item in items for v in _stamp_values(item, tail)]


def changed_at(row: dict[str, Any], stamps: Sequence[str]) -> dt.datetime:
    values = [v for path in stamps for v in _stamp_values(row, path)]
    return max(values) if values else dt.datetime.min


def _since_domain(spec: ChangeSpec, since: dt.datetime) -> Domain:
    return [*spec.domain, ["OR", *[(path, ">=", since) for path in spec.stamps]]]


def _stamps_since(client: TrytonClient, spec: ChangeSpec, since: dt.datetime) -> list[Stamp]:
    """(change time, id) of every record changed at or after ``since``, oldest first."""
    out: list[Stamp] = []
    last_id = 0
    domain = _since_domain(spec, since)
    while True:
        rows = client.search_read(
            spec.model,
            [*domain, ("id", ">", last_id)],
            list(spec.stamps),
            limit=_SCAN_PAGE,
            order=[("id", "ASC")],
        )
        out.extend((changed_at(r, spec.stamps), r["id"]) for r in rows)
        if len(rows) < _SCAN_PAGE:
            return sorted(out)
        last_id = rows[-1]["id"]


def watermark(client: TrytonClient, spec: ChangeSpec) -> Stamp | None:
    """The latest (change time, id) now: taken before a full read, stored after it."""
    latest: dt.datetime | None = None
    for model, field in spec.watermarks:
        rows = client.search_read(model, [(field, "!=", None)], [field], limit=1, order=[(field, "DESC")])
        if rows and (latest is None or rows[0][field] > latest):
            latest = rows[0][field]
    if latest is None:
        return None
    at_latest = [s for s in _stamps_since(client, spec, latest) if s[0] == latest]
    return (latest, max(i for _, i in at_latest)) if at_latest else (latest, 0)


def read_changes(
    client: TrytonClient,
    spec: ChangeSpec,
    fields: Sequence[str],
    shape: Callable[[dict[str, Any]], dict[str, Any]],
    cursor: str | None,
    batch_size: int,
) -> Iterator[ReadBatch]:
    """Batches of shaped records changed after ``cursor`` (all of them when it is None)."""
    wanted = sorted({*fields, *spec.stamps, "id"})
    after = parse_cursor(cursor)
    if after is None:
        yield from _full(client, spec, wanted, shape, batch_size)
        return
    stamps = [s for s in _stamps_since(client, spec, after[0]) if s > after]
    for start in range(0, len(stamps), batch_size):
        chunk = stamps[start : start + batch_size]
        rows = {r["id"]: r for r in client.read(spec.model, [i for _, i in chunk], wanted)}
        records = [shape(rows[i]) for _, i in chunk if i in rows]
        yield ReadBatch(records, format_cursor(chunk[-1]))


def _full(
    client: TrytonClient,
    spec: ChangeSpec,
    fields: list[str],
    shape: Callable[[dict[str, Any]], dict[str, Any]],
    batch_size: int,
) -> Iterator[ReadBatch]:
    mark = watermark(client, spec)
    last_id = 0
    while True:
        rows = client.search_read(
            spec.model,
            [*spec.domain, ("id", ">", last_id)],
            fields,
            limit=batch_size,
            order=[("id", "ASC")],
        )
        if len(rows) < batch_size:
            yield ReadBatch([shape(r) for r in rows], format_cursor(mark))
            return
        last_id = rows[-1]["id"]
        yield ReadBatch([shape(r) for r in rows], None)
