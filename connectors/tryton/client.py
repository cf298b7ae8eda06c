"""A thin typed client for Tryton's JSON-RPC (``POST /<db>/rpc/``).

Why these choices: a session login once (``common.db.login``) rather than basic auth per call, so a
call costs one request; the user's preferences are sent as the context (last parameter) of every
call, as Tryton's own clients do, so company-dependent fields (prices, costs, terms) resolve; a
401/403 on a call means the session expired and triggers one re-login. Transient faults are retried
with tenacity; whether a call is safe to resend is the caller's choice (``idempotent``).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import requests
from tenacity import (
    RetryCallState,
    retry,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)
from urllib3.exceptions import NewConnectionError

from hub.errors import FatalError, RetriableError

log = logging.getLogger(__name__)

Domain = list[Any]

# HTTP statuses after which trytond has rolled the transaction back (or never started it).
_SAFE_STATUSES = {429, 503}
_TRANSIENT_STATUSES = {429, 500, 502, 503, 504}


class TrytonRPCError(Exception):
    """Tryton refused a call: a ``UserError`` (validation, access, missing record) or a server exception."""

    def __init__(self, kind: str, message: str, description: str = "", field: str | None = None) -> None:
        super().__init__(f"{message} - {description}" if description else message)
        self.kind, self.message, self.description, self.field = kind, message, description, field

    @property
    def retriable(self) -> bool:
        return self.kind == "ConcurrencyException"


class _Unprocessed(RetriableError):
    """The server did not process the request (connect failure, 429, 503): always safe to resend."""


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return {"__class__": "Decimal", "decimal": str(value)}
    if isinstance(value, dt.datetime):
        return {
            "__class__": "datetime",
            **{k: getattr(value, k) for k in ("year", "month", "day", "hour", "minute", "second")},
            "microsecond": value.microsecond,
        }
    if isinstance(value, dt.date):
        return {"__class__": "date", "year": value.year, "month": value.month, "day": value.day}
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot send {type(value).__name__} to Tryton")


def _decode(obj: dict[str, Any]) -> Any:
    kind = obj.get("__class__")
    if kind == "Decimal":
        return Decimal(obj["decimal"])
    if kind == "datetime":
        return dt.datetime(
            obj["year"], obj["month"], obj["day"], obj["hour"], obj["minute"], obj["second"],
            obj["microsecond"],
        )  # fmt: skip
    if kind == "date":
        return dt.date(obj["year"], obj["month"], obj["day"])
    if kind == "bytes":
        return base64.decodebytes(obj["base64"].encode())
    return obj


def _never_sent(exc: requests.ConnectionError) -> bool:
    """True when the connection was never established, so the server cannot have run the call."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError)


def _seconds(header: str | None) -> float | None:
    try:
        return max(0.0, float(header)) if header else None
    except ValueError:
        return None  # an HTTP date: fall back to the backoff


def _rpc_error(error: Any) -> TrytonRPCError:
    """Tryton sends ``[name, args]`` for its own exceptions, ``[text, traceback]`` for others."""
    if isinstance(error, list) and len(error) == 2 and error[0] == "UserError":
        message, description, domain = [*error[1], "", "", None][:3]
        field = None
        if isinstance(domain, list) and len(domain) == 2 and isinstance(domain[1], dict):
            field = next(iter(domain[1]), None)
        return TrytonRPCError("UserError", str(message), str(description or ""), field)
    if isinstance(error, list) and len(error) == 2 and error[0] in ("UserWarning", "ConcurrencyException"):
        args = error[1] if isinstance(error[1], list) else [error[1]]
        return TrytonRPCError(error[0], " ".join(str(a) for a in args if a))
    text = error[0] if isinstance(error, list) and error else error
    return TrytonRPCError("ServerError", str(text))


