"""Dagster resource for a HubSpot CRM portal (or the CRM sandbox, which speaks the same API)."""

from __future__ import annotations

from pydantic import Field

from connectors.base.resource import ConnectorResource
from connectors.hubspot.client import HubSpotClient
from connectors.hubspot.connector import HubSpotConnector


class HubSpotResource(ConnectorResource):
    """HubSpot CRM v3: customers are companies with their associated contacts, keyed by ``account_number``."""

    base_url: str = Field(
        default="https://api.hubapi.com",
        description="API root: https://api.hubapi.com for HubSpot, the sandbox's URL for local runs.",
    )
    access_token: str = Field(
        description="Private app access token (scopes crm.objects.companies/contacts read+write). "
        "A secret: give it in hub.yaml as {env: HUBSPOT_ACCESS_TOKEN}, never inline."
    )
    timeout: float = Field(
        default=30.0, gt=0, description="Seconds to wait for one HTTP answer before retrying."
    )
    max_attempts: int = Field(
        default=8, ge=1, description="Tries per request on 429, 5xx, timeouts and dropped connections."
    )
    requests_per_window: int = Field(
        default=100, ge=1, description="Requests allowed per window (HubSpot private apps: 100 per 10 s)."
    )
    window_seconds: float = Field(
        default=10.0, gt=0, description="Length of the rate-limit window in seconds."
    )
    page_size: int = Field(
        default=100, ge=1, le=100, description="Records per search page (HubSpot allows up to 100 here)."
    )

    def client(self) -> HubSpotClient:
        """One client for this portal: its token, timeouts and rate limit (connector and deals share it)."""
        return HubSpotClient(
            self.base_url,
            self.access_token,
            timeout=self.timeout,
            max_attempts=self.max_attempts,
            requests_per_window=self.requests_per_window,
            window_seconds=self.window_seconds,
        )

    def connector(self, system: str) -> HubSpotConnector:
        return HubSpotConnector(system, self.client(), page_size=self.page_size)
