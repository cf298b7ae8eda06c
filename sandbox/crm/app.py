"""CRM sandbox: a HubSpot CRM v3/v4-style API over SQLite, on loopback, with faults and a rate limit.

Speaks enough of HubSpot that a connector written against it needs only a base URL and a token for
the real service: objects (companies, contacts, deals) with string-typed properties, search with
filterGroups/sorts/``paging.next.after`` (10,000-result cap per query), ``batch/upsert`` by
``idProperty`` (HTTP 207 multi-status with per-input ``errors``; the whole batch is refused with
400 only when the request itself is malformed: too many inputs, duplicate ids, unknown idProperty),
``batch/read``, v4 associations (company-contact, deal-company), 401 without a bearer token, 100 requests
per 10 s per token.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from sandbox.common.faults import FaultConfig, FaultInjector
from sandbox.crm.gate import Gate, RollingLimit
from sandbox.crm.objects import KINDS, PAIRS, PRIMARY_TYPE_IDS, TYPE_IDS, BadRequest, Conflict, CrmStore
from sandbox.crm.schema import ValidationFailed, validation_body
from sandbox.crm.seed import seed

BATCH_MAX = 100


def _stamp() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _error(status: int, category: str, message: str, **extra: Any) -> JSONResponse:
    body = {"status": "error", "message": message, "correlationId": "sandbox", "category": category, **extra}
    return JSONResponse(body, status_code=status)


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("Invalid input JSON: the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("Invalid input JSON: expected an object")
    return body


def _kind(request: Request, name: str = "kind") -> str:
    kind = request.path_params[name]
    if kind not in KINDS:
        raise LookupError(f"unknown object type {kind}")
    return kind


def _wanted(request: Request) -> list[str] | None:
    names = [n for value in request.query_params.getlist("properties") for n in value.split(",") if n]
    return names or None


def _inputs(body: dict[str, Any]) -> list[dict[str, Any]]:
    inputs = body.get("inputs")
    if not isinstance(inputs, list) or not all(isinstance(i, dict) for i in inputs):
        raise BadRequest("inputs must be a list of objects")
    if len(inputs) > BATCH_MAX:
        raise BadRequest(f"Batch size {len(inputs)} exceeds the limit of {BATCH_MAX} inputs")
    return inputs


def _batch(results: list[dict[str, Any]], errors: list[dict[str, Any]], started: str) -> JSONResponse:
    body: dict[str, Any] = {
        "status": "COMPLETE",
        "results": results,
        "startedAt": started,
        "completedAt": _stamp(),
    }
    if errors:
        body.update(numErrors=len(errors), errors=errors)
    return JSONResponse(body, status_code=207 if errors else 200)


def create_app(
    db_path: str | Path,
    token: str,
    rate_max: int = 100,
    rate_window_s: float = 10.0,
    *,
    search_cap: int = 10_000,
    faults: FaultConfig | None = None,
) -> FaultInjector:
    """The CRM app wrapped in the fault injector; state in the SQLite file ``db_path``."""
    store = CrmStore(str(db_path))
    limit = RollingLimit(rate_max, rate_window_s)

    async def objects(request: Request) -> JSONResponse:
        kind = _kind(request)
        if request.method == "POST":
            body = await _body(request)
            doc = store.create(kind, body.get("properties") or {})
            return JSONResponse(store.serialize(kind, doc, doc["properties"]), status_code=201)
        text = request.query_params.get("limit", "10")
        limit_n = int(text) if text.isdigit() else 0
        if not 0 < limit_n <= 100:
            raise BadRequest("limit must be between 1 and 100")
        after = request.query_params.get("after", "0")
        if not after.isdigit():
            raise BadRequest(f"after '{after}' is not a valid paging cursor")
        docs = store.page(kind, int(after), limit_n + 1)
        out: dict[str, Any] = {
            "results": [store.serialize(kind, d, _wanted(request)) for d in docs[:limit_n]]
        }
        if len(docs) > limit_n:
            nxt = str(docs[limit_n - 1]["id"])
            out["paging"] = {
                "next": {"after": nxt, "link": f"{request.url.path}?after={nxt}&limit={limit_n}"}
            }
        return JSONResponse(out)

    async def one(request: Request) -> JSONResponse:
        kind = _kind(request)
        doc = store.get(kind, request.path_params["ident"], request.query_params.get("idProperty"))
        if doc is None:
            return _error(404, "OBJECT_NOT_FOUND", "resource not found")
        if request.method == "PATCH":
            body = await _body(request)
            doc = store.update(kind, doc, body.get("properties") or {})
        return JSONResponse(store.serialize(kind, doc, _wanted(request) or doc["properties"]))

    async def search(request: Request) -> JSONResponse:
        kind = _kind(request)
        body = await _body(request)
        total, page, nxt = store.search(kind, body, search_cap)
        out: dict[str, Any] = {
            "total": total,
            "results": [store.serialize(kind, d, body.get("properties")) for d in page],
        }
        if nxt is not None:
            out["paging"] = {"next": {"after": str(nxt)}}
        return JSONResponse(out)

    async def batch_upsert(request: Request) -> JSONResponse:
        kind, started = _kind(request), _stamp()
        inputs = _inputs(await _body(request))
        ids = [str(i.get("id", "")).strip().lower() for i in inputs]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise BadRequest(f"Duplicate IDs found in batch input: {dupes}. IDs must be unique")
        results, errors = [], []
        with store.batch():
            for item in inputs:
                ident = item.get("id")
                try:
                    if ident in (None, ""):
                        raise BadRequest("id is required")
                    doc, new = store.upsert(
                        kind, str(item.get("idProperty") or ""), ident, item.get("properties") or {}
                    )
                except ValidationFailed as exc:
                    errors.append({**exc.body(), "context": {"ids": [str(ident)]}})
                except (BadRequest, Conflict) as exc:
                    category = "CONFLICT" if isinstance(exc, Conflict) else "VALIDATION_ERROR"
                    errors.append(
                        {
                            "status": "error",
                            "category": category,
                            "message": str(exc),
                            "context": {"ids": [str(ident)]},
                        }
                    )
                else:
                    results.append({**store.serialize(kind, doc, item.get("properties")), "new": new})
        return _batch(results, errors, started)

    async def batch_read(request: Request) -> JSONResponse:
        kind, started = _kind(request), _stamp()
        body = await _body(request)
        results, missing = [], []
        for item in _inputs(body):
            doc = store.get(kind, str(item.get("id", "")), body.get("idProperty"))
            if doc is None:
                missing.append(str(item.get("id")))
            else:
                results.append(store.serialize(kind, doc, body.get("properties")))
        errors = (
            [
                {
                    "status": "error",
                    "category": "OBJECT_NOT_FOUND",
                    "message": "Could not get some objects",
                    "context": {"ids": missing},
                }
            ]
            if missing
            else []
        )
        return _batch(results, errors, started)

    def _pair(kind: str, ident: Any, other: str, other_id: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        a, b = store.get(kind, str(ident)), store.get(other, str(other_id))
        if a is None or b is None:
            raise LookupError(f"{kind} {ident} or {other} {other_id} not found")
        if (kind, other) not in PAIRS:
            raise BadRequest(f"no associations between {kind} and {other}")
        return a, b

    async def assoc_list(request: Request) -> JSONResponse:
        kind, other = _kind(request), _kind(request, "to")
        doc = store.get(kind, request.path_params["ident"])
        if doc is None:
            return _error(404, "OBJECT_NOT_FOUND", "resource not found")
        links = store.linked(kind, doc["id"], other)
        return JSONResponse({"results": [_link(kind, i, t) for i, t in links]})

    async def assoc_default(request: Request) -> JSONResponse:
        p = request.path_params
        kind, other = _kind(request), _kind(request, "to")
        doc, other_doc = _pair(kind, p["ident"], other, p["to_id"])
        store.link(kind, doc, other, other_doc)
        spec = {
            "associationCategory": "HUBSPOT_DEFINED",
            "associationTypeId": TYPE_IDS[(kind, other, "unlabeled")],
        }
        item = {"from": {"id": str(p["ident"])}, "to": {"id": str(p["to_id"])}, "associationSpec": spec}
        return JSONResponse({"status": "COMPLETE", "results": [item]})

    async def assoc_batch(request: Request) -> JSONResponse:
        kind, other, started = _kind(request, "from_kind"), _kind(request, "to"), _stamp()
        action = request.path_params["action"]
        if action not in ("read", "associate/default", "create"):
            raise LookupError(f"unknown association batch action {action}")
        inputs = (
            _inputs(await _body(request)) if action != "read" else (await _body(request)).get("inputs") or []
        )
        results, errors = [], []
        with store.batch():
            for item in inputs:
                src, dst = (
                    (item.get("from") or {}).get("id", item.get("id")),
                    (item.get("to") or {}).get("id"),
                )
                context = {"fromObjectId": [str(src)], **({"toObjectId": [str(dst)]} if dst else {})}
                try:
                    if action == "read":
                        doc = store.get(kind, str(item.get("id", "")))
                        links = store.linked(kind, doc["id"], other) if doc else []
                        if not links:
                            raise LookupError(f"No {other} is associated with {kind} {item.get('id')}")
                        results.append(
                            {"from": {"id": str(doc["id"])}, "to": [_link(kind, i, t) for i, t in links]}
                        )
                        continue
                    doc, other_doc = _pair(kind, src, other, dst)
                    types = item.get("types") or []
                    primary = any(int(t.get("associationTypeId", 0)) in PRIMARY_TYPE_IDS for t in types)
                    store.link(kind, doc, other, other_doc, "primary" if primary else "unlabeled")
                    results.append({"from": {"id": str(src)}, "to": {"id": str(dst)}})
                except LookupError as exc:
                    errors.append(
                        {
                            "status": "error",
                            "category": "OBJECT_NOT_FOUND",
                            "message": str(exc),
                            "context": context,
                        }
                    )
        return _batch(results, errors, started)

    async def reset(request: Request) -> JSONResponse:
        store.reset()
        limit.reset()
        return JSONResponse({"ok": True})

    async def seed_route(request: Request) -> JSONResponse:
        raw = await request.body()
        body = json.loads(raw) if raw.strip() else {}
        with store.batch():
            return JSONResponse(seed(store, body.get("customers")))

    routes = [
        Route("/__sandbox/reset", reset, methods=["POST"]),
        Route("/__sandbox/seed", seed_route, methods=["POST"]),
        Route("/crm/v3/objects/{kind}", objects, methods=["GET", "POST"]),
        Route("/crm/v3/objects/{kind}/search", search, methods=["POST"]),
        Route("/crm/v3/objects/{kind}/batch/upsert", batch_upsert, methods=["POST"]),
        Route("/crm/v3/objects/{kind}/batch/read", batch_read, methods=["POST"]),
        Route("/crm/v3/objects/{kind}/{ident}", one, methods=["GET", "PATCH"]),
        Route("/crm/v4/objects/{kind}/{ident}/associations/{to}", assoc_list, methods=["GET"]),
        Route(
            "/crm/v4/objects/{kind}/{ident}/associations/default/{to}/{to_id}", assoc_default, methods=["PUT"]
        ),
        Route("/crm/v4/associations/{from_kind}/{to}/batch/{action:path}", assoc_batch, methods=["POST"]),
    ]
    handlers: dict[Any, Any] = {
        ValidationFailed: lambda r, e: JSONResponse(e.body(), status_code=400),
        BadRequest: lambda r, e: JSONResponse(validation_body(str(e)), status_code=400),
        Conflict: lambda r, e: _error(409, "CONFLICT", str(e)),
        LookupError: lambda r, e: _error(404, "OBJECT_NOT_FOUND", str(e)),
    }
    app = Starlette(routes=routes, exception_handlers=handlers)
    return FaultInjector(Gate(app, token, limit), faults)


def _link(kind: str, other_id: int, type_ids: list[int]) -> dict[str, Any]:
    labels = dict.fromkeys(PRIMARY_TYPE_IDS, "Primary")
    types = [{"category": "HUBSPOT_DEFINED", "typeId": t, "label": labels.get(t)} for t in type_ids]
    return {"toObjectId": other_id, "associationTypes": types}
