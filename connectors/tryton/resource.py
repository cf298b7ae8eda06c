"""Dagster resource for a Tryton ERP reached over JSON-RPC."""

from __future__ import annotations

from pydantic import Field

from connectors.base.resource import ConnectorResource
from connectors.tryton.client import TrytonClient
from connectors.tryton.connector import TrytonConnector
from connectors.tryton.sales import TrytonOrders


class TrytonResource(ConnectorResource):
    """A Tryton database (``POST <url>/<database>/rpc/``); the password comes from an env var in hub.yaml."""

    url: str = Field(description="Base URL of trytond, e.g. http://127.0.0.1:8000/.")
    database: str = Field(description="Name of the Tryton database.")
    user: str = Field(default="admin", description="Tryton login the hub acts as.")
    password: str = Field(
        description="Password of that login. Secret: set it as {env: VAR} in hub.yaml, never inline."
    )
    timeout: float = Field(default=60.0, gt=0, description="Seconds to wait for one JSON-RPC answer.")
    attempts: int = Field(
        default=5, ge=1, description="Tries per call on transient faults (connection errors, 429, 5xx)."
    )
    backoff: float = Field(default=0.2, ge=0, description="Seconds before the first retry; doubles each try.")
    account_category: str = Field(
        default="Goods",
        description="Accounting product category (with revenue and expense accounts) given to new products.",
    )

    def client(self) -> TrytonClient:
        return TrytonClient(
            self.url,
            self.database,
            self.user,
            self.password,
            timeout=self.timeout,
            attempts=self.attempts,
            backoff=self.backoff,
        )

    def orders(self) -> TrytonOrders:
        """Order-to-cash operations (sales, shipments, invoices, returns, purchase requests)."""
        return TrytonOrders(self.client())

    def connector(self, system: str) -> TrytonConnector:
        return TrytonConnector(system, self.client(), account_category=self.account_category)
