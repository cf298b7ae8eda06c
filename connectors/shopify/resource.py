"""Dagster resource for a Shopify (Admin REST) shop."""

from __future__ import annotations

from pydantic import Field

from connectors.base.resource import ConnectorResource
from connectors.shopify.client import ShopifyClient
from connectors.shopify.connector import ShopifyConnector
from connectors.shopify.orders import ShopifyOrders


class ShopifyResource(ConnectorResource):
    """A Shopify shop (or the shop sandbox) read and written through the Admin REST API."""

    shop_url: str = Field(
        description="Shop base URL, e.g. https://acme.myshopify.com (the sandbox: http://127.0.0.1:PORT)."
    )
    access_token: str = Field(
        description="Admin API access token (X-Shopify-Access-Token). Secret: pass it as an EnvVar."
    )
    api_version: str = Field(default="2024-10", description="Admin API version in every path.")
    timeout: float = Field(default=30.0, gt=0, description="Seconds to wait for one HTTP response.")
    rate_per_second: float = Field(
        default=2.0, gt=0, description="Client-side request rate; Shopify's bucket leaks 2 calls per second."
    )
    burst: int = Field(default=40, ge=1, description="Client-side burst; Shopify's bucket holds 40 calls.")
    max_attempts: int = Field(
        default=8, ge=1, description="Tries per request on 429, 5xx, timeouts and dropped connections."
    )
    backoff: float = Field(
        default=0.25,
        gt=0,
        description="Seconds before the first retry, doubling after each (Retry-After wins).",
    )

    def connector(self, system: str) -> ShopifyConnector:
        return ShopifyConnector(system, self.client())

    def orders(self) -> ShopifyOrders:
        """Order-side writes (tags, fulfilments, refund status, quotes) for the order workflow."""
        return ShopifyOrders(self.client())

    def client(self) -> ShopifyClient:
        return ShopifyClient(
            self.shop_url,
            self.access_token,
            api_version=self.api_version,
            timeout=self.timeout,
            rate=self.rate_per_second,
            burst=self.burst,
            max_attempts=self.max_attempts,
            backoff=self.backoff,
        )
