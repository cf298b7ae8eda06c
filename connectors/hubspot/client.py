"""The HubSpot HTTP client: the shared HttpClient plus HubSpot's rate-limit headers and the server clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import requests

from connectors.base.http import HttpClient, RateLimiter


class HubSpotClient(HttpClient):
    """Paces itself by ``X-HubSpot-RateLimit-Remaining`` and remembers the server's ``Date``."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 30.0,
        max_attempts: int = 8,
        requests_per_window: int = 100,
        window_seconds: float = 10.0,
    ) -> None:
        super().__init__(
            base_url,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=timeout,
            max_attempts=max_attempts,
            limiter=RateLimiter(requests_per_window / window_seconds, requests_per_window),
        )
        self.first_date: datetime | None = None

    def on_response(self, response: requests.Response) -> None:
        headers = response.headers
        capacity, remaining = (
            headers.get("X-HubSpot-RateLimit-Max"),
            headers.get("X-HubSpot-RateLimit-Remaining"),
        )
        if self.limiter is not None and capacity and remaining and capacity.isdigit() and remaining.isdigit():
            self.limiter.slow_down(int(capacity) - int(remaining), int(capacity))
        if self.first_date is None and headers.get("Date"):
            try:
                self.first_date = parsedate_to_datetime(headers["Date"])
            except (TypeError, ValueError):
                pass

    def server_time_floor(self) -> datetime:
        """A moment surely before the first answer since ``first_date`` was cleared (Date has 1 s precision)."""
        moment = self.first_date or (datetime.now(UTC) - timedelta(seconds=30))
        return moment - timedelta(seconds=1)
