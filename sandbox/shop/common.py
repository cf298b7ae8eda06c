"""Shopify conventions shared by every shop route: errors, timestamps, tags, money, cursor pagination."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from sandbox.common.docstore import DocStore

MAX_LIMIT = 250
# with page_info Shopify refuses every other filter: the cursor already carries them
PAGE_INFO_COMPANIONS = frozenset({"page_info", "limit", "fields"})


class ShopError(Exception):
    """Becomes a Shopify-shaped error response: ``{"errors": ...}`` with its status."""

    def __init__(self, status: int, errors: Any) -> None:
        super().__init__(str(errors))
        self.status, self.errors = status, errors


def invalid(field: str, message: str) -> ShopError:
    return ShopError(422, {field: [message]})


def respond(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=headers)


async def body_of(request: Request, root: str | None) -> dict[str, Any]:
    """The JSON body's ``root`` object (``{"product": {...}}``), as Shopify requires."""
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        raise ShopError(400, {"error": "body is not valid JSON"}) from None
    if root is None:
        if not isinstance(body, dict):
            raise ShopError(400, {"error": "body must be a JSON object"})
        return body
    inner = body.get(root) if isinstance(body, dict) else None
    if not isinstance(inner, dict):
        raise ShopError(400, {root: "Required parameter missing or invalid"})
    return inner


def moment(value: str, field: str) -> str:
    """An ISO 8601 query value as the store's UTC text, so it compares with stored timestamps."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ShopError(400, {field: f"invalid date {value!r}"}) from None
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def money(value: Any, field: str) -> str:
    """Shopify sends money as strings with two decimals; normalising makes repeated writes no-ops."""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise invalid(field, "is not a number") from None
    if not amount.is_finite() or amount < 0:
        raise invalid(field, "must be a number greater than or equal to 0")
    return f"{amount.quantize(Decimal('0.01'))}"


def tags(value: Any) -> str:
    """Tags as Shopify returns them: a comma-and-space separated string, sorted, without duplicates."""
    items = value if isinstance(value, list) else str(value or "").split(",")
    return ", ".join(sorted({str(t).strip() for t in items if str(t).strip()}))


def ids(value: str | None, field: str) -> set[int] | None:
    if not value:
        return None
    try:
        return {int(v) for v in value.split(",") if v.strip()}
    except ValueError:
        raise ShopError(400, {field: "must be a comma separated list of ids"}) from None


def public(doc: dict[str, Any], fields: str | None = None) -> dict[str, Any]:
    """A stored document as the API shows it: no private ``_`` keys; only ``fields`` when asked."""
    out = {k: v for k, v in doc.items() if not k.startswith("_")}
    if fields:
        wanted = {f.strip() for f in fields.split(",")}
        out = {k: v for k, v in out.items() if k in wanted}
    return out


def encode_cursor(state: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(token: str) -> dict[str, Any]:
    try:
        state = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except ValueError:
        raise ShopError(400, {"page_info": "Invalid value."}) from None
    if not isinstance(state, dict):
        raise ShopError(400, {"page_info": "Invalid value."})
    return state


def page(
    request: Request,
    store: DocStore,
    collection: str,
    filters: Callable[[dict[str, Any]], dict[str, Any]],
    keep: Callable[[dict[str, Any], dict[str, Any]], bool],
    pinned: Callable[[dict[str, Any]], list[dict[str, Any]] | None] | None = None,
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """One page of a collection in id order, with Shopify's ``Link`` header for the next page.

    ``filters(query)`` turns query parameters into a filter state (validated); the state travels in
    ``page_info``, so later pages need (and accept) nothing else. ``keep(doc, state)`` applies it.
    ``pinned(state)``: the only documents the state can match when a unique key pins them (an order's
    name), else None; they are filtered by ``keep`` like the rest, without scanning the collection.
    """
    query = request.query_params
    try:
        limit = int(query.get("limit", 50))
    except ValueError:
        raise ShopError(400, {"limit": "must be an integer"}) from None
    if not 1 <= limit <= MAX_LIMIT:
        raise ShopError(400, {"limit": f"must be between 1 and {MAX_LIMIT}"})
    if "page_info" in query:
        extra = sorted(set(query) - PAGE_INFO_COMPANIONS)
        if extra:
            raise ShopError(400, {"page_info": f"cannot be combined with {', '.join(extra)}"})
        state = decode_cursor(query["page_info"])
    else:
        state = {"after": 0, **filters(dict(query))}
    found: list[dict[str, Any]] = []
    after, more = int(state.get("after", 0)), False
    few = pinned(state) if pinned is not None else None
    while True:
        if few is not None:
            chunk = sorted(
                (d for d in few if d["id"] > after and d["updated_at"] >= (state.get("since") or "")),
                key=lambda d: d["id"],
            )
            few = []  # one pass: the pinned documents are all there is
        else:
            chunk = store.scan(collection, since=state.get("since"), after_id=after, limit=MAX_LIMIT)
        for doc in chunk:
            after = doc["id"]
            if keep(doc, state):
                if len(found) == limit:
                    more = True
                    break
                found.append(doc)
        if more or len(chunk) < MAX_LIMIT:
            break
    headers: dict[str, str] = {}
    if more:
        token = encode_cursor({**state, "after": found[-1]["id"]})
        params = f"limit={limit}&page_info={token}"
        if query.get("fields"):
            params += f"&fields={query['fields']}"
        headers["Link"] = f'<{request.url.replace(query=params)}>; rel="next"'
    return found, headers
