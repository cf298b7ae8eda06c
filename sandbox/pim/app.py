"""PIM sandbox: an Akeneo-REST-style server on Starlette, state in one SQLite file, faults on demand.

What a connector relies on behaves like Akeneo: OAuth2 password/refresh grants at
``/api/oauth/v1/token``, Bearer auth (401 on a missing or expired token), ``/api/rest/v1/products``
with ``search`` on ``updated``, page and ``search_after`` pagination via ``_links``, single PATCH (201
created, 204 updated, 422 with ``errors``), collection PATCH (``application/vnd.akeneo.collection+json``,
one status line per item, at most 100), and families / attributes. Deliberate differences: ``updated``
carries microseconds (Akeneo: whole seconds) and ``search_after`` tokens are plain row positions.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.common import DocStore, FaultConfig, FaultInjector
from sandbox.pim import catalog, search
from sandbox.pim.auth import AuthError, Credentials, TokenIssuer
from sandbox.pim.pages import base_url, listing

COLLECTION_TYPE = "application/vnd.akeneo.collection+json"
MAX_LINES = 100
API = "/api/rest/v1"
Handler = Callable[[Request], Awaitable[Response]]


def error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"code": status, "message": message, **extra}, status_code=status)


def akeneo_time(stamp: str) -> str:
    return stamp.replace("Z", "+00:00")


class Pim:
    """The sandbox's state and the operations the routes share."""

    def __init__(self, store: DocStore, tokens: TokenIssuer) -> None:
        self.store, self.tokens = store, tokens

    def reset(self) -> None:
        self.store.reset()
        for attr in catalog.seed_attributes():
            self.store.insert("attributes", attr, key=attr["code"])
        for family in catalog.seed_families():
            self.store.insert("families", family, key=family["code"])

    def catalog(self) -> catalog.Catalog:
        return catalog.Catalog(
            attributes={a["code"]: a for a in self.store.all("attributes")},
            families={f["code"]: f for f in self.store.all("families")},
        )

    def upsert(self, identifier: str, patch: Any, cat: catalog.Catalog) -> tuple[int, list[dict[str, Any]]]:
        """Create or merge one product: (201 | 204, []) or (422, errors)."""
        if not isinstance(patch, dict):
            return 422, [{"property": "", "message": "The product must be a JSON object."}]
        if "identifier" in patch and patch["identifier"] != identifier:
            message = (
                f'The identifier "{patch["identifier"]}" provided in the request body must match the '
                f'identifier "{identifier}" provided in the url.'
            )
            return 422, [{"property": "identifier", "message": message}]
        existing = self.store.by_key("products", identifier)
        merged = catalog.merge(existing or catalog.new_product(identifier), patch)
        normal, errors = catalog.validate(merged, cat)
        if errors:
            return 422, errors
        if existing is None:
            self.store.insert("products", normal, key=identifier)
            return 201, []
        self.store.update("products", existing["id"], normal)
        return 204, []


def product_out(doc: dict[str, Any], base: str) -> dict[str, Any]:
    out = {k: doc[k] for k in ("identifier", "enabled", "family", "categories", "groups", "parent", "values")}
    return {
        "_links": {"self": {"href": f"{base}{API}/products/{doc['identifier']}"}},
        **out,
        "created": akeneo_time(doc["created_at"]),
        "updated": akeneo_time(doc["updated_at"]),
    }


def plain_out(doc: dict[str, Any], base: str, kind: str) -> dict[str, Any]:
    out = {k: v for k, v in doc.items() if k not in ("id", "created_at", "updated_at")}
    return {"_links": {"self": {"href": f"{base}{API}/{kind}/{doc['code']}"}}, **out}


def authed(handler: Handler) -> Handler:
    async def wrapper(request: Request) -> Response:
        try:
            request.app.state.pim.tokens.check(request.headers.get("authorization"))
            return await handler(request)
        except AuthError as exc:
            return error(exc.status, exc.message)
        except search.SearchError as exc:
            return error(exc.status, exc.message)

    return wrapper


async def _json(request: Request) -> tuple[Any, Response | None]:
    try:
        return json.loads(await request.body()), None
    except ValueError:
        return None, error(400, "Invalid json message received")


async def token(request: Request) -> Response:
    if "json" in request.headers.get("content-type", ""):
        body, problem = await _json(request)
        if problem is not None:
            return problem
    else:
        # form-encoded (RFC 6749's own encoding), parsed without python-multipart
        body = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
    try:
        grant = request.app.state.pim.tokens.grant(request.headers.get("authorization"), body or {})
    except AuthError as exc:
        return error(exc.status, exc.message)
    return JSONResponse(grant)


@authed
async def products(request: Request) -> Response:
    pim: Pim = request.app.state.pim
    base = base_url(request)
    if request.method == "GET":
        query = search.parse(request.query_params.get("search"))
        return listing(request, pim.store, "products", query, lambda d: product_out(d, base))
    if request.method == "POST":
        body, problem = await _json(request)
        if problem is not None:
            return problem
        identifier = body.get("identifier") if isinstance(body, dict) else None
        if isinstance(identifier, str) and pim.store.by_key("products", identifier) is not None:
            return error(
                422,
                "Validation failed.",
                errors=[
                    {
                        "property": "identifier",
                        "message": "The same identifier is already set on another product",
                    }
                ],
            )
        return _status(*pim.upsert(str(identifier or ""), body, pim.catalog()), base, str(identifier))
    if request.headers.get("content-type", "").split(";")[0].strip() != COLLECTION_TYPE:
        given = request.headers.get("content-type", "")
        return error(
            415, f'"{given}" in "Content-Type" header is not valid. Only "{COLLECTION_TYPE}" is allowed.'
        )
    lines = [line for line in (await request.body()).decode("utf-8", "replace").split("\n") if line.strip()]
    if len(lines) > MAX_LINES:
        return error(413, f"Too many resources to process, {MAX_LINES} is the maximum allowed.")
    cat, out = pim.catalog(), []
    for number, line in enumerate(lines, 1):
        out.append(json.dumps(_line(pim, cat, number, line)))
    return Response("\n".join(out), media_type=COLLECTION_TYPE)


