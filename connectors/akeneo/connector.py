"""Akeneo PIM connector: declared streams for reads, collection PATCH for writes.

Reads page with ``search_after`` (``_links.next.href``) and filter on ``updated > cursor``. Akeneo
sorts those pages by product, not by date, so the cursor is saved only after the last page.
Writes go in collection PATCH calls of at most 100 products. Akeneo upserts by identifier, so a
replayed create updates the same product and an identical write leaves ``updated`` alone. Each
line of the response is one record's result: a 4xx line fails that record for good, and a batch
whose retries ran out comes back as retriable failures.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, timedelta
from typing import Any, Literal

from connectors.akeneo import values as akeneo_values
from connectors.akeneo.client import AkeneoClient
from connectors.base.streams import NextLinkPaginator, Request, Stream, parse_moment, read_stream
from hub.engine import codec
from hub.engine.ports import OutboundRecord, ReadBatch, WriteResult
from hub.errors import FatalError, RemoteRejected, RetriableError

COLLECTION_TYPE = "application/vnd.akeneo.collection+json"
MAX_BATCH = 100  # Akeneo refuses a collection PATCH of more lines (413)
RETRIABLE_LINE = frozenset({408, 425, 429, 500, 502, 503, 504})


def updated_after(request: Request, cursor: str) -> Request:
    """The saved cursor as Akeneo's ``search`` filter, merged with any search the stream already has."""
    moment = parse_moment(cursor)
    if moment is None:
        return request
    moment = moment.astimezone(UTC)
    # Akeneo's date format is "Y-m-d H:i:s" (UTC); a fraction is sent only when the cursor has one
    # (the sandbox keeps microseconds, the real service whole seconds).
    value = moment.strftime("%Y-%m-%d %H:%M:%S") + (
        f".{moment.microsecond:06d}" if moment.microsecond else ""
    )
    params = dict(request.params or {})
    search = json.loads(params.get("search") or "{}")
    search["updated"] = [*search.get("updated", []), {"operator": ">", "value": value}]
    params["search"] = json.dumps(search)
    return replace(request, params=params)


def _list_stream(entity: str, path: str, key: str) -> Stream:
    return Stream(
        entity=entity,
        path=path,
        primary_key=key,
        paginator=NextLinkPaginator(),
        records="_embedded.items",
        params={"limit": MAX_BATCH},
    )


STREAMS: dict[str, Stream] = {
    "product": Stream(
        entity="product",
        path="api/rest/v1/products",
        primary_key="identifier",
        paginator=NextLinkPaginator(),
        records="_embedded.items",
        cursor_field="updated",
        params={"pagination_type": "search_after", "limit": MAX_BATCH},
        with_cursor=updated_after,
        sorted_by_cursor=False,
        lookback=timedelta(0),
    ),
    "family": _list_stream("family", "api/rest/v1/families", "code"),
    "attribute": _list_stream("attribute", "api/rest/v1/attributes", "code"),
}
WRITABLE = {"product": "api/rest/v1/products"}


