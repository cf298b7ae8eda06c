"""The Shopify Admin REST client: ``HttpClient`` plus what Shopify says about its own bucket and clock."""

from __future__ import annotations

from datetime import datetime
from email.utils import parsedate_to_datetime

import requests

from connectors.base.http import HttpClient, RateLimiter

CALL_LIMIT = "X-Shopify-Shop-Api-Call-Limit"


class ShopifyClient(HttpClient):
    """Bound to ``<shop>/admin/api/<version>/``; the limiter follows the server's call-limit header."""

    def __init__(
        self,
        shop_url: str,
        access_token: str,
        *,
        api_version: str = "2024-10",
        timeout: float = 30.0,
        rate: float = 2.0,
        burst: int = 40,
        max_attempts: int = 8,
        backoff: float = 0.25,
    ) -> None:
        base = shop_url.rstrip("/")
        if not base.startswith(("http://", "https://")):
            base = f"https://{base}"
        super().__init__(
            f"{base}/admin/api/{api_version}",
            headers={"X-Shopify-Access-Token": access_token, "Accept": "application/json"},
            timeout=timeout,
            max_attempts=max_attempts,
            backoff=backoff,
            limiter=RateLimiter(rate, burst),
        )
        self.clock: datetime | None = None  # server time of the first response since ``mark_clock``

    def mark_clock(self) -> None:
        """Forget the remembered server time: the next response sets it (start of a read)."""
        self.clock = None

    def on_response(self, response: requests.Response) -> None:
        used = response.headers.get(CALL_LIMIT, "")
        if "/" in used and self.limiter is not None:
            left, _, right = used.partition("/")
            if left.strip().isdigit() and right.strip().isdigit():
                self.limiter.slow_down(int(left), int(right))
        if self.clock is None and response.headers.get("Date"):
            try:
                self.clock = parsedate_to_datetime(response.headers["Date"])
            except (TypeError, ValueError):
                pass
