"""HubSpot search streams, declared: companies and contacts ordered by their last-modified date.

HubSpot search pages with an offset (``paging.next.after``) and refuses to page past 10,000 results
per query, and an offset shifts when a record on an earlier page changes during the read. So the
paginator re-issues the search from the last page's last-modified date (``GTE``, excluding the ids
already read at that very millisecond with ``hs_object_id NOT_IN``) instead of following the offset;
a millisecond holding more than a page is walked by id. Reads are therefore keyset-paged, never
capped, and a record changed mid-read moves forward and is read again later, never skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import requests

from connectors.base.streams import Request, Stream, parse_moment, shift

COMPANY_PROPERTIES = (
    "account_number",
    "name",
    "domain",
    "email",
    "phone",
    "segment",
    "payment_terms",
    "credit_limit",
    "tags",
    "lifecyclestage",
    "address",
    "address2",
    "city",
    "state",
    "zip",
    "country",
    "shipping_address",
    "shipping_address2",
    "shipping_city",
    "shipping_state",
    "shipping_zip",
    "shipping_country",
    "createdate",
    "hs_lastmodifieddate",
)
CONTACT_PROPERTIES = (
    "email",
    "firstname",
    "lastname",
    "phone",
    "jobtitle",
    "lifecyclestage",
    "lastmodifieddate",
)
# the last-modified property of each object type, as HubSpot names it
MODIFIED = {"companies": "hs_lastmodifieddate", "contacts": "lastmodifieddate"}


def epoch_ms(value: Any) -> int:
    moment = parse_moment(value)
    if moment is None:
        raise ValueError(f"not a timestamp: {value!r}")
    return int(moment.timestamp() * 1000)


def _modified_ms(record: dict[str, Any], prop: str) -> int:
    return epoch_ms((record.get("properties") or {}).get(prop) or record["updatedAt"])


def _lower_bound(body: dict[str, Any], prop: str) -> int | None:
    for group in body.get("filterGroups") or []:
        for f in group.get("filters") or []:
            if f.get("propertyName") == prop and f.get("operator") in ("GT", "GTE"):
                return int(f["value"])
    return None


def _filters(body: dict[str, Any]) -> list[dict[str, Any]]:
    groups = body.get("filterGroups") or [{}]
    return list(groups[0].get("filters") or [])


@dataclass(frozen=True)
class SearchPaginator:
    """Keyset paging over a search sorted by ``prop`` ascending (see the module docstring).

    Normal step: re-issue with ``prop GTE last`` and ``hs_object_id NOT_IN`` the ids read at ``last``.
    When a whole page shares one millisecond, walk that millisecond by id instead (``prop EQ ms``,
    sorted by ``hs_object_id``, ``hs_object_id GT`` the last id), then go on with ``prop GT ms``.
    No offset is ever followed, so the 10,000-results cap and shifting offsets cannot bite.
    """

    prop: str

    def next(self, response: requests.Response, body: Any, request: Request) -> Request | None:
        token = ((body.get("paging") or {}).get("next") or {}).get("after")
        results = body.get("results") or []
        query = {k: v for k, v in (request.json or {}).items() if k != "after"}
        filters = _filters(query)
        by_id = any(s.get("propertyName") == "hs_object_id" for s in query.get("sorts") or [])
        if by_id:  # walking one millisecond by id
            moment = next(f["value"] for f in filters if f["operator"] == "EQ")
            if token in (None, "") or not results:
                return self._query(request, query, [self._f("GT", moment)], self.prop)
            kept = [f for f in filters if not (f["propertyName"] == "hs_object_id" and f["operator"] == "GT")]
            return self._query(
                request, query, [*kept, self._f("GT", results[-1]["id"], "hs_object_id")], None
            )
        if token in (None, "") or not results:
            return None
        last = _modified_ms(results[-1], self.prop)
        seen = [r["id"] for r in results if _modified_ms(r, self.prop) == last]
        if last == _lower_bound(query, self.prop):  # the whole page in one millisecond
            before = [v for f in filters if f.get("operator") == "NOT_IN" for v in f.get("values") or []]
            walk = [self._f("EQ", last), self._f("NOT_IN", [*before, *seen], "hs_object_id")]
            return self._query(request, query, walk, "hs_object_id")
        return self._query(
            request, query, [self._f("GTE", last), self._f("NOT_IN", seen, "hs_object_id")], None
        )

    def _f(self, operator: str, value: Any, prop: str | None = None) -> dict[str, Any]:
        key = "values" if operator in ("IN", "NOT_IN") else "value"
        return {
            "propertyName": prop or self.prop,
            "operator": operator,
            key: value if key == "values" else str(value),
        }

    @staticmethod
    def _query(
        request: Request, query: dict[str, Any], filters: list[dict[str, Any]], sort: str | None
    ) -> Request:
        body = {**query, "filterGroups": [{"filters": filters}]}
        if sort is not None:
            body["sorts"] = [{"propertyName": sort, "direction": "ASCENDING"}]
        return replace(request, json=body)


def since(prop: str) -> Any:
    """``with_cursor``: only records modified strictly after the saved cursor (epoch ms, as HubSpot wants)."""

    def put(request: Request, cursor: str) -> Request:
        filters = [{"propertyName": prop, "operator": "GT", "value": str(epoch_ms(cursor))}]
        return replace(request, json={**(request.json or {}), "filterGroups": [{"filters": filters}]})

    return put


@dataclass(frozen=True)
class SearchStream(Stream):
    """A Stream whose first request carries a JSON body (the shared Stream only has query params)."""

    body: dict[str, Any] = field(default_factory=dict)

    def first_request(self, cursor: str | None) -> Request:
        request = replace(super().first_request(None), json=dict(self.body))
        if cursor and self.with_cursor is not None:
            request = self.with_cursor(request, shift(cursor, -self.lookback))
        return request


def search_stream(kind: str, properties: tuple[str, ...], page_size: int) -> SearchStream:
    prop = MODIFIED[kind]
    return SearchStream(
        entity=kind,
        path=f"/crm/v3/objects/{kind}/search",
        method="POST",
        primary_key="id",
        records="results",
        cursor_field="updatedAt",
        paginator=SearchPaginator(prop),
        with_cursor=since(prop),
        lookback=timedelta(0),  # the filter is strictly-after the newest record read; see the report on lag
        body={
            "sorts": [{"propertyName": prop, "direction": "ASCENDING"}],
            "properties": list(properties),
            "limit": page_size,
        },
    )