class AkeneoConnector:
    """The engine's Connector for one Akeneo instance (see ``hub.engine.ports.Connector``)."""

    def __init__(
        self,
        system: str,
        client: AkeneoClient,
        *,
        locale: str = "en_US",
        channel: str = "ecommerce",
        values_format: Literal["akeneo", "flat"] = "akeneo",
        page_size: int = MAX_BATCH,
        cursor_lookback_s: float = 0.0,
    ) -> None:
        self.system, self.client = system, client
        self.locale, self.channel, self.values_format = locale, channel, values_format
        self.page_size = max(1, min(page_size, MAX_BATCH))
        self.streams = {
            name: replace(
                stream,
                params={**stream.params, "limit": self.page_size},
                lookback=timedelta(seconds=cursor_lookback_s) if stream.cursor_field else stream.lookback,
            )
            for name, stream in STREAMS.items()
        }
        self._attributes: dict[str, dict[str, Any]] | None = None

    # -- read ----------------------------------------------------------------------------------------
    def read(self, entity: str, cursor: str | None, batch_size: int) -> Iterator[ReadBatch]:
        stream = self.streams.get(entity)
        if stream is None:
            raise FatalError(f"{self.system}: Akeneo has no '{entity}' stream; known: {sorted(self.streams)}")
        for batch in read_stream(self.client, stream, cursor, batch_size):
            records = [self._inbound(entity, r) for r in batch.records]
            yield ReadBatch(records, batch.cursor, batch.errors)

    def _inbound(self, entity: str, record: dict[str, Any]) -> dict[str, Any]:
        """Without ``_links`` (URLs of this host, not data); values flattened when so configured."""
        out = {k: v for k, v in record.items() if k != "_links"}
        if entity == "product" and self.values_format == "flat":
            out["values"] = akeneo_values.flatten(out.get("values") or {}, self.locale, self.channel)
        return out

    # -- write ---------------------------------------------------------------------------------------
    def write(self, entity: str, records: Sequence[OutboundRecord]) -> list[WriteResult]:
        path = WRITABLE.get(entity)
        if path is None:
            raise FatalError(f"{self.system}: writing '{entity}' to Akeneo is not supported")
        results: list[WriteResult] = []
        for start in range(0, len(records), self.page_size):
            results.extend(self._write_batch(path, records[start : start + self.page_size]))
        return results

    def _write_batch(self, path: str, records: Sequence[OutboundRecord]) -> list[WriteResult]:
        results: list[WriteResult | None] = [None] * len(records)
        sent: list[tuple[int, OutboundRecord, str]] = []  # (position in records, record, identifier)
        lines: list[bytes] = []
        for position, record in enumerate(records):
            try:
                item = self._outbound(record)
                lines.append(codec.dumpb(item))
            except (TypeError, ValueError) as exc:  # a payload that cannot even be encoded
                results[position] = WriteResult(record.key, record.system_id, f"cannot encode: {exc}")
                continue
            sent.append((position, record, str(item["identifier"])))
        if sent:
            for (position, _, _), result in zip(sent, self._patch(path, sent, lines), strict=True):
                results[position] = result
        return [r for r in results if r is not None]

    def _patch(
        self, path: str, sent: list[tuple[int, OutboundRecord, str]], lines: list[bytes]
    ) -> list[WriteResult]:
        """One collection PATCH; its status lines matched back to the records by line number."""
        records = [record for _, record, _ in sent]
        try:
            response = self.client.request(
                "PATCH", path, data=b"\n".join(lines), headers={"Content-Type": COLLECTION_TYPE}
            )
            statuses = _status_lines(response.text)
        except RetriableError as exc:
            return [
                WriteResult(r.key, r.system_id, f"retries exhausted: {exc}", retriable=True) for r in records
            ]
        except RemoteRejected as exc:  # the whole request refused (400, 413, 415...): every record fails
            retriable = exc.status in RETRIABLE_LINE
            return [WriteResult(r.key, r.system_id, str(exc), retriable=retriable) for r in records]
        except (ValueError, KeyError, TypeError) as exc:
            message = f"unreadable collection response: {exc}"
            return [WriteResult(r.key, r.system_id, message, retriable=True) for r in records]
        return [
            _result(record, identifier, statuses.get(n)) for n, (_, record, identifier) in enumerate(sent, 1)
        ]

    def _outbound(self, record: OutboundRecord) -> dict[str, Any]:
        """The payload as one collection line; its identifier defaults to the system id, then the key."""
        item = dict(record.payload)
        item["identifier"] = item.get("identifier") or record.system_id or record.key
        item.pop("_links", None)
        if self.values_format == "flat" and isinstance(item.get("values"), dict):
            item["values"] = akeneo_values.lift(item["values"], self.attributes(), self.locale, self.channel)
        return item

    def attributes(self) -> dict[str, dict[str, Any]]:
        """Attribute definitions (localisable? scopable?), read once per connector for flat writes."""
        if self._attributes is None:
            found: dict[str, dict[str, Any]] = {}
            for batch in read_stream(self.client, self.streams["attribute"], None, 1000):
                found.update({a["code"]: a for a in batch.records})
            self._attributes = found
        return self._attributes

    def close(self) -> None:
        self.client.close()


def _status_lines(text: str) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    for line in text.splitlines():
        if line.strip():
            status = json.loads(line)
            out[int(status["line"])] = status
    return out


def _result(record: OutboundRecord, identifier: str, status: dict[str, Any] | None) -> WriteResult:
    if status is None:
        return WriteResult(record.key, record.system_id, "no status line for this record", retriable=True)
    code = int(status.get("status_code", 0))
    if 200 <= code < 300:
        return WriteResult(record.key, str(status.get("identifier") or identifier))
    details = "; ".join(
        f"{e.get('property')}{'[' + e['attribute'] + ']' if e.get('attribute') else ''}: {e.get('message')}"
        for e in status.get("errors") or []
    )
    message = f"HTTP {code}: {status.get('message', '')}" + (f" ({details})" if details else "")
    return WriteResult(record.key, record.system_id, message, retriable=code in RETRIABLE_LINE)
