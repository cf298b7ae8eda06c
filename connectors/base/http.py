"""The one HTTP client every REST connector uses: retries, Retry-After, client-side rate limit, call counts.

Transient faults (connection errors, timeouts, truncated bodies, 429, 5xx) are retried with
exponential backoff that honours ``Retry-After``; a permanent 4xx raises ``RemoteRejected`` so the
connector can fail that record and carry on.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from hub.errors import RemoteRejected, RetriableError

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class RateLimiter:
    """Token bucket: ``rate`` requests per second on average, bursts up to ``burst``. Thread-safe."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)
        self.stamp = time.monotonic()
        self.lock = threading.Lock()

    def acquire(self) -> None:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens < 1:
                wait = (1 - self.tokens) / self.rate
                time.sleep(wait)
                self.stamp = time.monotonic()
                self.tokens = 0.0
            else:
                self.tokens -= 1

    def slow_down(self, used: int, capacity: int) -> None:
        """Adopt the server's own view of the bucket (e.g. Shopify's ``X-Shopify-Shop-Api-Call-Limit``)."""
        with self.lock:
            self.tokens = min(self.tokens, max(0.0, capacity - used - 1))


@dataclass
class CallStats:
    """Requests made and retried: connector efficiency is measured in calls per 1,000 records."""

    calls: int = 0
    retries: int = 0
    by_status: dict[int, int] = field(default_factory=dict)


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds: a number, or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


class HttpClient:
    """A requests session bound to one base URL, with retries and an optional rate limiter."""

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30.0,
        max_attempts: int = 8,
        backoff: float = 0.25,
        max_backoff: float = 20.0,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.headers.update(headers or {})
        self.timeout, self.max_attempts = timeout, max_attempts
        self.backoff, self.max_backoff = backoff, max_backoff
        self.limiter = limiter
        self.stats = CallStats()

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{self.base_url}/{path.lstrip('/')}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send a request; retries transient faults; raises RemoteRejected on a permanent 4xx."""
        retrying = Retrying(
            retry=retry_if_exception_type(RetriableError),
            stop=stop_after_attempt(self.max_attempts),
            wait=self._wait,
            reraise=True,
            before_sleep=self._count_retry,
        )
        return retrying(self._send, method, path, **kwargs)

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        return response.json() if response.content else None

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        if self.limiter is not None:
            self.limiter.acquire()
        kwargs.setdefault("timeout", self.timeout)
        self.stats.calls += 1
        try:
            response = self.session.request(method, self.url(path), **kwargs)
            response.content  # noqa: B018 - read the body now, so a cut connection is a retriable fault
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
            raise RetriableError(f"{method} {path}: {type(exc).__name__}: {exc}") from exc
        status = response.status_code
        self.stats.by_status[status] = self.stats.by_status.get(status, 0) + 1
        self.on_response(response)
        if status in RETRY_STATUSES:
            raise RetriableError(
                f"{method} {path}: HTTP {status}",
                retry_after=retry_after_seconds(response.headers.get("Retry-After")),
            )
        if status >= 400:
            raise RemoteRejected(
                f"{method} {path}: HTTP {status}: {response.text[:500]}", status=status, body=response.text
            )
        return response

    def on_response(self, response: requests.Response) -> None:
        """Hook for dialects that report their rate-limit state in headers."""

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        hinted = getattr(exc, "retry_after", None)
        if hinted is not None:
            return min(float(hinted), self.max_backoff * 3)
        return min(self.max_backoff, self.backoff * (2 ** (state.attempt_number - 1)))

    def _count_retry(self, state: RetryCallState) -> None:
        self.stats.retries += 1

    def close(self) -> None:
        self.session.close()
