"""Akeneo's list envelope for the PIM sandbox: ``limit``, ``page`` or ``search_after`` pagination, ``_links``.

Pages are cut in the store's row order. ``page`` pagination has ``current_page`` (and ``items_count``
with ``with_count=true``); ``search_after`` links carry the last row's position, so a deep page costs
what one page costs. One row more than ``limit`` is read to know whether a ``next`` link exists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.common import DocStore
from sandbox.pim import search

MAX_LIMIT = 100


def _limit(request: Request) -> int:
    raw = request.query_params.get("limit", "10")
    try:
        limit = int(raw)
    except ValueError:
        raise search.SearchError(422, f'"{raw}" is not a valid limit number.') from None
    if limit > MAX_LIMIT:
        raise search.SearchError(422, f"You cannot request more than {MAX_LIMIT} items.")
    if limit < 1:
        raise search.SearchError(422, f'"{raw}" is not a valid limit number.')
    return limit


def _link(request: Request, **params: Any) -> dict[str, str]:
    query = {k: v for k, v in request.query_params.items() if k not in ("page", "search_after")}
    query.update({k: str(v) for k, v in params.items()})
    return {"href": str(request.url.replace(query=urlencode(query)))}


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def listing(
    request: Request, store: DocStore, collection: str, query: search.Query, render: Callable[[dict], dict]
) -> Response:
    """One page of a collection, with ``page`` or ``search_after`` pagination and ``_links``."""
    limit = _limit(request)
    if request.query_params.get("pagination_type", "page") == "search_after":
        token = request.query_params.get("search_after", "")
        after = int(token) if token.isdigit() else 0
        docs = []
        for doc in search.rows(store, collection, query, after):
            docs.append(doc)
            if len(docs) > limit:
                break
        links = {
            "self": _link(request, **({"search_after": token} if token else {})),
            "first": _link(request),
        }
        if len(docs) > limit:
            docs = docs[:limit]
            links["next"] = _link(request, search_after=docs[-1]["id"])
        return JSONResponse({"_links": links, "_embedded": {"items": [render(d) for d in docs]}})
    raw_page = request.query_params.get("page", "1")
    if not raw_page.isdigit() or int(raw_page) < 1:
        raise search.SearchError(422, f'"{raw_page}" is not a valid page number.')
    page = int(raw_page)
    skip, docs = (page - 1) * limit, []
    for n, doc in enumerate(search.rows(store, collection, query)):
        if n >= skip:
            docs.append(doc)
            if len(docs) > limit:
                break
    links = {"self": _link(request, page=page), "first": _link(request, page=1)}
    if page > 1:
        links["previous"] = _link(request, page=page - 1)
    if len(docs) > limit:
        docs = docs[:limit]
        links["next"] = _link(request, page=page + 1)
    body: dict[str, Any] = {"_links": links, "current_page": page}
    if request.query_params.get("with_count") == "true":
        body["items_count"] = sum(1 for _ in search.rows(store, collection, query))
    body["_embedded"] = {"items": [render(d) for d in docs]}
    return JSONResponse(body)