def _line(pim: Pim, cat: catalog.Catalog, number: int, line: str) -> dict[str, Any]:
    try:
        item = json.loads(line)
    except ValueError:
        return {"line": number, "status_code": 400, "message": "Invalid json message received"}
    identifier = item.get("identifier") if isinstance(item, dict) else None
    if not isinstance(identifier, str) or not identifier:
        return {"line": number, "status_code": 422, "message": "Identifier is missing."}
    status, errors = pim.upsert(identifier, item, cat)
    result: dict[str, Any] = {"line": number, "identifier": identifier, "status_code": status}
    if errors:
        result.update(message="Validation failed.", errors=errors)
    return result


def _status(status: int, errors: list[dict[str, Any]], base: str, identifier: str) -> Response:
    if errors:
        return error(status, "Validation failed.", errors=errors)
    return Response(status_code=status, headers={"Location": f"{base}{API}/products/{identifier}"})


@authed
async def product(request: Request) -> Response:
    pim: Pim = request.app.state.pim
    identifier = request.path_params["identifier"]
    if request.method == "PATCH":
        body, problem = await _json(request)
        if problem is not None:
            return problem
        return _status(*pim.upsert(identifier, body, pim.catalog()), base_url(request), identifier)
    doc = pim.store.by_key("products", identifier)
    if doc is None:
        return error(
            404, f'Product "{identifier}" does not exist or you do not have permission to access it.'
        )
    if request.method == "DELETE":
        pim.store.delete("products", doc["id"])
        return Response(status_code=204)
    return JSONResponse(product_out(doc, base_url(request)))


def _definitions(kind: str) -> tuple[Handler, Handler]:
    @authed
    async def many(request: Request) -> Response:
        base = base_url(request)
        return listing(
            request, request.app.state.pim.store, kind, search.Query(), lambda d: plain_out(d, base, kind)
        )

    @authed
    async def one(request: Request) -> Response:
        doc = request.app.state.pim.store.by_key(kind, request.path_params["code"])
        if doc is None:
            return error(404, f'Resource "{request.path_params["code"]}" does not exist.')
        return JSONResponse(plain_out(doc, base_url(request), kind))

    return many, one


async def reset(request: Request) -> Response:
    request.app.state.pim.reset()
    return JSONResponse({"reset": True})


async def seed(request: Request) -> Response:
    """Load products (and extra families / attributes) through the same validation as the API."""
    pim: Pim = request.app.state.pim
    body, problem = await _json(request)
    if problem is not None or not isinstance(body, dict):
        return problem or error(400, "Expected a JSON object.")
    for kind in ("attributes", "families"):
        for item in body.get(kind, []):
            existing = pim.store.by_key(kind, item["code"])
            if existing is None:
                pim.store.insert(kind, item, key=item["code"])
            else:
                pim.store.update(kind, existing["id"], item)
    cat, statuses = pim.catalog(), []
    for item in body.get("products", []):
        identifier = str(item.get("identifier", ""))
        status, errors = pim.upsert(identifier, item, cat)
        statuses.append(
            {"identifier": identifier, "status_code": status, **({"errors": errors} if errors else {})}
        )
    return JSONResponse({"products": statuses, "count": pim.store.count("products")})


def create_app(
    db_path: str | Path,
    client_id: str = "hub",
    secret: str = "hub-secret",
    username: str = "admin",
    password: str = "admin",
    token_ttl_s: float = 3600,
    *,
    refresh_ttl_s: float = 14 * 24 * 3600,
    faults: FaultConfig | None = None,
) -> FaultInjector:
    """The PIM sandbox as an ASGI app wrapped in fault injection; families and attributes are seeded."""
    store = DocStore(db_path, ["products", "families", "attributes", "tokens"])
    credentials = Credentials(client_id, secret, username, password, token_ttl_s, refresh_ttl_s)
    pim = Pim(store, TokenIssuer(store, credentials))
    if store.count("attributes") == 0:
        pim.reset()
    families, family = _definitions("families")
    attributes, attribute = _definitions("attributes")
    routes = [
        Route("/api/oauth/v1/token", token, methods=["POST"]),
        Route(f"{API}/products", products, methods=["GET", "POST", "PATCH"]),
        Route(f"{API}/products/{{identifier}}", product, methods=["GET", "PATCH", "DELETE"]),
        Route(f"{API}/families", families, methods=["GET"]),
        Route(f"{API}/families/{{code}}", family, methods=["GET"]),
        Route(f"{API}/attributes", attributes, methods=["GET"]),
        Route(f"{API}/attributes/{{code}}", attribute, methods=["GET"]),
        Route("/__sandbox/reset", reset, methods=["POST"]),
        Route("/__sandbox/seed", seed, methods=["POST"]),
    ]
    app = Starlette(routes=routes)
    app.state.pim = pim
    return FaultInjector(app, faults)