class TrytonClient:
    """One logged-in session on one database. Not thread-safe (one per connector)."""

    def __init__(
        self,
        url: str,
        database: str,
        user: str,
        password: str,
        *,
        timeout: float = 60.0,
        attempts: int = 5,
        backoff: float = 0.2,
        session: requests.Session | None = None,
    ) -> None:
        self.base = url.rstrip("/")
        self.database, self.user = database, user
        self._password = password
        self.timeout, self.attempts, self.backoff = timeout, attempts, backoff
        self.http = session or requests.Session()
        self.http.headers["Content-Type"] = "application/json"
        self._auth: str | None = None
        self.context: dict[str, Any] = {}
        self._ids = 0

    @property
    def endpoint(self) -> str:
        return f"{self.base}/{self.database}/rpc/"

    # -- transport -----------------------------------------------------------------------------------
    def _post(self, method: str, params: list[Any], *, auth: bool = True) -> Any:
        """One request; raises _Unprocessed / RetriableError / TrytonRPCError / PermissionError (401/403)."""
        self._ids += 1
        body = json.dumps({"id": self._ids, "method": method, "params": params}, default=_encode)
        headers = {"Authorization": self._auth} if auth and self._auth else {}
        try:
            resp = self.http.post(self.endpoint, data=body, headers=headers, timeout=self.timeout)
        except requests.ConnectionError as exc:
            if _never_sent(exc):
                raise _Unprocessed(f"Tryton unreachable: {exc}") from exc
            raise RetriableError(f"Tryton connection failed: {exc}") from exc
        except requests.Timeout as exc:
            raise RetriableError(f"Tryton did not answer within {self.timeout}s") from exc
        status = resp.status_code
        if status in (401, 403) and auth:
            raise PermissionError(status)
        if status in _TRANSIENT_STATUSES:
            wait = _seconds(resp.headers.get("Retry-After"))
            cls = _Unprocessed if status in _SAFE_STATUSES else RetriableError
            raise cls(f"Tryton answered HTTP {status} to {method}", retry_after=wait)
        if status >= 400:
            raise FatalError(f"Tryton answered HTTP {status} to {method}: {resp.text[:200]}")
        try:
            payload = json.loads(resp.content, object_hook=_decode)
        except ValueError as exc:  # a proxy's error page, a truncated body
            raise RetriableError(f"Tryton answered {method} with something not JSON: {exc}") from exc
        if "error" in payload and payload["error"] is not None:
            raise _rpc_error(payload["error"])
        return payload.get("result")

    def _with_retries(self, func: Callable[[], Any], idempotent: bool) -> Any:
        kinds: tuple[type[BaseException], ...] = (RetriableError,) if idempotent else (_Unprocessed,)

        def transient(exc: BaseException) -> bool:
            if isinstance(exc, TrytonRPCError):
                return exc.retriable and idempotent
            return isinstance(exc, kinds)

        runner = retry(
            retry=retry_if_exception(transient),
            stop=stop_after_attempt(self.attempts),
            wait=self._wait,
            reraise=True,
        )(func)
        return runner()

    def _wait(self, state: RetryCallState) -> float:
        """Exponential backoff, or longer when the server says so (Retry-After, capped at 30 s)."""
        exc = state.outcome.exception() if state.outcome else None
        backoff = wait_exponential(multiplier=self.backoff, max=10)(state)
        if isinstance(exc, RetriableError) and exc.retry_after is not None:
            return max(min(exc.retry_after, 30.0), backoff)
        return backoff

    # -- session -------------------------------------------------------------------------------------
    def login(self) -> None:
        """``common.db.login`` then the user's preferences as the context of every later call."""

        def attempt() -> Any:
            try:
                return self._post(
                    "common.db.login", [self.user, {"password": self._password}, "en"], auth=False
                )
            except (TrytonRPCError, FatalError) as exc:
                raise FatalError(
                    f"Tryton login as '{self.user}' on '{self.database}' refused: {exc}"
                ) from exc

        result = self._with_retries(attempt, idempotent=True)
        if not result:
            raise FatalError(f"Tryton login as '{self.user}' refused")
        uid, token = result[0], result[1]
        raw = f"{self.user}:{uid}:{token}".encode()
        self._auth = "Session " + base64.b64encode(raw).decode()
        self.context = self._with_retries(
            lambda: self._post("model.res.user.get_preferences", [True, {}]), idempotent=True
        )

    def call(
        self, method: str, *params: Any, context: dict[str, Any] | None = None, idempotent: bool = True
    ) -> Any:
        """Call ``method`` with ``params`` and the session context (plus ``context``) appended."""
        if self._auth is None:
            self.login()
        relogged = False
        while True:
            ctx = {**self.context, **(context or {})}
            try:
                return self._with_retries(lambda ctx=ctx: self._post(method, [*params, ctx]), idempotent)
            except PermissionError:
                if relogged:
                    raise FatalError(
                        f"Tryton refused {method} for '{self.user}' after a fresh login"
                    ) from None
                log.info("Tryton session expired; logging in again")
                self._auth, relogged = None, True
                self.login()

    # -- model helpers -------------------------------------------------------------------------------
    def search_read(
        self,
        model: str,
        domain: Domain,
        fields: Sequence[str],
        *,
        offset: int = 0,
        limit: int | None = None,
        order: Sequence[tuple[str, str]] | None = None,
        context: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        order_ = [list(o) for o in order] if order else None
        return self.call(
            f"model.{model}.search_read", domain, offset, limit, order_, list(fields), context=context
        )

    def search(self, model: str, domain: Domain, *, limit: int | None = None) -> list[int]:
        return self.call(f"model.{model}.search", domain, 0, limit, None)

    def read(self, model: str, ids: Sequence[int], fields: Sequence[str], **kw: Any) -> list[dict[str, Any]]:
        return self.call(f"model.{model}.read", list(ids), list(fields), **kw)

    def create(self, model: str, vlist: Sequence[dict[str, Any]]) -> list[int]:
        """Not idempotent: only resent when the server surely did not process it."""
        return self.call(f"model.{model}.create", list(vlist), idempotent=False)

    def write(self, model: str, *pairs: tuple[Sequence[int], dict[str, Any]]) -> None:
        """One call for many (ids, values) pairs; writing the same values twice is harmless."""
        args: list[Any] = []
        for ids, values in pairs:
            args += [list(ids), values]
        if args:
            self.call(f"model.{model}.write", *args)

    def delete(self, model: str, ids: Sequence[int]) -> None:
        self.call(f"model.{model}.delete", list(ids))
