"""Streams are declared, not hand-written: where a collection is, how it pages, its key and its cursor.

``read_stream`` does the HTTP, paging and cursor bookkeeping once for every connector.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import requests

from connectors.base.http import HttpClient
from hub.engine.ports import ReadBatch
from hub.mapping import paths


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    params: dict[str, Any] | None = None
    json: dict[str, Any] | None = None


class Paginator(Protocol):
    def next(self, response: requests.Response, body: Any, request: Request) -> Request | None:
        """The request for the next page, or None after the last."""
        ...


@dataclass(frozen=True)
class LinkHeaderPaginator:
    """RFC 8288 ``Link: <...>; rel="next"`` (Shopify ``page_info``): follow the URL as it is."""

    def next(self, response: requests.Response, body: Any, request: Request) -> Request | None:
        link = response.links.get("next", {}).get("url")
        return Request(request.method, link) if link else None


@dataclass(frozen=True)
class NextLinkPaginator:
    """A next-page URL inside the body (Akeneo ``_links.next.href``)."""

    json_path: str = "_links.next.href"

    def next(self, response: requests.Response, body: Any, request: Request) -> Request | None:
        link = paths.get(body, paths.split(self.json_path))
        return Request(request.method, str(link)) if link else None


@dataclass(frozen=True)
class CursorPaginator:
    """An opaque cursor in the body passed back as a parameter (HubSpot ``paging.next.after``)."""

    json_path: str = "paging.next.after"
    param: str = "after"

    def next(self, response: requests.Response, body: Any, request: Request) -> Request | None:
        token = paths.get(body, paths.split(self.json_path))
        if token in (None, ""):
            return None
        if request.method == "POST":
            return replace(request, json={**(request.json or {}), self.param: token})
        return replace(request, params={**(request.params or {}), self.param: token})


@dataclass(frozen=True)
class Stream:
    """One readable collection of an API."""

    entity: str
    path: str
    primary_key: str
    paginator: Paginator
    records: str | None = None  # dot path of the list in the body; None: the body is the list
    cursor_field: str | None = None  # dot path of the change timestamp in each record
    method: str = "GET"
    params: Mapping[str, Any] = field(default_factory=dict)
    body: Mapping[str, Any] | None = None  # JSON body of the first request (search APIs that POST)
    # how the saved cursor goes into the first request: (request, cursor) -> request
    with_cursor: Callable[[Request, str], Request] | None = None
    sorted_by_cursor: bool = True  # pages come in cursor order, so the cursor may advance every page
    lookback: timedelta = timedelta(seconds=1)  # re-read a little before the cursor: clocks and ties

    def first_request(self, cursor: str | None) -> Request:
        request = Request(
            self.method, self.path, dict(self.params) or None, dict(self.body) if self.body else None
        )
        if cursor and self.with_cursor is not None:
            request = self.with_cursor(request, shift(cursor, -self.lookback))
        return request


def parse_moment(value: Any) -> datetime | None:
    """Timestamps as APIs send them: ISO 8601 (with or without zone, 'Z'), 'YYYY-MM-DD HH:MM:SS', epoch ms."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.isdigit()):
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def shift(cursor: str, delta: timedelta) -> str:
    moment = parse_moment(cursor)
    return cursor if moment is None else (moment + delta).isoformat()


def read_stream(
    client: HttpClient, stream: Stream, cursor: str | None, batch_size: int
) -> Iterator[ReadBatch]:
    """All records changed since ``cursor``, in batches; each batch carries the cursor to save after it."""
    request: Request | None = stream.first_request(cursor)
    newest = parse_moment(cursor)
    buffer: list[dict[str, Any]] = []
    while request is not None:
        response = client.request(request.method, request.path, params=request.params, json=request.json)
        body = response.json()
        items = body if stream.records is None else paths.get(body, paths.split(stream.records))
        for item in items or []:
            buffer.append(item)
            if stream.cursor_field:
                moment = parse_moment(paths.get(item, paths.split(stream.cursor_field)))
                if moment is not None and (newest is None or moment > newest):
                    newest = moment
        request = stream.paginator.next(response, body, request)
        last = request is None
        if len(buffer) >= batch_size or last:
            may_advance = stream.sorted_by_cursor or last
            saved = newest.isoformat() if (newest is not None and may_advance) else None
            yield ReadBatch(buffer, saved)
            buffer = []
