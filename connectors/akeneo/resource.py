"""Dagster resource for an Akeneo PIM: typed, described settings; secrets come from the environment."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from connectors.akeneo.client import AkeneoClient
from connectors.akeneo.connector import MAX_BATCH, AkeneoConnector
from connectors.base.http import RateLimiter
from connectors.base.resource import ConnectorResource


class AkeneoResource(ConnectorResource):
    """An Akeneo PIM (REST API v1, OAuth2 password grant): the product content master."""

    base_url: str = Field(description="Root URL of the PIM, e.g. https://pim.example.com (no /api suffix).")
    client_id: str = Field(description="OAuth2 client id of the API connection (sent as HTTP Basic user).")
    secret: str = Field(description="OAuth2 client secret of the API connection; give it as {env: NAME}.")
    username: str = Field(description="API user of the connection (password grant).")
    password: str = Field(description="Password of the API user; give it as {env: NAME}.")
    locale: str = Field(
        default="en_US", description="Locale picked for localisable values in the flat shape."
    )
    channel: str = Field(
        default="ecommerce", description="Channel (scope) picked for scopable values in the flat shape."
    )
    values_format: Literal["akeneo", "flat"] = Field(
        default="akeneo",
        description=(
            "Shape of `values` in records read and written: 'akeneo' keeps Akeneo's lists of "
            "{locale, scope, data}; 'flat' gives one plain value per attribute for `locale`/`channel` "
            "(and lifts plain values back on write)."
        ),
    )
    page_size: int = Field(
        default=MAX_BATCH, ge=1, le=MAX_BATCH, description="Products per page read and per collection PATCH."
    )
    timeout: float = Field(default=30.0, gt=0, description="Seconds to wait for one HTTP response.")
    max_attempts: int = Field(
        default=8, ge=1, description="Tries per request on timeouts, dropped connections, 429 and 5xx."
    )
    backoff: float = Field(
        default=0.25, ge=0, description="First retry delay in seconds, doubled per try (Retry-After wins)."
    )
    requests_per_second: float = Field(
        default=10.0, gt=0, description="Client-side rate limit, so the hub stays a polite API user."
    )
    cursor_lookback_s: float = Field(
        default=0.0,
        ge=0,
        description=(
            "Re-read this many seconds before the saved `updated` cursor. 0 is exact when `updated` has "
            "sub-second precision (the sandbox); real Akeneo reports whole seconds: use 1 and let the "
            "hub skip the re-read unchanged records by content hash."
        ),
    )

    def client(self) -> AkeneoClient:
        return AkeneoClient(
            self.base_url,
            client_id=self.client_id,
            secret=self.secret,
            username=self.username,
            password=self.password,
            timeout=self.timeout,
            max_attempts=self.max_attempts,
            backoff=self.backoff,
            limiter=RateLimiter(self.requests_per_second, max(1, int(self.requests_per_second))),
        )

    def connector(self, system: str) -> AkeneoConnector:
        return AkeneoConnector(
            system,
            self.client(),
            locale=self.locale,
            channel=self.channel,
            values_format=self.values_format,
            page_size=self.page_size,
            cursor_lookback_s=self.cursor_lookback_s,
        )
